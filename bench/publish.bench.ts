/**
 * Content publishing benchmark. Run with `npm run bench:publish` (tsx; no test framework). Needs
 * /usr/bin/docker-registry (started on loopback by test/support/registry.ts) and GNU tar for the pack baseline.
 *
 * A 50 MB workshop tree is generated (20 MB of incompressible random files, 30 MB of Markdown-like text), then for
 * ROUNDS rounds, each to a fresh repository so that nothing is deduplicated:
 * 1. pack:  packContent(dir)                      vs. `tar --sort=name … -czf -` of the same paths (GNU tar + gzip)
 * 2. push:  the registry client's pushBlob        vs. one POST + one monolithic PUT of the same bytes with fetch
 *           (5 MiB PATCH chunks with progress)
 * 3. publish end to end: publishContent (pack + config + layer + manifest)
 * 4. pull:  pullContent (manifest, blob, digest check, safe extraction, atomic install)
 *                                                 vs. a GET of the same blob with fetch piped into `tar -xzf`
 *                                                 (and, for information, the GET alone)
 * Rates are MB/s (10^6 bytes) of the tree's bytes for pack and publish, of the layer's bytes for push and pull;
 * figures are medians over the rounds. Bounded: three rounds, and it stops itself after MAX_SECONDS.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { packContent, publishContent, pullContent } from '../src/oci/index.js';
import { parseReference } from '../src/oci/reference.js';
import { CHUNK_BYTES, RegistryClient } from '../src/oci/registry-client.js';
import { startRegistry } from '../test/support/registry.js';

const RANDOM_FILES = 20;
const RANDOM_FILE_BYTES = 1_000_000;
const TEXT_FILES = 300;
const TEXT_FILE_BYTES = 100_000;
const ROUNDS = 3;
const MAX_SECONDS = 300;

const WORDS = [
  'kubectl',
  'deployment',
  'namespace',
  'session',
  'the',
  'pod',
  'service',
  'ingress',
  'apply',
  'workshop',
  'terminal',
  'and',
  'of',
  'a',
  'container',
  'image',
  'replicas',
  'label',
  'selector',
  'port',
  'to',
  'with',
  'in',
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const fmt = (rate: number) => `${rate.toFixed(1).padStart(7)} MB/s`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

/** Markdown-like text: compresses like real instructions do (about 3-4×), unlike repeated bytes. */
function text(bytes: number, seed: number): string {
  let out = `# Page ${seed}\n\n`;
  let x = seed * 2654435761;
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += WORDS[x % WORDS.length] + ((x >>> 8) % 13 === 0 ? '.\n' : ' ');
    if ((x >>> 4) % 97 === 0) out += `\n\`\`\`terminal:execute\ncommand: kubectl get pods -n ${x.toString(36)}\n\`\`\`\n\n`;
  }
  return out.slice(0, bytes);
}

