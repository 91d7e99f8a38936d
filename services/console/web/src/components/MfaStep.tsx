import type { components, operations } from '@gatehouse/sdk';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, GatehouseError } from '../api/client';
import { codeOf, fieldErrorsOf, messageOf } from '../api/errors';
import { assertPasskey, browserPasskeyMessage, type CredentialJson, passkeysSupported } from '../lib/passkeys';
import { Field, formValues, SubmitButton } from './forms';

export type MfaChallenge = components['schemas']['MfaChallenge'];
type VerifyBody = operations['verifyMfa']['requestBody']['content']['application/json'];
export type MfaVerified = Awaited<ReturnType<typeof verifyChallenge>>;

function verifyChallenge(body: VerifyBody) {
  return call(api.POST('/api/auth/mfa/verify', { body }));
}

/** "123 456" is how apps show a code: the spaces are the person's, not the code's. */
function typedCode(text: string | undefined, kind: 'totp' | 'recovery_code'): string {
  const trimmed = (text ?? '').trim();
  return kind === 'totp' ? trimmed.replace(/\s+/g, '') : trimmed;
}

function attemptsLeftOf(error: unknown): number | undefined {
  const left = error instanceof GatehouseError ? error.meta?.attemptsLeft : undefined;
  return typeof left === 'number' ? left : undefined;
}

interface MfaStepProps {
  challenge: MfaChallenge;
  /** The challenge was answered: a session (sign-in) or a refreshed one (step-up). */
  onVerified: (answer: MfaVerified) => void;
  /** The challenge is gone (expired, spent, out of attempts): the caller starts again, saying why. */
  onExpired: (why: string) => void;
  /** The main button's words ("Sign in", "Confirm"). */
  submitLabel?: string;
}

/**
 * The second-factor step of a challenge (sign-in, SSO, magic link, step-up): a code from the
 * authenticator app, a passkey, or a recovery code — whichever the account has. A wrong answer
 * says how many attempts are left; a dead challenge hands back to the caller.
 */
export function MfaStep({ challenge, onVerified, onExpired, submitLabel = 'Verify' }: MfaStepProps) {
  const hasTotp = challenge.factors.includes('totp');
  const passkeyOptions = challenge.factors.includes('passkey') ? challenge.passkeyOptions : undefined;
  const hasRecovery = challenge.factors.includes('recovery_code');
  // A passkey-only account starts with its passkey; the recovery code is one click away.
  const [kind, setKind] = useState<'totp' | 'recovery_code' | null>(
    hasTotp ? 'totp' : passkeyOptions ? null : hasRecovery ? 'recovery_code' : null,
  );
  const [attemptsLeft, setAttemptsLeft] = useState(challenge.attemptsLeft);
  const [passkeyProblem, setPasskeyProblem] = useState<string | null>(null);

  const verify = useMutation({
    // The typed code and the passkey's assertion are in the variables: gone with the screen.
    gcTime: 0,
    mutationFn: verifyChallenge,
    onSuccess: onVerified,
    onError: (error) => {
      const left = attemptsLeftOf(error);
      if (left !== undefined) setAttemptsLeft(left);
      if (codeOf(error) === 'INVALID_OR_EXPIRED_TOKEN')
        onExpired('That verification expired or ran out of attempts: start again.');
      else if (left === 0) onExpired('Too many wrong answers: start again.');
    },
  });
  const passkey = useMutation({
    mutationFn: async (options: Record<string, unknown>): Promise<CredentialJson> => assertPasskey(options),
    onMutate: () => setPasskeyProblem(null),
    onSuccess: (credential) => verify.mutate({ challengeId: challenge.challengeId, type: 'passkey', credential }),
    onError: (error) => setPasskeyProblem(browserPasskeyMessage(error) ?? messageOf(error)),
  });

  const choose = (next: 'totp' | 'recovery_code') => {
    verify.reset();
    setKind(next);
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!kind) return;
    const code = typedCode(formValues(event.currentTarget).code, kind);
    verify.mutate({ challengeId: challenge.challengeId, type: kind, code });
  };

  const fieldError = fieldErrorsOf(verify.error).code;
  const wrong = codeOf(verify.error) === 'INVALID_CREDENTIALS';
  const formProblem =
    verify.error && !fieldError
      ? wrong
        ? `${messageOf(verify.error)} ${attemptsLeft === 1 ? '1 attempt left.' : `${attemptsLeft} attempts left.`}`
        : messageOf(verify.error)
      : null;
  const busy = verify.isPending || passkey.isPending;

  return (
    <div className="mfa-step">
      <p>
        {kind === 'totp'
          ? 'Enter the 6-digit code your authenticator app shows for Gatehouse.'
          : kind === 'recovery_code'
            ? 'Enter one of the recovery codes you saved when you set up two-step verification. Each works once.'
            : 'Use your passkey to confirm it is you.'}
      </p>
      {formProblem ? (
        <div className="notice notice-error" role="alert" data-testid="mfa-error">
          {formProblem}
        </div>
      ) : null}
      {kind ? (
        <form onSubmit={submit} noValidate key={kind}>
          {kind === 'totp' ? (
            <Field
              name="code"
              label="Authenticator code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]*"
              maxLength={7}
              required
              autoFocus
              error={fieldError}
            />
          ) : (
            <Field
              name="code"
              label="Recovery code"
              autoComplete="off"
              spellCheck={false}
              maxLength={24}
              required
              autoFocus
              hint="Like XXXX-XXXX-XXXX-XXXX; case and hyphens do not matter."
              error={fieldError}
            />
          )}
          <SubmitButton pending={verify.isPending && verify.variables?.type !== 'passkey'}>{submitLabel}</SubmitButton>
        </form>
      ) : null}
      <div className="mfa-choices">
        {passkeyOptions && passkeysSupported() ? (
          <button type="button" className="button" disabled={busy} onClick={() => passkey.mutate(passkeyOptions)}>
            Use a passkey
          </button>
        ) : null}
        {hasRecovery && kind !== 'recovery_code' ? (
          <button type="button" className="button button-link" disabled={busy} onClick={() => choose('recovery_code')}>
            Use a recovery code
          </button>
        ) : null}
        {hasTotp && kind !== 'totp' ? (
          <button type="button" className="button button-link" disabled={busy} onClick={() => choose('totp')}>
            Use the authenticator app
          </button>
        ) : null}
      </div>
      {passkeyProblem ? (
        <div className="notice notice-error" role="alert">
          {passkeyProblem}
        </div>
      ) : null}
    </div>
  );
}
