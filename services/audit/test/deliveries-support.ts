import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { newId } from '@gatehouse/contracts';
import { Keyring } from '@gatehouse/service-kit';
import { Webhook } from 'standardwebhooks';
import { type DeliveryRow, deliveryOf } from '../src/endpoints/entities.js';
import { newSigningSecret, sealSecret } from '../src/endpoints/secrets.js';
import type { AuditHarness } from './harness.js';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The path it was sent to (`/hooks/<name>` tells endpoints apart on one receiver). */
  path: string;
}

export type Responder = (request: ReceivedRequest, response: ServerResponse) => void | Promise<void>;

/** A customer's receiver on loopback: a real HTTP server that keeps every request and answers as told. */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** TCP connections accepted, whether or not a request came over them. */
  connections = 0;
  respond: Responder = (_request, response) => {
    response.writeHead(204).end();
  };
  private readonly server: Server = createServer((request, response) => this.handle(request, response));

  async start(): Promise<number> {
    this.server.on('connection', () => {
      this.connections += 1;
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hooks'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The bodies' `data.seq` of the requests to one path, in arrival order. */
  sequenceAt(path: string): number[] {
    return this.requests.filter((request) => request.path === path).map((request) => JSON.parse(request.body).data.seq);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = {
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: request.url ?? '',
      };
      this.requests.push(received);
      void this.respond(received, response);
    });
  }
}

/** A TCP listener that only counts connections: a refused delivery must never reach it. */
export class ConnectionCounter {
  connections = 0;
  private readonly server: TcpServer = createTcpServer((socket) => {
    this.connections += 1;
    socket.destroy();
  });
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Verifies a received request with the `standardwebhooks` package; throws when no signature matches. */
export function verify(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
}

/** SQL on the service's database. */
export function sqlOf(audit: AuditHarness) {
  // biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
  return (query: string, params: unknown[] = []): Promise<any[]> =>
    audit.service.deps.orm.em.fork().execute(query, params);
}

export interface TestWebhook {
  id: string;
  organizationId: string;
  secret: string;
  previousSecret: string | null;
}

/** An endpoint row as the webhook API would write it (its secret sealed with the service's key). */
export async function insertWebhook(
  audit: AuditHarness,
  url: string,
  options: { organizationId?: string; enabled?: boolean; previousSecret?: boolean } = {},
): Promise<TestWebhook> {
  const keys = Keyring.parse(audit.service.deps.config.WEBHOOK_ENCRYPTION_KEY, 'WEBHOOK_ENCRYPTION_KEY');
  const id = newId();
  const organizationId = options.organizationId ?? newId();
  const secret = newSigningSecret();
  const previousSecret = options.previousSecret ? newSigningSecret() : null;
  await sqlOf(audit)(
    `insert into webhooks (id, organization_id, url, events, description, enabled, secret_sealed, secret_start,
       previous_secret_sealed, previous_secret_expires_at, created_at, updated_at)
     values (?, ?, ?, '["*"]'::jsonb, null, ?, ?, ?, ?, ?, now(), now())`,
    [
      id,
      organizationId,
      url,
      options.enabled ?? true,
      sealSecret(keys, id, secret),
      secret.slice(0, 12),
      previousSecret ? sealSecret(keys, id, previousSecret) : null,
      previousSecret ? new Date(Date.now() + 24 * 3600 * 1000) : null,
    ],
  );
  return { id, organizationId, secret, previousSecret };
}

/** Queues messages for an endpoint, due now, in this order (`data.seq` numbers them). */
/** `execute` runs the inserts (another transaction's, say); the service's own connection by default. */
export async function queueDeliveries(
  audit: AuditHarness,
  webhookId: string,
  count = 1,
  type = 'member.added',
  execute: (query: string, params: unknown[]) => Promise<unknown> = sqlOf(audit),
) {
  const messageIds: string[] = [];
  for (let seq = 1; seq <= count; seq += 1) {
    const messageId = `msg_${newId()}`;
    messageIds.push(messageId);
    const payload = { type, timestamp: new Date().toISOString(), data: { seq, note: 'ünïcødé survives signing' } };
    await execute(
      `insert into webhook_deliveries (id, webhook_id, message_id, event_type, record_id, payload, status, attempts,
         next_attempt_at, attempt_log, created_at)
       values (?, ?, ?, ?, null, ?::jsonb, 'pending', 0, now(), '[]'::jsonb, now())`,
      [newId(), webhookId, messageId, type, JSON.stringify(payload)],
    );
  }
  return messageIds;
}

export async function deliveriesOf(audit: AuditHarness, webhookId: string): Promise<DeliveryRow[]> {
  const rows = await sqlOf(audit)('select * from webhook_deliveries where webhook_id = ? order by position', [
    webhookId,
  ]);
  return rows.map(deliveryOf);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
