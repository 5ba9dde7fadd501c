/**
 * Fixed-window request counting per key (client address, user name), kept in this replica's memory. With R
 * replicas behind a load balancer a client may get up to R times the limit; that is accepted: the limits are
 * there to make password guessing slow, and a factor of R does not change that. (A shared counter would cost an
 * API-server write per sign-in attempt.)
 */
export interface LimitResult {
  readonly allowed: boolean;
  /** Seconds until the window ends (when refused). */
  readonly retryAfterSeconds: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastSweep = now();
  }

  /** Counts one request for `key`; refuses it if `max` were already counted in the current window. */
  public hit(key: string, max: number, windowSeconds: number): LimitResult {
    const now = this.now();
    const windowMs = windowSeconds * 1000;
    this.sweep(now, windowMs);
    let entry = this.windows.get(key);
    if (!entry || now - entry.start >= windowMs) {
      entry = { start: now, count: 0 };
      this.windows.set(key, entry);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((entry.start + windowMs - now) / 1000));
    if (entry.count >= max) return { allowed: false, retryAfterSeconds };
    entry.count++;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Entries of finished windows go, so that memory stays bounded by the clients of the last window. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweep < Math.max(windowMs, 60_000)) return;
    this.lastSweep = now;
    for (const [key, entry] of this.windows) if (now - entry.start >= windowMs * 2) this.windows.delete(key);
  }

  public get size(): number {
    return this.windows.size;
  }
}
