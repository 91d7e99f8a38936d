import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { ME_KEY } from '../../api/session';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { isDeadLink, PASSWORD_HINT, SsoRequiredNotice, ssoRedirectOf } from './parts';

/**
 * The mailed reset link: POST /api/auth/reset-password {token, newPassword}. A reset ends every
 * session, key and app grant of the account (this browser's too, if it was signed in to it).
 */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const queryClient = useQueryClient();
  const [mismatch, setMismatch] = useState(false);
  const reset = useMutation({
    // The typed password is in the variables: gone as soon as the screen is.
    gcTime: 0,
    mutationFn: (newPassword: string) => call(api.POST('/api/auth/reset-password', { body: { token, newPassword } })),
    // Every session of the account ended, maybe this browser's; a refused token (a 401) is no word on
    // this browser's session either way: ask again.
    onSettled: () => queryClient.invalidateQueries({ queryKey: ME_KEY }),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { newPassword = '', confirmPassword = '' } = formValues(event.currentTarget);
    // Checked here only: the API takes one password, and a typo would lock the person out.
    const differ = newPassword !== confirmPassword;
    setMismatch(differ);
    if (!differ) reset.mutate(newPassword);
  };

  if (!token || isDeadLink(reset.error))
    return (
      <>
        <PageHeader title="This link does not work" />
        <p>
          {token
            ? 'Reset links work once and expire after an hour, and only the newest one mailed works.'
            : 'This link has no token: copy the whole link from the email.'}
        </p>
        <p className="actions">
          <Link className="button button-primary" to="/forgot-password">
            Request a new link
          </Link>
        </p>
      </>
    );

  if (reset.isSuccess)
    return (
      <>
        <PageHeader title="Your password is changed" />
        <Notice kind="success">
          <div>Sign in with your new password.</div>
        </Notice>
        <p>
          For your safety, every session, API key and app authorization of the account has ended, on every device. Your
          email address counts as verified: the link reached it.
        </p>
        <p className="actions">
          <Link className="button button-primary" to="/sign-in">
            Sign in
          </Link>
        </p>
      </>
    );

  const sso = ssoRedirectOf(reset.error);
  const passwordError = fieldErrorsOf(reset.error).newPassword;
  return (
    <>
      <PageHeader title="Choose a new password" />
      <form onSubmit={submit} noValidate>
        {sso ? <SsoRequiredNotice url={sso} /> : passwordError ? null : <FormError error={reset.error} />}
        <Field
          name="newPassword"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={PASSWORD_HINT}
          error={passwordError}
        />
        <Field
          name="confirmPassword"
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          required
          error={mismatch ? 'The two passwords differ.' : undefined}
        />
        <SubmitButton pending={reset.isPending}>Set new password</SubmitButton>
      </form>
    </>
  );
}
