/**
 * Pulls are bounded (issue 10, item 12): against a registry on loopback that misbehaves on purpose — an oversized
 * manifest, a blob larger than its manifest declares, a tar bomb, an endless error body — the pull is refused with an
 * error naming the artifact, the limit and the value, nothing lands in the destination, and the process never holds
 * the oversized thing in memory: a layer that expands to 48 MiB is extracted without holding the file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createGzip } from 'node:zlib';

import tar from 'tar-stream';

import { DEFAULT_PULL_LIMITS, OciError, pullContent } from '../../src/oci/index.js';
import { EMPTY_CONFIG, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../../src/oci/media-types.js';

const MiB = 1024 ** 2;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A registry that answers as the test says; it counts what it sent of each body. */
class FakeRegistry {
  public handler: Handler = (_req, res) => res.writeHead(404).end();
  public readonly requests: string[] = [];
  private server!: Server;
  public host = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      this.handler(req, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Writes `total` bytes of `byte` in 64 KiB chunks, respecting backpressure, and resolves with how many bytes the
 * client took before it went away (or all of them).
 */
async function stream(res: ServerResponse, total: number, byte = 0x20): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let sent = 0;
  while (sent < total && !res.destroyed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
    sent += piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
  return sent;
}

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A tar.gz made as a stream, so that a layer expanding to many MiB is only its compressed size in memory. */
async function tarGz(entries: Array<{ name: string; size: number }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = pipeline(pack, createGzip(), async function* (source) {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name: entry.name, size: entry.size, type: 'file', mode: 0o644 }, (error) => (error ? reject(error) : resolve()));
      const zeros = Buffer.alloc(Math.min(entry.size, 1 * MiB));
      Readable.from(
        (function* () {
          for (let left = entry.size; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(zeros.length, left));
        })(),
      ).pipe(sink);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function manifestFor(layer: { digest: string; size: number }): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
      layers: [{ mediaType: OCI_LAYER_TAR_GZIP, digest: layer.digest, size: layer.size }],
    }),
  );
}

/** A registry handler that serves `manifest` for the tag and `blob` for any blob, as `blobBody` says. */
function serving(manifest: Buffer, blob: (res: ServerResponse) => void): Handler {
  return (req, res) => {
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(manifest.length) }).end(manifest);
    } else if (req.url?.includes('/blobs/')) {
      blob(res);
    } else {
      res.writeHead(404).end();
    }
  };
}

// One full garbage collection before measuring, so that garbage of earlier work does not count (v8 collects when it
// decides, so the peak includes garbage made during the work: tens of MiB at most).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Samples the process's ArrayBuffer memory (where Buffers live) while `work` runs: the peak above the start. */
async function peakArrayBuffersDuring<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  collectGarbage();
  const start = process.memoryUsage().arrayBuffers;
  let peak = start;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  };
  const sampler = setInterval(sample, 1);
  try {
    const result = await work();
    sample();
    return { result, peak: peak - start };
  } finally {
    clearInterval(sampler);
  }
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the pull to fail');
}

let registry: FakeRegistry;
let work: string;
let pulls = 0;

/** A destination in a fresh parent directory: after a refused pull, the parent must be as empty as before. */
async function destination(): Promise<{ parent: string; dest: string }> {
  pulls += 1;
  const parent = join(work, `pull-${pulls}`);
  return { parent, dest: join(parent, 'content') };
}

