import { MIN_AUDIT_RETENTION_DAYS } from '@gatehouse/contracts';
import { mailConfigProperties, serviceConfigProperties } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';

/** Attempt delays after the first (Standard Webhooks' suggested schedule, stretched to three days). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,14h,20h,24h';

export const AuditConfig = Type.Object({
  ...serviceConfigProperties('audit', 4005),
  ...mailConfigProperties(),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),
  /** Seals webhook signing secrets at rest (`kid:base64` of 32 bytes, comma-separated; the first seals). */
  WEBHOOK_ENCRYPTION_KEY: Type.String({ minLength: 44 }),
  /** Tests and local development only: lets endpoints be `http` and on private, loopback or link-local addresses. */
  WEBHOOK_ALLOW_PRIVATE_URLS: Type.Boolean({ default: false }),
  /** Delays between attempts (`5s,5m,2h…`); once they are spent the message has failed and the endpoint is disabled. */
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    default: DEFAULT_WEBHOOK_RETRY_SCHEDULE,
    pattern: '^\\d+(ms|s|m|h)(,\\d+(ms|s|m|h))*$',
  }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  /** How much of a receiver's answer is read (and the first 1 KiB kept in the delivery log). */
  WEBHOOK_MAX_RESPONSE_BYTES: Type.Integer({ minimum: 1024, default: 65_536 }),
  /** Endpoints delivered to at once by one replica. */
  WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /**
   * Endpoints of one organization delivered to at once by one replica, so a tenant with many slow endpoints
   * cannot hold every slot.
   */
  WEBHOOK_ORGANIZATION_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 2 }),
  /** Records older than this are deleted unless an organization chose otherwise (account logs: always this). */
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: MIN_AUDIT_RETENTION_DAYS, maximum: 3650, default: 365 }),
});
export type AuditConfig = Static<typeof AuditConfig>;
