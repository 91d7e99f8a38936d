import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { AddressNotPublicError, guardedLookup, type LookupAll, systemLookupAll, urlProblem } from './guard.js';

/** How much of a receiver's answer the delivery log keeps. */
export const RESPONSE_EXCERPT_CHARS = 1024;

export interface SenderOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  lookupAll?: LookupAll;
}

export interface OutgoingWebhook {
  url: string;
  /** The exact bytes that were signed. */
  body: string;
  headers: Record<string, string>;
}

/** One attempt's result, as the delivery log shows it (never headers, body or secrets). */
export interface SendOutcome {
  /** A 2xx answer, in full or cut at the response cap, within the timeout. */
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/**
 * POSTs one webhook: no redirects followed, every resolved address checked on connect, one timeout for the
 * whole exchange, and at most `maxResponseBytes` of the answer read.
 */
export function sendWebhook(message: OutgoingWebhook, options: SenderOptions): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = new URL(message.url);
  } catch {
    return Promise.resolve(refusal('the URL is not valid'));
  }
  const problem = urlProblem(url, options.allowPrivate);
  if (problem) return Promise.resolve(refusal(problem));

  return new Promise((resolve) => {
    const answer = new AnswerReader(options.maxResponseBytes);
    let statusCode: number | null = null;
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({
        ok: error === null && isSuccess(statusCode),
        statusCode,
        latencyMs: elapsed(),
        ...answer.result(error),
      });
    };
    const onResponse = (response: IncomingMessage) => {
      statusCode = response.statusCode ?? null;
      const problem = statusProblem(statusCode);
      response.on('data', (chunk: Buffer) => {
        if (answer.take(chunk)) finish(problem);
      });
      response.on('end', () => finish(problem));
      // The status is what counts; an answer cut short after it does not change it.
      response.on('error', () => finish(problem));
      response.on('close', () => finish(problem));
    };
    const timer = setTimeout(() => finish(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...message.headers, 'content-length': Buffer.byteLength(message.body) },
        lookup: guardedLookup(options.allowPrivate, options.lookupAll ?? systemLookupAll),
        agent: false,
      },
      onResponse,
    );
    request.on('error', (error) => finish(connectionProblem(error, url)));
    request.end(message.body);
  });
}

function refusal(error: string): SendOutcome {
  return { ok: false, statusCode: null, latencyMs: 0, responseExcerpt: null, error };
}

const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;

function statusProblem(status: number | null): string | null {
  if (status === null) return 'no status in the answer';
  if (isSuccess(status)) return null;
  if (status >= 300 && status < 400) return `redirect not followed (${status})`;
  return `answered ${status}`;
}

/** A short, safe description of a failed connection: the error's code, never its full message. */
function connectionProblem(error: NodeJS.ErrnoException, url: URL): string {
  if (error instanceof AddressNotPublicError) return error.message;
  const code = typeof error.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(error.code) ? error.code : 'unknown';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${url.hostname} did not resolve`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return /CERT|TLS|SSL/.test(code) ? `TLS failed (${code})` : `connection failed (${code})`;
  }
}

/** Collects the start of an answer and says when the cap is reached (the rest is never read). */
class AnswerReader {
  private readonly chunks: Buffer[] = [];
  private received = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps what fits; true once the cap is reached. */
  take(chunk: Buffer): boolean {
    const room = this.maxBytes - this.received;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.received += kept.length;
    return this.received >= this.maxBytes;
  }

  result(error: string | null): Pick<SendOutcome, 'responseExcerpt' | 'error'> {
    const text = Buffer.concat(this.chunks).toString('utf8').slice(0, RESPONSE_EXCERPT_CHARS);
    return { responseExcerpt: text === '' ? null : text, error };
  }
}
