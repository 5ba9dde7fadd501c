/**
 * Client-side pacing of API requests: a token bucket for queries per second and a bound on requests in flight,
 * with a priority lane so that a learner's request is never queued behind pool refills.
 */

export enum Priority {
  /** A learner is waiting. */
  INTERACTIVE = 0,
  /** Background work: pool refills, timers, cleanup. */
  BACKGROUND = 1,
}

export interface PacerOptions {
  /** Sustained requests per second. @default 50 */
  readonly qps?: number;
  /** Requests allowed at once above the sustained rate. @default 2 × qps */
  readonly burst?: number;
  /** Requests in flight at once. @default 32 */
  readonly concurrency?: number;
}

interface Waiter {
  readonly priority: Priority;
  readonly resolve: () => void;
}

export class Pacer {
  public readonly qps: number;
  private readonly burst: number;
  private readonly concurrency: number;
  private tokens: number;
  private refilledAt = performance.now();
  private inFlight = 0;
  private readonly queues: Waiter[][] = [[], []];
  private timer?: NodeJS.Timeout;

  constructor(options: PacerOptions = {}) {
    this.qps = options.qps ?? 50;
    this.burst = options.burst ?? Math.max(1, Math.round(this.qps * 2));
    this.concurrency = options.concurrency ?? 32;
    this.tokens = this.burst;
    if (!(this.qps > 0) || !(this.concurrency > 0)) throw new Error(`pacer: qps (${this.qps}) and concurrency (${this.concurrency}) must be above zero`);
  }

  /** Runs `work` when the rate and the concurrency bound allow it. */
  public async run<T>(priority: Priority, work: () => Promise<T>): Promise<T> {
    await this.acquire(priority);
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.dispatch();
    }
  }

  /** Requests waiting for their turn. */
  public get waiting(): number {
    return this.queues[0].length + this.queues[1].length;
  }

  private acquire(priority: Priority): Promise<void> {
    return new Promise((resolve) => {
      this.queues[priority].push({ priority, resolve });
      this.dispatch();
    });
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.qps);
    this.refilledAt = now;
  }

  private dispatch(): void {
    this.refill();
    while (this.inFlight < this.concurrency && this.tokens >= 1) {
      const next = this.queues[0].shift() ?? this.queues[1].shift();
      if (!next) return;
      this.tokens -= 1;
      this.inFlight++;
      next.resolve();
    }
    if (this.waiting > 0 && this.inFlight < this.concurrency && !this.timer) {
      const wait = Math.max(1, ((1 - this.tokens) / this.qps) * 1000);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, wait);
    }
  }
}
