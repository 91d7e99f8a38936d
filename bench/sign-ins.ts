/**
 * Sign-ins per second, side by side: password, SAML (discover → IdP → ACS) and OIDC (discover →
 * IdP → callback), each by the same number of concurrent people looping for the same time. An
 * SSO sign-in is a browser's whole round trip, so autocannon (one fixed request) cannot drive it:
 * each worker runs the flow itself, with its own cookies. The IdPs are the test suites' real ones
 * (saml-idp's engine, oauth2-mock-server), in this process, on the same machine; the time each
 * step took is printed so the gateway's share can be told from the IdP's.
 */
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { newId } from '@gatehouse/contracts';
import pg from 'pg';
import { sealSecret } from '../services/identity/src/sso/secrets.js';
import { OidcTestIdp } from '../test/support/oidc-test-idp.js';
import { idpUser, SamlTestIdp } from '../test/support/saml-idp.js';

export interface FlowResult {
  name: string;
  perSecond: number;
  mean: number;
  p50: number;
  p99: number;
  failures: number;
  /** Sign-ins completed: what CPU time is divided by. */
  completed: number;
  /** CPU µs per sign-in of each process measured (bench/process-cpu.ts; none found, or no /proc: empty). */
  cpuUsPerSignIn?: Record<string, number>;
  /** Mean ms of each step of the flow. */
  steps: Record<string, number>;
}

/** One sign-in; records each step's ms in `steps`; throws when it did not end signed in. */
type Flow = (person: number, steps: Record<string, number>) => Promise<void>;

function percentile(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) : 0;
}

async function timed<T>(steps: Record<string, number>, name: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await step();
  } finally {
    steps[name] = (steps[name] ?? 0) + performance.now() - started;
  }
}

/** `concurrency` people each signing in again and again for `seconds`. */
export async function measureFlow(name: string, flow: Flow, concurrency: number, seconds: number): Promise<FlowResult> {
  const durations: number[] = [];
  const stepTotals: Record<string, number> = {};
  let failures = 0;
  let firstFailure: unknown;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (person: number) => {
    while (performance.now() < deadline) {
      const steps: Record<string, number> = {};
      const started = performance.now();
      try {
        await flow(person, steps);
        durations.push(performance.now() - started);
        for (const [step, ms] of Object.entries(steps)) stepTotals[step] = (stepTotals[step] ?? 0) + ms;
      } catch (error) {
        failures += 1;
        firstFailure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, person) => worker(person)));
  if (firstFailure) console.error(`${name}: ${failures} failed sign-ins; the first:`, firstFailure);
  durations.sort((a, b) => a - b);
  const count = durations.length;
  const steps = Object.fromEntries(Object.entries(stepTotals).map(([step, total]) => [step, total / (count || 1)]));
  return {
    name,
    perSecond: count / seconds,
    mean: durations.reduce((sum, ms) => sum + ms, 0) / (count || 1),
    p50: percentile(durations, 0.5),
    p99: percentile(durations, 0.99),
    failures,
    completed: count,
    steps,
  };
}

/** Each measured process's CPU µs per sign-in, or "n/a" (not measured, or no /proc). */
function cpuColumn(result: FlowResult): string {
  const measured = Object.entries(result.cpuUsPerSignIn ?? {});
  return measured.length ? measured.map(([name, us]) => `${name} ${us}`).join(', ') : 'n/a';
}

/** The table, and each SSO flow's rate against the password sign-in's (the first result). */
export function printSignIns(results: FlowResult[], how: string): void {
  console.log(`\nsign-ins — ${how}`);
  console.log(
    `${'flow'.padEnd(44)} ${'per s'.padEnd(9)} ${'mean ms'.padEnd(9)} ${'p50 ms'.padEnd(8)} ${'p99 ms'.padEnd(8)} failed  ${'cpu µs/sign-in'.padEnd(32)} mean ms per step`,
  );
  for (const r of results) {
    const steps = Object.entries(r.steps)
      .map(([step, ms]) => `${step} ${ms.toFixed(1)}`)
      .join(', ');
    const columns = [
      r.perSecond.toFixed(1).padEnd(9),
      r.mean.toFixed(1).padEnd(9),
      r.p50.toFixed(1).padEnd(8),
      r.p99.toFixed(1).padEnd(8),
    ];
    console.log(
      `${r.name.padEnd(44)} ${columns.join(' ')} ${String(r.failures).padEnd(7)} ${cpuColumn(r).padEnd(32)} ${steps}`,
    );
  }
  const [password, ...ssoResults] = results as [FlowResult, ...FlowResult[]];
  for (const r of ssoResults)
    console.log(`  ${r.name} / password: ${(r.perSecond / password.perSecond).toFixed(2)}x the sign-ins per second`);
}

