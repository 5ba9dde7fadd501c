/**
 * The preview's HTML document: a header, the table of contents, the page with its problems in a banner, and links
 * to the previous and next pages. Everything reads without JavaScript; the inline script only adds actions'
 * feedback and live reload.
 */
import { pagePosition } from '../contents.js';
import { escapeHtml } from '../html.js';
import type { WorkshopContent } from '../model.js';
import type { ContentProblem } from '../problems.js';
import type { RenderedPage } from '../render-page.js';
import { PREVIEW_SCRIPT } from './client-script.js';
import { navigationHtml, pageUrl } from './navigation.js';
import { PREVIEW_STYLES } from './styles.js';

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
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${pageTitle} · ${view.content.title} (preview)`)}</title>`,
    `<style>${PREVIEW_STYLES}</style>`,
    '</head>',
    '<body>',
    '<a class="skip-link" href="#preview-main">Skip to the instructions</a>',
    `<header class="topbar"><span class="brand">${escapeHtml(view.content.title)}</span><span class="badge">Preview</span>`,
    '<span id="preview-status" class="status" role="status" aria-live="polite"></span></header>',
    '<div class="layout">',
    navigationHtml(view.content, view.currentPath, view.pagesWithProblems),
    `<main id="preview-main" tabindex="-1">${mainHtml(view)}</main>`,
    '</div>',
    '<div id="preview-toast" class="toast" role="status" aria-live="polite" hidden></div>',
    `<script>${PREVIEW_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The title first (the page's only h1 before its own headings), then the problems, then the instructions. */
function mainHtml(view: PageView): string {
  if (!view.page) {
    const body = `<p>There is no page at <code>${escapeHtml(view.notFound ?? '')}</code>. Choose one from the list of pages.</p>`;
    return `<h1 class="page-title">Page not found</h1>${problemsHtml([], view.otherProblems)}<article id="page-content" class="page">${body}</article>`;
  }
  const title = `<h1 class="page-title">${escapeHtml(view.page.title)}</h1>`;
  const article = `<article id="page-content" class="page">${view.page.html}</article>`;
  return `${title}${problemsHtml(view.page.problems, view.otherProblems)}${article}${pagerHtml(view)}`;
}

/** The problems banner: this page's problems in full, the rest of the workshop's as a count that expands. */
function problemsHtml(own: readonly ContentProblem[], others: readonly ContentProblem[]): string {
  if (own.length === 0 && others.length === 0) return '';
  const parts = ['<section class="problems" aria-labelledby="problems-heading">'];
  const heading = own.length > 0 ? `${own.length} ${own.length === 1 ? 'problem' : 'problems'} on this page` : 'No problems on this page';
  parts.push(`<h2 id="problems-heading">${heading}</h2>`);
  if (own.length > 0) parts.push(problemListHtml(own));
  if (others.length > 0) {
    parts.push(`<details><summary>${others.length} ${others.length === 1 ? 'problem' : 'problems'} elsewhere in the workshop</summary>${problemListHtml(others)}</details>`);
  }
  parts.push('</section>');
  return parts.join('');
}

function problemListHtml(problems: readonly ContentProblem[]): string {
  const items = problems.map((problem) => `<li><code class="problem-location">${escapeHtml(`${problem.file}:${problem.line}`)}</code> ${escapeHtml(problem.message)}</li>`);
  return `<ul class="problem-list">${items.join('')}</ul>`;
}

function pagerHtml(view: PageView): string {
  const position = view.page && view.currentPath !== undefined ? pagePosition(view.content, view.currentPath) : undefined;
  const link = (target: { path: string; title: string } | undefined, rel: 'prev' | 'next') => {
    if (target === undefined) return '<span></span>';
    const label = rel === 'prev' ? `<span class="pager-label">← Previous</span>` : `<span class="pager-label">Next →</span>`;
    return `<a rel="${rel}" class="pager-${rel}" href="${escapeHtml(pageUrl(target.path))}">${label}<span class="pager-title">${escapeHtml(target.title)}</span></a>`;
  };
  if (position?.prev === undefined && position?.next === undefined) return '';
  return `<nav class="pager" aria-label="Previous and next page">${link(position.prev, 'prev')}${link(position.next, 'next')}</nav>`;
}
