import { OciError } from './errors.js';

/**
 * What a workshop's published content holds by default: the instructions and setup (`workshop/`), the learner's
 * files (`exercises/`) and the README, the same set as Educates' generated `includePaths`
 * (`/workshop/**`, `/exercises/**`, `/README.md`). Anything else in the directory, such as the TypeScript
 * definition, `node_modules` or `dist/`, stays out.
 */
export const DEFAULT_INCLUDE: readonly string[] = ['workshop/**', 'exercises/**', 'README.md'];

/**
 * A set of include globs over '/'-separated paths relative to the content directory. `**` matches any number of
 * path segments (also none, so `workshop/**` matches `workshop` itself), `*` and `?` stay inside one segment, and a
 * leading '/' is ignored so that Educates' `/workshop/**` can be used as written.
 */
export class IncludeSet {
  private readonly patterns: ReadonlyArray<{ source: string; regex: RegExp; segments: ReadonlyArray<RegExp | '**'> }>;

  constructor(globs: readonly string[]) {
    if (globs.length === 0) throw new OciError("'include' is empty: give at least one glob, e.g. workshop/**");
    this.patterns = globs.map((glob) => {
      const source = glob.replace(/^\/+/, '').replace(/\/+$/, '');
      const parts = source.split('/');
      if (source === '' || parts.includes('..') || parts.includes('')) {
        throw new OciError(`include glob '${glob}' must be a relative path inside the content directory, e.g. workshop/**`);
      }
      return {
        source,
        regex: globToRegExp(parts),
        segments: parts.map((s) => (s === '**' ? '**' : new RegExp(`^${segmentToRegExp(s)}$`))),
      };
    });
  }

  /** True when the path itself is included. */
  matches(path: string): boolean {
    return this.patterns.some((p) => p.regex.test(path));
  }

  /** True when something below the directory `path` could be included, so that the walk must descend into it. */
  mayContain(path: string): boolean {
    const dirSegments = path.split('/');
    return this.patterns.some(({ segments }) => {
      for (let i = 0; i < dirSegments.length; i += 1) {
        const segment = segments[i];
        if (segment === undefined) return false;
        if (segment === '**') return true;
        if (!segment.test(dirSegments[i])) return false;
      }
      return segments.length > dirSegments.length;
    });
  }

  toString(): string {
    return this.patterns.map((p) => p.source).join(', ');
  }
}

function segmentToRegExp(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

function globToRegExp(segments: readonly string[]): RegExp {
  let out = '';
  let needSlash = false;
  segments.forEach((segment, i) => {
    if (segment === '**' && i === 0) {
      // leading: any number of whole segments, each with its trailing '/'; alone: everything
      out += segments.length === 1 ? '.*' : '(?:[^/]+/)*';
      needSlash = false;
    } else if (segment === '**') {
      // inner or trailing: any number of '/segment', so `workshop/**` also matches `workshop`
      out += '(?:/[^/]+)*';
      needSlash = true;
    } else {
      out += (needSlash ? '/' : '') + segmentToRegExp(segment);
      needSlash = true;
    }
  });
  return new RegExp(`^${out}$`);
}
