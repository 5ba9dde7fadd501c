import type { OciError } from './errors.js';

/**
 * Bounds on what a pull accepts from a registry, checked while the bytes arrive: a registry (or a proxy, or whoever
 * published the content) that sends more gets an error naming the artifact, the limit and the value, never a
 * process that runs out of memory or a disk filled up.
 */
export interface PullLimits {
  /**
   * The largest manifest, checked against Content-Length and while reading.
   * @default 4 MiB (what the CNCF distribution registry itself accepts)
   */
  readonly manifestBytes: number;
  /**
   * The largest content layer (compressed), as the manifest declares it and as it arrives.
   * @default 1 GiB
   */
  readonly layerBytes: number;
  /**
   * The most bytes of files the layer may expand to.
   * @default 4 GiB
   */
  readonly extractedBytes: number;
  /**
   * The most entries (files, directories, links) of the layer.
   * @default 100,000
   */
  readonly entries: number;
}

export const DEFAULT_PULL_LIMITS: PullLimits = {
  manifestBytes: 4 * 1024 ** 2,
  layerBytes: 1024 ** 3,
  extractedBytes: 4 * 1024 ** 3,
  entries: 100_000,
};

/** Bodies nobody needs (errors, discarded answers) are read up to this much, then dropped. */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * The body of a response, read as it arrives and refused as soon as it passes `limit` bytes (or when its
 * Content-Length already says so): `tooLarge(bytes)` makes the error, with what was announced or read so far.
 */
export async function readLimited(res: Response, limit: number, tooLarge: (bytes: string) => OciError): Promise<Buffer> {
  const announced = res.headers.get('content-length');
  if (announced !== null && Number(announced) > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(`${announced} bytes announced (Content-Length)`);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > limit) {
        await res.body.cancel().catch(() => undefined);
        throw tooLarge(`more than ${limit} bytes sent`);
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}

/** Up to `limit` bytes of a body as text (for messages), the rest dropped; never fails. */
export async function readSome(res: Response, limit = SMALL_BODY_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= limit) break;
      }
    }
  } catch {
    // a body cut off is as good as what arrived
  }
  await res.body?.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
