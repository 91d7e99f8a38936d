import { Webhook } from 'standardwebhooks';

export const WEBHOOK_USER_AGENT = 'Gatehouse-Webhooks/1.0';

/**
 * The Standard Webhooks headers of one attempt: `webhook-signature` carries one `v1,<base64>` per secret
 * (two during a rotation's overlap), space-separated, each over `id.timestamp.body`.
 */
export function webhookHeaders(
  messageId: string,
  secrets: readonly string[],
  body: string,
  now = new Date(),
): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, now, body));
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
