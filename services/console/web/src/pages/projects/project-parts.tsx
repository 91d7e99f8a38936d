import type { components } from '@gatehouse/sdk';
import { codeOf, fieldErrorsOf } from '../../api/errors';

export type Project = components['schemas']['Project'];
export type ProjectStatus = Project['status'];

export const STATUS_LABELS: Record<ProjectStatus, string> = { draft: 'Draft', active: 'Active', paused: 'Paused' };
export const STATUS_OPTIONS = (Object.keys(STATUS_LABELS) as ProjectStatus[]).map((value) => ({
  value,
  label: STATUS_LABELS[value],
}));

export function isProjectStatus(value: string | null): value is ProjectStatus {
  return value !== null && Object.hasOwn(STATUS_LABELS, value);
}

/** The status in words (never colour alone); the colour only repeats it. */
export function StatusBadge({ status }: { status: ProjectStatus }) {
  const tone = status === 'active' ? ' badge-success' : status === 'paused' ? ' badge-warning' : '';
  return <span className={`badge${tone}`}>{STATUS_LABELS[status]}</span>;
}

export const SLUG_HINT = 'Lowercase letters, digits and hyphens. Left empty, it is made from the name.';

/**
 * The API names the field and the broken rule ("has an invalid format"); a person needs the rule
 * itself, so the project fields' rules are spelled out (docs/projects.md). A taken slug is a 409,
 * not a 400, but it belongs next to the slug all the same.
 */
const FIELD_RULES: Record<string, string> = {
  name: 'Enter a name of 1 to 100 characters, not only spaces.',
  slug: 'Use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.',
  description: 'Keep the description to 2,000 characters.',
  status: 'Choose draft, active or paused.',
};

export function projectFieldErrors(error: unknown): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrorsOf(error))) errors[field] = FIELD_RULES[field] ?? message;
  if (codeOf(error) === 'CONFLICT') errors.slug = 'Another project of this organization has this slug. Choose another.';
  return errors;
}
