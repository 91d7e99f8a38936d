import type { ScimGroupInput } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { ScimError } from '../scim/protocol.js';

export type ScimGroupBody = Static<typeof ScimGroupInput>;

/** What a Group is kept as: the columns names and uniqueness use, and every other attribute as sent. */
export interface GroupAttributes {
  displayName: string;
  externalId: string | null;
  resource: Record<string, unknown>;
}

/** Answered by us (id, meta, schemas), kept in columns or tables (displayName, externalId, members). */
const NOT_KEPT = new Set(['id', 'meta', 'schemas', 'displayName', 'externalId', 'members']);

const MAX_DISPLAY_NAME = 256;
const MAX_EXTERNAL_ID = 255;

/** A body's (POST, PUT) or a patched resource's attributes, checked as the contract checks a body. */
export function readGroupAttributes(body: Record<string, unknown>): GroupAttributes {
  const resource: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!NOT_KEPT.has(key) && value !== undefined) resource[key] = value;
  }
  return { displayName: displayNameOf(body.displayName), externalId: externalIdOf(body.externalId), resource };
}

/** The group as the patch engine sees it: attributes only (members are planned apart, in SQL). */
export function patchableGroup(group: GroupAttributes): Record<string, unknown> {
  return {
    ...group.resource,
    displayName: group.displayName,
    ...(group.externalId !== null && { externalId: group.externalId }),
  };
}

/** The member ids a POST or PUT names, once each. */
export function memberIdsOf(body: ScimGroupBody): Set<string> {
  return new Set((body.members ?? []).map((member) => member.value));
}

function displayNameOf(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > MAX_DISPLAY_NAME) {
    throw new ScimError(400, `displayName must be 1 to ${MAX_DISPLAY_NAME} characters`, 'invalidValue');
  }
  return name;
}

function externalIdOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_EXTERNAL_ID) {
    throw new ScimError(400, `externalId must be a string of at most ${MAX_EXTERNAL_ID} characters`, 'invalidValue');
  }
  return value;
}

/** Whether a rename changes what the role mapping sees (names compare case-insensitively). */
export function renamedForRoles(before: string, after: string): boolean {
  return before.toLowerCase() !== after.toLowerCase();
}
