import type { components } from '@gatehouse/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, call, callList } from '../../api/client';
import { codeOf, fieldErrorsOf, messageOf } from '../../api/errors';
import { useOrganizations } from '../../api/organizations';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, SelectField, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { EmptyList, Pager, usePagedQuery } from '../../components/Pager';
import { SecretOnce } from '../../components/SecretOnce';
import { When } from '../../components/When';
import { TOKEN_SCOPES } from './scopes';
import './account.css';

type ApiKey = components['schemas']['ApiKey'];

const KEYS_KEY = ['account', 'api-keys'] as const;
const DAY = 86_400;
/** `expiresIn` in seconds; "Never" sends none (a deployment may refuse keys without expiry). */
const EXPIRIES = [
  { value: String(7 * DAY), label: '7 days' },
  { value: String(30 * DAY), label: '30 days' },
  { value: String(90 * DAY), label: '90 days' },
  { value: String(365 * DAY), label: '1 year' },
  { value: '', label: 'Never' },
];

/** `/account/api-keys`: Personal Access Tokens, for scripts that call the API as me. */
export function ApiKeysPage() {
  // The new key lives only here: leaving the screen unmounts it, and it is gone.
  const [newKey, setNewKey] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Personal Access Tokens let a script call the API as you: send one as the <code>X-Api-Key</code> header. Give
            each only the scopes it needs.
          </>
        }
      />
      <CreateKeySection onCreated={setNewKey} />
      {newKey ? <SecretOnce label="Your new key" value={newKey} /> : null}
      <KeysSection />
    </>
  );
}

interface CreateBody {
  name: string;
  scopes: string[];
  expiresIn?: number;
  metadata?: { organizationId: string };
}

