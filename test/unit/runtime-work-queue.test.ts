/**
 * The reconciler's per-key work queue: a key is queued once however often it is added, never worked on twice at
 * once, a slow key holds one worker and not the others, a failing key backs off alone, and a key can ask to be
 * worked on again after a delay (a timer).
 */
import { jest } from '@jest/globals';

import { WorkQueue, type WorkResult } from '../../src/runtime/work-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('a key is queued once however often it is added, and runs once more if added while it runs', async () => {
  const runs: string[] = [];
  let release!: () => void;
  const first = new Promise<void>((resolve) => (release = resolve));
  const queue = new WorkQueue(
    async (key) => {
      runs.push(key);
      if (runs.length === 1) await first;
    },
    { workers: 1 },
  );
  queue.start();
  queue.add('a');
  await tick();
  // 'a' is running (holding the one worker): adding it three times runs it once more afterwards, not three times,
  // and not alongside; 'b', added twice while it waits, is queued once
  queue.add('a');
  queue.add('a');
  queue.add('a');
  queue.add('b');
  queue.add('b');
  await tick();
  expect(runs).toEqual(['a']);
  expect(queue.length).toBe(1);
  release();
  await queue.whenIdle();
  expect(runs).toEqual(['a', 'b', 'a']);
  queue.stop();
});

test('a slow key holds one worker; the other keys go on', async () => {
  const done: string[] = [];
  const slow = new Promise<void>(() => undefined);
  const queue = new WorkQueue(
    async (key) => {
      if (key === 'slow') await slow;
      done.push(key);
    },
    { workers: 2 },
  );
  queue.start();
  queue.add('slow');
  for (let i = 0; i < 20; i++) queue.add(`k${i}`);
  while (done.length < 20) await tick();
  expect(done).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
  queue.stop();
});

test('a failing key backs off alone, and a key can ask to be worked on again later', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  try {
    const runs: string[] = [];
    const queue = new WorkQueue(
      async (key): Promise<WorkResult> => {
        runs.push(key);
        if (key === 'failing') throw new Error('the API server said no');
        if (key === 'timer' && runs.filter((k) => k === 'timer').length === 1) return { requeueAfterMs: 5_000 };
      },
      { workers: 4, baseDelayMs: 1_000 },
    );
    queue.start();
    queue.add('failing');
    queue.add('timer');
    queue.add('healthy');
    await tick();
    expect(runs.sort()).toEqual(['failing', 'healthy', 'timer']);
    const count = (key: string) => runs.filter((k) => k === key).length;
    // backoff ~1 s, ~2 s, ~4 s (±25%): three more tries of the failing key within 10 s, the others untouched
    await jest.advanceTimersByTimeAsync(4_900);
    expect({ failing: count('failing') >= 3, timer: count('timer'), healthy: count('healthy') }).toEqual({ failing: true, timer: 1, healthy: 1 });
    await jest.advanceTimersByTimeAsync(200);
    expect(count('timer')).toBe(2);
    queue.stop();
  } finally {
    jest.useRealTimers();
  }
});

test('addAndWait answers after a run that began after it was asked, not the run under way, and rejects on stop', async () => {
  const seen: string[] = [];
  let state = 'old';
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const queue = new WorkQueue(
    async (key) => {
      const looked = state;
      if (seen.length === 0) await held;
      seen.push(`${key}:${looked}`);
    },
    { workers: 1 },
  );
  queue.start();
  queue.add('a');
  await tick();
  // 'a' is being worked on with the old state; the change is made, and the caller asks for a run that sees it
  state = 'new';
  let answered = false;
  const waited = queue.addAndWait('a').then(() => (answered = true));
  release();
  await tick();
  // the run under way ended, having seen only the old state: not an answer yet
  expect(seen[0]).toBe('a:old');
  await waited;
  expect({ answered, seen }).toEqual({ answered: true, seen: ['a:old', 'a:new'] });

  // stopped before the key's turn: the caller hears so instead of waiting for ever
  const blocked = new WorkQueue(() => new Promise<void>(() => undefined), { workers: 1 });
  blocked.start();
  blocked.add('busy');
  const never = blocked.addAndWait('other');
  blocked.stop();
  await expect(never).rejects.toThrow('the work queue stopped before the key was worked on');
  await expect(blocked.addAndWait('other')).rejects.toThrow('the work queue is not running');
});
