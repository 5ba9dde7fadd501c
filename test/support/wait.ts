/**
 * Waiting in tests: for a condition, never for a time. `waitFor` polls a probe until it holds and fails loudly,
 * naming what it waited for (and the probe's last error), when it does not hold within a deadline. The deadline is
 * a guard against a test that would otherwise hang, not an assertion about speed.
 *
 * It sleeps between probes with `node:timers/promises`, which Jest's fake timers leave alone, so a test that fakes
 * the clock (debounce, pacing) can still wait here for a real event (a file-system notification) to arrive; its
 * deadline is read from the real clock, taken when this module loads.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The real clock, taken before any test fakes `Date`. */
const now = Date.now.bind(Date);

export interface WaitOptions {
  /** How long to wait before failing. @default 60000 */
  readonly timeoutMs?: number;
  /** Time between two probes. @default 100 */
  readonly everyMs?: number;
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value. A probe that throws counts as "not yet"; its
 * last error is in the timeout's message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitOptions | number = {},
): Promise<T> {
  const { timeoutMs = 60_000, everyMs = 100 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    if (now() >= deadline) break;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
