import { Breaker, breakerMetrics, createMetrics, isBreakerOpen } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const SETTINGS = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 300, windowMs: 10_000 };
const fail = () => Promise.reject(new Error('connection refused'));
const succeed = () => Promise.resolve('ok');

let breaker: Breaker | undefined;
afterEach(() => breaker?.shutdown());

async function refusal(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('Breaker (opossum underneath)', () => {
  it('stays closed below the minimum number of calls, opens above the failure share', async () => {
    breaker = new Breaker('project', SETTINGS);
    expect(isBreakerOpen(await refusal(breaker.fire(fail)))).toBe(false);
    expect(breaker.state).toBe('closed');
    expect(isBreakerOpen(await refusal(breaker.fire(fail)))).toBe(false);
    expect(breaker.state).toBe('open');
    let ran = false;
    const refused = await refusal(
      breaker.fire(async () => {
        ran = true;
      }),
    );
    expect(isBreakerOpen(refused)).toBe(true);
    expect(ran).toBe(false);
    expect(breaker.retryAfterSeconds()).toBe(1);
  });

  it('lets one trial through when half-open: a failure reopens it, a success closes it', async () => {
    const metrics = createMetrics('test', false);
    breaker = new Breaker('project', SETTINGS, breakerMetrics(metrics, 'test_breaker', 'upstream'));
    await refusal(breaker.fire(fail));
    await refusal(breaker.fire(fail));
    expect(breaker.state).toBe('open');
    await eventually(async () => expect(breaker?.state).toBe('half_open'), 5000, 20);

    // While the trial is in flight, everything else is refused.
    let finishTrial: () => void = () => undefined;
    const trial = breaker.fire(
      () => new Promise<void>((_resolve, reject) => (finishTrial = () => reject(new Error('still down')))),
    );
    expect(isBreakerOpen(await refusal(breaker.fire(succeed)))).toBe(true);
    finishTrial();
    await refusal(trial);
    expect(breaker.state).toBe('open');

    await eventually(async () => expect(breaker?.state).toBe('half_open'), 5000, 20);
    expect(await breaker.fire(succeed)).toBe('ok');
    expect(breaker.state).toBe('closed');

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/test_breaker_state\{upstream="project"[^}]*\} 0/);
    expect(text).toMatch(/test_breaker_transitions_total\{upstream="project",to="open"[^}]*\} 2/);
    expect(text).toMatch(/test_breaker_transitions_total\{upstream="project",to="half_open"[^}]*\} 2/);
    expect(text).toMatch(/test_breaker_transitions_total\{upstream="project",to="closed"[^}]*\} 1/);
  });
});
