import { randomBytes } from 'node:crypto';
import type { Keyring } from '@gatehouse/service-kit';
import type { WebhookRow } from './entities.js';

/** After a rotation, deliveries are signed with the old secret too for this long. */
export const PREVIOUS_SECRET_OVERLAP_MS = 24 * 3600 * 1000;

/** A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes (256 bits). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What the API shows to tell secrets apart (never enough to sign with). */
export function secretStartOf(secret: string): string {
  return secret.slice(0, 12);
}

/** Sealed bound to its endpoint, so a sealed secret copied onto another row does not open. */
const aadOf = (webhookId: string) => `webhook:${webhookId}`;

export function sealSecret(keys: Keyring, webhookId: string, secret: string): string {
  return keys.seal(secret, aadOf(webhookId));
}

/** The secrets a delivery is signed with now: the current one, and the previous one during its overlap. */
export function signingSecretsOf(keys: Keyring, webhook: WebhookRow, now = new Date()): string[] {
  const secrets = [keys.open(webhook.secretSealed, aadOf(webhook.id))];
  if (webhook.previousSecretSealed && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now) {
    secrets.push(keys.open(webhook.previousSecretSealed, aadOf(webhook.id)));
  }
  return secrets;
}
