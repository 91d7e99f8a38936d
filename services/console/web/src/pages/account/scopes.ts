import { SCOPE_DESCRIPTIONS, TOKEN_SCOPES as SCOPE_NAMES } from '@gatehouse/contracts/scopes';
import type { components } from '@gatehouse/sdk';

/** A scope a Personal Access Token can carry, as the SDK (generated from the API contract) types it. */
export type TokenScope = components['schemas']['ApiKey']['scopes'][number];

/**
 * The scopes the create form offers, with what each allows: the very catalogue the API checks
 * against (shared/contracts, which holds no server code), so the form never offers less or more.
 */
export const TOKEN_SCOPES: ReadonlyArray<{ name: TokenScope; description: string }> = SCOPE_NAMES.map((name) => ({
  name,
  description: SCOPE_DESCRIPTIONS[name],
}));
