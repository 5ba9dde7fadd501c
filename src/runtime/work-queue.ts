/**
 * A per-key work queue, as client-go's workqueue: a key is queued at most once (adding it again while it waits
 * does nothing; adding it while it is being worked on runs it once more afterwards), never worked on by two
 * workers at once, retried with a backoff of its own when its work fails, and can be added after a delay (a timer
 * that falls due). A slow or failing key holds one worker, never the others.
 */
export interface WorkQueueOptions {
  /** Keys worked on at once. @default 8 */
  readonly workers?: number;
  /** First retry delay of a failing key, doubled per failure. @default 200 */
  readonly baseDelayMs?: number;
  /** Longest retry delay. @default 60000 */
  readonly maxDelayMs?: number;
}

/** What the work of a key asks for next: nothing, or to run again after `requeueAfterMs`. */
export type WorkResult = void | { readonly requeueAfterMs?: number };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Delayed adds: the key's earliest due time and its timer. */
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly workers: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private active = 0;
  private running = false;
  private idle: Array<() => void> = [];
  /** Callers waiting for a key's next run, settled when a run that starts after they asked ends. */
  private readonly awaiting = new Map<string, Array<{ resolve: () => void; reject: (error: Error) => void }>>();

  constructor(
    private readonly work: (key: string) => Promise<WorkResult>,
    options: WorkQueueOptions = {},
  ) {
    this.workers = options.workers ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  public start(): void {
    this.running = true;
    this.drain();
  }

  /** Stops taking keys (work under way finishes) and forgets every key and timer. */
  public stop(): void {
    this.running = false;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.failures.clear();
    const stopped = new Error('the work queue stopped before the key was worked on');
    for (const waiters of this.awaiting.values()) for (const { reject } of waiters) reject(stopped);
    this.awaiting.clear();
  }

  /** Keys waiting (not those being worked on, nor delayed ones). */
  public get length(): number {
    return this.queue.length;
  }

  public add(key: string): void {
    if (!this.running) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.drain();
  }

  /** Adds the key once `ms` have passed (an earlier delayed add of the same key wins). */
  public addAfter(key: string, ms: number): void {
    if (!this.running) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const known = this.delayed.get(key);
    if (known && known.at <= at) return;
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /**
   * Adds the key and resolves once a run of its work that started after this call has ended (succeeded or failed:
   * a failure is retried on the key's own schedule). So a caller knows the key was looked at with everything that
   * was known when it asked. Rejects if the queue is stopped (or stops) before that.
   */
  public addAndWait(key: string): Promise<void> {
    if (!this.running) return Promise.reject(new Error('the work queue is not running'));
    return new Promise((resolve, reject) => {
      const waiters = this.awaiting.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.awaiting.set(key, waiters);
      this.add(key);
    });
  }

  /** Resolves once nothing is queued or being worked on (for tests and benchmarks). */
  public whenIdle(): Promise<void> {
    if (!this.queue.length && !this.active) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private drain(): void {
    while (this.running && this.active < this.workers && this.queue.length) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    // those who asked before this run began are answered when it ends; later ones wait for the next run
    const waiters = this.awaiting.get(key);
    this.awaiting.delete(key);
    let retryAfter: number | undefined;
    try {
      const result = await this.work(key);
      this.failures.delete(key);
      if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      retryAfter = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1)) * (0.75 + Math.random() / 2);
    } finally {
      this.processing.delete(key);
      this.active--;
      if (retryAfter !== undefined) {
        this.dirty.delete(key);
        this.addAfter(key, retryAfter);
      } else if (this.dirty.delete(key)) {
        this.add(key);
      }
      for (const { resolve } of waiters ?? []) resolve();
      this.drain();
      if (!this.queue.length && !this.active) for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
