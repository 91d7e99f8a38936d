import { unwrap } from '@gatehouse/sdk';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { isStatus } from '../../api/errors';
import { Notice } from '../../components/feedback';
import { Field, FormError, SelectField, SubmitButton, TextAreaField } from '../../components/forms';
import type { ProjectVersion } from './project-api';
import {
  isProjectStatus,
  type Project,
  type ProjectStatus,
  projectFieldErrors,
  SLUG_HINT,
  STATUS_LABELS,
  STATUS_OPTIONS,
} from './project-parts';

/** The form's values: what the inputs hold, as typed. */
interface Draft {
  name: string;
  slug: string;
  description: string;
  status: ProjectStatus;
}
type DraftField = keyof Draft;

/** What a person had changed when a save was refused as stale (412): kept so nothing typed is lost. */
export type ConflictedChanges = Partial<Draft>;

const FIELD_LABELS: Record<DraftField, string> = {
  name: 'Name',
  slug: 'Slug',
  description: 'Description',
  status: 'Status',
};
const FIELDS = Object.keys(FIELD_LABELS) as DraftField[];

function draftOf(project: Project): Draft {
  return {
    name: project.name,
    slug: project.slug,
    description: project.description ?? '',
    status: project.status,
  };
}

/** The fields the person changed from the version the form was loaded with (spaces around name and slug do not count). */
function changesOf(draft: Draft, project: Project): ConflictedChanges {
  const saved = draftOf(project);
  const changes: ConflictedChanges = {};
  if (draft.name.trim() !== saved.name) changes.name = draft.name;
  if (draft.slug.trim() !== saved.slug) changes.slug = draft.slug;
  if (draft.description !== saved.description) changes.description = draft.description;
  if (draft.status !== saved.status) changes.status = draft.status;
  return changes;
}

/** Only what changed is sent: a PUT names the fields it sets. An emptied description is null. */
function bodyOf(changes: ConflictedChanges) {
  return {
    ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
    ...(changes.slug !== undefined ? { slug: changes.slug.trim() } : {}),
    ...(changes.description !== undefined
      ? { description: changes.description === '' ? null : changes.description }
      : {}),
    ...(changes.status !== undefined ? { status: changes.status } : {}),
  };
}

function shown(field: DraftField, value: string): string {
  if (field === 'status' && isProjectStatus(value)) return STATUS_LABELS[value];
  return value === '' ? '(empty)' : `“${value}”`;
}

interface ProjectEditorProps {
  organizationId: string;
  /** The version the form edits; its ETag goes with the save as If-Match. */
  project: Project;
  etag: string | null;
  /** Set after a refused save: the person's changes, the form now holding the latest version. */
  conflict: ConflictedChanges | null;
  onSaved: (saved: ProjectVersion) => Promise<unknown>;
  onStale: (changes: ConflictedChanges) => Promise<unknown>;
  onConflictSettled: () => void;
}

/**
 * The edit form. A save names the version it was made on (If-Match); when someone else saved in
 * between, the API refuses it (412) and nothing is overwritten. Then the form shows the latest
 * version — what is really saved now — and the refused changes are listed beside it, with one
 * button to put them back over the latest version and save again. Choosing that order means the
 * form never silently mixes the two: every value in it is either saved or visibly the person's.
 */
