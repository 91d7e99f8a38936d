import type { IncomingMessage } from 'node:http';
import { PRINCIPAL_HEADER, type Principal } from '@gatehouse/contracts';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { IdentityContext } from '../context.js';

export const GATEHOUSE_SESSION_REASON = 'gatehouse_session';

/** The principal the gateway signed for this browser request (its Gatehouse session, if any). */
export async function browserPrincipal(ctx: IdentityContext, req: IncomingMessage): Promise<Principal | null> {
  const token = req.headers[PRINCIPAL_HEADER];
  if (typeof token !== 'string') return null;
  try {
    return (await ctx.deps.verifier.verify(token)).principal;
  } catch {
    return null;
  }
}

/**
 * oidc-provider keeps a login session of its own. Signing out of Gatehouse must end it too, so
 * login is asked again whenever the browser no longer holds a Gatehouse session for the same
 * user (signed out, session revoked, password reset, another account signed in).
 */
export function gatehouseLoginPolicy(ctx: IdentityContext): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const { Check } = interactionPolicy;
  policy.get('login')?.checks.add(
    new Check(GATEHOUSE_SESSION_REASON, 'The Gatehouse session has ended', async (koa: KoaContextWithOIDC) => {
      const accountId = koa.oidc.session?.accountId;
      if (!accountId) return Check.NO_NEED_TO_PROMPT; // `no_session` already asks for a login
      const principal = await browserPrincipal(ctx, koa.req);
      const sameUser = principal?.kind === 'session' && principal.userId === accountId;
      return sameUser ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
