import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';

/**
 * POST /api/auth/request-password-reset. The API answers the same for any address, so the page
 * does too: it cannot tell, and must not hint, whether the address has an account.
 */
export function ForgotPasswordPage() {
  const request = useMutation({
    mutationFn: (email: string) => call(api.POST('/api/auth/request-password-reset', { body: { email } })),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    request.mutate(formValues(event.currentTarget).email ?? '');
  };

  if (request.isSuccess)
    return (
      <>
        <PageHeader title="Check your email" />
        <Notice kind="success">
          <div>
            If an account exists for <strong>{request.variables}</strong>, we sent it a link to choose a new password.
            The link works once and expires in an hour.
          </div>
        </Notice>
        <p className="muted">
          No mail after a few minutes? Check the spam folder, or{' '}
          <button type="button" className="button button-small" onClick={() => request.reset()}>
            try another address
          </button>
        </p>
        <p className="actions">
          <Link className="button" to="/sign-in">
            Back to sign in
          </Link>
        </p>
      </>
    );

  const emailError = fieldErrorsOf(request.error).email;
  return (
    <>
      <PageHeader title="Reset your password" description="We will mail you a link to choose a new password." />
      <form onSubmit={submit} noValidate>
        {emailError ? null : <FormError error={request.error} />}
        <Field name="email" label="Email" type="email" autoComplete="email" required error={emailError} />
        <SubmitButton pending={request.isPending}>Send reset link</SubmitButton>
      </form>
      <p className="muted">
        Remembered it? <Link to="/sign-in">Sign in</Link>
      </p>
    </>
  );
}