export function ProjectEditor({
  organizationId,
  project,
  etag,
  conflict,
  onSaved,
  onStale,
  onConflictSettled,
}: ProjectEditorProps) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(project));
  const [reapplied, setReapplied] = useState(false);
  const [nothingToSave, setNothingToSave] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const changes = changesOf(draft, project);

  const save = useMutation({
    mutationFn: async (body: ReturnType<typeof bodyOf>) => {
      const result = await api.PUT('/api/user/organizations/{organizationId}/projects/{projectId}', {
        params: {
          path: { organizationId, projectId: project.id },
          // The contract guarantees an ETag; without one the save would be last-write-wins.
          ...(etag ? { header: { 'if-match': etag } } : {}),
        },
        body,
      });
      return { project: unwrap(result), etag: result.response.headers.get('etag') };
    },
    onSuccess: (saved) => onSaved(saved),
    onError: (error) => (isStatus(error, 412) ? onStale(changes) : undefined),
  });
  const stale = isStatus(save.error, 412);
  const errors = stale ? {} : projectFieldErrors(save.error);
  const hasFieldErrors = Object.keys(errors).length > 0;

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new refusal moves focus again, even with the same fields
  useEffect(() => {
    if (hasFieldErrors) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [hasFieldErrors, save.error]);

  const set = (field: DraftField) => (event: { target: { value: string } }) => {
    setNothingToSave(false);
    setDraft((current) => ({ ...current, [field]: event.target.value }));
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (Object.keys(changes).length === 0) {
      setNothingToSave(true);
      return;
    }
    save.mutate(bodyOf(changes));
  };

  const putBack = () => {
    if (!conflict) return;
    setDraft((current) => ({ ...current, ...conflict }));
    setReapplied(true);
    onConflictSettled();
  };

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={`Edit ${project.name}`}>
      {conflict ? (
        <ConflictNotice conflict={conflict} latest={project} onPutBack={putBack} onDismiss={onConflictSettled} />
      ) : null}
      {reapplied ? (
        <Notice kind="info">Your changes are back in the form, over the latest version. Save to apply them.</Notice>
      ) : null}
      {nothingToSave ? <Notice kind="info">Nothing to save: the form matches the saved version.</Notice> : null}
      {hasFieldErrors || stale ? null : <FormError error={save.error} />}
      <div className="form-row projects-form-row">
        <Field
          name="name"
          label="Name"
          autoComplete="off"
          maxLength={100}
          required
          value={draft.name}
          onChange={set('name')}
          error={errors.name}
        />
        <Field
          name="slug"
          label="Slug"
          autoComplete="off"
          maxLength={63}
          hint={SLUG_HINT}
          value={draft.slug}
          onChange={set('slug')}
          error={errors.slug}
        />
      </div>
      <TextAreaField
        name="description"
        label="Description"
        maxLength={2000}
        value={draft.description}
        onChange={set('description')}
        error={errors.description}
      />
      <SelectField
        name="status"
        label="Status"
        options={STATUS_OPTIONS}
        value={draft.status}
        onChange={set('status')}
        error={errors.status}
      />
      <div className="actions">
        <SubmitButton pending={save.isPending}>Save changes</SubmitButton>
        <button
          type="button"
          className="button"
          disabled={Object.keys(changes).length === 0}
          onClick={() => {
            setDraft(draftOf(project));
            setReapplied(false);
          }}
        >
          Discard changes
        </button>
      </div>
    </form>
  );
}

function ConflictNotice({
  conflict,
  latest,
  onPutBack,
  onDismiss,
}: {
  conflict: ConflictedChanges;
  latest: Project;
  onPutBack: () => void;
  onDismiss: () => void;
}) {
  const saved = draftOf(latest);
  const fields = FIELDS.filter((field) => conflict[field] !== undefined);
  return (
    <div className="notice notice-error project-conflict" role="alert">
      <p>
        <strong>This project was changed by someone else</strong> while you were editing, so your changes were not
        saved. The form now shows the latest version.
      </p>
      <p>Your unsaved changes:</p>
      <dl className="details project-conflict-changes" data-testid="unsaved-changes">
        {fields.map((field) => (
          <div key={field} className="project-conflict-change">
            <dt>{FIELD_LABELS[field]}</dt>
            <dd>
              yours {shown(field, conflict[field] ?? '')}, saved now {shown(field, saved[field])}
            </dd>
          </div>
        ))}
      </dl>
      <div className="actions">
        <button type="button" className="button button-primary" onClick={onPutBack}>
          Put my changes back in the form
        </button>
        <button type="button" className="button" onClick={onDismiss}>
          Keep the latest version
        </button>
      </div>
    </div>
  );
}
