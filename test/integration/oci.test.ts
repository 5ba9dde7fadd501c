/**
 * Workshop content as an OCI artifact, against a real registry (Debian's docker-registry, distribution 2.8, on
 * loopback): publish a tree and pull it back byte for byte, determinism and idempotence, tags that move, chunked
 * uploads, authentication, and every error a user can meet, with its exact message. Crafted layers are pushed
 * through the same registry client to check that extraction refuses what would escape the destination.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import tar from 'tar-stream';

import { sha256Digest } from '../../src/oci/digest.js';
import { OciError, packContent, publishContent, pullContent, resolveDigest } from '../../src/oci/index.js';
import { contentManifest, serializeManifest } from '../../src/oci/manifest.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, OCI_MANIFEST } from '../../src/oci/media-types.js';
import { parseReference } from '../../src/oci/reference.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.js';

let work: string;
let registry: TestRegistry;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-test-'));
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// helpers

let dirs = 0;
async function newDir(name: string): Promise<string> {
  dirs += 1;
  const dir = join(work, `${dirs}-${name}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A workshop directory with what content holds in practice, and things that must stay out. */
async function workshopTree(): Promise<string> {
  const dir = await newDir('workshop');
  const put = async (path: string, data: string | Buffer, mode = 0o644) => {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), data);
    await chmod(join(dir, path), mode);
  };
  await put('README.md', '# Kubernetes basics\n');
  await put('workshop/content/01-intro.md', '---\ntitle: Intro\n---\nHello {{< param session_name >}}\n');
  await put('workshop/content/02-café.md', 'Unicode names survive.\n');
  await put(`workshop/content/${'deep/'.repeat(20)}${'long-name-'.repeat(12)}.md`, 'a path longer than 100 bytes\n');
  await put('workshop/setup.d/10-tools.sh', '#!/bin/sh\necho ready\n', 0o755);
  await put('workshop/private.txt', 'owner-only file, published 0644\n', 0o600);
  await put('exercises/app/main.go', 'package main\n\nfunc main() {}\n');
  await put('exercises/data.bin', randomBytes(200_000));
  await mkdir(join(dir, 'exercises/empty'), { recursive: true });
  await symlink('01-intro.md', join(dir, 'workshop/content/link-to-intro.md'));
  await symlink('../exercises', join(dir, 'workshop/exercises-link'));
  // left out: not included, pointing outside, broken, not a file
  await put('workshop.ts', 'export {};\n');
  await put('node_modules/x/index.js', 'module.exports = 1;\n');
  await symlink('/etc/hostname', join(dir, 'workshop/outside-link'));
  await symlink('../../..', join(dir, 'workshop/content/up-link'));
  await symlink('missing.md', join(dir, 'workshop/content/broken-link'));
  execFileSync('mkfifo', [join(dir, 'exercises/pipe')]);
  return dir;
}

type Node = { type: 'file'; mode: number; data: string } | { type: 'dir'; mode: number } | { type: 'link'; target: string };

/** Every entry below `dir`: type, permission bits, and contents (sha256) or link target. */
async function snapshot(dir: string): Promise<Record<string, Node>> {
  const out: Record<string, Node> = {};
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = await lstat(join(dir, path));
      if (stat.isSymbolicLink()) out[path] = { type: 'link', target: await readlink(join(dir, path)) };
      else if (stat.isDirectory()) {
        out[path] = { type: 'dir', mode: stat.mode & 0o7777 };
        await walk(path);
      } else if (stat.isFile()) out[path] = { type: 'file', mode: stat.mode & 0o7777, data: sha256Digest(await readFile(join(dir, path))) };
      else out[path] = { type: 'file', mode: -1, data: 'special' };
    }
  }
  await walk('');
  return out;
}

/** What a tree should look like after publish + pull: included entries only, modes 0644/0755, outside links gone. */
function expectedAfterPull(source: Record<string, Node>): Record<string, Node> {
  const dropped = [
    'workshop.ts',
    'node_modules',
    'workshop/outside-link',
    'workshop/content/up-link',
    'workshop/content/broken-link',
    'exercises/pipe',
  ];
  return Object.fromEntries(
    Object.entries(source)
      .filter(([path]) => !dropped.some((d) => path === d || path.startsWith(`${d}/`)))
      .map(([path, node]) => [
        path,
        node.type === 'file' ? { ...node, mode: node.mode & 0o111 ? 0o755 : 0o644 } : node.type === 'dir' ? { ...node, mode: 0o755 } : node,
      ]),
  );
}