async function makeTree(dir: string): Promise<number> {
  let total = 0;
  await mkdir(join(dir, 'exercises/assets'), { recursive: true });
  for (let i = 0; i < RANDOM_FILES; i += 1) {
    await writeFile(join(dir, `exercises/assets/blob-${i}.bin`), randomBytes(RANDOM_FILE_BYTES));
    total += RANDOM_FILE_BYTES;
  }
  for (let i = 0; i < TEXT_FILES; i += 1) {
    const sub = join(dir, 'workshop/content', `module-${Math.floor(i / 30)}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `page-${i}.md`), text(TEXT_FILE_BYTES, i + 1));
    total += TEXT_FILE_BYTES;
  }
  await writeFile(join(dir, 'README.md'), '# Benchmark workshop\n');
  return total + 21;
}

async function main(): Promise<void> {
  const started = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`publish benchmark: stopped after ${MAX_SECONDS} s`);
    process.exit(2);
  }, MAX_SECONDS * 1000);
  watchdog.unref();

  console.log(`cdk8s-workshops publish benchmark — node ${process.version}, ${process.platform}/${process.arch}`);
  const work = await mkdtemp(join(tmpdir(), 'cdk8s-workshops-publish-bench-'));
  const registry = await startRegistry();
  try {
    const tree = join(work, 'tree');
    const treeBytes = await makeTree(tree);
    console.log(
      `tree: ${(treeBytes / 1e6).toFixed(1)} MB in ${RANDOM_FILES + TEXT_FILES + 1} files ` +
        `(${((RANDOM_FILES * RANDOM_FILE_BYTES) / 1e6).toFixed(0)} MB random, ${((TEXT_FILES * TEXT_FILE_BYTES) / 1e6).toFixed(0)} MB text); ` +
        `registry: docker-registry on ${registry.host}; chunk ${CHUNK_BYTES / 1024 / 1024} MiB; ${ROUNDS} rounds, medians`,
    );

    const pack: number[] = [];
    const tarPack: number[] = [];
    const push: number[] = [];
    const rawPut: number[] = [];
    const publish: number[] = [];
    const pull: number[] = [];
    const rawGet: number[] = [];
    const rawGetTar: number[] = [];
    let layerBytes = 0;
    let digests = new Set<string>();

    // warm-up: JIT, registry directories, page cache
    await packContent(tree);

    for (let round = 1; round <= ROUNDS; round += 1) {
      const [packed, packMs] = await timed(() => packContent(tree));
      pack.push(packMs);
      layerBytes = packed.layer.length;
      digests.add(packed.digest);

      const [, tarMs] = await timed(async () =>
        execFileSync(
          'tar',
          ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-czf', '-', '-C', tree, 'workshop', 'exercises', 'README.md'],
          { maxBuffer: 256 * 1024 * 1024 },
        ),
      );
      tarPack.push(tarMs);

      // push through the client (HEAD, POST, PATCH chunks, PUT), to a repository that has nothing yet
      const pushRef = parseReference(`${registry.host}/bench/push-${round}:1`);
      const client = new RegistryClient(pushRef, {}, 'push');
      let reports = 0;
      const [, pushMs] = await timed(() =>
        client.pushBlob(packed.layer, packed.digest, () => {
          reports += 1;
        }),
      );
      push.push(pushMs);

      // baseline: the same bytes in one POST + PUT with plain fetch
      const [, putMs] = await timed(async () => {
        const started = await fetch(`${registry.url}/v2/bench/raw-${round}/blobs/uploads/`, { method: 'POST' });
        const location = new URL(started.headers.get('location')!, registry.url);
        location.searchParams.set('digest', packed.digest);
        const done = await fetch(location, { method: 'PUT', body: packed.layer, headers: { 'content-type': 'application/octet-stream' } });
        if (done.status !== 201) throw new Error(`raw PUT answered ${done.status}`);
      });
      rawPut.push(putMs);

      const [published, publishMs] = await timed(() => publishContent({ dir: tree, ref: `${registry.host}/bench/publish-${round}:1` }));
      publish.push(publishMs);

      const dest = join(work, `pulled-${round}`, 'content');
      const [, pullMs] = await timed(() => pullContent({ ref: `${registry.host}/bench/publish-${round}:1`, dest }));
      pull.push(pullMs);

      const [, getMs] = await timed(async () => {
        const res = await fetch(`${registry.url}/v2/bench/publish-${round}/blobs/${packed.digest}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length !== layerBytes) throw new Error('raw GET: short read');
      });
      rawGet.push(getMs);

      const tarDest = join(work, `tar-${round}`);
      await mkdir(tarDest);
      const [, getTarMs] = await timed(async () => {
        const res = await fetch(`${registry.url}/v2/bench/publish-${round}/blobs/${packed.digest}`);
        execFileSync('tar', ['-xzf', '-', '-C', tarDest], { input: Buffer.from(await res.arrayBuffer()) });
      });
      rawGetTar.push(getTarMs);
      await rm(join(work, `pulled-${round}`), { recursive: true, force: true });
      await rm(tarDest, { recursive: true, force: true });

      console.log(
        `round ${round}: pack ${packMs.toFixed(0)} ms, tar ${tarMs.toFixed(0)} ms, push ${pushMs.toFixed(0)} ms (${reports} progress reports), ` +
          `raw PUT ${putMs.toFixed(0)} ms, publish ${publishMs.toFixed(0)} ms (${published.digest.slice(0, 19)}…), pull ${pullMs.toFixed(0)} ms, raw GET ${getMs.toFixed(0)} ms, GET|tar -xz ${getTarMs.toFixed(0)} ms`,
      );
    }

    const ratio = (ours: number[], base: number[]) => (median(base) / median(ours)).toFixed(2);
    console.log('== Results (MB/s; ratio = our rate / baseline rate) ==');
    console.log(
      `layer: ${(layerBytes / 1e6).toFixed(1)} MB (${((layerBytes / treeBytes) * 100).toFixed(0)}% of the tree); same digest every round: ${digests.size === 1 ? 'yes' : 'NO'}`,
    );
    console.log(
      `pack    ${fmt(mbps(treeBytes, median(pack)))}  (tree bytes)   GNU tar|gzip ${fmt(mbps(treeBytes, median(tarPack)))}   ratio ${ratio(pack, tarPack)}`,
    );
    console.log(
      `push    ${fmt(mbps(layerBytes, median(push)))}  (layer bytes)  raw POST+PUT ${fmt(mbps(layerBytes, median(rawPut)))}   ratio ${ratio(push, rawPut)}`,
    );
    console.log(`publish ${fmt(mbps(treeBytes, median(publish)))}  (tree bytes, pack + push + manifest, end to end)`);
    console.log(
      `pull    ${fmt(mbps(layerBytes, median(pull)))}  (layer bytes)  GET|tar -xz  ${fmt(mbps(layerBytes, median(rawGetTar)))}   ratio ${ratio(pull, rawGetTar)}` +
        `   (GET alone ${fmt(mbps(layerBytes, median(rawGet))).trim()})`,
    );
    console.log(`total bench time = ${((performance.now() - started) / 1000).toFixed(1)} s`);
    digests = new Set();
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
