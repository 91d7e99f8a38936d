import type { components } from '@gatehouse/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, callList } from '../../api/client';
import { fieldErrorsOf, messageOf } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { When } from '../../components/When';
import { browserPasskeyMessage, createPasskey, passkeysSupported } from '../../lib/passkeys';
import { factorsChanged, PASSKEYS_KEY } from './mfa-queries';

type Passkey = components['schemas']['Passkey'];

interface PasskeysSectionProps {
  onCodes: (codes: string[] | null) => void;
  onOutcome: (text: string | null) => void;
}

/** "Synced" passkeys (a platform's, backed up) survive a lost device; a security key's do not. */
function kindOf(passkey: Passkey): string {
  return passkey.deviceType === 'multiDevice' || passkey.backedUp ? 'Synced passkey' : 'This device only';
}

/** The account's passkeys: add one (the browser creates it), rename, remove. */
export function PasskeysSection({ onCodes, onOutcome }: PasskeysSectionProps) {
  const queryClient = useQueryClient();
  const passkeys = useQuery({
    queryKey: PASSKEYS_KEY,
    queryFn: async () =>
      (await callList(api.GET('/api/user/mfa/passkeys', { params: { query: { limit: 100, sort: 'createdAt' } } })))
        .items,
  });
  const changed = () => factorsChanged(queryClient);

  const add = useMutation({
    gcTime: 0,
    mutationFn: async (name: string) => {
      const { ceremonyId, options } = await call(api.POST('/api/user/mfa/passkeys/register/options', { body: {} }));
      const credential = await createPasskey(options);
      return call(
        api.POST('/api/user/mfa/passkeys/register/verify', {
          body: { ceremonyId, credential, ...(name ? { name } : {}) },
        }),
      );
    },
    onMutate: () => onOutcome(null),
    onSuccess: async (answer) => {
      onOutcome(`Passkey “${answer.passkey.name}” added.`);
      onCodes(answer.recoveryCodes);
      await changed();
    },
  });
  const remove = useMutation({
    mutationFn: (passkey: Passkey) =>
      call(api.DELETE('/api/user/mfa/passkeys/{passkeyId}', { params: { path: { passkeyId: passkey.id } } })),
    onSuccess: async (_data, passkey) => {
      onOutcome(`Passkey “${passkey.name}” removed.`);
      await changed();
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    add.mutate((formValues(form).name ?? '').trim(), { onSuccess: () => form.reset() });
  };
  const addProblem = add.error ? (browserPasskeyMessage(add.error) ?? messageOf(add.error)) : null;

  return (
    <div className="factor factor-list" data-testid="factor-passkeys">
      <div>
        <h3>Passkeys</h3>
        <p className="muted">
          Sign in with your fingerprint, face, screen lock or a security key instead of a password and code.
        </p>
      </div>
      {passkeys.isPending ? (
        <Loading what="Loading passkeys" />
      ) : passkeys.isError ? (
        <LoadError error={passkeys.error} retry={() => passkeys.refetch()} />
      ) : passkeys.data.length === 0 ? (
        <EmptyState>No passkey yet.</EmptyState>
      ) : (
        <div className="table-wrap account-table-wrap">
          <table>
            <caption className="visually-hidden">Your passkeys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {passkeys.data.map((passkey) => (
                <PasskeyRow
                  key={passkey.id}
                  passkey={passkey}
                  onRemove={() => remove.mutate(passkey)}
                  removing={remove.isPending}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <FormError error={remove.error} />
      {passkeysSupported() ? (
        <form className="form-row passkey-add" onSubmit={submit} noValidate>
          <Field
            name="name"
            label="Passkey name"
            maxLength={100}
            autoComplete="off"
            hint="Optional, e.g. “Work laptop”."
            error={fieldErrorsOf(add.error).name}
          />
          <SubmitButton pending={add.isPending}>Add a passkey</SubmitButton>
        </form>
      ) : (
        <p className="muted">This browser cannot create passkeys.</p>
      )}
      {addProblem && !fieldErrorsOf(add.error).name ? (
        <div className="notice notice-error" role="alert">
          {addProblem}
        </div>
      ) : null}
    </div>
  );
}

function PasskeyRow({ passkey, onRemove, removing }: { passkey: Passkey; onRemove: () => void; removing: boolean }) {
  const queryClient = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const rename = useMutation({
    mutationFn: (name: string) =>
      call(
        api.PATCH('/api/user/mfa/passkeys/{passkeyId}', {
          params: { path: { passkeyId: passkey.id } },
          body: { name },
        }),
      ),
    onSuccess: async () => {
      setRenaming(false);
      await queryClient.invalidateQueries({ queryKey: PASSKEYS_KEY });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    rename.mutate((formValues(event.currentTarget).name ?? '').trim());
  };
  return (
    <tr data-testid="passkey-row">
      <td>
        {renaming ? (
          <form className="inline-form" onSubmit={submit} noValidate>
            <Field
              name="name"
              label={`New name for ${passkey.name}`}
              defaultValue={passkey.name}
              maxLength={100}
              required
              autoFocus
              error={fieldErrorsOf(rename.error).name ?? (rename.error ? messageOf(rename.error) : undefined)}
            />
            <SubmitButton pending={rename.isPending}>Save</SubmitButton>
            <button type="button" className="button button-small" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          passkey.name
        )}
      </td>
      <td>{kindOf(passkey)}</td>
      <td>
        <When at={passkey.createdAt} />
      </td>
      <td>{passkey.lastUsedAt ? <When at={passkey.lastUsedAt} /> : <span className="muted">Never</span>}</td>
      <td className="row-actions">
        {renaming ? null : (
          <button
            type="button"
            className="button button-small"
            aria-label={`Rename passkey ${passkey.name}`}
            onClick={() => setRenaming(true)}
          >
            Rename
          </button>
        )}
        <ConfirmButton
          label="Remove"
          accessibleLabel={`Remove passkey ${passkey.name}`}
          title={`Remove passkey “${passkey.name}”?`}
          confirmLabel="Remove"
          pending={removing}
          onConfirm={onRemove}
        >
          <p>It can no longer sign you in. If it is your last second factor, your recovery codes go too.</p>
        </ConfirmButton>
      </td>
    </tr>
  );
}
