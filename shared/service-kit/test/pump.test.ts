import { describe, expect, it } from 'vitest';
import { Backoff, backgroundFailures, createLogger, Pump } from '../src/index.js';
import { eventually } from '../src/testing.js';

function memoryLogger() {
  const lines: Array<{ level: number; msg: string; err?: { message: string }; task?: string }> = [];
  const logger = createLogger('pump-test', 'info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function failuresOf(task: string): Promise<number> {
  const metric = await backgroundFailures.get();
  return metric.values.find((value) => value.labels.task === task)?.value ?? 0;
}

describe('Backoff', () => {
  it('grows exponentially up to its cap and starts over after a success', () => {
    const backoff = new Backoff(100, 1000);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});

describe('Pump (every timer, relay and consumer loop)', () => {
  it('catches a failing pass, logs it once with the error, counts each failure, retries with backoff and recovers', async () => {
    const { logger, lines } = memoryLogger();
    let calls = 0;
    const pump = new Pump({
      name: 'flaky-task',
      logger,
      intervalMs: 60_000,
      backoff: new Backoff(1, 5),
      pass: async () => {
        calls += 1;
        if (calls <= 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    pump.start();
    // Retried by the backoff alone: the 60 s interval never elapses in this test.
    await eventually(async () => expect(calls).toBe(4));
    await pump.stop();

    expect(await failuresOf('flaky-task')).toBe(3);
    const warnings = lines.filter((line) => line.task === 'flaky-task' && line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.err?.message).toContain('ECONNREFUSED');
    expect(lines.some((line) => line.msg === 'flaky-task recovered')).toBe(true);
  });

  it('logs again when the reason changes', async () => {
    const { logger, lines } = memoryLogger();
    const reasons = ['first', 'first', 'second'];
    let calls = 0;
    const pump = new Pump({
      name: 'changing-task',
      logger,
      intervalMs: 60_000,
      backoff: new Backoff(1, 5),
      pass: async () => {
        const reason = reasons[calls];
        calls += 1;
        if (reason) throw new Error(reason);
      },
    });
    pump.start();
    await eventually(async () => expect(calls).toBe(4));
    await pump.stop();
    expect(lines.filter((line) => line.level === 40).map((line) => line.err?.message)).toEqual(['first', 'second']);
  });

  it('runs one pass at a time: kicks during a pass coalesce into one more', async () => {
    const { logger } = memoryLogger();
    let running = 0;
    let most = 0;
    let calls = 0;
    let release: () => void = () => undefined;
    const pump = new Pump({
      name: 'coalescing-task',
      logger,
      intervalMs: 60_000,
      pass: async () => {
        calls += 1;
        running += 1;
        most = Math.max(most, running);
        if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
        running -= 1;
      },
    });
    pump.start();
    for (let i = 0; i < 5; i += 1) pump.kick();
    release();
    await eventually(async () => expect(calls).toBe(2));
    await pump.stop();
    expect(most).toBe(1);
    expect(calls).toBe(2);
  });
});
