import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { ME_KEY, type User, useMe } from '../../api/session';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';
import { isDeadLink, ResendVerification } from './parts';

/**
 * The mailed verification link. GET /api/auth/verify-email spends the token, so it is sent once per
 * token: a mutation started from an effect that a ref guards (StrictMode runs effects twice in
 * development; the ref survives that). The browser's session goes with it: when it is the
 * account's own, nothing ends; otherwise the API ends every credential and mails a set-password link.
 */
export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: (linkToken: string) =>
      call(api.GET('/api/auth/verify-email', { params: { query: { token: linkToken } } })),
    // The signed-in person (if any) is now verified, or was signed out by the verification.
    onSettled: () => queryClient.invalidateQueries({ queryKey: ME_KEY }),
  });
  const sentFor = useRef<string | null>(null);
  const { mutate } = verify;
  useEffect(() => {
    if (!token || sentFor.current === token) return;
    sentFor.current = token;
    mutate(token);
  }, [token, mutate]);

  if (!token) return <DeadLink reason="This link has no token: copy the whole link from the email." />;
  if (verify.isError) {
    if (isDeadLink(verify.error))
      return (
        <DeadLink reason="Verification links work once and expire after 24 hours, and only the newest one mailed works." />
      );
    return (
      <>
        <PageHeader title="Verify your email" />
        <LoadError error={verify.error} retry={() => verify.mutate(token)} />
      </>
    );
  }
  if (!verify.isSuccess) return <Loading what="Verifying your email" />;

  const { email, credentialsEnded } = verify.data;
  return (
    <>
      <PageHeader title="Your email is verified" />
      <Notice kind="success">
        <div>
          <strong>{email}</strong> is verified.
        </div>
      </Notice>
      {credentialsEnded ? (
        <p>
          This browser was not signed in to that account, so, in case someone else made it with your address, every
          session and API key of the account has ended and its password was cleared. We mailed a link to{' '}
          <strong>{email}</strong>: choose a new password there, then sign in.
        </p>
      ) : null}
      <p className="actions">
        <Link className="button button-primary" to="/">
          Continue
        </Link>
      </p>
    </>
  );
}

/** An unusable link: why, and a new one (one click signed in, the address typed otherwise). */
function DeadLink({ reason }: { reason: string }) {
  const me = useMe();
  return (
    <>
      <PageHeader title="This link does not work" />
      <p>{reason}</p>
      {me.isPending ? <Loading /> : <NewLinkFor user={me.data ?? null} />}
    </>
  );
}

function NewLinkFor({ user }: { user: User | null }) {
  if (user?.isVerified)
    return (
      <>
        <Notice kind="info">
          <div>
            You are signed in as <strong>{user.email}</strong>, which is already verified.
          </div>
        </Notice>
        <p className="actions">
          <Link className="button button-primary" to="/">
            Continue
          </Link>
        </p>
      </>
    );
  if (user)
    return (
      <>
        <p>
          Get a new link for <strong>{user.email}</strong>, the address you are signed in with.
        </p>
        <ResendVerification email={user.email} />
      </>
    );
  return (
    <>
      <p>
        Enter your address to get a new link. Open it where you are signed in to the account (
        <Link to="/sign-in">sign in</Link> first) and verifying keeps your sessions and keys.
      </p>
      <ResendVerification />
    </>
  );
}
