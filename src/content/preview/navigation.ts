/**
 * The preview's table of contents: pages in reading order, nested by section, the current page marked, and pages
 * with problems flagged so the author sees at a glance where to look.
 */
import { contentsHtml } from '../contents.js';
import { html, raw, type SafeHtml } from '../html.js';
import type { WorkshopContent } from '../model.js';

/** The site URL of a page: "/" for the home page, "/<path>/" otherwise (Hugo's pretty URLs). */
export function pageUrl(pagePath: string): string {
  return pagePath === '' ? '/' : `/${pagePath.split('/').map(encodeURIComponent).join('/')}/`;
}

const PROBLEM_FLAG = html`<span class="toc-flag" title="This page has problems">⚠<span class="visually-hidden"> (has problems)</span></span>`;

export function navigationHtml(content: WorkshopContent, currentPath: string | undefined, pagesWithProblems: ReadonlySet<string>): SafeHtml {
  const list = contentsHtml(content, (page) => {
    const current = page.path === currentPath && raw(' aria-current="page"');
    return html`<a href="${pageUrl(page.path)}"${current}>${page.title}${pagesWithProblems.has(page.path) && PROBLEM_FLAG}</a>`;
  });
  return html`<nav id="preview-nav" class="toc" aria-label="Workshop pages"><p class="toc-heading" aria-hidden="true">Pages</p>${list}</nav>`;
}
