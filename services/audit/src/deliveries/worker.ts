import type { AuditContext } from '../context.js';

/** Sends queued webhook deliveries (WP4 builds it). */
export class DeliveryWorker {
  constructor(_ctx: AuditContext) {}
  start(): void {}
  kick(): void {}
  async stop(): Promise<void> {}
}
