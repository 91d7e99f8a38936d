import { readFileSync } from 'node:fs';
import { AUDIT_ACTIONS, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';

/** The catalogues customers read are the catalogues the code records: every action is documented. */
const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('documented catalogues', () => {
  it('lists every audit action in docs/audit-logs.md, in the log it goes to', () => {
    const text = doc('audit-logs.md');
    const [organizationPart, accountPart] = text.split('Account logs');
    for (const [action, spec] of Object.entries(AUDIT_ACTIONS)) {
      const part = spec.log === 'organization' ? organizationPart : accountPart;
      expect(part, action).toContain(`| \`${action}\``);
    }
  });

  it('lists every webhook event type in docs/webhooks.md', () => {
    const catalogue = doc('webhooks.md').split('## Event catalogue')[1] ?? '';
    for (const type of [...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT]) expect(catalogue, type).toContain(`| \`${type}\``);
  });
});
