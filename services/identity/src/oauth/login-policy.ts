import { gatewayPrincipalOf } from '@gatehouse/service-kit';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { sessionMeetsFactors } from './second-factor.js';

export const GATEHOUSE_SESSION_REASON = 'gatehouse_session';

/**
 * oidc-provider keeps a login session of its own. Signing out of Gatehouse must end it too, so
 * login is asked again whenever the browser no longer holds a Gatehouse session for the same
 * user (signed out, session revoked, password reset, another account signed in), or holds one that
 * never proved the second factor the account now has (it was signed in to before enrolling).
 */
export function gatehouseLoginPolicy(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const { Check } = interactionPolicy;
  policy.get('login')?.checks.add(
    new Check(GATEHOUSE_SESSION_REASON, 'The Gatehouse session has ended', async (koa: KoaContextWithOIDC) => {
      const accountId = koa.oidc.session?.accountId;
      if (!accountId) return Check.NO_NEED_TO_PROMPT; // `no_session` already asks for a login
      const principal = gatewayPrincipalOf(koa.req);
      const sameUser = principal?.kind === 'session' && principal.userId === accountId;
      if (!sameUser) return Check.REQUEST_PROMPT;
      return sessionMeetsFactors(principal) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
