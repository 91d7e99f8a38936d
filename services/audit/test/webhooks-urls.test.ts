import { type AuthenticatedPrincipal, newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedUrl } from '../src/endpoints/redact.js';
import { webhookUrlProblem } from '../src/endpoints/urls.js';
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
    ['https://2130706433/hooks', 'must be on a public address'],
    ['https://token@example.com/hooks', 'must not carry a username or password'],
    ['example.com/hooks', 'must be an absolute URL'],
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
    'https://vault.service.internal./',
    'https://[::ffff:127.0.0.1]/',
  ])('refuses %s', (url) => {
    expect(webhookUrlProblem(new URL(url), false)).not.toBeNull();
  });

  it.each(['https://93.184.215.14/hooks', 'https://[2606:4700::1111]/', 'https://hooks.example.com:8443/a?b=c'])(
    'accepts %s',
    (url) => {
      expect(webhookUrlProblem(new URL(url), false)).toBeNull();
    },
  );

  it('allows http and private addresses only when told to, never credentials', () => {
    expect(webhookUrlProblem(new URL('http://127.0.0.1:3000/hooks'), true)).toBeNull();
    expect(webhookUrlProblem(new URL('http://a:b@127.0.0.1:3000/hooks'), true)).toBe(
      'must not carry a username or password',
    );
    expect(webhookUrlProblem(new URL('https://example.com/#'), true)).toBe('must not have a fragment');
    expect(webhookUrlProblem(new URL('https://api.localhost/hooks'), true)).toBeNull();
    expect(webhookUrlProblem(new URL('ftp://127.0.0.1/hooks'), true)).toBe('must be an http or https URL');
  });
});

describe('recordedUrl', () => {
  it.each([
    [
      'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx',
      'https://hooks.slack.com/services/…',
    ],
    [
      'https://discord.com/api/webhooks/123456789012345678/AbCdEf-ghIJkl_mnopQRSTuvwxyz0123456789',
      'https://discord.com/api/…',
    ],
    ['https://hooks.zapier.com/hooks/catch/1234567/3abc9x/', 'https://hooks.zapier.com/hooks/…'],
    ['https://api.telegram.org/bot123456789:AAEabcdef/sendMessage', 'https://api.telegram.org/…/…'],
    ['https://example.com/hooks/SuperSecretKey', 'https://example.com/hooks/…'],
    ['https://example.com/hook;key=s3cr3t', 'https://example.com/…?…'],
    ['https://eo2k3j4h5.m.pipedream.net/', 'https://….m.pipedream.net/'],
    ['https://example.com/in?token=s3cr3t&channel=ops&flag', 'https://example.com/in?…'],
    ['https://example.com:8443/api/v2/hooks/incoming', 'https://example.com:8443/api/…'],
    ['https://203.0.113.9:8443/in', 'https://203.0.113.9:8443/in'],
    ['https://example.com', 'https://example.com/'],
  ])('records %s as %s', (url, recorded) => {
    expect(recordedUrl(url)).toBe(recorded);
  });
});
