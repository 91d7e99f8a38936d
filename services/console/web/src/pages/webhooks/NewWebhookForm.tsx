import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, call } from '../../api/client';
import { fieldErrorsOf } from '../../api/errors';
import { Field, FormError, SubmitButton, TextAreaField } from '../../components/forms';
import { EventChoices } from './EventChoices';
import { HOOKS, type Webhook, webhooksKey } from './webhooks-api';

interface CreateBody {
  url: string;
  events: string[];
  description?: string;
}

/** Adds an endpoint; its signing secret goes to `onCreated`, the only time the API answers it. */
export function NewWebhookForm({
  organizationId,
  onCreated,
}: {
  organizationId: string;
  onCreated: (created: { webhook: Webhook; secret: string }) => void;
}) {
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (body: CreateBody) => call(api.POST(HOOKS, { params: { path: { organizationId } }, body })),
    // The answer holds the secret: no cache may keep it after this screen is left.
    gcTime: 0,
    onSuccess: async (created) => {
      onCreated(created);
      await queryClient.invalidateQueries({ queryKey: webhooksKey(organizationId) });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const description = String(data.get('description') ?? '').trim();
    create.mutate(
      {
        url: String(data.get('url') ?? '').trim(),
        events: data.getAll('events').map(String),
        ...(description ? { description } : {}),
      },
      { onSuccess: () => form.reset() },
    );
  };
  const errors = fieldErrorsOf(create.error);
  const shownInFields = Boolean(errors.url || errors.events || errors.description);
  return (
    <section className="section" aria-labelledby="webhook-new-heading">
      <h2 id="webhook-new-heading">Add an endpoint</h2>
      <form onSubmit={submit} noValidate>
        {shownInFields ? null : <FormError error={create.error} />}
        <Field
          name="url"
          label="URL"
          type="url"
          inputMode="url"
          placeholder="https://hooks.example.com/gatehouse"
          autoComplete="off"
          spellCheck={false}
          required
          maxLength={2048}
          error={errors.url}
          hint="An https address on the public internet. Gatehouse POSTs each record to it, signed."
        />
        <TextAreaField
          name="description"
          label="Description (optional)"
          maxLength={500}
          rows={2}
          className="webhook-description"
          error={errors.description}
        />
        <EventChoices error={errors.events} />
        <div>
          <SubmitButton pending={create.isPending}>Add endpoint</SubmitButton>
        </div>
      </form>
    </section>
  );
}
