import { type operations, unwrap } from '@gatehouse/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';
import { fieldErrorsOf, isStatus } from '../../api/errors';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SelectField, SubmitButton, TextAreaField } from '../../components/forms';
import { formatDate } from '../../components/When';
import { DomainChoices } from './DomainChoices';
import { ROLE_OPTIONS } from './NewConnectionForm';
import { type Connection, connectionKey, connectionsKey, listFieldError, useDomains } from './sso-api';

type ConnectionChanges = NonNullable<operations['updateSsoConnection']['requestBody']>['content']['application/json'];

/**
 * Changes only what was changed (an unchanged issuer is not sent: changing it drops the account
 * links), with the version read as If-Match, so a change someone made meanwhile is not overwritten.
 */
export function EditConnectionForm({
  organizationId,
  connection,
  etag,
  reload,
  onSaved,
}: {
  organizationId: string;
  connection: Connection;
  etag: string | undefined;
  reload: () => void;
  /** Saving remounts this form with the saved values (its key is the version), so the parent says "Saved". */
  onSaved: () => void;
}) {
  const domains = useDomains(organizationId);
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);

  const save = useMutation({
    // The variables may hold a new client secret: dropped from the mutation cache once done.
    gcTime: 0,
    mutationFn: async (changes: ConnectionChanges) => {
      const result = await api.PUT('/api/user/organizations/{organizationId}/sso-connections/{connectionId}', {
        params: { path: { organizationId, connectionId: connection.id } },
        headers: etag ? { 'if-match': etag } : {},
        body: changes,
      });
      return { connection: unwrap(result), etag: result.response.headers.get('etag') ?? undefined };
    },
    onSuccess: async (saved) => {
      onSaved();
      queryClient.setQueryData(connectionKey(organizationId, connection.id), saved);
      // The list shows the change at once, not after its refetch.
      queryClient.setQueryData(connectionsKey(organizationId), (list: Connection[] | undefined) =>
        list?.map((listed) => (listed.id === saved.connection.id ? saved.connection : listed)),
      );
      await queryClient.invalidateQueries({ queryKey: connectionsKey(organizationId), exact: true });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setNotice(null);
    const form = event.currentTarget;
    // Without the domain list loaded there are no checkboxes: "none chosen" would wipe every domain.
    const chosenDomains = domains.isSuccess
      ? (new FormData(form).getAll('domains').filter((value) => typeof value === 'string') as string[])
      : null;
    const keptCertificates = new FormData(form).getAll('keepCertificate').map(String);
    const changes = changesOf(connection, formValues(form), chosenDomains, keptCertificates);
    if (Object.keys(changes).length === 0) {
      setNotice('Nothing to save: no setting was changed.');
      return;
    }
    save.mutate(changes as ConnectionChanges);
  };
  const errors = fieldErrorsOf(save.error);
  const stale = isStatus(save.error, 412);

  return (
    <form onSubmit={submit} noValidate aria-label={`Settings of ${connection.name}`}>
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      {stale ? (
        <div className="notice notice-error" role="alert">
          <span>Someone changed this connection after you opened it. Reload it, then make your change again.</span>
          <button type="button" className="button button-small" onClick={reload}>
            Reload
          </button>
        </div>
      ) : (
        <FormError error={save.error} />
      )}
      <Field name="name" label="Name" defaultValue={connection.name} autoComplete="off" required error={errors.name} />
      <label className="checkbox">
        <input type="checkbox" name="enabled" defaultChecked={connection.enabled} />
        Enabled: sign people in through this connection
      </label>
      <div className="sso-checkbox-field">
        <label className="checkbox">
          <input
            type="checkbox"
            name="ssoRequired"
            defaultChecked={connection.ssoRequired}
            aria-describedby={`sso-required-hint-${connection.id}`}
          />
          Require SSO for this organization's domains
        </label>
        <p className="field-hint" id={`sso-required-hint-${connection.id}`}>
          While the connection is enabled, people of its verified domains cannot sign in with a password or create keys
          from a password session. Owners keep their password, so a broken IdP cannot lock you out.
        </p>
      </div>
      <DomainChoices domains={domains} chosen={connection.domains} error={listFieldError(errors, 'domains')} />
      <SelectField
        name="defaultRole"
        label="Role of people who sign in"
        options={ROLE_OPTIONS}
        defaultValue={connection.defaultRole}
        error={errors.defaultRole}
      />
      {connection.type === 'oidc' ? (
        <>
          <Field
            name="issuer"
            label="Issuer URL"
            type="url"
            defaultValue={connection.issuer ?? ''}
            autoComplete="off"
            spellCheck={false}
            hint="Changing the IdP unlinks the accounts: people are linked again at their next sign-in."
            error={errors.issuer}
          />
          <Field
            name="clientId"
            label="Client ID"
            defaultValue={connection.clientId ?? ''}
            autoComplete="off"
            spellCheck={false}
            error={errors.clientId}
          />
          <Field
            name="clientSecret"
            label="New client secret"
            type="password"
            autoComplete="off"
            hint="Leave empty to keep the stored secret."
            error={errors.clientSecret}
          />
        </>
      ) : (
        <>
          <fieldset>
            <legend>Certificates it trusts</legend>
            <p className="field-hint">
              During a rotation keep the current one and add the next; remove the old one once the IdP signs with the
              new.
            </p>
            {connection.idpCertificates.map((certificate) => (
              <label key={certificate.fingerprint} className="checkbox">
                <input type="checkbox" name="keepCertificate" value={certificate.fingerprint} defaultChecked />
                <span>
                  {certificate.subject}, valid until {formatDate(certificate.notAfter)}{' '}
                  <code className="muted">{certificate.fingerprint.slice(0, 23)}…</code>
                </span>
              </label>
            ))}
          </fieldset>
          <TextAreaField
            spellCheck={false}
            name="nextIdpCertificate"
            label="Add the IdP's next signing certificate (PEM)"
            rows={4}
            hint="Leave empty to add none."
            error={listFieldError(errors, 'idpCertificates')}
          />
          <TextAreaField
            spellCheck={false}
            name="idpMetadataXml"
            label="Or replace everything with new IdP metadata XML"
            rows={4}
            hint="Leave empty to keep the IdP's entity ID, sign-in URL and certificates as they are."
            error={errors.idpMetadataXml}
          />
        </>
      )}
      <div className="actions">
        <SubmitButton pending={save.isPending}>Save changes</SubmitButton>
      </div>
    </form>
  );
}

/** What the form changed, field by field; `domains` null when the choice was not on screen. */
function changesOf(
  connection: Connection,
  values: Record<string, string>,
  domains: string[] | null,
  keptCertificates: string[],
) {
  const changes: Record<string, unknown> = {};
  const name = values.name?.trim() ?? '';
  if (name !== connection.name) changes.name = name;
  const enabled = values.enabled === 'on';
  if (enabled !== connection.enabled) changes.enabled = enabled;
  const ssoRequired = values.ssoRequired === 'on';
  if (ssoRequired !== connection.ssoRequired) changes.ssoRequired = ssoRequired;
  const sameDomains =
    domains === null ||
    (domains.length === connection.domains.length && domains.every((domain) => connection.domains.includes(domain)));
  if (!sameDomains) changes.domains = domains;
  if (values.defaultRole && values.defaultRole !== connection.defaultRole) changes.defaultRole = values.defaultRole;
  if (connection.type === 'oidc') {
    const issuer = values.issuer?.trim() ?? '';
    if (issuer !== (connection.issuer ?? '')) changes.issuer = issuer;
    const clientId = values.clientId?.trim() ?? '';
    if (clientId !== (connection.clientId ?? '')) changes.clientId = clientId;
    if (values.clientSecret) changes.clientSecret = values.clientSecret;
  } else if (values.idpMetadataXml?.trim()) {
    changes.idpMetadataXml = values.idpMetadataXml.trim();
  } else {
    // The list is replaced whole: the kept certificates, then the one added.
    const kept = connection.idpCertificates.filter((certificate) => keptCertificates.includes(certificate.fingerprint));
    const added = values.nextIdpCertificate?.trim();
    if (added || kept.length !== connection.idpCertificates.length)
      changes.idpCertificates = [...kept.map((certificate) => certificate.pem), ...(added ? [added] : [])];
  }
  return changes;
}
