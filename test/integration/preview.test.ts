/**
 * The preview (`workshops serve`) in real Chromium: pages as a learner reads them, actions that respond, problems
 * with file and line on the page, and live reload when a file changes on disk.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { type Preview, startPreview } from '../../src/content/index.js';
import { launchBrowser } from '../support/browser.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/content');

let browser: Browser;
let context: BrowserContext;
let page: Page;
let workshopDir: string;
let preview: Preview;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  workshopDir = await copyFixture('good');
  preview = await startPreview({ workshopDir, variables: { session_namespace: 'lab-s042' } });
  context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(preview.url).origin });
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
  await preview?.close();
});

/** The page has connected to the preview's event stream (changes before that would go unnoticed). */
async function waitForLiveReload(): Promise<void> {
  await page.waitForFunction("document.getElementById('preview-status').textContent === 'Live'");
}

async function copyFixture(name: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `preview-${name}-`));
  await fs.cp(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

test('shows the pages with a labelled table of contents, sample values and previous/next links', async () => {
  await page.goto(preview.url);

  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Good Workshop');
  await expect(page.locator('article').textContent()).resolves.toContain('Welcome, lab-s042 is yours.');
  const toc = page.getByRole('navigation', { name: 'Workshop pages' });
  await expect(toc.getByRole('link').allTextContents()).resolves.toEqual([
    'Good Workshop',
    'Introduction',
    'Setting up',
    'Cluster',
    'Tools',
    'Every action',
    'Without a weight',
  ]);
  await expect(toc.locator('[aria-current="page"]').textContent()).resolves.toBe('Good Workshop');

  await page.getByRole('link', { name: /Next →\s*Introduction/ }).click();
  await page.waitForURL(`${preview.url}01-intro/`);
  await expect(page.locator('article').textContent()).resolves.toContain('Your host is my-lab-w01-s001.workshops.test');
  await expect(page.locator('.action[data-action="terminal:execute"] code').textContent()).resolves.toBe('kubectl get pods -n lab-s042');
});

test('a page changed on disk appears in the open page without reloading it', async () => {
  await page.goto(`${preview.url}01-intro/`);
  await waitForLiveReload();
  await page.evaluate('window.notReloaded = true');

  const file = path.join(workshopDir, 'workshop/content/01-intro.md');
  const source = await fs.readFile(file, 'utf8');
  await fs.writeFile(file, source.replace('# Getting started', '# Getting started, edited on disk'));

  await page.getByRole('heading', { name: 'Getting started, edited on disk' }).waitFor({ timeout: 10_000 });
  await expect(page.evaluate('window.notReloaded')).resolves.toBe(true);
});

test('a new page appears in the table of contents of an open page', async () => {
  await page.goto(preview.url);
  await waitForLiveReload();

  await fs.writeFile(path.join(workshopDir, 'workshop/content/05-new.md'), '---\ntitle: Brand new\nweight: 50\n---\nNew page.\n');

  await page.getByRole('navigation', { name: 'Workshop pages' }).getByRole('link', { name: 'Brand new' }).waitFor({ timeout: 10_000 });
});

test('a broken page shows its problems with file and line, live', async () => {
  await page.goto(`${preview.url}setup/tools/`);
  await waitForLiveReload();
  await expect(page.locator('.problems').count()).resolves.toBe(0);

  const file = path.join(workshopDir, 'workshop/content/setup/tools.md');
  await fs.appendFile(file, '\n```terminal:execute\nsession: 2\n```\n\nIn {{< param session_nmespace >}}.\n');

  const banner = page.getByRole('region', { name: /2 problems on this page/ });
  await banner.waitFor({ timeout: 10_000 });
  await expect(banner.locator('li').allTextContents()).resolves.toEqual([
    "workshop/content/setup/tools.md:8 terminal:execute: missing required field 'command'",
    "workshop/content/setup/tools.md:12 unknown variable 'session_nmespace' in {{< param session_nmespace >}} (did you mean 'session_namespace'?)",
  ]);
  await expect(page.locator('.toc a[aria-current="page"] .toc-flag').count()).resolves.toBe(1);
});

test('the broken fixture: each page lists its own problems and counts the others', async () => {
  const brokenDir = await copyFixture('broken');
  const brokenPreview = await startPreview({ workshopDir: brokenDir });
  try {
    await page.goto(`${brokenPreview.url}02-no-title/`);

    const banner = page.getByRole('region', { name: '2 problems on this page' });
    await expect(banner.locator('ul').first().locator('li').allTextContents()).resolves.toEqual([
      "workshop/content/02-no-title.md:1 no 'title' in the front matter: the page is listed as 'No title'",
      "workshop/content/02-no-title.md:2 'weight' must be a whole number, got 'twenty'",
    ]);
    await expect(banner.locator('summary').textContent()).resolves.toBe('11 problems elsewhere in the workshop');
  } finally {
    await brokenPreview.close();
  }
});

test('workshop:copy copies its text; other actions say what would run in the session', async () => {
  await page.goto(`${preview.url}03-actions/`);

  await page.locator('[data-action="workshop:copy"]').click();
  // the toast comes when the clipboard's promise settles, after the click has returned
  await page.locator('#preview-toast', { hasText: /\S/ }).waitFor();
  await expect(page.locator('#preview-toast').textContent()).resolves.toBe('Copied to the clipboard');
  await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe('kubectl get pods');

  await page.locator('[data-action="terminal:execute"]').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#preview-toast').textContent()).resolves.toBe('Would run in the session: terminal:execute — echo hello');
  await expect(page.locator('[data-action="terminal:execute"]').getAttribute('class')).resolves.toContain('action-done');
});

test('a section starts folded and opens when clicked', async () => {
  await page.goto(`${preview.url}03-actions/`);
  const question = page.getByText('Why three replicas?');
  await expect(question.isVisible()).resolves.toBe(false);

  await page.getByRole('button', { name: /Section: Questions/ }).click();

  await expect(question.isVisible()).resolves.toBe(true);
});

test('static files are served at the site root; unknown pages are a 404 page with the table of contents', async () => {
  const logo = await fetch(`${preview.url}images/logo.svg`);
  expect([logo.status, logo.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
  expect((await fetch(`${preview.url}..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
  expect((await fetch(`${preview.url}01-intro`, { redirect: 'manual' })).headers.get('location')).toBe('/01-intro/');

  const response = await page.goto(`${preview.url}no-such-page/`);

  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Page not found');
  await expect(page.getByRole('navigation', { name: 'Workshop pages' }).getByRole('link').count()).resolves.toBe(7);
});

test('without an _index.md the site address opens the first page', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'preview-no-index-'));
  await fs.mkdir(path.join(dir, 'workshop/content'), { recursive: true });
  await fs.writeFile(path.join(dir, 'workshop/content/01-only.md'), '---\ntitle: Only\n---\n\nHello.\n');
  const noIndex = await startPreview({ workshopDir: dir, port: 0 });
  try {
    const response = await fetch(noIndex.url.replace(/\/?$/, '/'), { redirect: 'manual' });
    expect([response.status, response.headers.get('location')]).toEqual([302, '/01-only/']);
  } finally {
    await noIndex.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
