import { useMutation } from '@tanstack/react-query';
import type { MouseEvent } from 'react';
import { api, call } from '../../api/client';
import { fieldErrorsOf, messageOf } from '../../api/errors';
import type { User } from '../../api/session';
import { Notice } from '../../components/feedback';
import { assertPasskey, browserPasskeyMessage } from '../../lib/passkeys';
import { SsoRequiredNotice, ssoRedirectOf } from './parts';

/**
 * "Email me a sign-in link", beside the email step's Continue: it mails the address typed in that
 * form. The API answers the same whether or not the address has an account, and so does this.
 */
export function MagicLinkRequest() {
  const request = useMutation({
    mutationFn: (email: string) => call(api.POST('/api/auth/magic-link', { body: { email } })),
  });
  const send = (event: MouseEvent<HTMLButtonElement>) => {
    const email = new FormData(event.currentTarget.form ?? undefined).get('email');
    request.mutate(typeof email === 'string' ? email.trim() : '');
  };
  const emailProblem = fieldErrorsOf(request.error).email;
  return (
    <div className="passwordless">
      <button type="button" className="button" disabled={request.isPending} onClick={send}>
        Email me a sign-in link
      </button>
      {request.isSuccess ? (
        <Notice kind="success">
          If {request.variables} has an account, a sign-in link is on its way to it. It works once, for 15 minutes.
        </Notice>
      ) : null}
      {request.isError ? (
        <div className="notice notice-error" role="alert">
          {emailProblem ? `Email: ${emailProblem}` : messageOf(request.error)}
        </div>
      ) : null}
    </div>
  );
}

/**
 * "Sign in with a passkey": no address is typed, the browser offers the passkeys it holds for this
 * site (POST /api/auth/passkey/options, then /verify). A passkey that verified its user is two
 * factors in one, so there is no further step.
 */
export function PasskeySignIn({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const signIn = useMutation({
    // The assertion is in the variables' result: nothing kept after the screen.
    gcTime: 0,
    mutationFn: async () => {
      const { ceremonyId, options } = await call(api.POST('/api/auth/passkey/options', { body: {} }));
      const credential = await assertPasskey(options);
      return call(api.POST('/api/auth/passkey/verify', { body: { ceremonyId, credential } }));
    },
    onSuccess: (answer) => onSignedIn(answer.user),
  });
  return (
    <div className="passwordless passwordless-passkey">
      <p className="divider" aria-hidden="true">
        or
      </p>
      <button type="button" className="button" disabled={signIn.isPending} onClick={() => signIn.mutate()}>
        Sign in with a passkey
      </button>
      {signIn.isError ? <PasskeySignInError error={signIn.error} /> : null}
    </div>
  );
}

/** An account whose organization requires single sign-on is sent there; anything else is said. */
function PasskeySignInError({ error }: { error: unknown }) {
  const sso = ssoRedirectOf(error);
  if (sso) return <SsoRequiredNotice url={sso} />;
  return (
    <div className="notice notice-error" role="alert">
      {browserPasskeyMessage(error) ?? messageOf(error)}
    </div>
  );
}
