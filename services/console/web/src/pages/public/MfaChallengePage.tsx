import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { startSession } from '../../api/session';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { MfaStep } from '../../components/MfaStep';
import { PageHeader } from '../../components/PageHeader';
import { safeRedirect } from '../../lib/next-path';
import { isDeadLink } from './parts';

/** The challenge handed over in the fragment (`#challenge=…`): a fragment never reaches a server log. */
function challengeOfFragment(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('challenge');
}

/**
 * `/sign-in/mfa#challenge=…`: where an SSO sign-in of an account with a second factor lands. The
 * challenge is read once and dropped from the address bar (it must not stay in history), described
 * (POST /api/auth/mfa/challenge), answered, and the browser goes on to where the sign-in was headed.
 */
export function MfaChallengePage() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [challengeId] = useState(() => challengeOfFragment(location.hash));
  const [expired, setExpired] = useState<string | null>(null);
  useEffect(() => {
    if (location.hash) navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location.hash, location.pathname, location.search, navigate]);

  const challenge = useQuery({
    queryKey: ['mfa-challenge', challengeId],
    queryFn: () => call(api.POST('/api/auth/mfa/challenge', { body: { challengeId: challengeId ?? '' } })),
    enabled: Boolean(challengeId),
    gcTime: 0,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });

  const startAgain = (
    <p>
      <Link to="/sign-in">Sign in again</Link>
    </p>
  );
  let body: ReactNode;
  if (!challengeId) body = <Notice kind="error">This page needs the link your sign-in opened.</Notice>;
  else if (expired)
    body = (
      <>
        <Notice kind="info">{expired}</Notice>
        {startAgain}
      </>
    );
  else if (challenge.isPending) body = <Loading what="Loading the sign-in step" />;
  else if (challenge.isError)
    body = isDeadLink(challenge.error) ? (
      <>
        <Notice kind="error">This sign-in step expired or was already used.</Notice>
        {startAgain}
      </>
    ) : (
      <LoadError error={challenge.error} retry={() => challenge.refetch()} />
    );
  else
    body = (
      <MfaStep
        challenge={challenge.data}
        submitLabel="Sign in"
        onExpired={setExpired}
        onVerified={(answer) => {
          startSession(queryClient, answer.user);
          // A full load: the destination may be an OAuth page of the authorization server, not the console's.
          window.location.assign(safeRedirect(answer.redirectTo));
        }}
      />
    );
  return (
    <>
      <PageHeader title="Two-step verification" description="One more step to finish signing in." />
      {body}
    </>
  );
}
