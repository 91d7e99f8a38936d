import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { codeOf } from '../../api/errors';
import { startSession, type User } from '../../api/session';
import { Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { type MfaChallenge, MfaStep } from '../../components/MfaStep';
import { PageHeader } from '../../components/PageHeader';
import { isDeadLink, SsoRequiredNotice, ssoRedirectOf } from './parts';

/**
 * The mailed sign-in link, `/magic-link?token=`. Nothing is sent on load: mail scanners open links,
 * and the token works once, so the person clicks (POST /api/auth/magic-link/verify). An account with
 * a second factor then gets that step, like a password sign-in.
 */
export function MagicLinkPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const [expired, setExpired] = useState<string | null>(null);
  const signedIn = (user: User) => {
    startSession(queryClient, user);
    navigate('/', { replace: true });
  };
  const verify = useMutation({
    mutationFn: () => call(api.POST('/api/auth/magic-link/verify', { body: { token } })),
    onSuccess: (answer) => {
      if ('mfaRequired' in answer) setChallenge(answer);
      else signedIn(answer.user);
    },
  });

  const again = (
    <p>
      <Link to="/sign-in">Back to sign-in</Link> to ask for a new link.
    </p>
  );
  if (!token || (verify.isError && isDeadLink(verify.error)))
    return (
      <>
        <PageHeader title="This sign-in link does not work" />
        <Notice kind="error">
          {token
            ? 'Sign-in links work once and expire after 15 minutes, and only the newest one mailed works.'
            : 'This link has no token: copy the whole link from the email.'}
        </Notice>
        {again}
      </>
    );
  if (expired)
    return (
      <>
        <PageHeader title="Two-step verification" />
        <Notice kind="info">{expired}</Notice>
        {again}
      </>
    );
  if (challenge)
    return (
      <>
        <PageHeader title="Two-step verification" description="One more step to finish signing in." />
        <MfaStep
          challenge={challenge}
          submitLabel="Sign in"
          onVerified={(answer) => signedIn(answer.user)}
          onExpired={setExpired}
        />
      </>
    );
  const sso = ssoRedirectOf(verify.error);
  return (
    <>
      <PageHeader
        title="Sign in with your email link"
        description="Continue to sign in to Gatehouse in this browser."
      />
      {sso ? <SsoRequiredNotice url={sso} /> : null}
      {codeOf(verify.error) === 'USER_NOT_ACTIVE' ? (
        <Notice kind="error">This account is deactivated. Ask your organization's administrator to restore it.</Notice>
      ) : sso ? null : (
        <FormError error={verify.error} />
      )}
      <p>The link works once. If you did not ask for it, close this page: nothing happens until you continue.</p>
      <button
        type="button"
        className="button button-primary"
        disabled={verify.isPending || verify.isSuccess}
        aria-busy={verify.isPending || undefined}
        onClick={() => verify.mutate()}
      >
        {verify.isPending ? 'Working…' : 'Sign in'}
      </button>
    </>
  );
}
