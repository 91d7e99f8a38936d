/**
 * At most one record per key per window on this replica, so a client hammering a route cannot flood the
 * audit log with copies of the same refusal. Memory is bounded: expired keys go whenever the map is full,
 * and beyond that the oldest key is forgotten (one more record for it, at worst).
 */
export class Throttle {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** True when `key` may be recorded now (and starts its window); false while its window runs. */
  admit(key: string, now = Date.now()): boolean {
    const open = this.until.get(key);
    if (open !== undefined && open > now) return false;
    this.until.delete(key);
    if (this.until.size >= this.maxKeys) this.forget(now);
    this.until.set(key, now + this.windowMs);
    return true;
  }

  private forget(now: number): void {
    for (const [key, open] of this.until) if (open <= now) this.until.delete(key);
    if (this.until.size < this.maxKeys) return;
    const oldest = this.until.keys().next();
    if (!oldest.done) this.until.delete(oldest.value);
  }
}
