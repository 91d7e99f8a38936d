import { GatehouseError } from '@gatehouse/sdk';

export interface FieldProblem {
  field?: string;
  error?: string;
}

/**
 * A 400's problems by field (`body.email` → `email`, `redirectUris/0` → `redirectUris`), for the
 * inputs that caused them. Only the top-level name is kept: each form's inputs are named as the body's fields.
 */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof GatehouseError)) return {};
  const problems = (error.meta?.errors ?? []) as FieldProblem[];
  const byField: Record<string, string> = {};
  for (const problem of problems) {
    const name = (problem.field ?? '').replace(/^(body|query|params)\.?/, '').split(/[./]/)[0];
    if (name && problem.error && !byField[name]) byField[name] = problem.error;
  }
  return byField;
}

/** What to tell a person about a failed call: the API's own message, or why it was not reached. */
export function messageOf(error: unknown): string {
  if (error instanceof GatehouseError) {
    if (error.status === 429) return 'Too many attempts. Wait a moment and try again.';
    if (error.status >= 500) return 'Gatehouse is not answering right now. Try again in a moment.';
    return error.message;
  }
  return 'The network failed. Check your connection and try again.';
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof GatehouseError && error.status === status;
}

export function codeOf(error: unknown): string | undefined {
  return error instanceof GatehouseError ? error.code : undefined;
}

/** The API's reason for a CONFLICT (LAST_OWNER, SLUG_TAKEN, HANDLE_TAKEN, DOMAIN_NOT_VERIFIED, …). */
export function reasonOf(error: unknown): string | undefined {
  if (!(error instanceof GatehouseError)) return undefined;
  const reason = error.meta?.reason;
  return typeof reason === 'string' ? reason : undefined;
}
