import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { ME_KEY } from '../../api/session';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { safeNextPath } from '../../lib/next-path';

/**
 * Identify first (POST /api/auth/identify): an address whose organization requires its identity
 * provider goes there; any other gets the password step. The answer says nothing about whether
 * an account exists.
 */
export function SignInPage() {
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [step, setStep] = useState<'email' | 'password'>('email');

  const identify = useMutation({
    mutationFn: (address: string) => call(api.POST('/api/auth/identify', { body: { email: address, returnTo: next } })),
    onSuccess: (answer) => {
      if (answer.method === 'sso') window.location.assign(answer.ssoRedirectUrl);
      else setStep('password');
    },
  });
  const signIn = useMutation({
    mutationFn: (body: { email: string; password: string }) => call(api.POST('/api/auth/sign-in/email', { body })),
    onSuccess: (answer) => {
      queryClient.setQueryData(ME_KEY, answer.user);
      navigate(next, { replace: true });
    },
  });

  const submitEmail = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const address = formValues(event.currentTarget).email ?? '';
    setEmail(address);
    identify.mutate(address);
  };
  const submitPassword = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signIn.mutate({ email, password: formValues(event.currentTarget).password ?? '' });
  };

  return (
    <>
      <PageHeader title="Sign in" description="Welcome back to Gatehouse." />
      {step === 'email' ? (
        <form onSubmit={submitEmail} noValidate>
          <FormError error={identify.error} />
          <Field
            name="email"
            label="Email"
            type="email"
            autoComplete="username"
            required
            defaultValue={email}
            error={fieldErrorsOf(identify.error).email}
          />
          <SubmitButton pending={identify.isPending}>Continue</SubmitButton>
        </form>
      ) : (
        <form onSubmit={submitPassword} noValidate>
          <FormError error={signIn.error} />
          <p>
            Signing in as <strong>{email}</strong>.{' '}
            <button type="button" className="button button-small" onClick={() => setStep('email')}>
              Change
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
      <p className="muted">
        <Link to="/forgot-password">Forgot your password?</Link> · New here?{' '}
        <Link to="/sign-up">Create an account</Link>
      </p>
    </>
  );
}