async function leftovers(parent: string): Promise<string[]> {
  return existsSync(parent) ? readdir(parent) : [];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-limits-'));
  registry = new FakeRegistry();
  await registry.start();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('extraction is streamed', () => {
  // First, before other tests leave garbage. Holding the file would take 48 MiB and another 48 MiB to join its
  // chunks; streaming it takes a few MiB plus garbage that v8 collects when it likes (about 20-35 MiB measured).
  test('a file of 48 MiB is written as it arrives: less than the file in buffers', async () => {
    const layer = await tarGz([{ name: 'big.bin', size: 48 * MiB }]);
    registry.handler = serving(manifestFor({ digest: digestOf(layer), size: layer.length }), (res) => res.writeHead(200).end(layer));
    const { dest } = await destination();
    const { result, peak } = await peakArrayBuffersDuring(() => pullContent({ ref: `${registry.host}/acme/large:1`, dest }));
    expect(result.files).toBe(1);
    expect((await stat(join(dest, 'big.bin'))).size).toBe(48 * MiB);
    expect(peak).toBeLessThan(48 * MiB);
    expect((await readFile(join(dest, 'big.bin'))).every((b) => b === 0)).toBe(true);
  });
});

describe('a manifest larger than the limit is refused while it arrives', () => {
  test('announced by Content-Length: refused before a byte of it is read', async () => {
    let sent = -1;
    registry.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(5 * MiB) });
      void stream(res, 5 * MiB).then((n) => (sent = n));
    };
    const { parent, dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/big:1`, dest }));
    expect(error).toBeInstanceOf(OciError);
    expect(error.message).toBe(
      `manifest of ${registry.host}/acme/big:1 is larger than the limit of 4194304 bytes: 5242880 bytes announced (Content-Length); refusing it`,
    );
    expect(await leftovers(parent)).toEqual([]);
    expect(sent).toBeLessThan(5 * MiB);
  });

  test('sent without a length (chunked), without end: cut off after the limit', async () => {
    const sent: number[] = [];
    registry.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': OCI_MANIFEST });
      void stream(res, 1024 * MiB).then((n) => sent.push(n));
    };
    const { dest } = await destination();
    const { result: error, peak } = await peakArrayBuffersDuring(() => errorOf(pullContent({ ref: `${registry.host}/acme/endless:1`, dest })));
    expect(error.message).toBe(
      `manifest of ${registry.host}/acme/endless:1 is larger than the limit of 4194304 bytes: more than 4194304 bytes sent; refusing it`,
    );
    // the client stopped reading: the server could hand over little more than the limit (socket buffers)
    await waitUntil(() => sent.length === 1);
    expect(sent[0]).toBeLessThan(DEFAULT_PULL_LIMITS.manifestBytes + 16 * MiB);
    expect(peak).toBeLessThan(DEFAULT_PULL_LIMITS.manifestBytes + 16 * MiB);
  });

  test('a smaller limit given by the caller is the one applied', async () => {
    const manifest = manifestFor({ digest: digestOf(Buffer.from('x')), size: 1 });
    registry.handler = serving(manifest, (res) => res.writeHead(404).end());
    const { dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/small:1`, dest, limits: { manifestBytes: 100 } }));
    expect(error.message).toBe(
      `manifest of ${registry.host}/acme/small:1 is larger than the limit of 100 bytes: ${manifest.length} bytes announced (Content-Length); refusing it`,
    );
  });
});

