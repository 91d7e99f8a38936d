import type { components } from '@gatehouse/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { api, call, callList } from '../../api/client';
import { EmptyState, LoadError, Loading, Notice } from '../../components/feedback';
import { SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { Pager, usePagedQuery } from '../../components/Pager';
import { SecretOnce } from '../../components/SecretOnce';
import { When } from '../../components/When';
import {
  AppFields,
  AppFormError,
  type AppFormValues,
  CLIENT_TYPE_LABELS,
  type ClientType,
  OAUTH_APPS_KEY,
  readAppForm,
} from './oauth-form';
import './oauth.css';
import { useHandedOver } from '../../lib/handed-over';

type CreatedApp = components['schemas']['OAuthApp'] & { clientSecret: string | null };

const PAGE_SIZE = 20;

/** `/account/oauth-apps`: the apps I own, and registering one. */
export function OAuthAppsPage() {
  // The app page sends its name here after deleting it.
  const deleted = useHandedOver<string>('deleted');
  return (
    <>
      <PageHeader
        title="OAuth apps"
        description="Apps that sign people in with Gatehouse and act for them, within the scopes they approve."
      />
      {deleted ? <Notice kind="success">Deleted {deleted}. Every access people gave it has ended.</Notice> : null}
      <AppsList />
      <RegisterAppForm />
    </>
  );
}

function AppsList() {
  const { pages, query: apps } = usePagedQuery([...OAUTH_APPS_KEY, 'list'], (cursor) =>
    callList(
      api.GET('/api/user/oauth-apps', {
        params: { query: { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
    <section className="section" aria-labelledby="apps-heading">
      <h2 id="apps-heading">Your apps</h2>
      {apps.isPending ? <Loading what="Loading your apps" /> : null}
      {apps.isError ? <LoadError error={apps.error} retry={() => apps.refetch()} /> : null}
      {apps.data && apps.data.items.length === 0 && pages.page === 1 ? (
        <EmptyState>You have not registered an app yet.</EmptyState>
      ) : null}
      {apps.data && apps.data.items.length > 0 ? (
        <div className="table-wrap oauth-table-wrap">
          <table>
            <caption className="visually-hidden">Your OAuth apps</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Type</th>
                <th scope="col">Redirect URIs</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {apps.data.items.map((app) => (
                <tr key={app.id}>
                  <td>
                    <Link to={`/account/oauth-apps/${app.id}`}>{app.name}</Link>
                  </td>
                  <td>
                    <code>{app.clientId}</code>
                  </td>
                  <td>{CLIENT_TYPE_LABELS[app.type]}</td>
                  <td>{app.redirectUris.length}</td>
                  <td className="oauth-nowrap">
                    <When at={app.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {apps.data && (pages.page > 1 || apps.data.nextCursor) ? (
        <Pager pages={pages} nextCursor={apps.data.nextCursor} busy={apps.isPlaceholderData} />
      ) : null}
    </section>
  );
}

function RegisterAppForm() {
  const queryClient = useQueryClient();
  const register = useMutation({
    mutationFn: (body: AppFormValues & { type: ClientType }) => call(api.POST('/api/user/oauth-apps', { body })),
    // The answer holds the only copy of a confidential app's secret: dropped as soon as this
    // screen is left, not kept in the mutation cache.
    gcTime: 0,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: OAUTH_APPS_KEY }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    register.mutate(readAppForm(form), { onSuccess: () => form.reset() });
  };
  return (
    <section className="section" aria-labelledby="register-heading">
      <h2 id="register-heading">Register an app</h2>
      {register.data ? <CreatedNotice app={register.data} /> : null}
      <form onSubmit={submit} noValidate>
        <AppFormError error={register.error} />
        <AppFields withType error={register.error} sent={register.variables?.redirectUris} />
        <div className="actions">
          <SubmitButton pending={register.isPending}>Register app</SubmitButton>
        </div>
      </form>
    </section>
  );
}

function CreatedNotice({ app }: { app: CreatedApp }) {
  return (
    <div>
      <Notice kind="success">
        <span>
          Registered {app.name}. Its client ID is <code data-testid="client-id">{app.clientId}</code>.
        </span>
        <Link to={`/account/oauth-apps/${app.id}`} className="button button-small">
          Open {app.name}
        </Link>
      </Notice>
      {app.clientSecret ? <SecretOnce label={`Client secret of ${app.name}`} value={app.clientSecret} /> : null}
    </div>
  );
}
