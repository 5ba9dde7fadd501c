/** The shape of a workshop's instructions as hosts (dashboard, preview, CLI) see them. */
import type { ContentProblem } from './problems.js';

/** One page of instructions. */
export interface ContentPage {
  /**
   * URL path: the file's path under workshop/content without `.md` ("01-intro", "setup/tools"); a section's
   * `_index.md` has the section's path ("setup"), and the workshop's home page, workshop/content/_index.md, has
   * the empty path "" (Hugo's "/"). Compare with `!== undefined`, not truthiness.
   */
  path: string;
  title: string;
  /** Front-matter weight; 0 when unset (Hugo's convention: unweighted pages come after weighted ones). */
  weight: number;
  /** The Markdown file, relative to the workshop directory ("workshop/content/01-intro.md"). */
  file: string;
  /** Path of the section the page belongs to (the directory); absent for pages at the top. */
  section?: string;
}

/** A directory of pages under workshop/content; its `_index.md` gives its title and weight. */
export interface ContentSection {
  path: string;
  title: string;
  weight: number;
  /** The section's `_index.md` relative to the workshop directory, when it has one. */
  file?: string;
  /** Path of the enclosing section, for nested sections. */
  parent?: string;
}

export interface WorkshopContent {
  /** The workshop directory (holding workshop/content). */
  dir: string;
  /** Pages in reading order: the home page, then each page or section by weight and name, sections depth first. */
  pages: ContentPage[];
  /** Problems found while loading (front matter, layout); rendering a page finds the rest. */
  problems: ContentProblem[];
  /** Sections in reading order. */
  sections: ContentSection[];
  /** Title of the workshop: the home page's title, else the directory's name. */
  title: string;
}

/** Where instructions live inside a workshop directory (Educates' layout). */
export const CONTENT_DIR = 'workshop/content';
