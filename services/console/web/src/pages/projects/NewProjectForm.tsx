import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import { Notice } from '../../components/feedback';
import { Field, FormError, formValues, SelectField, SubmitButton, TextAreaField } from '../../components/forms';
import { projectListsKey } from './project-api';
import { isProjectStatus, type ProjectStatus, projectFieldErrors, SLUG_HINT, STATUS_OPTIONS } from './project-parts';

interface NewProject {
  name: string;
  slug?: string;
  description?: string;
  status: ProjectStatus;
}

/** POST …/projects; empty optional fields are left out so the API applies its defaults (slug from the name). */
export function NewProjectForm({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const form = useRef<HTMLFormElement>(null);
  const create = useMutation({
    mutationFn: (body: NewProject) =>
      call(
        api.POST('/api/user/organizations/{organizationId}/projects', { params: { path: { organizationId } }, body }),
      ),
    onSuccess: () => {
      form.current?.reset();
      return queryClient.invalidateQueries({ queryKey: projectListsKey(organizationId) });
    },
  });
  const errors = projectFieldErrors(create.error);
  const hasFieldErrors = Object.keys(errors).length > 0;

  // Whoever submitted lands on the first field to fix, not on a message far above it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: each new refusal moves focus again, even with the same fields
  useEffect(() => {
    if (hasFieldErrors) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [hasFieldErrors, create.error]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const slug = values.slug?.trim();
    const description = values.description?.trim();
    create.mutate({
      name: (values.name ?? '').trim(),
      status: isProjectStatus(values.status ?? null) ? (values.status as ProjectStatus) : 'draft',
      ...(slug ? { slug } : {}),
      ...(description ? { description } : {}),
    });
  };

  return (
    <section className="section" aria-labelledby="new-project-heading">
      <h2 id="new-project-heading">New project</h2>
      {create.isSuccess ? (
        <Notice kind="success">
          <span>
            Created project “{create.data.name}”.{' '}
            <Link to={`/orgs/${organizationId}/projects/${create.data.id}`}>Open {create.data.name}</Link>
          </span>
        </Notice>
      ) : null}
      <form ref={form} onSubmit={submit} noValidate>
        {hasFieldErrors ? null : <FormError error={create.error} />}
        <div className="form-row projects-form-row">
          <Field name="name" label="Name" autoComplete="off" maxLength={100} required error={errors.name} />
          <Field name="slug" label="Slug" autoComplete="off" maxLength={63} hint={SLUG_HINT} error={errors.slug} />
        </div>
        <TextAreaField
          name="description"
          label="Description"
          maxLength={2000}
          hint="Optional, up to 2,000 characters."
          error={errors.description}
        />
        <SelectField name="status" label="Status" options={STATUS_OPTIONS} defaultValue="draft" error={errors.status} />
        <div className="actions">
          <SubmitButton pending={create.isPending}>Create project</SubmitButton>
        </div>
      </form>
    </section>
  );
}
