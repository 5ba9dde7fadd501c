/**
 * Pieces of the preview that need no browser: the table of contents, the page document, and static files that
 * never leave workshop/static. (test/integration/preview.test.ts drives the whole preview in Chromium.)
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadContent, renderPage, sampleVariables, startPreview, type WorkshopContent } from '../../src/content/index.js';
import { isLoopback } from '../../src/content/preview/local-only.js';
import { navigationHtml, pageUrl } from '../../src/content/preview/navigation.js';
import { pageDocument } from '../../src/content/preview/page-view.js';
import { readStaticFile } from '../../src/content/preview/static-files.js';
import { WorkshopProblems } from '../../src/content/preview/workshop-problems.js';

async function workshopWith(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'content-preview-test-'));
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  return dir;
}

describe('table of contents', () => {
  let content: WorkshopContent;

  beforeAll(async () => {
    content = await loadContent(
      await workshopWith({
        'workshop/content/_index.md': '---\ntitle: Home\n---\nHi',
        'workshop/content/01-a.md': '---\ntitle: A & B\nweight: 1\n---\n',
        'workshop/content/part/_index.md': '---\ntitle: Part\nweight: 2\n---\n',
        'workshop/content/part/x.md': '---\ntitle: X\nweight: 1\n---\n',
        'workshop/content/part/sub/_index.md': '---\ntitle: Sub\nweight: 2\n---\nAbout sub',
        'workshop/content/part/sub/y.md': '---\ntitle: Y\n---\n',
        'workshop/content/03-z.md': '---\ntitle: Z\nweight: 3\n---\n',
      }),
    );
  });

  test('nests sections, links section pages, marks the current page and flags pages with problems', () => {
    expect(navigationHtml(content, 'part/x', new Set(['03-z'])).toString()).toBe(
      '<nav id="preview-nav" class="toc" aria-label="Workshop pages"><p class="toc-heading" aria-hidden="true">Pages</p><ol>' +
        '<li><a href="/">Home</a></li>' +
        '<li><a href="/01-a/">A &amp; B</a></li>' +
        '<li class="toc-section"><span class="toc-section-title">Part</span><ol>' +
        '<li><a href="/part/x/" aria-current="page">X</a></li>' +
        '<li class="toc-section"><a href="/part/sub/">Sub</a><ol><li><a href="/part/sub/y/">Y</a></li></ol></li>' +
        '</ol></li>' +
        '<li><a href="/03-z/">Z<span class="toc-flag" title="This page has problems">⚠<span class="visually-hidden"> (has problems)</span></span></a></li>' +
        '</ol></nav>',
    );
  });

  test('page URLs are Hugo-style with a trailing slash, the home page at /', () => {
    expect([pageUrl(''), pageUrl('part/sub'), pageUrl('a b')]).toEqual(['/', '/part/sub/', '/a%20b/']);
  });
});

describe('page document', () => {
  test('has landmarks, a labelled problems region, escaped titles and the live-reload script', async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': '---\ntitle: "<Home>"\n---\n{{< param nope >}}\n' });
    const content = await loadContent(dir);
    const page = await renderPage(content, '', sampleVariables());

    const html = pageDocument({ content, currentPath: '', page, otherProblems: [], pagesWithProblems: new Set(['']) });

    expect(html).toContain('<title>&lt;Home&gt; · &lt;Home&gt; (preview)</title>');
    expect(html).toContain('<nav id="preview-nav" class="toc" aria-label="Workshop pages">');
    expect(html).toContain('<main id="preview-main" tabindex="-1"><h1 class="page-title">&lt;Home&gt;</h1><section class="problems"');
    expect(html).toContain('<section class="problems" aria-labelledby="problems-heading"><h2 id="problems-heading">1 problem on this page</h2>');
    expect(html).toContain(
      '<code class="problem-location">workshop/content/_index.md:4</code> unknown variable &#39;nope&#39; in {{&lt; param nope &gt;}}',
    );
    expect(html).toContain('<script type="module" src="/_preview/scripts/preview.js"></script>');
    expect(html).not.toContain('class="pager"');
  });
});

describe('static files', () => {
  test('are read from workshop/static only', async () => {
    const dir = await workshopWith({ 'workshop/static/img/a.png': 'png', 'secret.txt': 'no' });
    const staticDir = path.join(dir, 'workshop/static');

    expect(await readStaticFile(staticDir, '/img/a.png')).toEqual({ body: Buffer.from('png'), contentType: 'image/png' });
    expect(await readStaticFile(staticDir, '/../secret.txt')).toBeUndefined();
    expect(await readStaticFile(staticDir, '/img/../../secret.txt')).toBeUndefined();
    expect(await readStaticFile(staticDir, '/img')).toBeUndefined();
    expect(await readStaticFile(staticDir, '/a\0b')).toBeUndefined();
  });
});

describe('a preview bound to loopback', () => {
  test('answers to localhost names only (DNS rebinding)', async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': '---\ntitle: Home\n---\nHi' });
    const preview = await startPreview({ workshopDir: dir });
    try {
      const { port } = new URL(preview.url);
      const statusFor = (host: string) =>
        new Promise<number>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            })
            .on('error', reject);
        });

      expect(await statusFor(`127.0.0.1:${port}`)).toBe(200);
      expect(await statusFor(`localhost:${port}`)).toBe(200);
      expect(await statusFor(`[::1]:${port}`)).toBe(200);
      expect(await statusFor(`evil.example:${port}`)).toBe(403);
    } finally {
      await preview.close();
    }
  });

  test.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['192.168.1.4', false],
  ])('%s is loopback: %s', (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });
});

describe('problems of every page (remembered per file text)', () => {
  test('follow edits, and forget deleted pages', async () => {
    const dir = await workshopWith({
      'workshop/content/a.md': '---\ntitle: A\nweight: 1\n---\n{{< param nope >}}\n',
      'workshop/content/b.md': '---\ntitle: B\nweight: 2\n---\nFine\n',
    });
    const problems = new WorkshopProblems(sampleVariables());

    expect((await problems.of(await loadContent(dir))).map((problem) => `${problem.file}:${problem.line}`)).toEqual(['workshop/content/a.md:5']);

    await fs.writeFile(path.join(dir, 'workshop/content/b.md'), '---\ntitle: B\nweight: 2\n---\n\n```terminal:execute\n```\n');
    expect((await problems.of(await loadContent(dir))).map((problem) => `${problem.file}:${problem.line}`)).toEqual([
      'workshop/content/a.md:5',
      'workshop/content/b.md:6',
    ]);

    await fs.rm(path.join(dir, 'workshop/content/a.md'));
    expect((await problems.of(await loadContent(dir))).map((problem) => `${problem.file}:${problem.line}`)).toEqual(['workshop/content/b.md:6']);
  });
});