const ref = (path: string) => `${registry.host}/${path}`;

/** Pushes an arbitrary layer as content (the way a hostile or broken publisher could), through the real client. */
async function pushCraftedLayer(path: string, layer: Buffer): Promise<string> {
  const parsed = parseReference(ref(path));
  const client = new RegistryClient(parsed, {}, 'push');
  const digest = sha256Digest(layer);
  await client.pushBlob(EMPTY_CONFIG_BYTES, EMPTY_CONFIG.digest);
  await client.pushBlob(layer, digest);
  await client.putManifest(parsed.tag!, serializeManifest(contentManifest({ digest, size: layer.length }, {})), OCI_MANIFEST);
  return ref(path);
}

type Crafted = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; linkname?: string; data?: string };
async function craftLayer(entries: Crafted[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, mode: 0o644 }, e.data ?? 'x');
    else pack.entry({ name: e.name, type, linkname: e.linkname, mode: 0o755 });
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

async function errorOf(promise: Promise<unknown>): Promise<OciError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OciError);
    expect((error as Error).message).not.toMatch(/\n\s+at /);
    return error as OciError;
  }
  throw new Error('expected an OciError, got success');
}

// ---------------------------------------------------------------------------------------------------------------
// round trip

test('GIVEN a workshop tree WHEN published and pulled into another directory THEN every file comes back byte for byte, with its mode', async () => {
  const source = await workshopTree();
  const published = await publishContent({ dir: source, ref: ref('acme/basics-files:1.0') });
  expect(published.ref).toBe(ref('acme/basics-files:1.0'));
  expect(published.digest).toMatch(/^sha256:[a-f0-9]{64}$/);

  const dest = join(await newDir('pulled'), 'content');
  const pulled = await pullContent({ ref: ref('acme/basics-files:1.0'), dest });
  expect(pulled.digest).toBe(published.digest);

  const want = expectedAfterPull(await snapshot(source));
  expect(await snapshot(dest)).toEqual(want);
  expect(pulled.files).toBe(Object.values(want).filter((n) => n.type !== 'dir').length);
  // links were kept as relative links that still resolve at the destination
  expect(await readFile(join(dest, 'workshop/content/link-to-intro.md'), 'utf8')).toContain('Hello');
  expect(await readdir(join(dest, 'workshop/exercises-link'))).toEqual(['app', 'data.bin', 'empty']);
});

test('the manifest is an OCI artifact: artifactType, the empty config, one titled tar+gzip layer, deterministic annotations', async () => {
  const source = await workshopTree();
  const { digest } = await publishContent({ dir: source, ref: ref('acme/manifest:2.1'), annotations: { 'org.example.course': 'k8s-101' } });
  const res = await fetch(`${registry.url}/v2/acme/manifest/manifests/${digest}`, { headers: { accept: OCI_MANIFEST } });
  const manifest = await res.json();
  const packed = await packContent(source);
  expect(manifest).toEqual({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.cdk8s-workshops.content.v1+tar',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_CONFIG.digest, size: 2, data: 'e30=' },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: packed.digest,
        size: packed.layer.length,
        annotations: { 'org.opencontainers.image.title': 'workshop-content.tar.gz' },
      },
    ],
    annotations: { 'org.example.course': 'k8s-101', 'org.opencontainers.image.version': '2.1' },
  });
});

