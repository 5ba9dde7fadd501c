/** Names derived from file names: URL paths of pages and fallback titles. */
import * as path from 'node:path';

/** The URL path of a Markdown file given its path relative to workshop/content (POSIX separators). */
export function urlPathOf(relativeFile: string): string {
  const withoutExtension = relativeFile.replace(/\.md$/i, '');
  if (withoutExtension === '_index') return '';
  return withoutExtension.replace(/\/_index$/, '');
}

/**
 * A readable title from a file or directory name, for pages without one: "01-getting-started" → "Getting started".
 * The ordering prefix is dropped because weights and names already order the pages.
 */
export function titleFromName(name: string): string {
  const base = path.posix.basename(name).replace(/\.md$/i, '');
  const words =
    base
      .replace(/^\d+[-_.\s]*/, '')
      .replace(/[-_]+/g, ' ')
      .trim() || base;
  return words.charAt(0).toUpperCase() + words.slice(1);
}
