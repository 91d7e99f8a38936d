import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, call, GatehouseError } from '../../api/client';
import { codeOf, fieldErrorsOf } from '../../api/errors';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { webUrl } from '../../lib/web-url';

/** The password rule of the API contract (identity's `Password`: 8–128 characters, not the email). */
export const PASSWORD_HINT = 'At least 8 characters (at most 128), and not your email address.';

/** `path` carrying where to go afterwards; nothing added when that is the default landing. */
export function withNext(path: string, next: string): string {
  return next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`;
}

/** The API refused a link token: unknown, used, expired, or not even shaped like one (a 400). */
export function isDeadLink(error: unknown): boolean {
  return codeOf(error) === 'INVALID_OR_EXPIRED_TOKEN' || Boolean(fieldErrorsOf(error).token);
}

/**
 * SSO_REQUIRED: this address's organization signs its people in through its identity provider; the
 * error names where that sign-in starts. Only an http(s) URL is followed.
 */
export function ssoRedirectOf(error: unknown): string | null {
  if (!(error instanceof GatehouseError) || error.code !== 'SSO_REQUIRED') return null;
  return webUrl(error.meta?.ssoRedirectUrl);
}

export function SsoRequiredNotice({ url }: { url: string }) {
  return (
    <div className="notice notice-info" role="status">
      <span>Your organization requires signing in through its single sign-on; a password is no way in.</span>
      <a className="button button-primary" href={url}>
        Continue with single sign-on
      </a>
    </div>
  );
}

/**
 * Mails a fresh verification link (POST /api/auth/send-verification-email). Signed in, the address
 * is known and one button does it; signed out, the person types it. The API answers the same
 * whether or not the address has an account, and so does this.
 */
export function ResendVerification({ email }: { email?: string | undefined }) {
  const resend = useMutation({
    mutationFn: (address: string) => call(api.POST('/api/auth/send-verification-email', { body: { email: address } })),
  });
  if (resend.isSuccess)
    return (
      <Notice kind="success">
        If {resend.variables} still needs verifying, a new link is on its way to it. Only the newest link works.
      </Notice>
    );
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    resend.mutate(email ?? formValues(event.currentTarget).email ?? '');
  };
  return (
    <form onSubmit={submit} noValidate>
      <FormError error={fieldErrorsOf(resend.error).email ? null : resend.error} />
      {email ? null : (
        <Field
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          error={fieldErrorsOf(resend.error).email}
        />
      )}
      <SubmitButton pending={resend.isPending}>Send a new link</SubmitButton>
    </form>
  );
}