test('SOURCE_DATE_EPOCH sets the entry times and the created annotation', async () => {
  const source = await workshopTree();
  process.env.SOURCE_DATE_EPOCH = '1700000000';
  try {
    const { digest } = await publishContent({ dir: source, ref: ref('acme/epoch:1') });
    const manifest = (await (await fetch(`${registry.url}/v2/acme/epoch/manifests/${digest}`, { headers: { accept: OCI_MANIFEST } })).json()) as {
      annotations: Record<string, string>;
    };
    expect(manifest.annotations['org.opencontainers.image.created']).toBe('2023-11-14T22:13:20Z');
    const listing = execFileSync('tar', ['-tvzf', '-'], { input: (await packContent(source)).layer }).toString();
    expect(listing).toContain('2023-11-14');
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
});

// ---------------------------------------------------------------------------------------------------------------
// determinism and idempotence

test('GIVEN the same tree with other timestamps and permissions WHEN packed THEN the layer is byte-identical', async () => {
  const source = await workshopTree();
  const first = await packContent(source);
  await utimes(join(source, 'README.md'), new Date('2001-01-01'), new Date('2001-01-01'));
  await utimes(join(source, 'workshop/content'), new Date('2011-01-01'), new Date('2011-01-01'));
  await chmod(join(source, 'exercises/app/main.go'), 0o664);
  await chmod(join(source, 'workshop/setup.d/10-tools.sh'), 0o700);
  const second = await packContent(source);
  expect(second.digest).toBe(first.digest);
  expect(second.layer.equals(first.layer)).toBe(true);
  // the same tree reached through a link, from another working directory
  const viaLink = join(await newDir('link'), 'tree');
  await symlink(source, viaLink);
  expect((await packContent(viaLink)).digest).toBe(first.digest);
  // owners and times are normalised in the tar itself
  const listing = execFileSync('tar', ['--numeric-owner', '-tvzf', '-'], { input: first.layer }).toString().trim().split('\n');
  expect(listing.every((line) => / 0\/0 /.test(line) && line.includes('1970-01-01'))).toBe(true);
  expect(listing.some((line) => line.startsWith('-rwxr-xr-x') && line.endsWith('workshop/setup.d/10-tools.sh'))).toBe(true);
  expect(listing.some((line) => line.startsWith('-rw-r--r--') && line.endsWith('workshop/private.txt'))).toBe(true);
});

test('publishing the same tree twice gives the same digest and uploads nothing the second time', async () => {
  const source = await workshopTree();
  const progress: Array<[number, number]> = [];
  const first = await publishContent({ dir: source, ref: ref('acme/twice:1.0') });
  const second = await publishContent({ dir: source, ref: ref('acme/twice:1.0'), onProgress: (done, total) => progress.push([done, total]) });
  expect(second.digest).toBe(first.digest);
  expect(second.bytes).toBe(first.bytes);
  // the layer was already there: a single "all done" report, no upload
  expect(progress).toEqual([[first.bytes, first.bytes]]);
  // and another tag of the same content is the same manifest too
  const third = await publishContent({ dir: source, ref: ref('acme/twice:1.0') });
  expect(third.digest).toBe(first.digest);
});

test('resolveDigest follows a tag as it moves, and a digest reference keeps pulling the old content', async () => {
  const source = await workshopTree();
  const v1 = await publishContent({ dir: source, ref: ref('acme/moving:latest') });
  expect(await resolveDigest(ref('acme/moving'))).toBe(v1.digest);
  await writeFile(join(source, 'workshop/content/01-intro.md'), 'Changed.\n');
  const v2 = await publishContent({ dir: source, ref: ref('acme/moving') });
  expect(v2.ref).toBe(ref('acme/moving:latest'));
  expect(v2.digest).not.toBe(v1.digest);
  expect(await resolveDigest(ref('acme/moving:latest'))).toBe(v2.digest);

  const dest = join(await newDir('old'), 'content');
  const old = await pullContent({ ref: `${ref('acme/moving')}@${v1.digest}`, dest });
  expect(old.digest).toBe(v1.digest);
  expect(await readFile(join(dest, 'workshop/content/01-intro.md'), 'utf8')).toContain('Hello');
});

// ---------------------------------------------------------------------------------------------------------------
// replacement and large layers

test('GIVEN a destination with older content WHEN pulled THEN it is replaced as a whole and no staging directory is left', async () => {
  const source = await workshopTree();
  await publishContent({ dir: source, ref: ref('acme/replace:1') });
  const parent = await newDir('replace');
  const dest = join(parent, 'content');
  await mkdir(join(dest, 'workshop'), { recursive: true });
  await writeFile(join(dest, 'workshop/stale.md'), 'from an earlier version\n');
  await pullContent({ ref: ref('acme/replace:1'), dest });
  expect(existsSync(join(dest, 'workshop/stale.md'))).toBe(false);
  expect(existsSync(join(dest, 'README.md'))).toBe(true);
  expect(await readdir(parent)).toEqual(['content']);

  // a failed pull leaves what was there
  const before = await snapshot(dest);
  await errorOf(pullContent({ ref: ref('acme/replace:missing'), dest }));
  expect(await snapshot(dest)).toEqual(before);
  expect(await readdir(parent)).toEqual(['content']);
});

test('a layer larger than one chunk goes up in PATCH chunks with increasing progress, and comes back intact', async () => {
  const dir = await newDir('large');
  await mkdir(join(dir, 'exercises'));
  await writeFile(join(dir, 'exercises/image.bin'), randomBytes(12 * 1024 * 1024));
  const progress: Array<[number, number]> = [];
  const published = await publishContent({ dir, ref: ref('acme/large:1'), onProgress: (done, total) => progress.push([done, total]) });
  expect(published.bytes).toBeGreaterThan(12 * 1024 * 1024);
  expect(progress.length).toBeGreaterThanOrEqual(4); // start, three chunks
  expect(progress.every(([, total]) => total === published.bytes)).toBe(true);
  expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));
  expect(progress[progress.length - 1]).toEqual([published.bytes, published.bytes]);

  const dest = join(await newDir('large-pulled'), 'content');
  await pullContent({ ref: ref('acme/large:1'), dest });
  expect((await readFile(join(dest, 'exercises/image.bin'))).equals(await readFile(join(dir, 'exercises/image.bin')))).toBe(true);
});