function CreateKeySection({ onCreated }: { onCreated: (key: string) => void }) {
  const queryClient = useQueryClient();
  const organizations = useOrganizations();
  const scopesId = useId();
  const create = useMutation({
    mutationFn: (body: CreateBody) => call(api.POST('/api/auth/api-key/create', { body })),
    // The answer holds the key: no cache may keep it after this screen is left.
    gcTime: 0,
    onSuccess: (key) => {
      onCreated(key.key);
      queryClient.invalidateQueries({ queryKey: KEYS_KEY });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const expiresIn = String(data.get('expiresIn') ?? '');
    const organizationId = String(data.get('organizationId') ?? '');
    const body: CreateBody = {
      name: String(data.get('name') ?? ''),
      scopes: data.getAll('scopes').map(String),
      ...(expiresIn ? { expiresIn: Number(expiresIn) } : {}),
      ...(organizationId ? { metadata: { organizationId } } : {}),
    };
    create.mutate(body, { onSuccess: () => form.reset() });
  };
  const fieldErrors = fieldErrorsOf(create.error);
  // An unknown scope is refused as INVALID_SCOPE, without field details: it belongs to the scopes.
  const scopesError =
    fieldErrors.scopes ?? (codeOf(create.error) === 'INVALID_SCOPE' ? messageOf(create.error) : undefined);
  const expiryError = fieldErrors.expiresIn;
  const shownInFields = Boolean(scopesError || fieldErrors.name || expiryError || fieldErrors.metadata);
  const organizationOptions = [
    { value: '', label: 'Any organization' },
    ...(organizations.data ?? []).map((org) => ({ value: org.id, label: org.name })),
  ];
  return (
    <section className="section" aria-labelledby="create-key-heading">
      <h2 id="create-key-heading">Create a key</h2>
      <form className="account-form" onSubmit={submit} noValidate>
        {shownInFields ? null : <FormError error={create.error} />}
        {create.isSuccess ? <Notice kind="success">Key “{create.data.name}” created.</Notice> : null}
        <div className="form-row account-form-row">
          <Field
            name="name"
            label="Name"
            required
            maxLength={100}
            autoComplete="off"
            error={fieldErrors.name}
            hint="What the key is for, e.g. “CI deploys”."
          />
          <SelectField
            name="expiresIn"
            label="Expires"
            options={EXPIRIES}
            defaultValue={String(30 * DAY)}
            error={expiryError}
          />
          <SelectField
            name="organizationId"
            label="Organization"
            options={organizationOptions}
            defaultValue=""
            error={fieldErrors.metadata}
          />
        </div>
        <fieldset aria-describedby={scopesError ? `${scopesId}-error` : `${scopesId}-hint`}>
          <legend>Scopes</legend>
          <p className="field-hint" id={`${scopesId}-hint`}>
            What the key may do. A key pinned to an organization reaches only that organization.
          </p>
          <div className="checkbox-grid scope-options">
            {TOKEN_SCOPES.map((scope) => (
              <div className="scope-option" key={scope.name}>
                <input
                  type="checkbox"
                  name="scopes"
                  value={scope.name}
                  id={`${scopesId}-${scope.name}`}
                  aria-describedby={`${scopesId}-${scope.name}-description`}
                  aria-invalid={scopesError ? true : undefined}
                />
                <label htmlFor={`${scopesId}-${scope.name}`}>{scope.name}</label>
                <p id={`${scopesId}-${scope.name}-description`}>{scope.description}</p>
              </div>
            ))}
          </div>
          {scopesError ? (
            <p className="field-error" id={`${scopesId}-error`}>
              {scopesError}
            </p>
          ) : null}
        </fieldset>
        <SubmitButton pending={create.isPending}>Create key</SubmitButton>
      </form>
    </section>
  );
}

function KeysSection() {
  const queryClient = useQueryClient();
  const organizations = useOrganizations();
  const [done, setDone] = useState<string | null>(null);
  const { pages, query: keys } = usePagedQuery(KEYS_KEY, (cursor) =>
    callList(
      api.GET('/api/auth/api-key/list', {
        params: { query: { limit: 20, sort: '-createdAt', ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const setEnabled = useMutation({
    mutationFn: (input: { key: ApiKey; enabled: boolean }) =>
      call(api.POST('/api/auth/api-key/update', { body: { keyId: input.key.id, enabled: input.enabled } })),
    onSuccess: async (key) => {
      setDone(`Key “${key.name}” ${key.enabled ? 'enabled' : 'disabled'}.`);
      await queryClient.invalidateQueries({ queryKey: KEYS_KEY });
    },
  });
  const remove = useMutation({
    mutationFn: (key: ApiKey) => call(api.POST('/api/auth/api-key/delete', { body: { keyId: key.id } })),
    onSuccess: async (_data, key) => {
      setDone(`Key “${key.name}” deleted.`);
      await queryClient.invalidateQueries({ queryKey: KEYS_KEY });
    },
  });
  const organizationName = (id: string | undefined) =>
    id ? (organizations.data?.find((org) => org.id === id)?.name ?? id) : 'Any organization';
  const busy = setEnabled.isPending || remove.isPending;

  return (
    <section className="section" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Your keys</h2>
      <FormError error={setEnabled.error ?? remove.error} />
      {done ? <Notice kind="success">{done}</Notice> : null}
      {keys.isPending ? (
        <Loading what="Loading keys" />
      ) : keys.isError ? (
        <LoadError error={keys.error} retry={() => keys.refetch()} />
      ) : keys.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={keys.data.nextCursor}>
          No key yet. Create one above to call the API from a script.
        </EmptyList>
      ) : (
        <>
          <div className="table-wrap account-table-wrap">
            <table>
              <caption className="visually-hidden">Your API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Organization</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((key) => (
                  <tr key={key.id} data-testid="key-row">
                    <td>{key.name}</td>
                    <td className="key-start">
                      <code>{key.start}…</code>
                    </td>
                    <td>
                      <ul className="scope-badges">
                        {key.scopes.map((scope) => (
                          <li key={scope} className="badge">
                            {scope}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>{organizationName(key.metadata.organizationId)}</td>
                    <td>
                      <When at={key.expiresAt} never="Never" />
                    </td>
                    <td>
                      <When at={key.lastUsedAt} never="Not yet" />
                    </td>
                    <td>
                      {key.enabled ? (
                        <span className="badge badge-success">Enabled</span>
                      ) : (
                        <span className="badge badge-warning">Disabled</span>
                      )}
                    </td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button button-small"
                          aria-label={`${key.enabled ? 'Disable' : 'Enable'} key ${key.name}`}
                          disabled={busy}
                          onClick={() => setEnabled.mutate({ key, enabled: !key.enabled })}
                        >
                          {key.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <ConfirmButton
                          label="Delete"
                          accessibleLabel={`Delete key ${key.name}`}
                          title={`Delete key “${key.name}”?`}
                          confirmLabel="Delete key"
                          pending={busy}
                          onConfirm={() => remove.mutate(key)}
                        >
                          <p>Scripts using it are refused within seconds, and so is every key it created.</p>
                        </ConfirmButton>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pages={pages} nextCursor={keys.data.nextCursor} busy={keys.isPlaceholderData} />
        </>
      )}
    </section>
  );
}
