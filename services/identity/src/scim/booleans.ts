import { ScimError } from './protocol.js';

/** SCIM booleans as clients send them: true/false, or Entra ID's "True"/"False" strings; nothing else. */
export function scimBoolean(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw new ScimError(400, `${field}: must be a boolean`, 'invalidValue');
}