// ---------------------------------------------------------------------------------------------------------------
// authentication

describe('a registry with htpasswd authentication', () => {
  let secured: TestRegistry;
  beforeAll(async () => {
    secured = await startRegistry({ auth: { username: 'author', password: 'correct horse' } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  test('the right password publishes and pulls', async () => {
    const source = await workshopTree();
    const target = `${secured.host}/team/private-files:1.0`;
    const published = await publishContent({ dir: source, ref: target, username: 'author', password: 'correct horse' });
    const dest = join(await newDir('auth-pulled'), 'content');
    const pulled = await pullContent({ ref: target, dest, username: 'author', password: 'correct horse' });
    expect(pulled.digest).toBe(published.digest);
    expect(await resolveDigest(target, { username: 'author', password: 'correct horse' })).toBe(published.digest);
  });

  test('a wrong password, or none, is denied with a message that says what to check', async () => {
    const source = await workshopTree();
    const target = `${secured.host}/team/private-files:1.0`;
    expect((await errorOf(publishContent({ dir: source, ref: target, username: 'author', password: 'wrong' }))).message).toBe(
      `push to ${target} denied: check username/password or token`,
    );
    expect((await errorOf(publishContent({ dir: source, ref: target }))).message).toBe(`push to ${target} denied: check username/password or token`);
    const dest = join(await newDir('denied'), 'content');
    expect((await errorOf(pullContent({ ref: target, dest, username: 'author', password: 'wrong' }))).message).toBe(
      `pull from ${target} denied: check username/password or token`,
    );
    expect(existsSync(dest)).toBe(false);
  });
});

describe('a registry with Bearer token authentication (Docker token protocol)', () => {
  let secured: TestRegistry;
  beforeAll(async () => {
    secured = await startRegistry({ auth: { username: 'ci-bot', password: 's3cret-token' }, scheme: 'token' });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  test('the right credentials get one pull,push token for a publish, and a pull token to pull', async () => {
    const source = await workshopTree();
    const target = `${secured.host}/team/token-files:1.0`;
    const published = await publishContent({ dir: source, ref: target, username: 'ci-bot', password: 's3cret-token' });
    expect(secured.tokenRequests).toEqual([{ scope: 'repository:team/token-files:pull,push', granted: true }]);
    const dest = join(await newDir('token-pulled'), 'content');
    expect((await pullContent({ ref: target, dest, username: 'ci-bot', password: 's3cret-token' })).digest).toBe(published.digest);
    expect(secured.tokenRequests[1]).toEqual({ scope: 'repository:team/token-files:pull', granted: true });
    expect(await snapshot(dest)).toEqual(expectedAfterPull(await snapshot(source)));
  });

  test('credentials the token service refuses are denied', async () => {
    const target = `${secured.host}/team/token-files:1.0`;
    expect((await errorOf(publishContent({ dir: await workshopTree(), ref: target, username: 'ci-bot', password: 'expired' }))).message).toBe(
      `push to ${target} denied: check username/password or token`,
    );
    expect((await errorOf(resolveDigest(target))).message).toBe(`pull from ${target} denied: check username/password or token`);
  });
});

describe('a loopback registry that serves HTTPS', () => {
  let tlsRegistry: TestRegistry;
  beforeAll(async () => {
    tlsRegistry = await startRegistry({ tls: true });
  });
  afterAll(async () => {
    await tlsRegistry?.stop();
  });

  test('is reached over HTTPS after its first answer, and an untrusted certificate is named as such', async () => {
    const target = `${tlsRegistry.host}/acme/tls-files:1.0`;
    expect((await errorOf(pullContent({ ref: target, dest: join(work, 'never') }))).message).toBe(
      `cannot reach registry ${tlsRegistry.host}: its TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); add its CA with NODE_EXTRA_CA_CERTS`,
    );
  });

  test('with its CA trusted (NODE_EXTRA_CA_CERTS, read when Node starts), publish and pull work over HTTPS', async () => {
    // Node reads NODE_EXTRA_CA_CERTS only at start-up, so this runs in a child process
    const source = await workshopTree();
    const dest = join(await newDir('tls-pulled'), 'content');
    const script = join(await newDir('tls-script'), 'round-trip.mts');
    const oci = join(process.cwd(), 'src/oci/index.ts');
    await writeFile(
      script,
      [
        `import { publishContent, pullContent, resolveDigest } from ${JSON.stringify(oci)};`,
        `const ref = ${JSON.stringify(`${tlsRegistry.host}/acme/tls-files:1.0`)};`,
        `const published = await publishContent({ dir: ${JSON.stringify(source)}, ref });`,
        `const pulled = await pullContent({ ref, dest: ${JSON.stringify(dest)} });`,
        'console.log(JSON.stringify({ published: published.digest, pulled: pulled.digest, resolved: await resolveDigest(ref) }));',
      ].join('\n'),
    );
    const out = execFileSync(join(process.cwd(), 'node_modules/.bin/tsx'), [script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsRegistry.caFile, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.pulled).toBe(result.published);
    expect(result.resolved).toBe(result.published);
    expect(await snapshot(dest)).toEqual(expectedAfterPull(await snapshot(source)));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// a flaky registry

/**
 * A proxy in front of the registry that fails the requests it is told to: 503, a connection dropped before
 * answering, or an answer cut off after half its body. It forwards the Host header so the registry's upload URLs
 * point back at the proxy.
 */
async function flakyProxy(target: TestRegistry, fail: (kind: string, seen: number) => '503' | 'drop' | 'cut' | undefined) {
  const seen = new Map<string, number>();
  const faults: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const kind = `${req.method} ${path
      .replace(/\/(blobs\/uploads\/)[^/]+$/, '/$1<id>')
      .replace(/sha256:[a-f0-9]{64}/, '<digest>')
      .replace(/^\/v2\/[^]*?\/(blobs|manifests)/, '/v2/<repo>/$1')}`;
    const count = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, count);
    const fault = fail(kind, count);
    if (fault && fault !== 'cut') {
      faults.push(`${fault} ${kind}`);
      req.resume();
      if (fault === 'drop') req.socket.destroy();
      else res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
      return;
    }
    const upstream = httpRequest(`${target.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (fault !== 'cut') {
        answer.pipe(res);
        return;
      }
      faults.push(`cut ${kind}`);
      const half = Number(answer.headers['content-length'] ?? 0) / 2;
      let sent = 0;
      answer.on('data', (chunk: Buffer) => {
        if (sent < half) res.write(chunk.subarray(0, Math.max(0, Math.min(chunk.length, half - sent))));
        sent += chunk.length;
        if (sent >= half) {
          answer.destroy();
          res.socket?.destroy();
        }
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('faults', () => {
  // (A cut-off download once failed this test with 'Cannot call write after a stream was destroyed': the file's
  // late error after a write still under way; test/unit/oci-download-race.test.ts forces that ordering.)
  test('GIVEN a registry that fails each kind of request once (503, a dropped connection, a download cut off) WHEN publishing and pulling THEN both succeed', async () => {
    const failOnce = [
      'HEAD /v2/<repo>/blobs/<digest>',
      'POST /v2/<repo>/blobs/uploads/',
      'PATCH /v2/<repo>/blobs/uploads/<id>',
      'PUT /v2/<repo>/manifests/1.0',
      'GET /v2/<repo>/manifests/1.0',
      'GET /v2/<repo>/blobs/<digest>',
    ];
    const proxy = await flakyProxy(registry, (kind, seen) => {
      if (!failOnce.includes(kind)) return undefined;
      if (kind === 'GET /v2/<repo>/blobs/<digest>') return seen <= 2 ? (seen === 1 ? '503' : 'cut') : undefined;
      return seen === 1 ? (kind.startsWith('P') ? 'drop' : '503') : undefined;
    });
    try {
      const source = await workshopTree();
      await writeFile(join(source, 'exercises/big.bin'), randomBytes(6 * 1024 * 1024)); // two PATCH chunks
      const published = await publishContent({ dir: source, ref: `${proxy.host}/acme/flaky:1.0`, insecure: true });
      const dest = join(await newDir('flaky-pulled'), 'content');
      const pulled = await pullContent({ ref: `${proxy.host}/acme/flaky:1.0`, dest, insecure: true });
      expect(pulled.digest).toBe(published.digest);
      expect(await snapshot(dest)).toEqual(expectedAfterPull(await snapshot(source)));
      expect(proxy.faults.sort()).toEqual([
        '503 GET /v2/<repo>/blobs/<digest>',
        '503 GET /v2/<repo>/manifests/1.0',
        '503 HEAD /v2/<repo>/blobs/<digest>',
        'cut GET /v2/<repo>/blobs/<digest>',
        'drop PATCH /v2/<repo>/blobs/uploads/<id>',
        'drop POST /v2/<repo>/blobs/uploads/',
        'drop PUT /v2/<repo>/manifests/1.0',
      ]);
    } finally {
      await proxy.close();
    }
  });
});

test('GIVEN a registry that always answers 503 THEN publishing gives up after a bounded number of attempts, quoting the registry', async () => {
  const proxy = await flakyProxy(registry, () => '503');
  try {
    const error = await errorOf(publishContent({ dir: await workshopTree(), ref: `${proxy.host}/acme/down:1.0` }));
    expect(error.message).toBe(`registry ${proxy.host} answered 503 Service Unavailable to HEAD /v2/acme/down/blobs/${EMPTY_CONFIG.digest}`);
    // bounded by the number of attempts (4), not by a time
    expect(proxy.faults.length).toBe(4);
  } finally {
    await proxy.close();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// errors

test.each([
  [
    'acme/files:1.0',
    "OCI reference 'acme/files:1.0' has no registry host: write the registry in full, e.g. docker.io/acme/files:1.0 or ghcr.io/acme/files:1.0 (short Docker Hub names are not guessed, so content never lands in a public registry by mistake)",
  ],
  [
    'files',
    "invalid OCI reference 'files': it has no registry host and repository path; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  [
    'https://ghcr.io/acme/files:1.0',
    "invalid OCI reference 'https://ghcr.io/acme/files:1.0': write it without a scheme such as https://; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  [
    'ghcr.io/Acme/files:1.0',
    "invalid OCI reference 'ghcr.io/Acme/files:1.0': path component 'Acme' must be lower-case letters and digits, separated by '.', '_', '__' or '-'; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  [
    'ghcr.io/acme/files:-1',
    "invalid OCI reference 'ghcr.io/acme/files:-1': tag '-1' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  [
    'ghcr.io/acme/files@sha256:abc',
    "invalid OCI reference 'ghcr.io/acme/files@sha256:abc': digest 'sha256:abc' is not sha256:<64 lower-case hex digits>; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  [
    '127.0.0.1:99999/acme/files',
    "invalid OCI reference '127.0.0.1:99999/acme/files': port '99999' must be a number from 1 to 65535; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0",
  ],
  ['', "invalid OCI reference '': it is empty; expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0"],
])('the reference %j is refused with a message that shows the expected form', async (reference, message) => {
  const dest = join(work, 'never');
  expect((await errorOf(pullContent({ ref: reference, dest }))).message).toBe(message);
  expect((await errorOf(publishContent({ dir: work, ref: reference }))).message).toBe(message);
});

test('references in every allowed form parse', () => {
  expect(parseReference('ghcr.io/acme/files')).toEqual({ registry: 'ghcr.io', repository: 'acme/files', tag: 'latest' });
  expect(parseReference('localhost:5001/files:v1.2.3-rc.1')).toEqual({ registry: 'localhost:5001', repository: 'files', tag: 'v1.2.3-rc.1' });
  const digest = `sha256:${'a'.repeat(64)}`;
  expect(parseReference(`registry.example.com/a/b/c@${digest}`)).toEqual({ registry: 'registry.example.com', repository: 'a/b/c', digest });
  expect(parseReference('docker.io/alpine:3')).toEqual({ registry: 'docker.io', repository: 'library/alpine', tag: '3' });
  expect(parseReference(`[::1]:5000/a_b/c__d/e-f:1@${digest}`)).toEqual({ registry: '[::1]:5000', repository: 'a_b/c__d/e-f', tag: '1', digest });
});

test('publishing to a digest, a directory without content, a bad annotation or a bad SOURCE_DATE_EPOCH is refused', async () => {
  const digest = `sha256:${'0'.repeat(64)}`;
  expect((await errorOf(publishContent({ dir: work, ref: `${ref('acme/x')}@${digest}` }))).message).toBe(
    `cannot publish to '${ref('acme/x')}@${digest}': a digest names content that exists already; publish to a tag, e.g. ${ref('acme/x')}:1.0`,
  );
  const empty = await newDir('empty');
  await writeFile(join(empty, 'workshop.ts'), 'export {};\n');
  expect((await errorOf(publishContent({ dir: empty, ref: ref('acme/x:1') }))).message).toBe(
    `nothing to pack in '${empty}': no file matches workshop/**, exercises/**, README.md`,
  );
  expect((await errorOf(packContent(join(work, 'no-such-dir')))).message).toBe(`content directory '${join(work, 'no-such-dir')}' does not exist`);
  const source = await workshopTree();
  expect((await errorOf(publishContent({ dir: source, ref: ref('acme/x:1'), annotations: { 'has space': 'x' } }))).message).toBe(
    "annotation key 'has space' must be letters, digits, '.', '_', '-' or '/' (reverse-DNS, e.g. org.example.course)",
  );
  process.env.SOURCE_DATE_EPOCH = 'yesterday';
  try {
    expect((await errorOf(packContent(source))).message).toBe(
      "SOURCE_DATE_EPOCH 'yesterday' must be a whole number of seconds since 1970-01-01 (e.g. $(git log -1 --format=%ct))",
    );
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
});

test('an include list replaces the default selection', async () => {
  const source = await workshopTree();
  const packed = await packContent(source, { include: ['/workshop/content/*.md', 'README.md'] });
  const listing = execFileSync('tar', ['-tzf', '-'], { input: packed.layer }).toString().trim().split('\n');
  expect(listing).toEqual([
    'README.md',
    'workshop/',
    'workshop/content/',
    'workshop/content/01-intro.md',
    'workshop/content/02-café.md',
    'workshop/content/link-to-intro.md',
  ]);
});

test('an unknown tag or repository is reported as not found', async () => {
  const dest = join(work, 'never');
  expect((await errorOf(pullContent({ ref: ref('acme/nothing-here:1.0'), dest }))).message).toBe(
    `${ref('acme/nothing-here:1.0')} not found: check the repository and the tag, and that the content was published`,
  );
  expect((await errorOf(resolveDigest(ref('acme/nothing-here:2.0')))).message).toBe(
    `${ref('acme/nothing-here:2.0')} not found: check the repository and the tag, and that the content was published`,
  );
  expect(existsSync(dest)).toBe(false);
});

test('a registry that does not listen is reported as unreachable, after bounded retries', async () => {
  const port = await freePort();
  expect((await errorOf(publishContent({ dir: await workshopTree(), ref: `127.0.0.1:${port}/acme/files:1.0` }))).message).toBe(
    `cannot reach registry 127.0.0.1:${port}: connection refused`,
  );
  expect((await errorOf(pullContent({ ref: `127.0.0.1:${port}/acme/files:1.0`, dest: join(work, 'never') }))).message).toBe(
    `cannot reach registry 127.0.0.1:${port}: connection refused`,
  );
});

test('a layer altered in the registry storage is refused as not matching its digest', async () => {
  const dir = await newDir('corrupt');
  await writeFile(join(dir, 'README.md'), 'original\n');
  const published = await publishContent({ dir, ref: ref('acme/corrupt:1') });
  const layerDigest = (await packContent(dir)).digest;
  const hex = layerDigest.slice('sha256:'.length);
  const blob = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const bytes = await readFile(blob);
  bytes[bytes.length - 5] ^= 0xff;
  await writeFile(blob, bytes);
  const dest = join(await newDir('corrupt-pulled'), 'content');
  const error = await errorOf(pullContent({ ref: ref('acme/corrupt:1'), dest }));
  expect(error.message).toMatch(
    new RegExp(
      `^content layer of ${ref('acme/corrupt:1').replace(/[.]/g, '\\.')} does not match its digest: expected ${layerDigest} \\(${published.bytes} bytes\\), ` +
        `got sha256:[a-f0-9]{64} \\(${published.bytes} bytes\\); the registry or a proxy altered it$`,
    ),
  );
  expect(existsSync(dest)).toBe(false);
});

test.each([
  ['a parent path', [{ name: '../escaped.txt' }], "'../escaped.txt': '..' would leave the destination"],
  ['a nested parent path', [{ name: 'workshop/../../escaped.txt' }], "'workshop/../../escaped.txt': '..' would leave the destination"],
  ['an absolute path', [{ name: '/tmp/escaped.txt' }], "'/tmp/escaped.txt': absolute paths are not allowed"],
  [
    'a link to an absolute path',
    [{ name: 'etc', type: 'symlink', linkname: '/etc' }],
    "'etc': its link target '/etc' is absolute and would point outside the destination",
  ],
  [
    'a link above the destination',
    [{ name: 'workshop/up', type: 'symlink', linkname: '../..' }],
    "'workshop/up': its link target '../..' points outside the destination",
  ],
  [
    'a link that escapes through another link',
    [
      { name: 's', type: 'symlink', linkname: '.' },
      { name: 'escape', type: 'symlink', linkname: 's/s/..' },
    ],
    "'escape': its link target 's/s/..' is not in normal form ('..' only at the start)",
  ],
  [
    'a write through a link',
    [{ name: 'workshop/', type: 'directory' }, { name: 'w', type: 'symlink', linkname: 'workshop' }, { name: 'w/x.md' }],
    "'w/x.md': it goes through the symbolic link 'w'",
  ],
  [
    'a hard link',
    [{ name: 'README.md' }, { name: 'hard', type: 'link', linkname: 'README.md' }],
    "'hard': hard links are not accepted in workshop content",
  ],
  [
    'a FIFO',
    [{ name: 'pipe', type: 'fifo' }],
    "'pipe': entries of type 'fifo' are not accepted in workshop content (files, directories and symbolic links are)",
  ],
] as Array<[string, Crafted[], string]>)('a crafted layer with %s is refused and nothing is written', async (_what, entries, why) => {
  const name = `crafted/layer-${Math.random().toString(36).slice(2, 8)}:1`;
  const target = await pushCraftedLayer(name, await craftLayer(entries));
  const parent = await newDir('crafted');
  const dest = join(parent, 'inner', 'content');
  expect((await errorOf(pullContent({ ref: target, dest }))).message).toBe(`layer of ${target} has an unsafe entry ${why}; refusing to extract it`);
  expect(existsSync(dest)).toBe(false);
  expect(await readdir(join(parent, 'inner'))).toEqual([]);
  expect(existsSync(join(parent, 'escaped.txt'))).toBe(false);
  expect(existsSync(join(parent, 'inner', 'escaped.txt'))).toBe(false);
});

test('an image index or a multi-layer image is refused with what was expected', async () => {
  const client = new RegistryClient(parseReference(ref('acme/index:1')), {}, 'push');
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  await client.putManifest('1', index, 'application/vnd.oci.image.index.v1+json');
  expect((await errorOf(pullContent({ ref: ref('acme/index:1'), dest: join(work, 'never') }))).message).toBe(
    `${ref('acme/index:1')} is an image index (one image per platform), not workshop content: publish the content with 'workshops publish'`,
  );

  const layer = await craftLayer([{ name: 'README.md' }]);
  const digest = sha256Digest(layer);
  await client.pushBlob(EMPTY_CONFIG_BYTES, EMPTY_CONFIG.digest);
  await client.pushBlob(layer, digest);
  const twoLayers = contentManifest({ digest, size: layer.length }, {});
  await client.putManifest('2', serializeManifest({ ...twoLayers, layers: [...twoLayers.layers, ...twoLayers.layers] }), OCI_MANIFEST);
  expect((await errorOf(pullContent({ ref: ref('acme/index:2'), dest: join(work, 'never') }))).message).toBe(
    `${ref('acme/index:2')} has 2 layer(s) of types application/vnd.oci.image.layer.v1.tar+gzip, application/vnd.oci.image.layer.v1.tar+gzip; ` +
      'workshop content is one application/vnd.oci.image.layer.v1.tar+gzip layer',
  );
});
