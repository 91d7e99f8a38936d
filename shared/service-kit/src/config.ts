import { type Static, type TObject, type TProperties, Type } from 'typebox';
import { Value } from 'typebox/value';

/** Raised when the environment does not describe a runnable process; main prints its one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the variables a schema names from the environment, applies defaults,
 * converts strings to numbers/booleans and validates. The first bad variable is
 * reported by name so the operator sees exactly what to fix.
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  const [first] = Value.Errors(schema, converted);
  if (first) {
    const missing = first.keyword === 'required';
    const params = first.params as { requiredProperties?: string[]; missingProperty?: string };
    const label = missing
      ? String(params.requiredProperties?.[0] ?? params.missingProperty ?? '')
      : first.instancePath.replace(/^\//, '');
    throw new ConfigError(
      missing
        ? `Configuration error: ${label} is required but not set`
        : `Configuration error: ${label} ${first.message}`,
    );
  }
  return converted as Static<T>;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables every service reads; each service extends this with its own. */
export function serviceConfigProperties(service: string, defaultPort: number) {
  return {
    HOST: Type.String({ default: '127.0.0.1' }),
    PORT: Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort }),
    DATABASE_URL: Type.String({
      pattern: '^postgres(ql)?://',
      default: `postgres://postgres@127.0.0.1:5432/gatehouse_${service}`,
    }),
    NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
    /** NATS credentials other than user:password in NATS_URL: the path of a .creds file, or a token. */
    NATS_CREDS: Type.Optional(Type.String()),
    NATS_TOKEN: Type.Optional(Type.String()),
    NATS_SUBJECT_PREFIX: Type.String({ default: '', pattern: '^([A-Za-z0-9_-]+\\.)?$' }),
    EVENTS_STREAM: Type.String({ default: 'GATEHOUSE_EVENTS', pattern: '^[A-Za-z0-9_-]+$' }),
    /** Copies JetStream keeps of the events stream when a service creates it: 3 on a NATS cluster, 1 on one server. */
    EVENTS_STREAM_REPLICAS: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: [...LOG_LEVELS], default: 'info' }),
    PRINCIPAL_PUBLIC_KEY: Type.String({ minLength: 40 }),
    BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /**
     * Apply pending migrations (under the migration lock) at start: `pnpm start`, compose, tests.
     * Kubernetes sets "false" and runs the migrate command once per release; a replica then only
     * checks that the schema is current and is not ready until it is.
     */
    MIGRATE_ON_START: Type.Optional(Type.Boolean({ default: true })),
  } satisfies TProperties;
}

export const BaseServiceConfig = Type.Object(serviceConfigProperties('service', 3000));
export type BaseServiceConfig = Static<typeof BaseServiceConfig>;

/** PEM keys travel in env vars with literal "\n"; accept both forms. */
export function pemFromEnv(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}
