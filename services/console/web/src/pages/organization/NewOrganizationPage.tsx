import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { fieldErrorsOf, messageOf, reasonOf } from '../../api/errors';
import { ORGANIZATIONS_KEY } from '../../api/organizations';
import { Field, FormError, formValues, SubmitButton } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';

/** A new organization (POST /api/user/organizations): I become its owner and land on its projects. */
export function NewOrganizationPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (body: { name: string; slug?: string }) => call(api.POST('/api/user/organizations', { body })),
    onSuccess: async (organization) => {
      // The switcher must list it before its screens ask for it.
      await queryClient.invalidateQueries({ queryKey: ORGANIZATIONS_KEY });
      navigate(`/orgs/${organization.id}/projects`);
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { name = '', slug = '' } = formValues(event.currentTarget);
    // Without a slug the API makes one from the name.
    create.mutate(slug.trim() ? { name, slug: slug.trim() } : { name });
  };

  const errors = fieldErrorsOf(create.error);
  const slugTaken = reasonOf(create.error) === 'SLUG_TAKEN';
  return (
    <>
      <PageHeader
        title="New organization"
        description="An organization holds projects and the people who work on them. You will be its owner."
      />
      <section className="section">
        <form onSubmit={submit} noValidate>
          {slugTaken ? null : <FormError error={create.error} />}
          <Field name="name" label="Name" required maxLength={100} autoComplete="organization" error={errors.name} />
          <Field
            name="slug"
            label="Slug (optional)"
            maxLength={63}
            autoComplete="off"
            spellCheck={false}
            hint="Lowercase letters, digits and hyphens. Left empty, one is made from the name."
            error={errors.slug ?? (slugTaken ? messageOf(create.error) : undefined)}
          />
          <div className="actions">
            <SubmitButton pending={create.isPending}>Create organization</SubmitButton>
          </div>
        </form>
      </section>
    </>
  );
}
