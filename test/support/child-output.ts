/**
 * What a child process of a test prints, waited on line by line (journey.test.ts, local-loop.test.ts).
 */
import type { ChildProcess } from 'node:child_process';

/**
 * What a child process prints (stdout and stderr together), waited on line by line: the CLI writes its messages
 * when it gets to them, which may be after the browser already saw what they announce, so a test waits for a line
 * as for any other event instead of reading what arrived so far.
 */
export class Output {
  private text = '';
  private readonly waiters = new Set<() => void>();
  private exit: string | undefined;

  constructor(
    private readonly what: string,
    child: ChildProcess,
  ) {
    const add = (chunk: Buffer) => {
      this.text += chunk.toString();
      this.waiters.forEach((wake) => wake());
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    child.once('close', (code, signal) => {
      this.exit = signal ? `was ended by ${signal}` : `exited with code ${code}`;
      this.waiters.forEach((wake) => wake());
    });
  }

  /** Everything printed so far. */
  get printed(): string {
    return this.text;
  }

  /** Where the output ends now: pass it to `line` to wait only for what comes after. */
  get length(): number {
    return this.text.length;
  }

  /**
   * Resolves with the first complete line after `from` that matches, as soon as it is printed; rejects when the
   * process ends or `timeoutMs` passes without one, quoting what it printed.
   */
  line(pattern: string | RegExp, options: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const { from = 0, timeoutMs = 30_000 } = options;
    const matches = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
    const wanted = typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern);
    return new Promise((resolve, reject) => {
      const finish = (error?: Error, line?: string) => {
        clearTimeout(timer);
        this.waiters.delete(look);
        if (error) reject(error);
        else resolve(line!);
      };
      const failure = (why: string) =>
        new Error(`${this.what} ${why} without printing a line with ${wanted}; it printed:\n${this.text.slice(from) || '(nothing)'}`);
      const look = () => {
        const complete = this.text.slice(from, this.text.lastIndexOf('\n') + 1);
        const line = complete.split('\n').find(matches);
        if (line !== undefined) finish(undefined, line);
        else if (this.exit) finish(failure(this.exit));
      };
      const timer = setTimeout(() => finish(failure(`went on for ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiters.add(look);
      look();
    });
  }
}