/** The `name=value` of a Set-Cookie, or throws: each step must hand the browser its cookie. */
function cookieFrom(response: Response, name: string): string {
  const found = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie (status ${response.status})`);
  return found.split(';')[0] as string;
}

function expectStatus(response: Response, status: number, step: string): void {
  if (response.status !== status) throw new Error(`${step}: ${response.status}, expected ${status}`);
}

export interface SsoBench {
  flows: Array<{ name: string; flow: Flow }>;
  close(): Promise<void>;
}

interface Setup {
  gateway: string;
  identityDatabaseUrl: string;
  organizationId: string;
  ssoSecretKey: string;
}

/** The IdPs, and an organization's two verified domains, one with a SAML and one with an OIDC connection, written straight to identity's database. */
export async function ssoBench(setup: Setup): Promise<SsoBench> {
  // Only its signing engine is used (no HTTP server), so it never checks our AuthnRequest's signature.
  const saml = new SamlTestIdp(() => '');
  const oidc = new OidcTestIdp();
  await oidc.start();
  const domain = `bench-${randomBytes(4).toString('hex')}.example.test`;
  const db = new pg.Client({ connectionString: setup.identityDatabaseUrl });
  await db.connect();
  let samlId: string;
  try {
    const notAfter = new Date(Date.now() + 29 * 86_400_000).toISOString();
    samlId = await insertConnection(db, setup.organizationId, `saml.${domain}`, {
      type: 'saml',
      saml_idp_entity_id: saml.entityId,
      saml_idp_sso_url: 'https://idp.bench.example.test/saml/sso',
      saml_idp_certificates: JSON.stringify([{ pem: saml.keys.cert, notAfter }]),
    });
    await insertConnection(db, setup.organizationId, `oidc.${domain}`, {
      type: 'oidc',
      oidc_issuer: oidc.issuer,
      oidc_client_id: 'bench',
      oidc_client_secret: sealSecret(setup.ssoSecretKey, 'bench-client-secret'),
    });
  } finally {
    await db.end();
  }
  const samlBase = `${setup.gateway}/api/auth/sso/saml/${samlId}`;
  const discover = async (email: string, steps: Record<string, number>) => {
    const query = new URLSearchParams({ email, returnTo: '/' });
    const started = await timed(steps, 'discover', () =>
      fetch(`${setup.gateway}/api/auth/sso/discover?${query}`, { redirect: 'manual' }),
    );
    expectStatus(started, 302, 'discover');
    return {
      location: new URL(started.headers.get('location') ?? ''),
      state: cookieFrom(started, '__Host-gatehouse_sso'),
    };
  };

  const samlFlow: Flow = async (person, steps) => {
    const email = `saml-${person}@saml.${domain}`;
    const { location, state } = await discover(email, steps);
    const form = await timed(steps, 'idp', () => {
      const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString();
      const inResponseTo = request.match(/\sID="([^"]+)"/)?.[1];
      return saml.answer({ user: idpUser(email), inResponseTo }, `${samlBase}/acs`, `${samlBase}/metadata`);
    });
    const body = new URLSearchParams({
      SAMLResponse: form.SAMLResponse,
      RelayState: location.searchParams.get('RelayState') ?? '',
    });
    const answered = await timed(steps, 'acs', () =>
      fetch(`${samlBase}/acs`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: state,
          origin: 'https://idp.bench.example.test',
        },
        body: body.toString(),
      }),
    );
    expectStatus(answered, 303, 'acs');
    cookieFrom(answered, 'gatehouse_session');
  };

  const oidcFlow: Flow = async (person, steps) => {
    const email = `oidc-${person}@oidc.${domain}`;
    const { location, state } = await discover(email, steps);
    const back = await timed(steps, 'idp', () => fetch(location, { redirect: 'manual' }));
    expectStatus(back, 302, 'idp');
    const callback = new URL(back.headers.get('location') ?? '');
    const answered = await timed(steps, 'callback', () =>
      fetch(`${setup.gateway}${callback.pathname}${callback.search}`, {
        redirect: 'manual',
        headers: { cookie: state },
      }),
    );
    expectStatus(answered, 302, 'callback');
    cookieFrom(answered, 'gatehouse_session');
  };

  return {
    flows: [
      { name: 'SAML sign-in (discover, IdP, ACS)', flow: samlFlow },
      { name: 'OIDC sign-in (discover, IdP, callback)', flow: oidcFlow },
    ],
    close: () => oidc.stop(),
  };
}

/** Password sign-in of existing accounts (person i signs in as emails[i]), as a sign-in form posts it. */
export function passwordFlow(gateway: string, emails: readonly string[], password: string): Flow {
  return async (person, steps) => {
    const email = emails[person % emails.length];
    const answered = await timed(steps, 'sign-in', () =>
      fetch(`${gateway}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      }),
    );
    expectStatus(answered, 200, 'sign-in');
    cookieFrom(answered, 'gatehouse_session');
  };
}

async function insertConnection(
  db: pg.Client,
  organizationId: string,
  domain: string,
  fields: Record<string, string>,
): Promise<string> {
  const id = newId();
  const columns = Object.keys(fields);
  // A domain its organization has proven (DNS proof is not what is measured here).
  await db.query(
    `insert into organization_domains (id, organization_id, domain, verification_token, verified_at, created_at)
       values ($1, $2, $3, $4, now(), now())`,
    [newId(), organizationId, domain, randomBytes(16).toString('hex')],
  );
  await db.query(
    `insert into sso_connections (id, organization_id, name, enabled, domains, default_role, role_mapping,
       sso_required, allow_idp_initiated, created_at, updated_at, version, ${columns.join(', ')})
     values ($1, $2, 'Bench IdP', true, $3, 'member', '[]'::jsonb, false, false, now(), now(), 1,
       ${columns.map((_, i) => `$${i + 4}`).join(', ')})`,
    [id, organizationId, [domain], ...Object.values(fields)],
  );
  return id;
}
