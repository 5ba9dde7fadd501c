/**
 * Live-reload benchmark for `workshops serve`. Run with `npm run bench:serve` (tsx; no test framework).
 *
 * The preview runs on a temporary copy of test/fixtures/content/good, with a page open in real Chromium
 * (playwright-core). Each iteration writes a new sentence into the open page's Markdown file (t0, just before the
 * write) and waits until that sentence is in the page's DOM (t1, polled every animation frame). t1 - t0 covers the
 * file watcher and its debounce, reloading the content, the change event, the page's fetch, rendering and the DOM
 * swap. Two warm-up saves are not counted. Prints min, median, p95 and max against the target.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { startPreview } from '../src/content/index.js';
import { WATCH_DEBOUNCE_MS } from '../src/content/watch-content.js';
import { launchBrowser } from '../test/support/browser.js';

const ITERATIONS = 20;
const WARMUP = 2;
const TARGET_MS = 300;
/** Time between saves, longer than the debounce so that each save is its own reload. */
const PAUSE_MS = 150;
const PAGE_FILE = 'workshop/content/01-intro.md';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/content/good');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const workshopDir = await fs.mkdtemp(path.join(os.tmpdir(), 'serve-bench-'));
  await fs.cp(FIXTURE, workshopDir, { recursive: true });
  const file = path.join(workshopDir, PAGE_FILE);
  const original = await fs.readFile(file, 'utf8');

  const preview = await startPreview({ workshopDir });
  const browser = await launchBrowser();
  const timings: number[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(`${preview.url}01-intro/`);
    await page.waitForFunction("document.getElementById('preview-status').textContent === 'Live'");

    for (let iteration = 0; iteration < WARMUP + ITERATIONS; iteration++) {
      const marker = `Saved edit number ${iteration}`;
      const t0 = performance.now();
      await fs.writeFile(file, `${original}\n${marker}\n`);
      await page.waitForFunction(
        (text) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(text),
        marker,
        {
          polling: 'raf',
          timeout: 10_000,
        },
      );
      const elapsed = performance.now() - t0;
      if (iteration >= WARMUP) timings.push(elapsed);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  } finally {
    await browser.close();
    await preview.close();
    await fs.rm(workshopDir, { recursive: true, force: true });
  }

  const sorted = [...timings].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(`save → visible in the open preview page, ${ITERATIONS} saves (Chromium, watcher debounce ${WATCH_DEBOUNCE_MS} ms):`);
  console.log(`  min ${sorted[0].toFixed(0)} ms   median ${median.toFixed(0)} ms   p95 ${p95.toFixed(0)} ms   max ${sorted.at(-1)!.toFixed(0)} ms`);
  console.log(`  target: p95 < ${TARGET_MS} ms  ${verdict(p95 < TARGET_MS)}`);
}

await main();