describe('a blob is streamed to disk and checked while it arrives', () => {
  let layer: Buffer;
  let manifest: Buffer;
  beforeAll(async () => {
    layer = await tarGz([{ name: 'README.md', size: 1000 }]);
    manifest = manifestFor({ digest: digestOf(layer), size: layer.length });
  });

  test('more bytes than the manifest declares, sent without a length: cut off at the first byte too many', async () => {
    const sent: number[] = [];
    registry.handler = serving(manifest, (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(layer);
      void stream(res, 1024 * MiB).then((n) => sent.push(n));
    });
    const { parent, dest } = await destination();
    const { result: error, peak } = await peakArrayBuffersDuring(() => errorOf(pullContent({ ref: `${registry.host}/acme/longer:1`, dest })));
    expect(error.message).toBe(
      `content layer of ${registry.host}/acme/longer:1 (${digestOf(layer)}) is larger than its manifest declares (${layer.length} bytes): ` +
        `more than ${layer.length} bytes arrived; refusing it`,
    );
    await waitUntil(() => sent.length === 1);
    expect(sent[0]).toBeLessThan(16 * MiB);
    expect(peak).toBeLessThan(16 * MiB);
    expect(await leftovers(parent)).toEqual([]);
  });

  test('a Content-Length larger than the manifest declares: refused before reading', async () => {
    registry.handler = serving(manifest, (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(layer.length + 1) });
      res.end(Buffer.concat([layer, Buffer.from('x')]));
    });
    const { parent, dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/announced:1`, dest }));
    expect(error.message).toBe(
      `content layer of ${registry.host}/acme/announced:1 (${digestOf(layer)}) is larger than its manifest declares (${layer.length} bytes): ` +
        `the registry announces ${layer.length + 1} bytes (Content-Length); refusing it`,
    );
    expect(await leftovers(parent)).toEqual([]);
  });

  test('a layer the manifest declares larger than the limit is never downloaded', async () => {
    const big = manifestFor({ digest: digestOf(layer), size: 2 * 1024 ** 3 });
    registry.requests.length = 0;
    registry.handler = serving(big, (res) => res.writeHead(500).end());
    const { dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/huge:1`, dest }));
    expect(error.message).toBe(
      `content layer of ${registry.host}/acme/huge:1 is 2147483648 bytes (as its manifest declares), more than the limit of 1073741824 bytes; refusing it`,
    );
    expect(registry.requests.filter((r) => r.includes('/blobs/'))).toEqual([]);
  });

  test('the same bytes with another digest: refused, nothing extracted', async () => {
    const other = manifestFor({ digest: digestOf(Buffer.from('something else')), size: layer.length });
    registry.handler = serving(other, (res) => res.writeHead(200, { 'content-length': String(layer.length) }).end(layer));
    const { parent, dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/altered:1`, dest }));
    expect(error.message).toBe(
      `content layer of ${registry.host}/acme/altered:1 does not match its digest: expected ${digestOf(Buffer.from('something else'))} ` +
        `(${layer.length} bytes), got ${digestOf(layer)} (${layer.length} bytes); the registry or a proxy altered it`,
    );
    expect(await leftovers(parent)).toEqual([]);
  });
});

describe('extraction has a total size and an entry count limit', () => {
  test('a gzip bomb: one entry larger than the limit is refused from its header, before it is written', async () => {
    const layer = await tarGz([{ name: 'bomb.bin', size: 256 * MiB }]);
    registry.handler = serving(manifestFor({ digest: digestOf(layer), size: layer.length }), (res) => res.writeHead(200).end(layer));
    const { parent, dest } = await destination();
    const { result: error, peak } = await peakArrayBuffersDuring(() =>
      errorOf(pullContent({ ref: `${registry.host}/acme/bomb:1`, dest, limits: { extractedBytes: 64 * MiB } })),
    );
    expect(error.message).toBe(
      `layer of ${registry.host}/acme/bomb:1 expands to more than the limit of 67108864 bytes (268435456 bytes with 'bomb.bin'); refusing to extract it`,
    );
    expect(peak).toBeLessThan(16 * MiB);
    expect(await leftovers(parent)).toEqual([]);
  });

  test('entries that together pass the limit: refused at the first one too many', async () => {
    const layer = await tarGz([
      { name: 'a', size: 10 * MiB },
      { name: 'b', size: 10 * MiB },
      { name: 'c', size: 10 * MiB },
    ]);
    registry.handler = serving(manifestFor({ digest: digestOf(layer), size: layer.length }), (res) => res.writeHead(200).end(layer));
    const { parent, dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/three:1`, dest, limits: { extractedBytes: 25 * MiB } }));
    expect(error.message).toBe(
      `layer of ${registry.host}/acme/three:1 expands to more than the limit of 26214400 bytes (31457280 bytes with 'c'); refusing to extract it`,
    );
    expect(await leftovers(parent)).toEqual([]);
  });

  test('more entries than the limit: refused at the first one too many', async () => {
    const layer = await tarGz(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, size: 0 })));
    registry.handler = serving(manifestFor({ digest: digestOf(layer), size: layer.length }), (res) => res.writeHead(200).end(layer));
    const { parent, dest } = await destination();
    const error = await errorOf(pullContent({ ref: `${registry.host}/acme/many:1`, dest, limits: { entries: 20 } }));
    expect(error.message).toBe(
      `layer of ${registry.host}/acme/many:1 has more than the limit of 20 entries (entry 21 is 'f20'); refusing to extract it`,
    );
    expect(await leftovers(parent)).toEqual([]);
  });

  test('the defaults', () => {
    expect(DEFAULT_PULL_LIMITS).toEqual({ manifestBytes: 4 * MiB, layerBytes: 1024 * MiB, extractedBytes: 4096 * MiB, entries: 100_000 });
  });
});

test('an error answer with an endless body: the error names the status, and only a little of the body is read', async () => {
  const sent: number[] = [];
  registry.handler = (req, res) => {
    if (req.url === '/v2/') return void res.writeHead(404).end();
    res.writeHead(418, { 'content-type': 'text/plain' });
    void stream(res, 1024 * MiB, 0x61).then((n) => sent.push(n));
  };
  const { dest } = await destination();
  const { result: error, peak } = await peakArrayBuffersDuring(() => errorOf(pullContent({ ref: `${registry.host}/acme/teapot:1`, dest })));
  expect(error.message).toMatch(new RegExp(`^registry ${registry.host} answered 418 I'm a Teapot to GET /v2/acme/teapot/manifests/1: a{200}$`));
  await waitUntil(() => sent.length === 1);
  expect(sent[0]).toBeLessThan(16 * MiB);
  expect(peak).toBeLessThan(16 * MiB);
});

/** Waits for a condition that the event loop will make true (a server handler finishing). */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
