const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `50ms`, `5s`, `5m`, `2h` in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (like 5s, 5m or 2h)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** WEBHOOK_RETRY_SCHEDULE (`5s,5m,2h…`): the delay before each attempt after the first. */
export function parseRetrySchedule(text: string): number[] {
  return text.split(',').map(parseDuration);
}

/** Delays are spread ±20 % so endpoints that failed together are not all retried in the same instant. */
export const RETRY_JITTER = 0.2;

/**
 * How long to wait after the `attempts`-th failed attempt, or null when the schedule is spent (the message has
 * failed for good). `random` is in [0, 1).
 */
export function retryDelayMs(schedule: readonly number[], attempts: number, random = Math.random()): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random));
}
