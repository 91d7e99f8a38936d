/** The fields whose value differs, before and after; null when none did. */
export function changedFields<T extends object, K extends keyof T & string>(
  before: T,
  after: T,
  fields: readonly K[],
): Record<string, { before: unknown; after: unknown }> | null {
  const changes = fields
    .filter((field) => before[field] !== after[field])
    .map((field) => [field, { before: before[field], after: after[field] }] as const);
  return changes.length === 0 ? null : Object.fromEntries(changes);
}
