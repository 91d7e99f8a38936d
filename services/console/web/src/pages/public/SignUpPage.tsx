import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call, GatehouseError } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { startSession } from '../../api/session';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { safeNextPath } from '../../lib/next-path';
import { PASSWORD_HINT, withNext } from './parts';

interface SignUpBody {
  name: string;
  email: string;
  password: string;
}

function isEmailTaken(error: unknown): boolean {
  return error instanceof GatehouseError && error.status === 409;
}

/**
 * POST /api/auth/sign-up/email, then sign-in with the same password: the mailed link, opened in
 * this browser, then comes with the account's own session, and verifying ends nothing. Opened
 * without it, verifying would end the account's sessions and clear the password (docs/accounts.md).
 */
export function SignUpPage() {
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const queryClient = useQueryClient();

  const signUp = useMutation({
    // The typed password is in the variables: gone as soon as the screen is.
    gcTime: 0,
    mutationFn: async (body: SignUpBody) => {
      const user = await call(api.POST('/api/auth/sign-up/email', { body }));
      try {
        const answer = await call(
          api.POST('/api/auth/sign-in/email', { body: { email: body.email, password: body.password } }),
        );
        // A new account has no second factor; the union's other branch cannot happen here.
        if ('mfaRequired' in answer) return { email: user.email, signedIn: false };
        startSession(queryClient, answer.user);
        return { email: user.email, signedIn: true };
      } catch {
        // The account exists either way; signing in by hand is what is left (SSO may require otherwise).
        return { email: user.email, signedIn: false };
      }
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { name = '', email = '', password = '' } = formValues(event.currentTarget);
    signUp.mutate({ name, email, password });
  };

  if (signUp.isSuccess) {
    const { email, signedIn } = signUp.data;
    return (
      <>
        <PageHeader title="Check your email" />
        <Notice kind="success">
          <div>
            We sent a link to <strong>{email}</strong> to verify the address. It works once, for 24 hours.
          </div>
        </Notice>
        {signedIn ? (
          <>
            <p>
              You are signed in. Open the link in this browser: verifying from here keeps your sessions and keys. Opened
              anywhere else, it signs the account out everywhere and asks for a new password.
            </p>
            <p className="actions">
              <Link className="button button-primary" to={next}>
                Continue
              </Link>
            </p>
          </>
        ) : (
          <p className="actions">
            <Link className="button button-primary" to={withNext('/sign-in', next)}>
              Sign in
            </Link>
          </p>
        )}
      </>
    );
  }

  const errors = fieldErrorsOf(signUp.error);
  return (
    <>
      <PageHeader title="Create your account" description="Gatehouse mails a link to verify your address." />
      <form onSubmit={submit} noValidate>
        {errors.name || errors.email || errors.password ? null : <FormError error={signUp.error} />}
        {isEmailTaken(signUp.error) ? (
          <p>
            <Link to={withNext('/sign-in', next)}>Sign in instead</Link> or{' '}
            <Link to="/forgot-password">reset the password</Link>.
          </p>
        ) : null}
        <Field name="name" label="Name" autoComplete="name" required maxLength={100} error={errors.name} />
        <Field name="email" label="Email" type="email" autoComplete="email" required error={errors.email} />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint={PASSWORD_HINT}
          error={errors.password}
        />
        <SubmitButton pending={signUp.isPending}>Create account</SubmitButton>
      </form>
      <p className="muted">
        Already have an account? <Link to={withNext('/sign-in', next)}>Sign in</Link>
      </p>
    </>
  );
}
