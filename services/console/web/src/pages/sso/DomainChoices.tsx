import { useId } from 'react';
import { LoadError, Loading } from '../../components/feedback';
import type { useDomains } from './sso-api';

/**
 * The organization's domains as checkboxes named `domains`: the ones a connection serves. A pending
 * domain may be chosen, but routes nobody until it is verified — the label says so.
 */
export function DomainChoices({
  domains,
  chosen,
  error,
}: {
  domains: ReturnType<typeof useDomains>;
  chosen: string[];
  error: string | undefined;
}) {
  const id = useId();
  return (
    <fieldset
      aria-describedby={
        [domains.data ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
      }
    >
      <legend>Domains it serves</legend>
      {domains.isPending ? (
        <Loading what="Loading domains" />
      ) : domains.isError ? (
        <LoadError error={domains.error} retry={() => domains.refetch()} />
      ) : domains.data.length === 0 ? (
        <p className="field-hint" id={`${id}-hint`}>
          No domains yet: add and verify one under Domains, then choose it here.
        </p>
      ) : (
        <>
          <div className="sso-domain-choices">
            {domains.data.map((domain) => (
              <label key={domain.id} className="checkbox">
                <input
                  type="checkbox"
                  name="domains"
                  value={domain.domain}
                  defaultChecked={chosen.includes(domain.domain)}
                />
                {domain.domain}
                {domain.verified ? null : ' (not verified yet)'}
              </label>
            ))}
          </div>
          <p className="field-hint" id={`${id}-hint`}>
            People whose email address is at a chosen, verified domain sign in through this connection.
          </p>
        </>
      )}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
