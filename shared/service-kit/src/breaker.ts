import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import { UNAVAILABLE_RETRY_SECONDS } from './http.js';
import type { Metrics } from './metrics.js';

export type BreakerState = 'closed' | 'half_open' | 'open';

/** The gauge's values: 0 closed, 1 half-open (one trial call in flight), 2 open (refusing). */
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export interface BreakerSettings {
  /** Failed calls, as a percentage of the calls in the rolling window, above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls the window must hold before the percentage counts, so a few failures at low traffic do not open it. */
  volumeThreshold: number;
  /** How long an open breaker refuses at once before it lets one trial call through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window the percentage is measured over. */
  windowMs: number;
}

/** A family of breakers' Prometheus series, labelled by what each one guards (an upstream, a database…). */
export interface BreakerMetrics {
  label: string;
  state: Gauge<string>;
  transitions: Counter<string>;
}

/** `<prefix>_state{<label>}` (see STATE_VALUE) and `<prefix>_transitions_total{<label>,to}`; reused when an app is rebuilt on the same registry. */
export function breakerMetrics(metrics: Metrics, prefix: string, label: string): BreakerMetrics {
  const stateName = `${prefix}_state`;
  const transitionsName = `${prefix}_transitions_total`;
  const state =
    (metrics.registry.getSingleMetric(stateName) as Gauge<string> | undefined) ??
    new Gauge({
      name: stateName,
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: [label],
      registers: [metrics.registry],
    });
  const transitions =
    (metrics.registry.getSingleMetric(transitionsName) as Counter<string> | undefined) ??
    new Counter({
      name: transitionsName,
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: [label, 'to'],
      registers: [metrics.registry],
    });
  return { label, state, transitions };
}

/** A call refused at once because its breaker is open (or its half-open trial is still in flight). */
export function isBreakerOpen(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'EOPENBREAKER';
}

/**
 * opossum's circuit breaker around "run this call": callers pass the work as a thunk, so one breaker
 * guards every call to one dependency. A call that rejects counts as a failure; timeouts are the
 * caller's (each call already has its own bound), so opossum's own timeout is off.
 */
export class Breaker {
  private readonly circuit: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private openedAt = 0;

  constructor(
    readonly name: string,
    private readonly settings: BreakerSettings,
    metrics?: BreakerMetrics,
  ) {
    this.circuit = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      name,
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.circuit.on('open', () => {
      this.openedAt = Date.now();
    });
    if (metrics) {
      const labels = { [metrics.label]: name };
      const record = (state: BreakerState) => {
        metrics.state.set(labels, STATE_VALUE[state]);
        metrics.transitions.inc({ ...labels, to: state });
      };
      metrics.state.set(labels, STATE_VALUE.closed);
      this.circuit.on('open', () => record('open'));
      this.circuit.on('halfOpen', () => record('half_open'));
      this.circuit.on('close', () => record('closed'));
    }
  }

  /** Runs the call through the breaker; rejects at once (isBreakerOpen) while it is open. */
  fire<T>(call: () => Promise<T>): Promise<T> {
    return this.circuit.fire(call) as Promise<T>;
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    return this.circuit.halfOpen ? 'half_open' : 'closed';
  }

  /** For Retry-After: while open, whole seconds until it lets a trial call through; else the kit's usual wait. */
  retryAfterSeconds(): number {
    if (this.state !== 'open') return UNAVAILABLE_RETRY_SECONDS;
    const left = this.openedAt + this.settings.resetTimeoutMs - Date.now();
    return Math.max(1, Math.ceil(left / 1000));
  }

  /** Stops opossum's timers (bucket rotation, the reset timer). */
  shutdown(): void {
    this.circuit.shutdown();
  }
}
