import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new ULID: 26 characters of Crockford base32, sortable by creation time. */
export function newId(): string {
  return nextUlid();
}

export const API_KEY_ID_PREFIX = 'ak_';

export function newApiKeyId(): string {
  return `${API_KEY_ID_PREFIX}${nextUlid()}`;
}

export const ULID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{26}$';
const ULID_RE = new RegExp(ULID_PATTERN);

export function isUlid(value: string): boolean {
  return ULID_RE.test(value);
}
