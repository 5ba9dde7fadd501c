/**
 * A workshop's contents as every host shows them (the dashboard to learners, `workshops serve` to authors): the
 * pages in reading order nested by section, and where a page stands among them. Each host draws its own links.
 */
import { html, type SafeHtml } from './html.js';
import type { ContentPage, ContentSection } from './model.js';

/** What the contents need of a workshop: its pages in reading order and its sections. */
export interface Contents {
  readonly pages: ReadonlyArray<Pick<ContentPage, 'path' | 'title' | 'section'>>;
  readonly sections?: ReadonlyArray<Pick<ContentSection, 'path' | 'title' | 'parent'>>;
}

/** A page among the others: its number (from 1), how many there are, and its neighbours with their titles. */
export interface PagePosition {
  readonly number: number;
  readonly count: number;
  readonly prev?: { readonly path: string; readonly title: string };
  readonly next?: { readonly path: string; readonly title: string };
}

/** Where the page at `path` stands, or undefined when it is not one of the pages. */
export function pagePosition(contents: Contents, path: string): PagePosition | undefined {
  const index = contents.pages.findIndex((page) => page.path === path);
  if (index < 0) return undefined;
  const neighbour = (i: number) =>
    i >= 0 && i < contents.pages.length ? { path: contents.pages[i].path, title: contents.pages[i].title } : undefined;
  const prev = neighbour(index - 1);
  const next = neighbour(index + 1);
  return { number: index + 1, count: contents.pages.length, ...(prev ? { prev } : {}), ...(next ? { next } : {}) };
}

/**
 * The pages as nested `<ol>` lists: a section is an item holding its own pages, headed by its `_index` page when
 * it has one (else by its title). `link` draws one page's link, the host's own address and attributes, as SafeHtml
 * (built with `html`), so a title cannot reach the list unescaped.
 */
export function contentsHtml(contents: Contents, link: (page: Contents['pages'][number]) => SafeHtml): SafeHtml {
  return levelHtml(contents, undefined, link) ?? html``;
}

type Entry =
  | { kind: 'page'; order: number; page: Contents['pages'][number] }
  | { kind: 'section'; order: number; section: NonNullable<Contents['sections']>[number] };

function levelHtml(contents: Contents, parent: string | undefined, link: (page: Contents['pages'][number]) => SafeHtml): SafeHtml | undefined {
  const items = entriesAt(contents, parent).map((entry) => {
    if (entry.kind === 'page') return html`<li>${link(entry.page)}</li>`;
    const section = entry.section;
    const ownPage = contents.pages.find((page) => page.path === section.path);
    const heading = ownPage ? link(ownPage) : html`<span class="toc-section-title">${section.title}</span>`;
    return html`<li class="toc-section">${heading}${levelHtml(contents, section.path, link)}</li>`;
  });
  return items.length === 0 ? undefined : html`<ol>${items}</ol>`;
}

/** Pages and subsections directly inside `parent`, in reading order (a section sits where its first page is). */
function entriesAt(contents: Contents, parent: string | undefined): Entry[] {
  const entries: Entry[] = [];
  contents.pages.forEach((page, order) => {
    if (page.section === parent && page.path !== parent) entries.push({ kind: 'page', order, page });
  });
  for (const section of contents.sections ?? []) {
    if (section.parent !== parent) continue;
    const order = contents.pages.findIndex((page) => page.section === section.path || page.section?.startsWith(`${section.path}/`));
    if (order >= 0) entries.push({ kind: 'section', order, section });
  }
  return entries.sort((a, b) => a.order - b.order);
}
