/**
 * Client-side pacing of API requests, in lanes:
 *
 * - INTERACTIVE requests (a learner waits for this very answer: the allocation's status write, activity, an
 *   extension) have a lane of their own, bounded only by `interactiveConcurrency`: they never wait for a rate
 *   budget, nor behind pool refills.
 * - LEARNER work (creating the session a learner waits for), BACKGROUND work (refills, timers, cleanup) and LOW
 *   (Events, a courtesy) share the paced lane, in that order; while learners' INTERACTIVE requests are in flight,
 *   background and low work keep to YIELD_LIMIT in flight, so that a burst of allocations is not answered behind
 *   the pool refills it causes.
 *
 * The paced lane is `adaptive` by default: it finds what the API server can take, as client-go's flow control and
 * the server's API Priority and Fairness intend, instead of a fixed rate. A concurrency limit grows while answers
 * come about as fast as they have lately (a slow average of the latency, which follows a server that is slower for
 * a while, e.g. shared with others), shrinks when their latency jumps to twice that (the server queues: our own
 * requests saturate it), is halved on a 429 and the lane pauses for the
 * Retry-After the server (APF) gave. `fixed` pacing is a token bucket at `qps` (burst `burst`) with at most
 * `concurrency` requests in flight: a hard cap, when a cluster's operator wants one.
 */

export enum Priority {
  /** A learner waits for this very answer: a lane of its own, never held for the rate. */
  INTERACTIVE = 0,
  /** Work for a learner who is waiting for a session (creating it): paced, ahead of background work. */
  LEARNER = 1,
  /** Background work: pool refills, timers, cleanup. */
  BACKGROUND = 2,
  /** Work nobody waits for (Events): after everything else. */
  LOW = 3,
}

export type Pacing = 'adaptive' | 'fixed';

export interface PacerOptions {
  /** @default 'adaptive' */
  readonly pacing?: Pacing;
  /** `fixed`: sustained requests per second of the paced lane. @default 50 */
  readonly qps?: number;
  /** `fixed`: requests allowed at once above the sustained rate. @default 2 × qps */
  readonly burst?: number;
  /** Paced requests in flight at once (`adaptive`: the most its limit grows to). @default 32 */
  readonly concurrency?: number;
  /** Learner-facing (INTERACTIVE) requests in flight at once, beside the paced ones. @default 128 (the client's sockets) */
  readonly interactiveConcurrency?: number;
  /** `adaptive`: the limit it starts from. @default 8 */
  readonly initialConcurrency?: number;
}

interface Waiter {
  readonly resolve: () => void;
}

/** `adaptive`: the latency, relative to the fastest of late, at which the server is taken to be queueing. */
const TOLERANCE = 2;
const MIN_LIMIT = 4;
/**
 * Background and low work in flight while learners' own (INTERACTIVE) requests are: a few, so that it still
 * advances under a steady trickle of learners' requests, not so many that it slows their answers at the server.
 */
const YIELD_LIMIT = 4;
/** The longest pause a Retry-After causes the paced lane. */
const MAX_PAUSE_MS = 5_000;

export class Pacer {
  public readonly pacing: Pacing;
  public readonly qps: number;
  private readonly burst: number;
  private readonly concurrency: number;
  private readonly interactiveConcurrency: number;
  private tokens: number;
  private refilledAt = performance.now();
  private inFlight = 0;
  private interactiveInFlight = 0;
  private readonly queues: Waiter[][] = [[], [], [], []];
  private timer?: NodeJS.Timeout;
  private pausedUntil = 0;

  // adaptive state
  private limit: number;
  private windowSum = 0;
  private windowCount = 0;
  private recentRtt = 0;
  /** A slow average of the latency: what answers take lately, whatever the cause. */
  private usualRtt = 0;
  private lastDecrease = 0;
  private growAfter = 0;

  /** 429 answers seen (every lane). */
  public throttled = 0;
  /** Requests that completed (every lane). */
  public completed = 0;

  constructor(options: PacerOptions = {}) {
    this.pacing = options.pacing ?? 'adaptive';
    this.qps = options.qps ?? 50;
    this.burst = options.burst ?? Math.max(1, Math.round(this.qps * 2));
    this.concurrency = options.concurrency ?? 32;
    this.interactiveConcurrency = options.interactiveConcurrency ?? 128;
    this.tokens = this.burst;
    if (!['adaptive', 'fixed'].includes(this.pacing)) throw new Error(`pacer: pacing must be 'adaptive' or 'fixed', not '${String(this.pacing)}'`);
    if (!(this.qps > 0) || !(this.concurrency > 0) || !(this.interactiveConcurrency > 0)) {
      throw new Error(
        `pacer: qps (${this.qps}), concurrency (${this.concurrency}) and interactiveConcurrency (${this.interactiveConcurrency}) must be above zero`,
      );
    }
    this.limit = Math.min(this.concurrency, Math.max(MIN_LIMIT, options.initialConcurrency ?? 8));
  }

