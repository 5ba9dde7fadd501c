/**
 * The preview's HTML document: a header, the table of contents, the page with its problems in a banner, and links
 * to the previous and next pages. Everything reads without JavaScript; the script (src/browser/preview.ts) only
 * adds actions' feedback and live reload.
 */
import { pagePosition } from '../contents.js';
import { html, joinHtml, raw, type SafeHtml } from '../html.js';
import type { WorkshopContent } from '../model.js';
import type { ContentProblem } from '../problems.js';
import type { RenderedPage } from '../render-page.js';
import { navigationHtml, pageUrl } from './navigation.js';
import { PREVIEW_STYLES } from './styles.js';

/** Where the page's script (src/browser/preview.ts) and the modules it imports are served. */
export const SCRIPTS_PATH = '/_preview/scripts/';

export interface PageView {
  readonly content: WorkshopContent;
  /** The page shown, or undefined for "no such page". */
  readonly currentPath?: string;
  readonly page?: RenderedPage;
  readonly otherProblems: readonly ContentProblem[];
  readonly pagesWithProblems: ReadonlySet<string>;
  readonly notFound?: string;
}

export function pageDocument(view: PageView): string {
  const pageTitle = view.page?.title ?? 'Page not found';
  return joinHtml(
    [
      raw('<!doctype html>'),
      raw('<html lang="en">'),
      raw('<head>'),
      raw('<meta charset="utf-8">'),
      raw('<meta name="viewport" content="width=device-width, initial-scale=1">'),
      html`<title>${pageTitle} · ${view.content.title} (preview)</title>`,
      html`<style>${raw(PREVIEW_STYLES)}</style>`,
      raw('</head>'),
      raw('<body>'),
      raw('<a class="skip-link" href="#preview-main">Skip to the instructions</a>'),
      html`<header class="topbar"><span class="brand">${view.content.title}</span><span class="badge">Preview</span>`,
      raw('<span id="preview-status" class="status" role="status" aria-live="polite"></span></header>'),
      raw('<div class="layout">'),
      navigationHtml(view.content, view.currentPath, view.pagesWithProblems),
      html`<main id="preview-main" tabindex="-1">${mainHtml(view)}</main>`,
      raw('</div>'),
      raw('<div id="preview-toast" class="toast" role="status" aria-live="polite" hidden></div>'),
      html`<script type="module" src="${SCRIPTS_PATH}preview.js"></script>`,
      raw('</body>'),
      raw('</html>'),
      '',
    ],
    '\n',
  ).toString();
}

/** The title first (the page's only h1 before its own headings), then the problems, then the instructions. */
function mainHtml(view: PageView): SafeHtml {
  if (!view.page) {
    const body = html`<p>There is no page at <code>${view.notFound ?? ''}</code>. Choose one from the list of pages.</p>`;
    return html`<h1 class="page-title">Page not found</h1>${problemsHtml([], view.otherProblems)}<article id="page-content" class="page">${body}</article>`;
  }
  // the page's HTML comes from the Markdown renderer, which escapes what the author wrote outside raw HTML blocks
  const article = html`<article id="page-content" class="page">${raw(view.page.html)}</article>`;
  return html`<h1 class="page-title">${view.page.title}</h1>${problemsHtml(view.page.problems, view.otherProblems)}${article}${pagerHtml(view)}`;
}

/** The problems banner: this page's problems in full, the rest of the workshop's as a count that expands. */
function problemsHtml(own: readonly ContentProblem[], others: readonly ContentProblem[]): SafeHtml | undefined {
  if (own.length === 0 && others.length === 0) return undefined;
  const heading = own.length > 0 ? `${own.length} ${own.length === 1 ? 'problem' : 'problems'} on this page` : 'No problems on this page';
  const elsewhere =
    others.length > 0 &&
    html`<details><summary>${others.length} ${others.length === 1 ? 'problem' : 'problems'} elsewhere in the workshop</summary>${problemListHtml(others)}</details>`;
  const list = own.length > 0 && problemListHtml(own);
  return html`<section class="problems" aria-labelledby="problems-heading"><h2 id="problems-heading">${heading}</h2>${list}${elsewhere}</section>`;
}

function problemListHtml(problems: readonly ContentProblem[]): SafeHtml {
  const items = problems.map((problem) => html`<li><code class="problem-location">${problem.file}:${problem.line}</code> ${problem.message}</li>`);
  return html`<ul class="problem-list">${items}</ul>`;
}

function pagerHtml(view: PageView): SafeHtml | undefined {
  const position = view.page && view.currentPath !== undefined ? pagePosition(view.content, view.currentPath) : undefined;
  const link = (target: { path: string; title: string } | undefined, rel: 'prev' | 'next') => {
    if (target === undefined) return raw('<span></span>');
    const label = rel === 'prev' ? raw('<span class="pager-label">← Previous</span>') : raw('<span class="pager-label">Next →</span>');
    return html`<a rel="${rel}" class="pager-${rel}" href="${pageUrl(target.path)}">${label}<span class="pager-title">${target.title}</span></a>`;
  };
  if (position?.prev === undefined && position?.next === undefined) return undefined;
  return html`<nav class="pager" aria-label="Previous and next page">${link(position.prev, 'prev')}${link(position.next, 'next')}</nav>`;
}
