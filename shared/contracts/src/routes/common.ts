import { Type } from 'typebox';
import { ULID_PATTERN } from '../ids.js';

/** Schemas several services' contracts share. */

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$';

export const Ulid = Type.String({ pattern: ULID_PATTERN });
/** What toISOString writes: the form every timestamp of the API travels in. */
export const Timestamp = Type.String({ format: 'date-time' });
export const Slug = Type.String({ pattern: SLUG_PATTERN, maxLength: 63 });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const OrganizationParams = Type.Object({ organizationId: Ulid }, { additionalProperties: false });

/** Answers whose `data` is null (a deletion, a sign-out). */
export const NoData = Type.Null();