  /** Runs `work` when its lane allows it; its answer (latency, 429 with Retry-After) informs the adaptive limit. */
  public async run<T>(priority: Priority, work: () => Promise<T>): Promise<T> {
    const interactive = priority === Priority.INTERACTIVE;
    await this.acquire(priority);
    const started = performance.now();
    let status = 200;
    let retryAfter: number | undefined;
    try {
      return await work();
    } catch (error) {
      const known = error as { status?: unknown; retryAfterSeconds?: unknown };
      status = typeof known?.status === 'number' ? known.status : 0;
      retryAfter = typeof known?.retryAfterSeconds === 'number' ? known.retryAfterSeconds : undefined;
      throw error;
    } finally {
      if (interactive) this.interactiveInFlight--;
      else this.inFlight--;
      this.completed++;
      this.observe(performance.now() - started, status, retryAfter);
      this.dispatch();
    }
  }

  /** Requests waiting for their turn. */
  public get waiting(): number {
    return this.queues.reduce((sum, queue) => sum + queue.length, 0);
  }

  /** Paced requests allowed in flight now (`fixed`: the configured concurrency). */
  public get concurrencyLimit(): number {
    return this.pacing === 'adaptive' ? Math.floor(this.limit) : this.concurrency;
  }

  private acquire(priority: Priority): Promise<void> {
    return new Promise((resolve) => {
      this.queues[priority].push({ resolve });
      this.dispatch();
    });
  }

  /** What an answer says about the server: a 429 halves the limit and pauses the paced lane; latency moves the limit. */
  private observe(rtt: number, status: number, retryAfterSeconds?: number): void {
    const now = performance.now();
    if (status === 429) {
      this.throttled++;
      const pause = Math.min(MAX_PAUSE_MS, (retryAfterSeconds ?? 1) * 1000) * (0.5 + Math.random() / 2);
      this.pausedUntil = Math.max(this.pausedUntil, now + pause);
      // once per round trip: a burst of 429s for the same overload halves once
      if (this.pacing === 'adaptive' && now - this.lastDecrease > Math.max(100, this.recentRtt)) {
        this.limit = Math.max(MIN_LIMIT, this.limit / 2);
        this.lastDecrease = now;
        // no growth for a while: the server has said where its capacity is
        this.growAfter = now + Math.max(2_000, 20 * this.recentRtt);
      }
      return;
    }
    // failures and unanswered requests say nothing about the latency of answers
    if (this.pacing !== 'adaptive' || status === 0 || status >= 500) return;
    this.windowSum += rtt;
    this.windowCount++;
    if (this.windowCount < Math.max(4, this.limit / 2)) return;
    const average = this.windowSum / this.windowCount;
    this.windowSum = 0;
    this.windowCount = 0;
    this.recentRtt = this.recentRtt ? (this.recentRtt + average) / 2 : average;
    // the usual latency follows slowly, and comes down at once when answers are faster
    this.usualRtt = this.usualRtt ? Math.min(0.95 * this.usualRtt + 0.05 * average, Math.max(this.usualRtt, average)) : average;
    if (average < this.usualRtt) this.usualRtt = 0.5 * (this.usualRtt + average);
    const gradient = Math.max(0.5, Math.min(1, (TOLERANCE * this.usualRtt) / this.recentRtt));
    // grow only while there is demand for more (requests waiting, or the limit in use)
    const busy = this.queues[1].length + this.queues[2].length + this.queues[3].length > 0 || this.inFlight >= this.limit - 1;
    const next = this.limit * gradient + (busy && gradient === 1 && now >= this.growAfter ? Math.sqrt(this.limit) : 0);
    this.limit = Math.max(MIN_LIMIT, Math.min(this.concurrency, 0.8 * this.limit + 0.2 * next));
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.qps);
    this.refilledAt = now;
  }

  /**
   * The next paced request: a learner's first; background and low work only up to YIELD_LIMIT in flight while
   * learners' own requests are (they would share the API server with the answers learners wait for).
   */
  private nextPaced(): Waiter | undefined {
    const learner = this.queues[Priority.LEARNER].shift();
    if (learner) return learner;
    if (this.interactiveInFlight > 0 && this.inFlight >= YIELD_LIMIT) return undefined;
    return this.queues[Priority.BACKGROUND].shift() ?? this.queues[Priority.LOW].shift();
  }

  private dispatch(): void {
    // learners' own requests: their lane, whatever the rest is doing
    while (this.queues[0].length && this.interactiveInFlight < this.interactiveConcurrency) {
      this.interactiveInFlight++;
      this.queues[0].shift()!.resolve();
    }
    const now = performance.now();
    let wait = 0;
    if (now < this.pausedUntil) {
      wait = this.pausedUntil - now;
    } else if (this.pacing === 'adaptive') {
      while (this.inFlight < Math.floor(this.limit)) {
        const next = this.nextPaced();
        if (!next) break;
        this.inFlight++;
        next.resolve();
      }
    } else {
      this.refill();
      while (this.inFlight < this.concurrency && this.tokens >= 1) {
        const next = this.nextPaced();
        if (!next) break;
        this.tokens -= 1;
        this.inFlight++;
        next.resolve();
      }
      if (this.tokens < 1) wait = Math.max(1, ((1 - this.tokens) / this.qps) * 1000);
    }
    // a timer only when something can go once time has passed (a pause, tokens); completions dispatch otherwise
    if (wait > 0 && this.queues[1].length + this.queues[2].length + this.queues[3].length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, wait);
    }
  }
}
