/** Every error code of the public contract (docs/api.md "Error codes"), with the HTTP status it travels with. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_SCOPE: 400,
  AUTHENTICATION_REQUIRED: 401,
  NO_TOKEN_PROVIDED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_OR_EXPIRED_TOKEN: 401,
  INVALID_API_KEY: 401,
  USER_NOT_ACTIVE: 401,
  INSUFFICIENT_PERMISSIONS: 403,
  API_KEY_MISSING_SCOPES: 403,
  NO_SCOPES_AVAILABLE: 403,
  FORBIDDEN: 403,
  TENANT_CONTEXT_MISSING: 403,
  MFA_REQUIRED: 403,
  EMAIL_NOT_VERIFIED: 403,
  SSO_REQUIRED: 403,
  /** The organization's plan allows no more of this (`meta {resource, limit, current, upgradeUrl}`). */
  PLAN_LIMIT_REACHED: 403,
  /** The subscription has been unpaid past its grace period: the organization is read-only until it is paid. */
  SUBSCRIPTION_INACTIVE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // Extensions to the public table: what the HTTP layer refuses before a route sees the request.
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMIT_ERROR: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  /** This deployment has no Stripe keys (local mode): checkout, portal and webhooks cannot work. */
  BILLING_NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type FieldLocation = 'body' | 'query' | 'params' | 'headers';

export interface FieldError {
  field: string;
  error: string;
  location: FieldLocation;
}

/**
 * The one error type services and the gateway throw for expected failures.
 * The envelope error handler turns it into the public error envelope; anything
 * that is not an AppError becomes a 500 with no detail.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly meta: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, meta?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.meta = meta;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export const validationError = (errors: FieldError[], message = 'Validation failed') =>
  new AppError('VALIDATION_ERROR', message, { errors });

export const notFound = (message = 'Resource not found') => new AppError('NOT_FOUND', message);

export const conflict = (reason: string, message: string) => new AppError('CONFLICT', message, { reason });
