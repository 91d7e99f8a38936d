import type { AuditContext } from '../context.js';

/** Deletes records past their log's retention, advancing each chain's anchor (WP2 builds it). */
export class AuditRetention {
  constructor(_ctx: AuditContext) {}
  start(): void {}
  async stop(): Promise<void> {}
}
