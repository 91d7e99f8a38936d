import type { EventContext } from '@gatehouse/contracts';
import {
  counter,
  currentEventContext,
  isOperationalError,
  type Logger,
  type Metrics,
  Pump,
  withEventContext,
} from '@gatehouse/service-kit';
import type { ClientInfo, LoginRecord } from './service.js';
import type { SignInRefusal } from './sign-in.js';

/** A refused sign-in of an existing account, as its login-history row and `sign_in.failed` record say it. */
export interface RefusedSignIn {
  userId: string;
  client: ClientInfo;
  reason: SignInRefusal;
  login: Omit<LoginRecord, 'success' | 'failureReason'>;
}

export interface SignInFailureQueueOptions {
  /** Writes one refusal in a transaction of its own (the refusal's answer rolled nothing back). */
  write: (failure: RefusedSignIn) => Promise<void>;
  logger: Logger;
  metrics: Metrics;
  /** Refusals held while the database is slow or away; beyond it the oldest go (counted). */
  max?: number;
  intervalMs?: number;
}

interface Pending {
  failure: RefusedSignIn;
  /** The request's actor, ip, userAgent and requestId, for the event written later. */
  context: EventContext | undefined;
}

/** Enough for a database blip under a brute-force run; a bound, so the run cannot grow memory. */
export const SIGN_IN_FAILURE_QUEUE_MAX = 1000;

/**
 * Refused sign-ins are written after the answer (a write only for existing accounts would make them slower
 * to refuse), but never fire-and-forget: they wait in a bounded queue that a Pump writes oldest first.
 * A database outage fails the pass, which keeps the refusal at the head and retries with backoff; what
 * cannot be written (not an outage) is logged and dropped; a full queue drops its oldest. Both drops are
 * counted in identity_sign_in_failures_dropped_total{reason}. Stopping writes what is still queued.
 */
export class SignInFailureQueue {
  private readonly queue: Pending[] = [];
  private readonly pump: Pump;
  private readonly max: number;
  private readonly dropped;

  constructor(private readonly options: SignInFailureQueueOptions) {
    this.max = options.max ?? SIGN_IN_FAILURE_QUEUE_MAX;
    this.pump = new Pump({
      name: 'sign-in-failures',
      pass: () => this.flush(),
      logger: options.logger,
      intervalMs: options.intervalMs ?? 5000,
    });
    this.dropped = counter(
      options.metrics,
      'identity_sign_in_failures_dropped_total',
      'Refused sign-ins never written: queue full, or not writable',
      ['reason'],
    );
  }

  get size(): number {
    return this.queue.length;
  }

  start(): void {
    this.pump.start();
  }

  /** Queues the refusal with the current request's context; the write starts after this turn (the answer first). */
  add(failure: RefusedSignIn): void {
    if (this.queue.length >= this.max) {
      this.queue.shift();
      this.dropped.inc({ reason: 'queue_full' });
    }
    this.queue.push({ failure, context: currentEventContext() });
    setImmediate(() => this.pump.kick());
  }

  /** Stops the pump, then writes what is left once (a failure now is logged: the process is ending). */
  async stop(): Promise<void> {
    await this.pump.stop();
    await this.flush().catch((error: unknown) =>
      this.options.logger.warn({ err: error, pending: this.queue.length }, 'refused sign-ins not written at shutdown'),
    );
  }

  /** Oldest first; an outage leaves the refusal at the head and fails the pass (the Pump backs off). */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const next = this.queue[0] as Pending;
      try {
        await withEventContext(next.context, () => this.options.write(next.failure));
      } catch (error) {
        if (isOperationalError(error)) throw error;
        this.options.logger.error({ err: error, userId: next.failure.userId }, 'refused sign-in not writable; dropped');
        this.dropped.inc({ reason: 'unwritable' });
      }
      // A full queue may have dropped it meanwhile (counted): then the head is a newer one, still to write.
      if (this.queue[0] === next) this.queue.shift();
    }
  }
}
