import type { CDPSession, Page } from 'playwright-core';

/**
 * Chromium's DevTools virtual authenticator (CTAP2, resident keys, user verification), attached to a
 * page through playwright-core's CDP session: the real browser WebAuthn stack, with no device.
 * The page must be on the stack's public origin, which has to be `localhost` (an IP address is not a
 * valid relying-party id): start the stack with `{ publicHost: 'localhost' }`.
 */
export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  credentials(): Promise<VirtualCredential[]>;
  /** Puts a credential on this authenticator (e.g. a copy of another's, with an older sign count). */
  addCredential(credential: VirtualCredential): Promise<void>;
  remove(): Promise<void>;
}

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export async function addVirtualAuthenticator(
  page: Page,
  options: { isUserVerified?: boolean; transport?: 'internal' | 'usb' } = {},
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: options.transport ?? 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials as VirtualCredential[];
    },
    async addCredential(credential) {
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}

/** `navigator.credentials.create` in the page with options as identity answers them; the credential's JSON. */
export function createCredential(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json as PublicKeyCredentialCreationOptionsJSON);
    const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
    return credential.toJSON() as unknown as Record<string, unknown>;
  }, options);
}

/** `navigator.credentials.get` in the page; the assertion's JSON. */
export function getAssertion(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json as PublicKeyCredentialRequestOptionsJSON);
    const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
    return credential.toJSON() as unknown as Record<string, unknown>;
  }, options);
}
