import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '../src/config.js';
import { parseDuration, parseRetrySchedule, retryDelayMs } from '../src/deliveries/schedule.js';

describe('retry schedule', () => {
  it('parses WEBHOOK_RETRY_SCHEDULE', () => {
    expect(parseRetrySchedule('50ms,5s,5m,2h')).toEqual([50, 5000, 300_000, 7_200_000]);
    expect(() => parseDuration('5d')).toThrow(/not a duration/);
  });

  it('spans three days by default', () => {
    const total = parseRetrySchedule(DEFAULT_WEBHOOK_RETRY_SCHEDULE).reduce((sum, delay) => sum + delay, 0);
    expect(total / 3_600_000).toBeCloseTo(75.6, 1);
  });

  it('waits the step after each failed attempt, ±20 %, and ends when the steps are spent', () => {
    const schedule = [1000, 60_000];
    expect(retryDelayMs(schedule, 1, 0)).toBe(800);
    expect(retryDelayMs(schedule, 1, 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 1, 0.999_999)).toBe(1200);
    expect(retryDelayMs(schedule, 2, 0.5)).toBe(60_000);
    expect(retryDelayMs(schedule, 3, 0.5)).toBeNull();
    for (let i = 0; i < 100; i += 1) {
      const delay = retryDelayMs(schedule, 2)!;
      expect(delay).toBeGreaterThanOrEqual(48_000);
      expect(delay).toBeLessThanOrEqual(72_000);
    }
  });
});
