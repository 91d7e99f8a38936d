import { type DirectoryPrincipal, newId, SCIM_SCHEMAS } from '@gatehouse/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oddString, oddValue } from '../../../test/support/fuzz-inputs.js';
import { type IdentityHarness, startIdentity } from './harness.js';
import { scimSuite } from './scim-support.js';

/** Whatever a directory sends to /scim/v2/Users, the answer is a SCIM document and never a 500. */
let h: IdentityHarness;
let principal: DirectoryPrincipal;
let userId: string;
const DOMAIN = 'fuzz-corp.example';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const { scim, insertDirectory, insertDomain } = scimSuite(
  () => h,
  () => principal,
);

const send = (method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown) => scim(method, url, body);

/** The statuses seen, so a run that never got past validation does not pass for a fuzz test. */
const seen = new Set<number>();

function expectScimAnswer(res: { statusCode: number; body: string }, input: unknown) {
  seen.add(res.statusCode);
  expect(res.statusCode, `${JSON.stringify(input)} → ${res.body}`).toBeLessThan(500);
  if (res.statusCode >= 400) expect(JSON.parse(res.body).schemas).toEqual([SCIM_SCHEMAS.error]);
}

const paths = fc.oneof(
  fc.constantFrom(
    'userName',
    'active',
    'displayName',
    'name',
    'name.givenName',
    'emails',
    'emails[type eq "work"].value',
    'emails[value eq "nobody"]',
    'emails[primary eq true]',
    'externalId',
    'id',
    'meta',
    'groups',
    'password',
    `${SCIM_SCHEMAS.enterpriseUser}:manager`,
    `${SCIM_SCHEMAS.enterpriseUser}:department`,
    'urn:unknown:schema:attr',
    'members[value eq "x"]',
    'emails[',
    '',
  ),
  oddString,
);

const operation = fc.record(
  {
    op: fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'REMOVE'),
    path: paths,
    value: fc.oneof(
      oddValue,
      fc.constant({ active: 'False' }),
      fc.constant({ 'name.givenName': 'X', emails: [{ value: `x@${DOMAIN}` }] }),
      fc.constant([{ value: `new@${DOMAIN}`, type: 'work', primary: 'True' }]),
    ),
  },
  { requiredKeys: ['op'] },
);

beforeAll(async () => {
  h = await startIdentity();
  const organizationId = newId();
  const directoryId = await insertDirectory(organizationId, { name: 'Entra' });
  await insertDomain(organizationId, DOMAIN);
  principal = { kind: 'scim', credentialId: newId(), directoryId, organizationId };
  const created = await send('POST', '/scim/v2/Users', { userName: `target@${DOMAIN}` });
  expect(created.statusCode, created.body).toBe(201);
  userId = created.json().id;
});
afterAll(async () => {
  await h?.close();
});

describe('SCIM Users: odd input', () => {
  it('PATCH with any operations', async () => {
    seen.clear();
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 4 }), async (Operations) => {
        const body = { schemas: [PATCH_OP], Operations };
        expectScimAnswer(await send('PATCH', `/scim/v2/Users/${userId}`, body), body);
      }),
      { numRuns: 150 },
    );
    expect([...seen]).toEqual(expect.arrayContaining([200, 400]));
  });

  it('POST and PUT with any attributes', async () => {
    const user = fc.record(
      {
        userName: fc.oneof(oddString, fc.constant(`p@${DOMAIN}`)),
        externalId: oddValue,
        active: oddValue,
        displayName: oddValue,
        name: oddValue,
        emails: fc.oneof(oddValue, fc.constant([{ value: `q@${DOMAIN}`, primary: 'yes' }])),
        [SCIM_SCHEMAS.enterpriseUser]: oddValue,
        password: oddValue,
      },
      { requiredKeys: [] },
    );
    seen.clear();
    await fc.assert(
      fc.asyncProperty(user, async (body) => {
        expectScimAnswer(await send('POST', '/scim/v2/Users', body), body);
        expectScimAnswer(await send('PUT', `/scim/v2/Users/${userId}`, body), body);
      }),
      { numRuns: 150 },
    );
    expect([...seen]).toEqual(expect.arrayContaining([400]));
  });
});
