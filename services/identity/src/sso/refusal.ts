import { AppError } from '@gatehouse/contracts';

/**
 * A sign-in step refused on the IdP's or the browser's side: one 403 envelope, with a `reason` to tell
 * them apart (SSO_STATE_INVALID, SSO_CONNECTION_DISABLED, SSO_ACCOUNT_NOT_LINKABLE, …).
 */
export function ssoRefused(reason: string, message: string): AppError {
  return new AppError('FORBIDDEN', message, { reason });
}
