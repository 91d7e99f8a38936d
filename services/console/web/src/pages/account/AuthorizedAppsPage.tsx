import type { components } from '@gatehouse/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, callList } from '../../api/client';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading, Notice } from '../../components/feedback';
import { FormError } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { Pager, usePagedQuery } from '../../components/Pager';
import { When } from '../../components/When';
import { ScopeBadges } from './oauth-form';
import './oauth.css';

type Grant = components['schemas']['OAuthGrant'];

const GRANTS_KEY = ['account', 'oauth-grants'] as const;
const PAGE_SIZE = 20;

/** An app deleted by its owner keeps its grant listed (nameless) until the grant is gone. */
function appNameOf(grant: Grant): string {
  return grant.app.name ?? 'A deleted app';
}

/** `/account/authorized-apps`: the apps I let act for me, and taking that back. */
export function AuthorizedAppsPage() {
  const queryClient = useQueryClient();
  const [revoked, setRevoked] = useState<string | null>(null);
  const { pages, query: grants } = usePagedQuery(GRANTS_KEY, (cursor) =>
    callList(
      api.GET('/api/user/oauth-grants', {
        params: { query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const revoke = useMutation({
    mutationFn: (grant: Grant) =>
      call(api.DELETE('/api/user/oauth-grants/{grantId}', { params: { path: { grantId: grant.id } } })),
    onMutate: () => setRevoked(null),
    onSuccess: (_data, grant) => {
      setRevoked(appNameOf(grant));
      // The page it was on may now be empty: start over from the first.
      pages.reset();
      queryClient.invalidateQueries({ queryKey: GRANTS_KEY });
    },
  });

  return (
    <>
      <PageHeader
        title="Authorized apps"
        description="Apps you allowed to act for you. Revoking one ends its access and every token it holds at once."
      />
      {revoked ? <Notice kind="success">Revoked the access of {revoked}.</Notice> : null}
      <FormError error={revoke.error} />
      <section className="section" aria-labelledby="grants-heading">
        <h2 id="grants-heading">Apps with access to your account</h2>
        {grants.isPending ? <Loading what="Loading your authorized apps" /> : null}
        {grants.isError ? <LoadError error={grants.error} retry={() => grants.refetch()} /> : null}
        {grants.data && grants.data.items.length === 0 && pages.page === 1 ? (
          <EmptyState>You have not allowed any app to access your account.</EmptyState>
        ) : null}
        {grants.data && grants.data.items.length > 0 ? (
          <div className="table-wrap oauth-table-wrap">
            <table>
              <caption className="visually-hidden">Apps with access to your account</caption>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Allowed</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {grants.data.items.map((grant) => {
                  const name = appNameOf(grant);
                  return (
                    <tr key={grant.id}>
                      <td>{grant.app.name ?? <span className="muted">{name}</span>}</td>
                      <td>
                        <ScopeBadges scopes={grant.scopes} label={`Scopes granted to ${name}`} />
                      </td>
                      <td className="oauth-nowrap">
                        <When at={grant.createdAt} />
                      </td>
                      <td className="oauth-nowrap">
                        <When at={grant.expiresAt} never="Until revoked" />
                      </td>
                      <td>
                        <ConfirmButton
                          label="Revoke"
                          accessibleLabel={`Revoke access for ${name}`}
                          title={`Revoke access for ${name}?`}
                          confirmLabel="Revoke access"
                          pending={revoke.isPending && revoke.variables?.id === grant.id}
                          onConfirm={() => revoke.mutate(grant)}
                        >
                          <p>
                            {name} can no longer act for you; its access and refresh tokens stop working. It has to ask
                            you again to get back in.
                          </p>
                        </ConfirmButton>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
        {grants.data && (pages.page > 1 || grants.data.nextCursor) ? (
          <Pager pages={pages} nextCursor={grants.data.nextCursor} busy={grants.isPlaceholderData} />
        ) : null}
      </section>
    </>
  );
}
