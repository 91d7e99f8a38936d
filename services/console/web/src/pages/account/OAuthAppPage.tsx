import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call } from '../../api/client';
import { isStatus } from '../../api/errors';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EmptyState, LoadError, Loading, Notice } from '../../components/feedback';
import { FormError, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { SecretOnce } from '../../components/SecretOnce';
import { When } from '../../components/When';
import {
  AppFields,
  AppFormError,
  type AppFormValues,
  CLIENT_TYPE_LABELS,
  OAUTH_APPS_KEY,
  type OAuthApp,
  oauthAppKey,
  readAppForm,
  ScopeBadges,
} from './oauth-form';
import './oauth.css';

const BACK = '/account/oauth-apps';

/** `/account/oauth-apps/:appId`: one app's details, editing it, its secret, deleting it. */
export function OAuthAppPage() {
  const { appId = '' } = useParams();
  const app = useQuery({
    queryKey: oauthAppKey(appId),
    queryFn: () => call(api.GET('/api/user/oauth-apps/{id}', { params: { path: { id: appId } } })),
    // Not found stays not found: no retries to wait through.
    retry: (count, error) => !isStatus(error, 404) && !isStatus(error, 400) && count < 2,
  });
  if (app.isPending) {
    return (
      <>
        <PageHeader title="OAuth app" />
        <Loading what="Loading the app" />
      </>
    );
  }
  if (app.isError) {
    const missing = isStatus(app.error, 404) || isStatus(app.error, 400);
    return (
      <>
        <PageHeader title={missing ? 'App not found' : 'OAuth app'} />
        {missing ? (
          <EmptyState>No app of yours has this ID. It may have been deleted.</EmptyState>
        ) : (
          <LoadError error={app.error} retry={() => app.refetch()} />
        )}
        <p>
          <Link to={BACK}>Back to your OAuth apps</Link>
        </p>
      </>
    );
  }
  return <AppScreen app={app.data} />;
}

function AppScreen({ app }: { app: OAuthApp }) {
  return (
    <>
      <PageHeader
        title={app.name}
        description={`${CLIENT_TYPE_LABELS[app.type]} OAuth app`}
        actions={
          <Link to={BACK} className="button button-small">
            All OAuth apps
          </Link>
        }
      />
      <AppDetails app={app} />
      <EditAppForm app={app} />
      {app.type === 'confidential' ? <SecretSection app={app} /> : null}
      <DeleteSection app={app} />
    </>
  );
}

function AppDetails({ app }: { app: OAuthApp }) {
  return (
    <section className="section" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <dl className="details oauth-details">
        <dt>Client ID</dt>
        <dd>
          <code data-testid="client-id">{app.clientId}</code>
        </dd>
        <dt>Type</dt>
        <dd>
          {app.type === 'confidential'
            ? 'Confidential: authenticates with its client secret'
            : 'Public: no secret, every authorization uses PKCE'}
        </dd>
        {app.secretStart ? (
          <>
            <dt>Client secret</dt>
            <dd>
              <code>{app.secretStart}…</code> <span className="muted">(only its first characters are kept)</span>
            </dd>
          </>
        ) : null}
        <dt>Redirect URIs</dt>
        <dd>
          <ul className="oauth-uris">
            {app.redirectUris.map((uri) => (
              <li key={uri}>{uri}</li>
            ))}
          </ul>
        </dd>
        <dt>Allowed scopes</dt>
        <dd>
          <ScopeBadges scopes={app.allowedScopes} label={`Scopes ${app.name} may ask for`} />
        </dd>
        {app.organizationId ? (
          <>
            <dt>Pinned to organization</dt>
            <dd>
              <code>{app.organizationId}</code>
            </dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>
          <When at={app.createdAt} />
        </dd>
        <dt>Last changed</dt>
        <dd>
          <When at={app.updatedAt} />
        </dd>
      </dl>
    </section>
  );
}

function EditAppForm({ app }: { app: OAuthApp }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: (body: AppFormValues) =>
      call(api.PUT('/api/user/oauth-apps/{id}', { params: { path: { id: app.id } }, body })),
    onSuccess: (updated) => {
      queryClient.setQueryData(oauthAppKey(app.id), updated);
      queryClient.invalidateQueries({ queryKey: [...OAUTH_APPS_KEY, 'list'] });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { name, redirectUris, allowedScopes } = readAppForm(event.currentTarget);
    save.mutate({ name, redirectUris, allowedScopes });
  };
  return (
    <section className="section" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Change the app</h2>
      {/* A new key after each save: the inputs start again from what the API now holds. */}
      <form key={app.updatedAt} onSubmit={submit} noValidate>
        {save.isSuccess ? <Notice kind="success">Saved. The new settings apply at once.</Notice> : null}
        <AppFormError error={save.error} />
        <AppFields app={app} error={save.error} sent={save.variables?.redirectUris} />
        <div className="actions">
          <SubmitButton pending={save.isPending}>Save changes</SubmitButton>
        </div>
      </form>
    </section>
  );
}

function SecretSection({ app }: { app: OAuthApp }) {
  const queryClient = useQueryClient();
  const rotate = useMutation({
    mutationFn: () =>
      call(api.PUT('/api/user/oauth-apps/{id}', { params: { path: { id: app.id } }, body: { rotateSecret: true } })),
    // The new secret lives only in this answer, dropped as soon as the screen is left.
    gcTime: 0,
    onSuccess: (updated) => {
      const { clientSecret: _shownOnce, ...stored } = updated;
      queryClient.setQueryData(oauthAppKey(app.id), stored);
    },
  });
  return (
    <section className="section" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Client secret</h2>
      <p className="muted">
        Rotating issues a new secret. The old one, and the tokens the app obtained with it through client credentials,
        stop working at once.
      </p>
      <FormError error={rotate.error} />
      {rotate.data?.clientSecret ? (
        <SecretOnce label={`New client secret of ${app.name}`} value={rotate.data.clientSecret} />
      ) : null}
      <div className="actions">
        <ConfirmButton
          label="Rotate secret"
          accessibleLabel={`Rotate secret of ${app.name}`}
          title={`Rotate the secret of ${app.name}?`}
          confirmLabel="Rotate secret"
          pending={rotate.isPending}
          onConfirm={() => rotate.mutate()}
        >
          <p>The current secret stops working at once. Update the app with the new one right after.</p>
        </ConfirmButton>
      </div>
    </section>
  );
}

function DeleteSection({ app }: { app: OAuthApp }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/user/oauth-apps/{id}', { params: { path: { id: app.id } } })),
    onSuccess: async () => {
      await navigate(BACK, { state: { deleted: app.name } });
      queryClient.removeQueries({ queryKey: oauthAppKey(app.id) });
      queryClient.invalidateQueries({ queryKey: OAUTH_APPS_KEY });
    },
  });
  return (
    <section className="section oauth-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete the app</h2>
      <p className="muted">Everyone who allowed it loses it: its grants and tokens end within seconds.</p>
      <FormError error={remove.error} />
      <div className="actions">
        <ConfirmButton
          label="Delete app"
          accessibleLabel={`Delete app ${app.name}`}
          title={`Delete ${app.name}?`}
          confirmLabel="Delete app"
          pending={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          <p>This cannot be undone. Apps using its client ID stop working.</p>
        </ConfirmButton>
      </div>
    </section>
  );
}
