import { newId } from '@gatehouse/contracts';
import { withEventContext } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorContext } from '../src/build-context.js';
import { commit, type IdentityContext } from '../src/context.js';
import { recordFailureLater, recordRefusedSignIn, signInFailures } from '../src/sessions/sign-in.js';
import { type RefusedSignIn, SignInFailureQueue } from '../src/sessions/sign-in-failures.js';
import { activitySuite, CLIENT } from './activity-support.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * Refused sign-ins are written after the answer, from a bounded queue a Pump drains: none is lost while the
 * pump is stopped or the database blips, and a brute-force run cannot grow memory past the bound.
 */
let h: IdentityHarness;
let ctx: IdentityContext;
const { sql, signUp, activities } = activitySuite(() => h);
const client = { ip: CLIENT.clientIp, userAgent: CLIENT.userAgent };

beforeAll(async () => {
  h = await startIdentity();
  ctx = operatorContext(h.service.deps);
});
afterAll(async () => {
  if (ctx) await signInFailures(ctx).stop();
  await h?.close();
});

const refusal = (userId: string): RefusedSignIn => ({ userId, client, reason: 'wrong_password', login: {} });
const write = ({ userId, client, reason, login }: RefusedSignIn) =>
  commit(ctx, async (em) => recordRefusedSignIn(ctx, em, userId, client, reason, login));
const failuresOf = async (userId: string) => activities({ userId, action: 'sign_in.failed' });
const historyOf = async (userId: string) =>
  sql('select failure_reason from login_events where user_id = ? and success = false', [userId]);
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function dropped(reason: string): Promise<number> {
  const metric = h.service.deps.metrics.registry.getSingleMetric('identity_sign_in_failures_dropped_total');
  const values = (await metric?.get())?.values ?? [];
  return values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

function queue(writeOne: (failure: RefusedSignIn) => Promise<void>, max?: number) {
  return new SignInFailureQueue({
    write: writeOne,
    logger: h.service.deps.logger,
    metrics: h.service.deps.metrics,
    ...(max && { max }),
  });
}

describe('refused sign-ins waiting to be written', () => {
  it('keeps what is recorded while the pump is stopped and writes it, with its request context, once it runs', async () => {
    const user = await signUp();
    const requestId = newId();
    withEventContext({ ip: CLIENT.clientIp, userAgent: CLIENT.userAgent, requestId }, () =>
      recordFailureLater(ctx, user.id, client, 'wrong_password'),
    );
    await settle();
    expect(signInFailures(ctx).size).toBe(1);
    expect(await failuresOf(user.id)).toEqual([]);

    signInFailures(ctx).start();

    const [event] = await eventually(async () => {
      const found = await failuresOf(user.id);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(event?.data).toMatchObject({ action: 'sign_in.failed', userId: user.id, reason: 'invalid_password' });
    expect(event?.context).toMatchObject({ ip: CLIENT.clientIp, userAgent: CLIENT.userAgent, requestId });
    expect(await historyOf(user.id)).toEqual([{ failure_reason: 'wrong_password' }]);
    expect(signInFailures(ctx).size).toBe(0);
  });

  it('retries a write the database failed, and writes it once', async () => {
    const user = await signUp();
    let attempts = 0;
    const flaky = queue(async (failure) => {
      attempts += 1;
      // As pg reports a connection dropped mid-query: an outage, not a bad record.
      if (attempts === 1) throw new Error('Connection terminated unexpectedly');
      await write(failure);
    });
    flaky.add(refusal(user.id));
    flaky.start();
    try {
      await eventually(async () => expect(await failuresOf(user.id)).toHaveLength(1));
      expect(attempts).toBe(2);
      expect(await historyOf(user.id)).toHaveLength(1);
      expect(flaky.size).toBe(0);
    } finally {
      await flaky.stop();
    }
  });

  it('drops a refusal that cannot be written (not an outage), counted, and goes on with the next', async () => {
    const [broken, fine] = [await signUp(), await signUp()];
    const before = await dropped('unwritable');
    const picky = queue(async (failure) => {
      if (failure.userId === broken.id) throw new Error('event identity.activity does not match its schema');
      await write(failure);
    });
    picky.add(refusal(broken.id));
    picky.add(refusal(fine.id));
    picky.start();
    try {
      await eventually(async () => expect(await failuresOf(fine.id)).toHaveLength(1));
      expect(await dropped('unwritable')).toBe(before + 1);
      expect(await failuresOf(broken.id)).toEqual([]);
    } finally {
      await picky.stop();
    }
  });

  it('holds at most its bound: the oldest goes when full, counted', async () => {
    const people = [await signUp(), await signUp(), await signUp()];
    const before = await dropped('queue_full');
    const small = queue(write, 2);
    for (const person of people) small.add(refusal(person.id));
    expect(small.size).toBe(2);
    expect(await dropped('queue_full')).toBe(before + 1);

    small.start();
    await eventually(async () => expect(small.size).toBe(0));
    await small.stop();
    const written = await Promise.all(people.map(async (person) => (await failuresOf(person.id)).length));
    expect(written).toEqual([0, 1, 1]);
  });

  it('writes what is still queued when it stops (the app closing)', async () => {
    const user = await signUp();
    const closing = queue(write);
    closing.add(refusal(user.id));
    await settle();
    expect(await failuresOf(user.id)).toEqual([]);

    await closing.stop();

    expect(await failuresOf(user.id)).toHaveLength(1);
    expect(closing.size).toBe(0);
  });
});
