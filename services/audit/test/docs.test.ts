import { readFileSync } from 'node:fs';
import { AUDIT_ACTIONS, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '../src/config.js';

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

  it('shows the retry schedule the service uses by default', () => {
    const words: Record<string, string> = { s: 'second', m: 'minute', h: 'hour' };
    const documented = doc('webhooks.md')
      .split('\n')
      .map((line) => /^\|\s*(\d+)\s*\|\s*(\d+) (second|minute|hour)s?\s*\|/.exec(line))
      .filter((match) => match !== null)
      .map((match) => `${match[2]} ${match[3]}`);
    const configured = DEFAULT_WEBHOOK_RETRY_SCHEDULE.split(',').map((step) => {
      const [, amount, unit] = /^(\d+)(s|m|h)$/.exec(step) ?? [];
      return `${amount} ${words[unit ?? '']}`;
    });
    expect(documented).toEqual(configured);
  });
});
