/**
 * A tiny progress indicator for long work (deploy, publish). On a terminal it redraws one line with a bar; when
 * stderr is a file or a pipe (CI logs) it prints a plain line at every quarter instead, so logs stay readable.
 * It writes to stderr only: stdout is kept for results that scripts read.
 */

export interface ProgressOptions {
  /** @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Draw a bar; @default - whether the stream is a terminal */
  readonly tty?: boolean;
  /** How amounts are shown; @default 'count' */
  readonly unit?: 'count' | 'bytes';
}

export class Progress {
  private done = 0;
  private detail = '';
  private lastDraw = 0;
  private lastQuarter = -1;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly unit: 'count' | 'bytes';

  constructor(
    private readonly label: string,
    private total: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? !!this.stream.isTTY;
    this.unit = options.unit ?? 'count';
  }

  /** Sets how much is done (and the total, when it is learnt late, as with uploads). */
  public update(done: number, total = this.total, detail = this.detail): void {
    this.done = done;
    this.total = total;
    this.detail = detail;
    if (this.tty) {
      // redrawing on every object or chunk would cost more than the work on a slow terminal
      const now = Date.now();
      if (now - this.lastDraw < 50 && done < total) return;
      this.lastDraw = now;
      this.draw();
      return;
    }
    const quarter = total > 0 ? Math.floor((4 * done) / total) : 0;
    if (quarter > this.lastQuarter) {
      this.lastQuarter = quarter;
      this.stream.write(`${this.label}: ${this.amount()}\n`);
    }
  }

  /** One more item done. */
  public tick(detail?: string): void {
    this.update(this.done + 1, this.total, detail);
  }

  /** Prints a line without breaking the bar (it is drawn again below the line). */
  public log(line: string): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    if (this.tty) this.draw();
  }

  /** Removes the bar; the caller prints its own summary. */
  public finish(): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const width = 24;
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(ratio * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const columns = this.stream.columns ?? 80;
    const line = `${this.label} ${bar} ${this.amount()} ${this.detail}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }

  private amount(): string {
    if (this.unit === 'bytes') return `${formatBytes(this.done)}/${formatBytes(this.total)}`;
    return `${this.done}/${this.total}`;
  }
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
