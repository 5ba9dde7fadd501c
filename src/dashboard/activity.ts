/**
 * The learner's activity: when they last did something (typed, opened the page) and last looked at the page.
 * The portal reads it at GET /session/activity (for orphaned sessions) and is told about it, at most once per
 * interval, so that a session in use is never culled as idle.
 */
export interface ActivityOptions {
  /** Tells the portal; errors are logged by the caller's function, never thrown at the learner. */
  readonly report: () => Promise<void>;
  /** Least time between two reports. @default 15 s */
  readonly intervalMs?: number;
}

export class Activity {
  private lastActivity = Date.now();
  private lastView = Date.now();
  private lastReport = 0;
  private pending: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | undefined;

  constructor(private readonly options: ActivityOptions) {}

  /** The learner typed, clicked or otherwise used the session. */
  public touch(): void {
    this.lastActivity = Date.now();
    this.schedule();
  }

  /** The learner opened or returned to the page. */
  public viewed(): void {
    this.lastView = Date.now();
    this.touch();
  }

  /** Educates' shape: seconds since the last activity and since the last page view. */
  public snapshot(): { 'idle-time': number; 'last-view': number } {
    const now = Date.now();
    return { 'idle-time': Math.floor((now - this.lastActivity) / 1000), 'last-view': Math.floor((now - this.lastView) / 1000) };
  }

  public stop(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  /** Reports now if the last report is old enough, else once when it is (activity in between is folded in). */
  private schedule(): void {
    if (this.pending) return;
    const interval = this.options.intervalMs ?? 15_000;
    const wait = Math.max(0, this.lastReport + interval - Date.now());
    if (wait === 0 && !this.reporting) {
      this.send();
      return;
    }
    this.pending = setTimeout(
      () => {
        this.pending = undefined;
        this.send();
      },
      Math.max(wait, 1),
    );
    this.pending.unref();
  }

  private send(): void {
    this.lastReport = Date.now();
    this.reporting = this.options.report().finally(() => {
      this.reporting = undefined;
    });
  }
}
