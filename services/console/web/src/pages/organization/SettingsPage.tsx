import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf, messageOf, reasonOf } from '../../api/errors';
import {
  canManageMembers,
  canManageSecurity,
  forgetOrganization,
  ORGANIZATIONS_KEY,
  organizationKey,
  useCurrentOrganization,
  useOrganization,
} from '../../api/organizations';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { formatDate } from '../../components/When';
import { ROLE_LABELS, useMyMembership } from './queries';
import { SecuritySection } from './SecuritySection';

type Organization = NonNullable<ReturnType<typeof useOrganization>['data']>;

/** An organization's name and slug (editable by owners and admins), my membership, and deletion (owners). */
export function SettingsPage() {
  const { organizationId } = useCurrentOrganization();
  const organization = useOrganization(organizationId);
  const membership = useMyMembership(organizationId);

  if (organization.isPending) return <Loading what="Loading the organization" />;
  if (organization.isError)
    return (
      <>
        <PageHeader title="Organization settings" />
        <LoadError error={organization.error} retry={() => organization.refetch()} />
      </>
    );

  const org = organization.data;
  // My role as the organization answer states it; my-membership may be fresher (read on each visit).
  const role = membership.data?.role ?? org.role;
  return (
    <>
      <PageHeader title="Organization settings" description={org.name} />
      {canManageMembers(role) ? <EditOrganization organization={org} /> : <ReadOnlyOrganization organization={org} />}
      <SecuritySection organizationId={org.id} canManage={canManageSecurity(role)} />
      <section className="section" aria-labelledby="my-membership-heading">
        <h2 id="my-membership-heading">My membership</h2>
        {membership.isPending ? <Loading what="Loading my membership" /> : null}
        {membership.isError ? <LoadError error={membership.error} retry={() => membership.refetch()} /> : null}
        {membership.data ? (
          <dl className="details">
            <dt>Role</dt>
            <dd data-testid="my-role">{ROLE_LABELS[membership.data.role]}</dd>
            <dt>Joined</dt>
            <dd>
              <time dateTime={membership.data.joinedAt}>{formatDate(membership.data.joinedAt)}</time>
            </dd>
          </dl>
        ) : null}
      </section>
      {role === 'owner' ? <DeleteOrganization organization={org} /> : null}
    </>
  );
}

function ReadOnlyOrganization({ organization }: { organization: Organization }) {
  return (
    <section className="section" aria-labelledby="organization-heading">
      <h2 id="organization-heading">Organization</h2>
      <dl className="details">
        <dt>Name</dt>
        <dd>{organization.name}</dd>
        <dt>Slug</dt>
        <dd>
          <code>{organization.slug}</code>
        </dd>
      </dl>
      <p className="muted">Owners and admins change the name and the slug.</p>
    </section>
  );
}

function EditOrganization({ organization }: { organization: Organization }) {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState<string | null>(null);
  const update = useMutation({
    mutationFn: (body: { name?: string; slug?: string }) =>
      call(
        api.PUT('/api/user/organizations/{organizationId}', {
          params: { path: { organizationId: organization.id } },
          body,
        }),
      ),
    onMutate: () => setSaved(null),
    onSuccess: (updated) => {
      queryClient.setQueryData(organizationKey(organization.id), updated);
      setSaved('Organization saved.');
      return queryClient.invalidateQueries({ queryKey: ORGANIZATIONS_KEY });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { name = '', slug = '' } = formValues(event.currentTarget);
    // Only what changed: an unchanged slug is no request to take it again.
    const body: { name?: string; slug?: string } = {};
    if (name !== organization.name) body.name = name;
    if (slug !== organization.slug) body.slug = slug;
    if (Object.keys(body).length === 0) {
      setSaved('Nothing changed.');
      return;
    }
    update.mutate(body);
  };

  const errors = fieldErrorsOf(update.error);
  const slugTaken = reasonOf(update.error) === 'SLUG_TAKEN';
  return (
    <section className="section" aria-labelledby="organization-heading">
      <h2 id="organization-heading">Organization</h2>
      {/* A new key after each save: the inputs start again from what the API now holds. */}
      <form key={organization.updatedAt} onSubmit={submit} noValidate>
        {saved ? <Notice kind="success">{saved}</Notice> : null}
        {slugTaken ? null : <FormError error={update.error} />}
        <Field
          name="name"
          label="Name"
          required
          maxLength={100}
          autoComplete="organization"
          defaultValue={organization.name}
          error={errors.name}
        />
        <Field
          name="slug"
          label="Slug"
          required
          maxLength={63}
          autoComplete="off"
          spellCheck={false}
          defaultValue={organization.slug}
          hint="Lowercase letters, digits and hyphens. Apps that use the old slug must be told."
          error={errors.slug ?? (slugTaken ? messageOf(update.error) : undefined)}
        />
        <div className="actions">
          <SubmitButton pending={update.isPending}>Save changes</SubmitButton>
        </div>
      </form>
    </section>
  );
}

function DeleteOrganization({ organization }: { organization: Organization }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () =>
      call(
        api.DELETE('/api/user/organizations/{organizationId}', {
          params: { path: { organizationId: organization.id } },
        }),
      ),
    onSuccess: () => forgetOrganization(queryClient, navigate, organization.id),
  });
  return (
    <section className="section" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete organization</h2>
      <p>
        Deleting <strong>{organization.name}</strong> deletes everything it holds (projects, members, invitations) for
        everyone. It cannot be undone.
        {organization.isDefault ? ' This is the organization made for you at sign-up.' : ''}
      </p>
      <FormError error={remove.error} />
      <div className="actions">
        <ConfirmButton
          label="Delete organization"
          accessibleLabel={`Delete organization ${organization.name}`}
          title={`Delete ${organization.name}?`}
          confirmLabel="Delete organization"
          pending={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          <p>Its projects, members and invitations go with it, for everyone. This cannot be undone.</p>
        </ConfirmButton>
      </div>
    </section>
  );
}
