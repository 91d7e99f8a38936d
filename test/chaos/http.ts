/**
 * The workload's HTTP client: node:http bound to one loopback source address (so per-IP limits
 * and connection handling see several clients), recording every request it makes.
 */
import { Agent, request } from 'node:http';
import type { Json } from '../support/client.js';

export interface Sample {
  kind: string;
  /** Which worker's client sent it. */
  client: string;
  start: number;
  end: number;
  /** null: no HTTP answer at all (refused, reset, client timeout). */
  status: number | null;
  /** The body was our envelope ({success, status = HTTP status, code, message, …}). */
  envelope: boolean;
  error?: string;
  /** The start of a non-envelope body, for the report. */
  bodyStart?: string;
  /** For answers other than 2xx: the envelope's code and the request id, to find it in the logs. */
  code?: string;
  requestId?: string;
}

export interface Answer {
  status: number | null;
  body: Json;
  cookie?: string;
}

export function isEnvelope(status: number, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const envelope = body as Record<string, unknown>;
  if (envelope.status !== status || typeof envelope.code !== 'string' || typeof envelope.message !== 'string') {
    return false;
  }
  return status < 400 ? envelope.success === true && 'data' in envelope : envelope.success === false;
}

export class Recorder {
  readonly samples: Sample[] = [];
  add(sample: Sample): void {
    this.samples.push(sample);
  }
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    readonly label: string,
    readonly localAddress: string,
    private readonly recorder: Recorder,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, localAddress });
  }

  /** One request; never throws: a failure is recorded and answered with status null. */
  call(
    kind: string,
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const start = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer: Answer, sample: Omit<Sample, 'kind' | 'client' | 'start' | 'end'>) => {
        if (settled) return;
        settled = true;
        this.recorder.add({ kind, client: this.label, start, end: Date.now(), ...sample });
        resolve(answer);
      };
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) =>
            finish({ status: null, body: null }, { status: null, envelope: false, error: error.message }),
          );
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let body: Json = null;
            try {
              body = text ? JSON.parse(text) : null;
            } catch {
              body = null;
            }
            const envelope = isEnvelope(status, body);
            const cookie = (res.headers['set-cookie'] ?? [])
              .map((line) => line.split(';')[0]!)
              .find((pair) => pair.startsWith('gatehouse_session='));
            const failed = status >= 300 ? { code: body?.code, requestId: String(res.headers['x-request-id']) } : {};
            finish(
              { status, body, ...(cookie ? { cookie } : {}) },
              { status, envelope, ...failed, ...(envelope ? {} : { bodyStart: text.slice(0, 120) }) },
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`client timeout after ${this.timeoutMs} ms`)));
      req.on('error', (error) =>
        finish({ status: null, body: null }, { status: null, envelope: false, error: error.message }),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
