/**
 * A download cut off while the file it goes to is still writing (a race seen once in a full run: the pull failed
 * with "Cannot call write after a stream was destroyed"). The ordering is forced, not hoped for: the file is a FIFO
 * whose pipe the test has filled, so the first write of the body stays under way for as long as the test does not
 * read; only then does the body fail. The failure must come back as the body's own error, once the file is closed,
 * and no late error of the file may escape (an 'error' event with no listener ends the process).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { saveBody } from '../../src/oci/save-body.js';
import { waitFor } from '../support/wait.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-race-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads whatever the pipe holds now (non-blocking); the number of bytes read. */
function drain(reader: number): number {
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  for (;;) {
    try {
      const read = readSync(reader, buffer, 0, buffer.length, null);
      if (read === 0) return total;
      total += read;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return total;
      throw error;
    }
  }
}

test('a body that fails while a write to its file is under way: the body’s error, after the file is closed, and nothing escapes', async () => {
  const fifo = join(dir, 'layer');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  // fill the pipe, so that the next write into it waits for the reader
  const filler = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  let filled = 0;
  for (;;) {
    try {
      filled += writeSync(filler, Buffer.alloc(4096));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      break;
    }
  }
  closeSync(filler);
  expect(filled).toBeGreaterThan(0);

  const out = createWriteStream(fifo);
  await new Promise<void>((resolve) => out.once('ready', () => resolve()));
  let cut!: () => void;
  const cutNow = new Promise<void>((resolve) => (cut = resolve));
  const seen: number[] = [];
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.alloc(1024, 1);
    await cutNow;
    throw new TypeError('terminated');
  }
  let settled = false;
  const saved = saveBody(body(), out, (chunk) => seen.push(chunk.length)).finally(() => (settled = true));
  saved.catch(() => undefined);
  // the first chunk is being written (the pipe is full): its bytes are the stream's, not yet the file's
  await waitFor('the first write to be under way', () => out.writableLength === 1024, { timeoutMs: 5000, everyMs: 5 });
  cut();
  // the body has failed; the write is still under way until the test reads the pipe
  await waitFor('the body to be read to its failure', () => out.destroyed || settled, { timeoutMs: 5000, everyMs: 5 });
  let read = 0;
  await waitFor(
    'the save to end once the pipe is read',
    () => {
      read += drain(reader);
      return settled;
    },
    { timeoutMs: 5000, everyMs: 5 },
  );
  closeSync(reader);
  await expect(saved).rejects.toThrow('terminated');
  expect(out.closed).toBe(true);
  expect(seen).toEqual([1024]);
  expect(read).toBe(filled + 1024);
});
