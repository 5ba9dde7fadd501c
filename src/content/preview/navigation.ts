/**
 * The preview's table of contents: pages in reading order, nested by section, the current page marked, and pages
 * with problems flagged so the author sees at a glance where to look.
 */
import { escapeHtml } from '../html.js';
import type { ContentPage, ContentSection, WorkshopContent } from '../model.js';

/** The site URL of a page: "/" for the home page, "/<path>/" otherwise (Hugo's pretty URLs). */
export function pageUrl(pagePath: string): string {
  return pagePath === '' ? '/' : `/${pagePath.split('/').map(encodeURIComponent).join('/')}/`;
}

type NavEntry = { kind: 'page'; order: number; page: ContentPage } | { kind: 'section'; order: number; section: ContentSection };

export function navigationHtml(content: WorkshopContent, currentPath: string | undefined, pagesWithProblems: ReadonlySet<string>): string {
  const list = levelHtml(content, undefined, currentPath, pagesWithProblems);
  return `<nav id="preview-nav" class="toc" aria-label="Workshop pages"><p class="toc-heading" aria-hidden="true">Pages</p>${list}</nav>`;
}

function levelHtml(content: WorkshopContent, parent: string | undefined, currentPath: string | undefined, flagged: ReadonlySet<string>): string {
  const items = entriesAt(content, parent).map((entry) =>
    entry.kind === 'page' ? `<li>${pageLink(entry.page, currentPath, flagged)}</li>` : sectionHtml(content, entry.section, currentPath, flagged),
  );
  return items.length === 0 ? '' : `<ol>${items.join('')}</ol>`;
}

function sectionHtml(content: WorkshopContent, section: ContentSection, currentPath: string | undefined, flagged: ReadonlySet<string>): string {
  const ownPage = content.pages.find((page) => page.path === section.path);
  const heading = ownPage ? pageLink(ownPage, currentPath, flagged) : `<span class="toc-section-title">${escapeHtml(section.title)}</span>`;
  return `<li class="toc-section">${heading}${levelHtml(content, section.path, currentPath, flagged)}</li>`;
}

function pageLink(page: ContentPage, currentPath: string | undefined, flagged: ReadonlySet<string>): string {
  const current = page.path === currentPath ? ' aria-current="page"' : '';
  const flag = flagged.has(page.path) ? '<span class="toc-flag" title="This page has problems">⚠<span class="visually-hidden"> (has problems)</span></span>' : '';
  return `<a href="${escapeHtml(pageUrl(page.path))}"${current}>${escapeHtml(page.title)}${flag}</a>`;
}

/** Pages and subsections directly inside `parent`, in reading order (a section sits where its first page is). */
function entriesAt(content: WorkshopContent, parent: string | undefined): NavEntry[] {
  const entries: NavEntry[] = [];
  content.pages.forEach((page, order) => {
    if (page.section === parent && page.path !== parent) entries.push({ kind: 'page', order, page });
  });
  for (const section of content.sections) {
    if (section.parent !== parent) continue;
    const order = content.pages.findIndex((page) => page.section === section.path || page.section?.startsWith(`${section.path}/`));
    if (order >= 0) entries.push({ kind: 'section', order, section });
  }
  return entries.sort((a, b) => a.order - b.order);
}
