/**
 * Loading a workshop's instructions the way Hugo lays out a site: Markdown files under workshop/content, ordered by
 * front-matter weight then name, directories as sections whose `_index.md` gives their title and weight.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { splitFrontMatter, type SplitSource } from './front-matter.js';
import { CONTENT_DIR, type ContentPage, type ContentSection, type WorkshopContent } from './model.js';
import { titleFromName, urlPathOf } from './page-names.js';
import { type ContentProblem, sortProblems } from './problems.js';

/** A Markdown file with its front matter read. */
interface SourceFile {
  /** Path relative to workshop/content, POSIX separators. */
  readonly relative: string;
  /** Path relative to the workshop directory, as problems and pages report it. */
  readonly file: string;
  readonly source: SplitSource;
}

/** A directory under workshop/content: its `_index.md`, its pages and its subdirectories. */
interface DirectoryNode {
  readonly relative: string;
  readonly index?: SourceFile;
  readonly pages: SourceFile[];
  readonly children: DirectoryNode[];
}

/** An entry of a directory in reading order: a page or a section. */
type Entry =
  { kind: 'page'; weight?: number; name: string; page: SourceFile } | { kind: 'section'; weight?: number; name: string; node: DirectoryNode };

/** Reads `<workshopDir>/workshop/content/**\/*.md` into pages in reading order, with problems of their front matter. */
export async function loadContent(workshopDir: string): Promise<WorkshopContent> {
  const dir = path.resolve(workshopDir);
  const contentRoot = path.join(dir, CONTENT_DIR);
  const fallbackTitle = titleFromName(path.basename(dir));
  if (!(await isDirectory(contentRoot))) {
    const problem = { file: CONTENT_DIR, line: 1, message: `no instructions: ${CONTENT_DIR} is not a directory in ${dir}` };
    return { dir, pages: [], sections: [], problems: [problem], title: fallbackTitle };
  }
  const root = await readDirectory(contentRoot, '');
  const order = new ReadingOrder();
  order.addHome(root, fallbackTitle);
  order.addEntries(root, undefined);
  return {
    dir,
    pages: order.pages,
    sections: order.sections,
    problems: sortProblems(order.problems),
    title: root.index?.source.frontMatter.title ?? fallbackTitle,
  };
}

/** Collects pages and sections depth first, and the problems found on the way. */
class ReadingOrder {
  public readonly pages: ContentPage[] = [];
  public readonly sections: ContentSection[] = [];
  public readonly problems: ContentProblem[] = [];
  private readonly pageFiles = new Map<string, string>();
  private readonly titleReported = new Set<string>();

  /** workshop/content/_index.md is the home page (Hugo's "/"), first in reading order. */
  public addHome(root: DirectoryNode, workshopTitle: string): void {
    if (root.index) this.addPage(root.index, undefined, workshopTitle);
  }

  public addEntries(node: DirectoryNode, section: string | undefined): void {
    for (const entry of entriesOf(node)) {
      if (entry.kind === 'page') this.addPage(entry.page, section);
      else this.addSection(entry.node, section);
    }
  }

  private addSection(node: DirectoryNode, parent: string | undefined): void {
    const name = path.posix.basename(node.relative);
    const title = this.titleOf(node.index, titleFromName(name), 'section');
    if (!node.index) {
      this.problems.push({
        file: `${CONTENT_DIR}/${node.relative}`,
        line: 1,
        message: `section '${node.relative}' has no _index.md: it is titled '${title}' and placed after the weighted pages`,
      });
    }
    this.sections.push(
      definedOnly({ path: node.relative, title, weight: node.index?.source.frontMatter.weight ?? 0, file: node.index?.file, parent }),
    );
    // A section's _index.md is a page of its own only when it says something; otherwise it just names the section.
    if (node.index && node.index.source.body.trim() !== '') this.addPage(node.index, node.relative, title);
    else if (node.index) this.problems.push(...node.index.source.problems);
    this.addEntries(node, node.relative);
  }

  private addPage(page: SourceFile, section: string | undefined, fallbackTitle?: string): void {
    this.problems.push(...page.source.problems);
    const urlPath = urlPathOf(page.relative);
    const earlier = this.pageFiles.get(urlPath);
    if (earlier !== undefined) {
      this.problems.push({ file: page.file, line: 1, message: `page path '${urlPath}' is already used by ${earlier}: this file is left out` });
      return;
    }
    this.pageFiles.set(urlPath, page.file);
    const title = this.titleOf(page, fallbackTitle ?? titleFromName(page.relative), 'page');
    this.pages.push(definedOnly({ path: urlPath, title, weight: page.source.frontMatter.weight ?? 0, file: page.file, section }));
  }

  /** The front-matter title, or `readable` (derived from a name) reported so that the author sets one. */
  private titleOf(file: SourceFile | undefined, readable: string, what: 'page' | 'section'): string {
    const title = file?.source.frontMatter.title;
    if (title !== undefined) return title;
    // Not reported when the front matter is unreadable or has a title of the wrong kind: that is reported already.
    const titleMissing = file && file.source.readable && !('title' in file.source.frontMatter.fields);
    if (file && titleMissing && !this.titleReported.has(file.file)) {
      this.titleReported.add(file.file);
      this.problems.push({ file: file.file, line: 1, message: `no 'title' in the front matter: the ${what} is listed as '${readable}'` });
    }
    return readable;
  }
}

/** Pages and subsections of a directory, by weight (unset last, as in Hugo) then name; drafts left out, as Hugo does. */
function entriesOf(node: DirectoryNode): Entry[] {
  const entries: Entry[] = [
    ...node.pages
      .filter((page) => page.source.frontMatter.fields.draft !== true)
      .map((page): Entry => ({ kind: 'page', weight: page.source.frontMatter.weight, name: path.posix.basename(page.relative), page })),
    ...node.children.map((child): Entry => ({
      kind: 'section',
      weight: child.index?.source.frontMatter.weight,
      name: path.posix.basename(child.relative),
      node: child,
    })),
  ];
  return entries.sort(compareEntries);
}

function compareEntries(a: Entry, b: Entry): number {
  const weightA = sortWeight(a.weight);
  const weightB = sortWeight(b.weight);
  if (weightA !== weightB) return weightA - weightB;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Hugo treats weight 0 as "no weight" and puts such pages after the weighted ones. */
function sortWeight(weight: number | undefined): number {
  return weight === undefined || weight === 0 ? Number.MAX_SAFE_INTEGER : weight;
}

async function readDirectory(contentRoot: string, relative: string): Promise<DirectoryNode> {
  const entries = await fs.readdir(path.join(contentRoot, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let index: SourceFile | undefined;
  const pages: SourceFile[] = [];
  const children: DirectoryNode[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // editor swap files, .DS_Store, …
    const childRelative = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      const child = await readDirectory(contentRoot, childRelative);
      if (child.index || child.pages.length > 0 || child.children.length > 0) children.push(child);
    } else if (entry.isFile() && /\.md$/i.test(entry.name)) {
      const file = await readSourceFile(contentRoot, childRelative);
      if (entry.name === '_index.md') index = file;
      else pages.push(file);
    }
  }
  return { relative, index, pages, children };
}

async function readSourceFile(contentRoot: string, relative: string): Promise<SourceFile> {
  const file = `${CONTENT_DIR}/${relative}`;
  const text = await fs.readFile(path.join(contentRoot, relative), 'utf8');
  return { relative, file, source: splitFrontMatter(text, file) };
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Drops undefined optional fields so that pages compare and serialize without `key: undefined`. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
