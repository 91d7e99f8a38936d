import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call } from '../../api/client';
import { codeOf, fieldErrorsOf, messageOf } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { formatDateTime } from '../../components/When';
import { factorsChanged, useMfaStatus } from './mfa-queries';
import { PasskeysSection } from './PasskeysSection';
import { RecoveryCodesOnce } from './RecoveryCodes';

/**
 * Two-step verification on `/account/security`: whether it is on, the authenticator app (set up,
 * remove), passkeys, and recovery codes (how many are left, make new ones). New recovery codes, from
 * whichever of these made them, are shown here once.
 */
export function TwoFactorSection() {
  const status = useMfaStatus();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const showCodes = (next: string[] | null) => {
    if (next) setCodes(next);
  };
  return (
    <section className="section" aria-labelledby="mfa-heading">
      <h2 id="mfa-heading">Two-step verification</h2>
      {status.isPending ? (
        <Loading what="Loading two-step verification" />
      ) : status.isError ? (
        <LoadError error={status.error} retry={() => status.refetch()} />
      ) : (
        <>
          <p data-testid="mfa-status">
            {status.data.enabled ? (
              <span className="badge badge-success">On</span>
            ) : (
              <span className="badge badge-warning">Off</span>
            )}{' '}
            {status.data.enabled
              ? 'Signing in with your password also asks for your authenticator app or a passkey.'
              : 'Add an authenticator app or a passkey so a stolen password is not enough to sign in.'}
          </p>
          {outcome ? <Notice kind="success">{outcome}</Notice> : null}
          {codes ? (
            <RecoveryCodesOnce
              codes={codes}
              onDone={() => {
                setCodes(null);
                setOutcome('Recovery codes saved.');
              }}
            />
          ) : null}
          <AuthenticatorApp confirmedAt={status.data.totp.confirmedAt} onCodes={showCodes} onOutcome={setOutcome} />
          <PasskeysSection onCodes={showCodes} onOutcome={setOutcome} />
          {status.data.enabled ? <RecoveryCodesPart left={status.data.recoveryCodesLeft} onCodes={showCodes} /> : null}
        </>
      )}
    </section>
  );
}

interface PartProps {
  onCodes: (codes: string[] | null) => void;
  onOutcome: (text: string | null) => void;
}

function AuthenticatorApp({ confirmedAt, onCodes, onOutcome }: PartProps & { confirmedAt: string | null }) {
  const queryClient = useQueryClient();
  const enroll = useMutation({
    // The secret lives in this mutation's result only: gone with the screen.
    gcTime: 0,
    mutationFn: () => call(api.POST('/api/user/mfa/totp/enroll', { body: {} })),
    onMutate: () => onOutcome(null),
  });
  const confirm = useMutation({
    gcTime: 0,
    mutationFn: (code: string) => call(api.POST('/api/user/mfa/totp/confirm', { body: { code } })),
    onSuccess: async (answer) => {
      enroll.reset();
      onOutcome('Authenticator app turned on.');
      onCodes(answer.recoveryCodes);
      await factorsChanged(queryClient);
    },
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/user/mfa/totp')),
    onSuccess: async () => {
      onOutcome('Authenticator app removed.');
      await factorsChanged(queryClient);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    confirm.mutate((formValues(event.currentTarget).code ?? '').replace(/\s+/g, ''));
  };

  if (confirmedAt)
    return (
      <div className="factor" data-testid="factor-totp">
        <div>
          <h3>Authenticator app</h3>
          <p className="muted">On since {formatDateTime(confirmedAt)}.</p>
        </div>
        <FormError error={remove.error} />
        <ConfirmButton
          label="Remove"
          accessibleLabel="Remove the authenticator app"
          title="Remove the authenticator app?"
          confirmLabel="Remove"
          pending={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          <p>Its codes stop working. If it is your last second factor, your recovery codes go too.</p>
        </ConfirmButton>
      </div>
    );

  const codeError =
    fieldErrorsOf(confirm.error).code ??
    (codeOf(confirm.error) === 'INVALID_CREDENTIALS' ? messageOf(confirm.error) : undefined);
  return (
    <div className="factor factor-setup" data-testid="factor-totp">
      <div>
        <h3>Authenticator app</h3>
        <p className="muted">A 6-digit code from an app such as 1Password, Google Authenticator or Authy.</p>
      </div>
      <FormError error={enroll.error} />
      {enroll.data ? (
        <div className="totp-setup">
          <img
            className="totp-qr"
            src={enroll.data.qrCodeDataUrl}
            alt="QR code to scan with your authenticator app"
            width="200"
            height="200"
          />
          <div>
            <p>Scan the QR code with your app, or type this key into it:</p>
            <p>
              <code className="totp-secret" data-testid="totp-secret">
                {enroll.data.secret}
              </code>
            </p>
            <form className="account-form" onSubmit={submit} noValidate>
              {codeError ? null : <FormError error={confirm.error} />}
              <Field
                name="code"
                label="Code from the app"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9 ]*"
                maxLength={7}
                required
                error={codeError}
              />
              <div className="actions">
                <SubmitButton pending={confirm.isPending}>Turn on</SubmitButton>
                <button type="button" className="button" onClick={() => enroll.reset()}>
                  Cancel
                </button>
              </div>
            </form>
          </div>
        </div>
      ) : (
        <button type="button" className="button" disabled={enroll.isPending} onClick={() => enroll.mutate()}>
          Set up an authenticator app
        </button>
      )}
    </div>
  );
}

function RecoveryCodesPart({ left, onCodes }: { left: number; onCodes: (codes: string[] | null) => void }) {
  const queryClient = useQueryClient();
  const regenerate = useMutation({
    gcTime: 0,
    mutationFn: () => call(api.POST('/api/user/mfa/recovery-codes', { body: {} })),
    onSuccess: async (answer) => {
      onCodes(answer.recoveryCodes);
      await factorsChanged(queryClient);
    },
  });
  return (
    <div className="factor" data-testid="factor-recovery">
      <div>
        <h3>Recovery codes</h3>
        <p className="muted" data-testid="recovery-codes-left">
          {left === 1 ? '1 code left.' : `${left} codes left.`} Each signs you in once without your other factors.
        </p>
      </div>
      <FormError error={regenerate.error} />
      <ConfirmButton
        label="Make new recovery codes"
        title="Make new recovery codes?"
        confirmLabel="Make new codes"
        danger={false}
        pending={regenerate.isPending}
        onConfirm={() => regenerate.mutate()}
      >
        <p>Your current recovery codes stop working at once.</p>
      </ConfirmButton>
    </div>
  );
}
