/** Rendering one page of a loaded workshop for a learner (dashboard) or an author (preview). */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { splitFrontMatter } from './front-matter.js';
import { renderMarkdown } from './markdown.js';
import type { ContentPage, WorkshopContent } from './model.js';
import { type ContentProblem, sortProblems } from './problems.js';

export interface RenderedPage {
  title: string;
  /** The page's body as HTML (without its title), actions as `div.action[data-action]`. */
  html: string;
  /** Problems of this page: its front matter and layout (from loading) and its body (from rendering). */
  problems: ContentProblem[];
  /** Paths of the neighbouring pages in reading order ("" is the home page: test with `!== undefined`). */
  prev?: string;
  next?: string;
}

/**
 * Renders the page at `path` with `variables` filled into `{{< param NAME >}}`; a name not in `variables` is a
 * problem and stays visible as written. The file is read again, so an edit shows without reloading the content.
 * Throws for a path that is not a page of `content` (hosts answer 404).
 */
export async function renderPage(content: WorkshopContent, path: string, variables: Record<string, string>): Promise<RenderedPage> {
  const index = content.pages.findIndex((page) => page.path === path);
  if (index < 0) throw new Error(`no page '${path}' in the instructions of ${content.dir}`);
  const page = content.pages[index];
  const { title, html, problems } = await renderPageFile(content, page, variables);
  const loadProblems = content.problems.filter((problem) => problem.file === page.file);
  return {
    title,
    html,
    problems: sortProblems([...loadProblems, ...problems]),
    ...(index > 0 ? { prev: content.pages[index - 1].path } : {}),
    ...(index < content.pages.length - 1 ? { next: content.pages[index + 1].path } : {}),
  };
}

async function renderPageFile(content: WorkshopContent, page: ContentPage, variables: Record<string, string>): Promise<PageBody> {
  const source = await readPageSource(content, page);
  // Deleted since the content was loaded: say so on the page rather than fail the request.
  if (source === undefined) return { title: page.title, html: '', problems: [{ file: page.file, line: 1, message: FILE_GONE }] };
  return renderPageSource(page, source, variables);
}

/** The problem of a page whose file was deleted after the content was loaded. */
export const FILE_GONE = 'the file no longer exists';

/** A page's title, body and problems, rendered from its source text (front matter and Markdown). */
export interface PageBody {
  title: string;
  html: string;
  problems: ContentProblem[];
}

export function renderPageSource(page: ContentPage, source: string, variables: Readonly<Record<string, string>>): PageBody {
  const split = splitFrontMatter(source, page.file);
  const rendered = renderMarkdown({ text: split.body, file: page.file, firstLine: split.bodyStartLine, variables });
  return { title: split.frontMatter.title ?? page.title, html: rendered.html, problems: [...split.problems, ...rendered.problems] };
}

/** The page's current text, or undefined when the file is gone. */
export async function readPageSource(content: WorkshopContent, page: ContentPage): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(content.dir, page.file), 'utf8');
  } catch {
    return undefined;
  }
}
