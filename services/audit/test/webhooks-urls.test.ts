import { type AuthenticatedPrincipal, newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookUrlProblem } from '../src/webhooks/url.js';
import { type AuditHarness, startAudit } from './harness.js';
import { caller, memberOf } from './webhooks-support.js';

describe('endpoint URLs where private addresses are not allowed', () => {
  let audit: AuditHarness;
  let call: ReturnType<typeof caller>;
  let owner: AuthenticatedPrincipal;
  let hooks: string;
  beforeAll(async () => {
    audit = await startAudit({ WEBHOOK_ALLOW_PRIVATE_URLS: false });
    call = caller(audit);
    const organizationId = newId();
    owner = await memberOf(audit, organizationId, 'owner');
    hooks = `/api/user/organizations/${organizationId}/webhooks`;
  });
  afterAll(() => audit.close());

  it.each([
    ['http://example.com/hooks', 'must be an https URL'],
    ['https://user:pass@example.com/hooks', 'must not carry a username or password'],
    ['https://example.com/hooks#part', 'must not have a fragment'],
    ['https://10.0.0.1/hooks', 'must be on a public address'],
    ['https://[::1]/hooks', 'must be on a public address'],
    ['https://localhost/hooks', 'must be on a public host'],
    ['https://billing.internal/hooks', 'must be on a public host'],
  ])('refuses %s', async (url, error) => {
    const res = await call(owner, 'POST', hooks, { url, events: ['member.*'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_ERROR');
    expect(res.json().meta.errors).toEqual([{ field: 'url', error, location: 'body' }]);
  });

  it('accepts an https URL on a public host, and checks a changed URL the same way', async () => {
    // No subscription matches what this test does, so nothing is sent to the outside world.
    const res = await call(owner, 'POST', hooks, {
      url: 'https://hooks.example.com/in',
      events: ['sso_domain.verified'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().data.webhook.id;
    const changed = await call(owner, 'PUT', `${hooks}/${id}`, { url: 'https://169.254.169.254/latest' });
    expect(changed.statusCode).toBe(400);
    expect(changed.json().meta.errors[0].field).toBe('url');
  });
});

describe('webhookUrlProblem', () => {
  it.each([
    'https://127.0.0.1/',
    'https://0x7f.1/',
    'https://[::ffff:10.1.2.3]/',
    'https://[fe80::1]/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://localhost./',
    'https://api.localhost/',
    'https://printer.local/',
  ])('refuses %s', (url) => {
    expect(webhookUrlProblem(url, false)).not.toBeNull();
  });

  it.each(['https://93.184.215.14/hooks', 'https://[2606:4700::1111]/', 'https://hooks.example.com:8443/a?b=c'])(
    'accepts %s',
    (url) => {
      expect(webhookUrlProblem(url, false)).toBeNull();
    },
  );

  it('allows http and private addresses only when told to, never credentials', () => {
    expect(webhookUrlProblem('http://127.0.0.1:3000/hooks', true)).toBeNull();
    expect(webhookUrlProblem('http://a:b@127.0.0.1:3000/hooks', true)).toBe('must not carry a username or password');
    expect(webhookUrlProblem('https://example.com/#', true)).toBe('must not have a fragment');
  });
});
