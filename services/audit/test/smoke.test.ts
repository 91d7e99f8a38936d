import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditHarness, startAudit } from './harness.js';

describe('audit service', () => {
  let audit: AuditHarness;
  beforeAll(async () => {
    audit = await startAudit();
  });
  afterAll(() => audit.close());

  it('starts, migrates and answers its probes', async () => {
    const ready = await audit.service.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });
});
