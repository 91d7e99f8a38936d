import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { codeOf, fieldErrorsOf } from '../../api/errors';
import { startSession, type User } from '../../api/session';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { type MfaChallenge, MfaStep } from '../../components/MfaStep';
import { PageHeader } from '../../components/PageHeader';
import { safeNextPath } from '../../lib/next-path';
import { passkeysSupported } from '../../lib/passkeys';
import { webUrl } from '../../lib/web-url';
import { SsoRequiredNotice, ssoRedirectOf, withNext } from './parts';
import { MagicLinkRequest, PasskeySignIn } from './passwordless';

/** The form's error, unless an input shows it; a deactivated account is told what is left to do. */
function SignInError({ error, field }: { error: unknown; field: string | undefined }) {
  const sso = ssoRedirectOf(error);
  if (sso) return <SsoRequiredNotice url={sso} />;
  if (field) return null;
  if (codeOf(error) === 'USER_NOT_ACTIVE')
    return (
      <div className="notice notice-error" role="alert">
        This account is deactivated. Ask your organization's administrator to restore it.
      </div>
    );
  return <FormError error={error} />;
}

/**
 * Identify first (POST /api/auth/identify): an address whose organization requires its identity
 * provider goes there; any other gets the password step, and an account with a second factor then
 * the step that asks for it. The answer says nothing about whether an account exists. Passwordless:
 * a passkey, or a link mailed to the typed address. `next` (a path of the console only) is where a
 * successful sign-in goes.
 */
export function SignInPage() {
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [step, setStep] = useState<'email' | 'password' | 'mfa'>('email');
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const [restartedBecause, setRestartedBecause] = useState<string | null>(null);
  const signedIn = (user: User) => {
    startSession(queryClient, user);
    navigate(next, { replace: true });
  };

  const identify = useMutation({
    mutationFn: (address: string) => call(api.POST('/api/auth/identify', { body: { email: address, returnTo: next } })),
    onSuccess: (answer) => {
      const sso = answer.method === 'sso' ? webUrl(answer.ssoRedirectUrl) : null;
      if (sso) window.location.assign(sso);
      else setStep('password');
    },
  });
  const signIn = useMutation({
    // The typed password is in the variables: gone as soon as the screen is.
    gcTime: 0,
    mutationFn: (body: { email: string; password: string }) => call(api.POST('/api/auth/sign-in/email', { body })),
    onSuccess: (answer) => {
      if ('mfaRequired' in answer) {
        setChallenge(answer);
        setStep('mfa');
        return;
      }
      signedIn(answer.user);
    },
  });

  const submitEmail = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const address = formValues(event.currentTarget).email ?? '';
    setEmail(address);
    setRestartedBecause(null);
    identify.mutate(address);
  };
  const submitPassword = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signIn.mutate({ email, password: formValues(event.currentTarget).password ?? '' });
  };

  return (
    <>
      <PageHeader title="Sign in" description="Welcome back to Gatehouse." />
      {restartedBecause ? <Notice kind="info">{restartedBecause}</Notice> : null}
      {step === 'mfa' && challenge ? (
        <section aria-labelledby="mfa-heading">
          <h2 id="mfa-heading">Two-step verification</h2>
          <MfaStep
            challenge={challenge}
            submitLabel="Sign in"
            onVerified={(answer) => signedIn(answer.user)}
            onExpired={(why) => {
              setChallenge(null);
              signIn.reset();
              setRestartedBecause(why);
              setStep('email');
            }}
          />
          <p>
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                setChallenge(null);
                signIn.reset();
                setStep('email');
              }}
            >
              Start again
            </button>
          </p>
        </section>
      ) : step === 'email' ? (
        <form onSubmit={submitEmail} noValidate>
          <SignInError error={identify.error} field={fieldErrorsOf(identify.error).email} />
          <Field
            name="email"
            label="Email"
            type="email"
            autoComplete="username"
            required
            defaultValue={email}
            error={fieldErrorsOf(identify.error).email}
          />
          {/* Still pending while the browser leaves for the identity provider: a second click would start a second sign-in. */}
          <SubmitButton pending={identify.isPending || identify.data?.method === 'sso'}>Continue</SubmitButton>
          <MagicLinkRequest />
        </form>
      ) : (
        <form onSubmit={submitPassword} noValidate>
          <SignInError error={signIn.error} field={fieldErrorsOf(signIn.error).password} />
          <p>
            Signing in as <strong>{email}</strong>.{' '}
            <button type="button" className="button button-small" onClick={() => setStep('email')}>
              Change email
            </button>
          </p>
          <input type="hidden" name="email" autoComplete="username" value={email} />
          <Field
            name="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            error={fieldErrorsOf(signIn.error).password}
          />
          <SubmitButton pending={signIn.isPending}>Sign in</SubmitButton>
        </form>
      )}
      {step === 'email' && passkeysSupported() ? <PasskeySignIn onSignedIn={signedIn} /> : null}
      <p className="muted">
        <Link to="/forgot-password">Forgot your password?</Link> · New here?{' '}
        <Link to={withNext('/sign-up', next)}>Create an account</Link>
      </p>
    </>
  );
}
