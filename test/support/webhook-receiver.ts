import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedMessage {
  id: string;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are asserted field by field.
  data: any;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which of the receiver's secrets verified it (index into `secrets`). */
  verifiedWith: number[];
}

/**
 * A customer's webhook receiver on loopback: a real HTTP server that verifies every message with the
 * `standardwebhooks` package (an implementation of the spec not written by us) and keeps the ones that verify.
 * `failNext(n)` answers the next n requests with 500, as a receiver in trouble does.
 */
export class WebhookReceiver {
  readonly messages: ReceivedMessage[] = [];
  /** Every request, verified or not, in arrival order (status answered). */
  readonly requests: Array<{ id: string | undefined; status: number }> = [];
  secrets: string[] = [];
  private failing = 0;
  private server: Server | null = null;

  failNext(count: number): void {
    this.failing = count;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = request.headers['webhook-id'] as string | undefined;
        if (this.failing > 0) {
          this.failing -= 1;
          this.requests.push({ id, status: 500 });
          response.writeHead(500).end('receiver is down for maintenance');
          return;
        }
        const verifiedWith = this.secrets.flatMap((secret, index) => {
          try {
            new Webhook(secret).verify(body, request.headers as Record<string, string>);
            return [index];
          } catch {
            return [];
          }
        });
        if (verifiedWith.length === 0) {
          this.requests.push({ id, status: 400 });
          response.writeHead(400).end('bad signature');
          return;
        }
        const payload = JSON.parse(body) as { type: string; data: unknown };
        this.messages.push({
          id: id ?? '',
          type: payload.type,
          data: payload.data,
          headers: request.headers,
          body,
          verifiedWith,
        });
        this.requests.push({ id, status: 204 });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
