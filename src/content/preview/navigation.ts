/**
 * The preview's table of contents: pages in reading order, nested by section, the current page marked, and pages
 * with problems flagged so the author sees at a glance where to look.
 */
import { contentsHtml } from '../contents.js';
import { escapeHtml } from '../html.js';
import type { WorkshopContent } from '../model.js';

/** The site URL of a page: "/" for the home page, "/<path>/" otherwise (Hugo's pretty URLs). */
export function pageUrl(pagePath: string): string {
  return pagePath === '' ? '/' : `/${pagePath.split('/').map(encodeURIComponent).join('/')}/`;
}

export function navigationHtml(content: WorkshopContent, currentPath: string | undefined, pagesWithProblems: ReadonlySet<string>): string {
  const list = contentsHtml(content, (page) => {
    const current = page.path === currentPath ? ' aria-current="page"' : '';
    const flag = pagesWithProblems.has(page.path) ? '<span class="toc-flag" title="This page has problems">⚠<span class="visually-hidden"> (has problems)</span></span>' : '';
    return `<a href="${escapeHtml(pageUrl(page.path))}"${current}>${escapeHtml(page.title)}${flag}</a>`;
  });
  return `<nav id="preview-nav" class="toc" aria-label="Workshop pages"><p class="toc-heading" aria-hidden="true">Pages</p>${list}</nav>`;
}
