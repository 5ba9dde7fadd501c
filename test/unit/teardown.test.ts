/**
 * The test teardown helper (test/support/teardown.ts): GIVEN steps that fail, hang or succeed, WHEN the teardown
 * runs, THEN every step runs, a hung step is given up after its limit, and only the project's own steps fail it.
 */
import { jest } from '@jest/globals';

import { tearDown } from '../support/teardown.js';

const never = () => new Promise(() => undefined);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a hung or failing step of ours fails the teardown, named, after every later step has run', async () => {
  const ran: string[] = [];
  const done = tearDown(
    [
      ['closing the dashboard', never],
      ['closing the portal', () => Promise.reject(new Error('EADDRINUSE'))],
      ['removing the work directory', () => ran.push('rm')],
    ],
    1_000,
  );
  const outcome = expect(done).rejects.toThrow('teardown: closing the dashboard: still running after 1 s; closing the portal: EADDRINUSE');
  await jest.advanceTimersByTimeAsync(1_000);
  await outcome;
  expect(ran).toEqual(['rm']);
});

test("a tool's hung step is reported on stderr and the teardown goes on and succeeds", async () => {
  const written: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => Boolean(written.push(String(chunk))));
  try {
    const ran: string[] = [];
    const done = tearDown(
      [
        ['closing Chromium', never, 'tool'],
        ['closing the dashboard', () => ran.push('dashboard')],
      ],
      1_000,
    );
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(done).resolves.toBeUndefined();
    expect(ran).toEqual(['dashboard']);
    expect(written.join('')).toContain('closing Chromium: still running after 1 s');
  } finally {
    write.mockRestore();
  }
});
