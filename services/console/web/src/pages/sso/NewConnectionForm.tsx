import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { Field, FormError, formValues, SelectField, SubmitButton, TextAreaField } from '../../components/forms';
import { DomainChoices } from './DomainChoices';
import { connectionsKey, listFieldError, useDomains } from './sso-api';

type Protocol = 'oidc' | 'saml';
type SamlSource = 'metadata' | 'fields';

export const ROLE_OPTIONS = [
  { value: 'member', label: 'Member' },
  { value: 'admin', label: 'Admin' },
] as const;

/** An empty input is left out, so the API says which setting is missing rather than that it is empty. */
const given = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

/**
 * A new connection: the protocol first, then that protocol's settings. It starts disabled unless
 * asked: the IdP usually needs our values (on the connection's page) before anyone can sign in.
 */
export function NewConnectionForm({ organizationId }: { organizationId: string }) {
  const [protocol, setProtocol] = useState<Protocol>('oidc');
  const [samlSource, setSamlSource] = useState<SamlSource>('metadata');
  const domains = useDomains(organizationId);
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const create = useMutation({
    // The variables hold the typed client secret: dropped from the mutation cache once done.
    gcTime: 0,
    mutationFn: (body: Parameters<typeof createBody>[0]) =>
      call(
        api.POST('/api/user/organizations/{organizationId}/sso-connections', {
          params: { path: { organizationId } },
          body: createBody(body),
        }),
      ),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: connectionsKey(organizationId) });
      navigate(`/orgs/${organizationId}/sso/${created.id}`, { state: { created: true } });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const chosenDomains = new FormData(form).getAll('domains').filter((value) => typeof value === 'string');
    create.mutate({ protocol, samlSource, values: formValues(form), domains: chosenDomains as string[] });
  };
  const errors = fieldErrorsOf(create.error);

  return (
    <form onSubmit={submit} noValidate aria-labelledby="sso-new-connection-heading">
      <h3 id="sso-new-connection-heading">New connection</h3>
      <FormError error={create.error} />
      <fieldset>
        <legend>Protocol</legend>
        <label className="checkbox">
          <input
            type="radio"
            name="type"
            value="oidc"
            checked={protocol === 'oidc'}
            onChange={() => setProtocol('oidc')}
          />
          OpenID Connect (Google Workspace, Entra ID, Okta…)
        </label>
        <label className="checkbox">
          <input
            type="radio"
            name="type"
            value="saml"
            checked={protocol === 'saml'}
            onChange={() => setProtocol('saml')}
          />
          SAML 2.0
        </label>
      </fieldset>
      <Field name="name" label="Name" placeholder="Okta" autoComplete="off" required error={errors.name} />
      <DomainChoices domains={domains} chosen={[]} error={listFieldError(errors, 'domains')} />
      {protocol === 'oidc' ? (
        <>
          <Field
            name="issuer"
            label="Issuer URL"
            type="url"
            placeholder="https://accounts.google.com"
            autoComplete="off"
            spellCheck={false}
            required
            error={errors.issuer}
          />
          <Field
            name="clientId"
            label="Client ID"
            autoComplete="off"
            spellCheck={false}
            required
            error={errors.clientId}
          />
          <Field
            name="clientSecret"
            label="Client secret"
            type="password"
            autoComplete="off"
            required
            hint="Stored encrypted and never shown again."
            error={errors.clientSecret}
          />
        </>
      ) : (
        <>
          <fieldset>
            <legend>Identity provider details</legend>
            <label className="checkbox">
              <input
                type="radio"
                name="samlSource"
                value="metadata"
                checked={samlSource === 'metadata'}
                onChange={() => setSamlSource('metadata')}
              />
              Paste its metadata XML
            </label>
            <label className="checkbox">
              <input
                type="radio"
                name="samlSource"
                value="fields"
                checked={samlSource === 'fields'}
                onChange={() => setSamlSource('fields')}
              />
              Enter entity ID, sign-in URL and certificate
            </label>
          </fieldset>
          {samlSource === 'metadata' ? (
            <TextAreaField
              spellCheck={false}
              name="idpMetadataXml"
              label="IdP metadata XML"
              rows={6}
              required
              hint="The EntityDescriptor document your IdP offers to download (or shows at its metadata URL)."
              error={errors.idpMetadataXml}
            />
          ) : (
            <>
              <Field
                name="idpEntityId"
                label="IdP entity ID"
                autoComplete="off"
                spellCheck={false}
                required
                error={errors.idpEntityId}
              />
              <Field
                name="idpSsoUrl"
                label="IdP sign-in URL"
                type="url"
                autoComplete="off"
                spellCheck={false}
                required
                error={errors.idpSsoUrl}
              />
              <TextAreaField
                spellCheck={false}
                name="idpCertificate"
                label="IdP signing certificate (PEM)"
                rows={6}
                required
                error={listFieldError(errors, 'idpCertificates')}
              />
            </>
          )}
        </>
      )}
      <SelectField
        name="defaultRole"
        label="Role of people who sign in"
        options={ROLE_OPTIONS}
        error={errors.defaultRole}
      />
      <label className="checkbox">
        <input type="checkbox" name="enabled" />
        Sign people in through it now (leave off until the IdP is set up)
      </label>
      <div className="actions">
        <SubmitButton pending={create.isPending}>Create connection</SubmitButton>
      </div>
    </form>
  );
}

function createBody({
  protocol,
  samlSource,
  values,
  domains,
}: {
  protocol: Protocol;
  samlSource: SamlSource;
  values: Record<string, string>;
  domains: string[];
}) {
  const common = {
    name: values.name?.trim() ?? '',
    domains,
    enabled: values.enabled === 'on',
    defaultRole: values.defaultRole === 'admin' ? ('admin' as const) : ('member' as const),
  };
  if (protocol === 'oidc') {
    return {
      ...common,
      type: 'oidc' as const,
      issuer: given(values.issuer),
      clientId: given(values.clientId),
      // A secret is taken as typed: spaces may be part of it.
      clientSecret: values.clientSecret || undefined,
    };
  }
  if (samlSource === 'metadata')
    return { ...common, type: 'saml' as const, idpMetadataXml: given(values.idpMetadataXml) };
  const certificate = given(values.idpCertificate);
  return {
    ...common,
    type: 'saml' as const,
    idpEntityId: given(values.idpEntityId),
    idpSsoUrl: given(values.idpSsoUrl),
    idpCertificates: certificate ? [certificate] : undefined,
  };
}
