import type { components } from '@gatehouse/sdk';
import {
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';

/**
 * The browser's WebAuthn calls, with what identity answers as options and what it takes back as a
 * credential. The options are identity's own (`@simplewebauthn/server`), passed through untouched.
 */
export type CredentialJson = components['schemas']['WebAuthnCredentialJson'];
type OptionsJson = Record<string, unknown>;

export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** `PublicKeyCredential.toJSON()`'s shape is the contract's `WebAuthnCredentialJson`; TS only lacks the index signature. */
function asCredential(json: object): CredentialJson {
  return json as unknown as CredentialJson;
}

/** An assertion for sign-in or a challenge (the library aborts any earlier ceremony of the page). */
export async function assertPasskey(options: OptionsJson): Promise<CredentialJson> {
  return asCredential(
    await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON }),
  );
}

/** A new passkey created by the browser (or a security key) for these registration options. */
export async function createPasskey(options: OptionsJson): Promise<CredentialJson> {
  return asCredential(
    await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON }),
  );
}

/**
 * What to say when the browser, not the API, failed: the person closed the prompt or it timed out
 * (NotAllowedError), the authenticator already holds a passkey of this account (InvalidStateError).
 * Null for an API error (messageOf says those).
 */
export function browserPasskeyMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  // WebAuthnError keeps the DOMException's name in `cause`; a plain DOMException has it itself.
  const cause = (error as { cause?: unknown }).cause;
  const name = cause instanceof Error ? cause.name : error.name;
  if (name === 'NotAllowedError' || name === 'AbortError')
    return 'The passkey prompt was closed or timed out. Try again when you are ready.';
  if (name === 'InvalidStateError') return 'This authenticator already holds a passkey for your account.';
  if (error.name === 'WebAuthnError' || error instanceof DOMException)
    return 'Your browser could not use a passkey here.';
  return null;
}
