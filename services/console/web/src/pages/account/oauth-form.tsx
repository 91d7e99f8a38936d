import type { components } from '@gatehouse/sdk';
import { useId } from 'react';
import { GatehouseError } from '../../api/client';
import { type FieldProblem, fieldErrorsOf } from '../../api/errors';
import { Notice } from '../../components/feedback';
import { Field, FormError, SelectField } from '../../components/forms';
import { OAUTH_SCOPES, type OAuthScope } from './oauth-scopes';

export type OAuthApp = components['schemas']['OAuthApp'];
export type ClientType = OAuthApp['type'];

export const OAUTH_APPS_KEY = ['account', 'oauth-apps'] as const;
export const oauthAppKey = (id: string) => [...OAUTH_APPS_KEY, 'one', id] as const;

export const CLIENT_TYPE_LABELS: Record<ClientType, string> = {
  confidential: 'Confidential',
  public: 'Public',
};

/** What the register and edit forms send: the body's fields, named as the inputs are. */
export interface AppFormValues {
  name: string;
  redirectUris: string[];
  allowedScopes: OAuthScope[];
}

export function readAppForm(form: HTMLFormElement): AppFormValues & { type: ClientType } {
  const data = new FormData(form);
  const text = (name: string) => {
    const value = data.get(name);
    return typeof value === 'string' ? value : '';
  };
  return {
    name: text('name'),
    type: text('type') === 'public' ? 'public' : 'confidential',
    // One per line; blank lines are only layout.
    redirectUris: text('redirectUris')
      .split(/\r?\n/)
      .map((uri) => uri.trim())
      .filter(Boolean),
    allowedScopes: data.getAll('allowedScopes').filter((scope): scope is OAuthScope => typeof scope === 'string'),
  };
}

/**
 * The API names a bad redirect URI by its index (`redirectUris/2` from identity's check,
 * `redirectUris.2` from the schema): the message quotes the URI itself, since blank lines the
 * person typed are not sent and an index would point at the wrong line.
 */
export function redirectUriProblems(error: unknown, sent: readonly string[] | undefined): string[] {
  if (!(error instanceof GatehouseError)) return [];
  const problems = (error.meta?.errors ?? []) as FieldProblem[];
  return problems.flatMap((problem) => {
    const match = /^(?:body\.)?redirectUris(?:[./](\d+))?$/.exec(problem.field ?? '');
    if (!match || !problem.error) return [];
    const uri = match[1] === undefined ? undefined : sent?.[Number(match[1])];
    return [uri === undefined ? problem.error : `${uri} — ${problem.error}`];
  });
}

/**
 * The form's own alert: when the API named fields, their messages sit by the inputs, and the alert
 * says where to look rather than the API's generic "Validation failed".
 */
export function AppFormError({ error }: { error: unknown }) {
  const named = error instanceof GatehouseError && ((error.meta?.errors ?? []) as FieldProblem[]).length > 0;
  if (!named) return <FormError error={error} />;
  return <Notice kind="error">Some fields need a change: see the messages below.</Notice>;
}

function RedirectUrisField({ defaultValue, problems }: { defaultValue: string; problems: string[] }) {
  const id = useId();
  const described = [`${id}-hint`, problems.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>Redirect URIs</label>
      <textarea
        id={id}
        name="redirectUris"
        required
        rows={3}
        spellCheck={false}
        autoCapitalize="off"
        defaultValue={defaultValue}
        aria-invalid={problems.length > 0 ? true : undefined}
        aria-describedby={described}
      />
      <p className="field-hint" id={`${id}-hint`}>
        One per line, matched exactly: https, http only on loopback (127.0.0.1, localhost), or a reverse-domain custom
        scheme such as com.example.app:/callback.
      </p>
      {problems.length > 0 ? (
        <ul className="field-error oauth-field-problems" id={`${id}-error`}>
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ScopesField({ checked, error }: { checked: readonly string[]; error: string | undefined }) {
  const id = useId();
  return (
    <fieldset aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Allowed scopes</legend>
      <p className="field-hint">What the app may ask a person for; each person still sees and approves its request.</p>
      <div className="checkbox-grid oauth-scopes">
        {OAUTH_SCOPES.map((scope) => (
          <div className="oauth-scope" key={scope.name}>
            <input
              type="checkbox"
              id={`${id}-${scope.name}`}
              name="allowedScopes"
              value={scope.name}
              defaultChecked={checked.includes(scope.name)}
              aria-describedby={`${id}-${scope.name}-description`}
            />
            <label htmlFor={`${id}-${scope.name}`}>{scope.name}</label>
            <p id={`${id}-${scope.name}-description`}>{scope.description}</p>
          </div>
        ))}
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * The inputs the register and edit forms share. `sent` is what the failed request carried, to name
 * the redirect URI each error is about.
 */
export function AppFields({
  app,
  error,
  sent,
  withType = false,
}: {
  app?: Pick<OAuthApp, 'name' | 'redirectUris' | 'allowedScopes'>;
  error: unknown;
  sent?: readonly string[] | undefined;
  withType?: boolean;
}) {
  const fieldErrors = fieldErrorsOf(error);
  return (
    <>
      <div className="form-row">
        <Field
          name="name"
          label="Name"
          required
          maxLength={100}
          autoComplete="off"
          defaultValue={app?.name ?? ''}
          error={fieldErrors.name}
        />
        {withType ? (
          <SelectField
            name="type"
            label="Type"
            defaultValue="confidential"
            error={fieldErrors.type}
            options={[
              { value: 'confidential', label: 'Confidential: a server, with a secret' },
              { value: 'public', label: 'Public: browser or mobile, no secret' },
            ]}
          />
        ) : null}
      </div>
      <RedirectUrisField
        defaultValue={app?.redirectUris.join('\n') ?? ''}
        problems={redirectUriProblems(error, sent)}
      />
      <ScopesField checked={app?.allowedScopes ?? ['openid', 'user:read']} error={fieldErrors.allowedScopes} />
    </>
  );
}

export function ScopeBadges({ scopes, label }: { scopes: readonly string[]; label: string }) {
  return (
    <ul className="oauth-badges" aria-label={label}>
      {scopes.map((scope) => (
        <li key={scope} className="badge">
          {scope}
        </li>
      ))}
    </ul>
  );
}
