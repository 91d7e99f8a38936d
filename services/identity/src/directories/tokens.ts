import type { ResolveCredentialReply } from '@gatehouse/contracts';
import type { IdentityContext } from '../context.js';

/**
 * Answers the gateway's look-up of a SCIM token: the live token of a live directory becomes a
 * DirectoryPrincipal (cached no longer than the token has left), anything else INVALID_OR_EXPIRED_TOKEN.
 * WP0 stub.
 */
export async function resolveDirectoryToken(_ctx: IdentityContext, _secret: string): Promise<ResolveCredentialReply> {
  return { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' };
}
