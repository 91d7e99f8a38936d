/**
 * A timestamp column of a raw query: MikroORM's PostgreSQL driver hands them over as text
 * (`2026-12-03 07:45:11.123456+00`), whatever the row type says.
 */
export function timestampOf(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}
