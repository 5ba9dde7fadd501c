import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Writes a response body into a file stream as it arrives, `inspect` seeing each chunk first (to count and hash it;
 * it throws to refuse the body). Resolves once everything is in the file; rejects with the first error, of the
 * body (a download cut off, a timeout), of `inspect` or of the file, and only once the file is closed.
 *
 * Why it waits for the close, and listens to the file to the end: when a body fails while a write to the file is
 * still under way, the file stream finishes that write before it closes, and then reports it as an error of its own
 * ("Cannot call write after a stream was destroyed"). Left without a listener, that late 'error' event ended the
 * process that was pulling (a race seen in a full test run); and a retry that opened the same file again while the
 * old stream was still writing into it would have raced with it.
 */
export async function saveBody(body: AsyncIterable<Uint8Array>, out: Writable, inspect: (chunk: Uint8Array) => void): Promise<void> {
  const seen = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        inspect(chunk);
      } catch (error) {
        done(error as Error);
        return;
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, seen, out);
  } catch (error) {
    // the body's (or inspect's) error is the one that says what happened; the file's late one says nothing more
    out.on('error', () => undefined);
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    throw error;
  }
}
