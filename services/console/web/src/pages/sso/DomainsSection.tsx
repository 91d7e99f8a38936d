import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call } from '../../api/client';
import { codeOf, fieldErrorsOf, messageOf } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { CopyValue } from './CopyValue';
import { type Domain, domainsKey, useDomains } from './sso-api';

const DOMAIN = '/api/user/organizations/{organizationId}/domains/{domainId}' as const;

/** Proving email domains: add one, publish its TXT record, verify it; remove one no connection serves. */
export function DomainsSection({ organizationId }: { organizationId: string }) {
  const domains = useDomains(organizationId);
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: domainsKey(organizationId) });

  const add = useMutation({
    mutationFn: (domain: string) =>
      call(
        api.POST('/api/user/organizations/{organizationId}/domains', {
          params: { path: { organizationId } },
          body: { domain },
        }),
      ),
    onSuccess: async (added) => {
      setNotice(`Added ${added.domain}. Publish its TXT record below, then verify it.`);
      await refresh();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setNotice(null);
    const form = event.currentTarget;
    add.mutate((formValues(form).domain ?? '').trim(), { onSuccess: () => form.reset() });
  };

  return (
    <section className="section" aria-labelledby="sso-domains-heading">
      <h2 id="sso-domains-heading">Domains</h2>
      <p className="muted">
        A connection signs people in only for email domains this organization has proven it holds, with a DNS TXT
        record.
      </p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <form onSubmit={submit} noValidate aria-label="Add a domain">
        <FormError error={add.error} />
        <div className="form-row">
          <Field
            name="domain"
            label="Domain"
            placeholder="example.com"
            autoComplete="off"
            spellCheck={false}
            required
            error={fieldErrorsOf(add.error).domain}
          />
          <SubmitButton pending={add.isPending}>Add domain</SubmitButton>
        </div>
      </form>
      {domains.isPending ? (
        <Loading what="Loading domains" />
      ) : domains.isError ? (
        <LoadError error={domains.error} retry={() => domains.refetch()} />
      ) : domains.data.length === 0 ? (
        <EmptyState>No domains yet. Add the domain of your people's email addresses.</EmptyState>
      ) : (
        <ul className="sso-domains" aria-label="Domains">
          {domains.data.map((domain) => (
            <DomainItem
              key={domain.id}
              organizationId={organizationId}
              domain={domain}
              onChanged={(message) => {
                setNotice(message);
                return refresh();
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function DomainItem({
  organizationId,
  domain,
  onChanged,
}: {
  organizationId: string;
  domain: Domain;
  onChanged: (message: string) => Promise<unknown>;
}) {
  const path = { organizationId, domainId: domain.id };
  const verify = useMutation({
    mutationFn: () =>
      call(api.POST('/api/user/organizations/{organizationId}/domains/{domainId}/verify', { params: { path } })),
    onSuccess: (verified) =>
      onChanged(verified.verified ? `${verified.domain} is verified.` : `${verified.domain} is not verified yet.`),
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE(DOMAIN, { params: { path } })),
    onSuccess: () => onChanged(`Removed ${domain.domain}.`),
  });
  return (
    <li className="sso-domain">
      <div className="sso-domain-head">
        <h3>{domain.domain}</h3>
        {domain.verified ? (
          <span className="badge badge-success">Verified</span>
        ) : (
          <span className="badge badge-warning">Pending verification</span>
        )}
        <div className="actions">
          {domain.verified ? null : (
            <button
              type="button"
              className="button button-small button-primary"
              aria-label={`Verify ${domain.domain}`}
              disabled={verify.isPending}
              aria-busy={verify.isPending || undefined}
              onClick={() => verify.mutate()}
            >
              {verify.isPending ? 'Checking…' : 'Verify'}
            </button>
          )}
          <ConfirmButton
            label="Remove"
            accessibleLabel={`Remove domain ${domain.domain}`}
            title={`Remove ${domain.domain}?`}
            confirmLabel="Remove domain"
            pending={remove.isPending}
            onConfirm={() => remove.mutate()}
          >
            <p>
              No connection will sign in people of {domain.domain} any more. A domain a connection serves cannot be
              removed: take it out of the connection first.
            </p>
          </ConfirmButton>
        </div>
      </div>
      {verify.error ? <VerifyFailure error={verify.error} /> : null}
      {remove.error ? <Notice kind="error">{messageOf(remove.error)}</Notice> : null}
      {domain.verified ? (
        <p className="muted">
          Keep the TXT record published: Gatehouse looks it up again every day, and a domain whose record is gone for
          three checks in a row is no longer verified.
        </p>
      ) : (
        <p className="muted">Publish this TXT record at your DNS provider, then choose Verify.</p>
      )}
      <CopyValue label="TXT record name" subject={domain.domain} value={domain.verification.name} />
      <CopyValue label="TXT record value" subject={domain.domain} value={domain.verification.value} />
    </li>
  );
}

/** Why the check failed: what was looked up and found, and that a fresh record may not have spread yet. */
function VerifyFailure({ error }: { error: unknown }) {
  const reason = (error as { meta?: { reason?: string; found?: unknown } }).meta;
  const found = Array.isArray(reason?.found) ? (reason.found as string[]) : [];
  // Only a missing record or an unanswered lookup may be DNS still spreading (not DOMAIN_TAKEN, say).
  const dnsProblem =
    codeOf(error) === 'CONFLICT' &&
    (reason?.reason === 'DOMAIN_NOT_VERIFIED' || reason?.reason === 'DNS_LOOKUP_FAILED');
  return (
    <Notice kind="error">
      <div className="sso-verify-failure">
        <p>{messageOf(error)}</p>
        {found.length > 0 ? <p>Found instead: {found.join(', ')}</p> : null}
        {dnsProblem ? (
          <p>A record you just published can take from a few minutes to a few hours to be seen. Try again later.</p>
        ) : null}
      </div>
    </Notice>
  );
}
