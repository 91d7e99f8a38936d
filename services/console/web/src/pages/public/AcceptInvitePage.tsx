import { type UseMutationResult, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call, GatehouseError } from '../../api/client';
import { codeOf } from '../../api/errors';
import { ORGANIZATIONS_KEY } from '../../api/organizations';
import { ME_KEY, type User, useMe, useSignOut } from '../../api/session';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { FormError, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { isDeadLink, ResendVerification, withNext } from './parts';

/**
 * The mailed invitation link. Signed out, the person signs in (or up) and comes back here; signed
 * in, one button accepts it (POST /api/user/invites/:token/accept) and opens the organization. The
 * token lives in this page's URL only.
 */
export function AcceptInvitePage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const me = useMe();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // Here rather than in AcceptAs: the console reads any 401 as a lost session and forgets who is
  // signed in, which must not take the refusal with it. A spent invitation and an ended session both
  // answer 401 INVALID_OR_EXPIRED_TOKEN, so who is signed in is asked again before saying which.
  const accept = useMutation({
    mutationFn: () => call(api.POST('/api/user/invites/{token}/accept', { params: { path: { token } } })),
    onSuccess: async (membership) => {
      // The switcher and the membership count must show the new organization.
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ORGANIZATIONS_KEY }),
        queryClient.invalidateQueries({ queryKey: ME_KEY }),
      ]);
      navigate(`/orgs/${membership.organizationId}/projects`, { replace: true });
    },
    onError: () => queryClient.invalidateQueries({ queryKey: ME_KEY }),
  });

  if (!token) return <InvalidInvite />;
  if (me.isPending || (accept.isError && me.isFetching)) return <Loading />;
  if (me.isError)
    return (
      <>
        <PageHeader title="You are invited" />
        <LoadError error={me.error} retry={() => me.refetch()} />
      </>
    );
  if (!me.data) {
    return (
      <>
        <PageHeader title="You are invited" description="Join an organization on Gatehouse." />
        <p>Sign in with the email address the invitation was sent to, then accept it here.</p>
        <p className="actions">
          <Link className="button button-primary" to={withNext('/sign-in', here(token))}>
            Sign in to accept
          </Link>
          <Link className="button" to={withNext('/sign-up', here(token))}>
            Create an account
          </Link>
        </p>
      </>
    );
  }
  if (isDeadLink(accept.error)) return <InvalidInvite />;
  return <AcceptAs user={me.data} accept={accept} returnPath={here(token)} />;
}

/** This page's own address, for sign-in and sign-up to come back to. */
function here(token: string): string {
  return `/accept-invite?token=${encodeURIComponent(token)}`;
}

function AcceptAs({
  user,
  accept,
  returnPath,
}: {
  user: User;
  accept: UseMutationResult<unknown, Error, void>;
  /** This page, for the sign-in after a sign-out to come back to. */
  returnPath: string;
}) {
  if (isAlreadyMember(accept.error))
    return (
      <>
        <PageHeader title="You are already a member" />
        <p>
          <strong>{user.email}</strong> already belongs to this organization: there is nothing to accept.
        </p>
        <p className="actions">
          <Link className="button button-primary" to="/">
            Open the console
          </Link>
        </p>
      </>
    );

  return (
    <>
      <PageHeader title="You are invited" description="Join an organization on Gatehouse." />
      <RefusalOf error={accept.error} user={user} returnPath={returnPath} />
      <p>
        You are signed in as <strong>{user.email}</strong>.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          accept.mutate();
        }}
      >
        <SubmitButton pending={accept.isPending || accept.isSuccess}>Accept invitation</SubmitButton>
      </form>
    </>
  );
}

function isAlreadyMember(error: unknown): boolean {
  return error instanceof GatehouseError && error.status === 409;
}

/** Why the API refused, in words a person can act on. */
function RefusalOf({ error, user, returnPath }: { error: unknown; user: User; returnPath: string }) {
  const signOut = useSignOut();
  const navigate = useNavigate();
  switch (codeOf(error)) {
    case undefined:
      return error ? <FormError error={error} /> : null;
    case 'EMAIL_NOT_VERIFIED':
      return (
        <>
          <Notice kind="error">
            <span>
              Verify <strong>{user.email}</strong> first: open the link we mailed to it, in this browser, then accept
              again here. Just verified? Wait a few seconds and try again.
            </span>
          </Notice>
          <ResendVerification email={user.email} />
        </>
      );
    case 'FORBIDDEN':
      return (
        <div className="notice notice-error" role="alert">
          <span>
            This invitation was sent to another email address than <strong>{user.email}</strong>. Sign out, then sign in
            with the invited address: you come back here.
          </span>
          <button
            type="button"
            className="button button-small"
            disabled={signOut.isPending}
            onClick={() => signOut.mutate(undefined, { onSettled: () => navigate(withNext('/sign-in', returnPath)) })}
          >
            Sign out
          </button>
        </div>
      );
    default:
      return <FormError error={error} />;
  }
}

function InvalidInvite() {
  return (
    <>
      <PageHeader title="This invitation does not work" />
      <p>
        Invitations work once and expire after 7 days, and a resent invitation replaces the earlier link. Ask whoever
        invited you to send a new one.
      </p>
      <p className="actions">
        <Link className="button" to="/">
          Open the console
        </Link>
      </p>
    </>
  );
}
