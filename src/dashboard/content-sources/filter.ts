/**
 * Educates' `includePaths` / `excludePaths` on fetched content: after a fetch, and before the content becomes
 * current, files that no include glob matches, or that an exclude glob matches (itself or a folder above it), are
 * removed, and folders left empty go too. Globs are those of the OCI packer (`**`, `*`, `?`, a leading '/' allowed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { IncludeSet } from '../../oci/include.js';

export interface PathFilters {
  readonly includePaths?: readonly string[];
  readonly excludePaths?: readonly string[];
}

/** Applies the filters to `dir` in place; returns how many files and links were removed. */
export function applyPathFilters(dir: string, filters: PathFilters): number {
  const include = filters.includePaths?.length ? new IncludeSet(filters.includePaths) : undefined;
  const exclude = filters.excludePaths?.length ? new IncludeSet(filters.excludePaths) : undefined;
  if (!include && !exclude) return 0;
  let removed = 0;
  const walk = (relative: string): boolean => {
    // returns whether the folder is empty afterwards
    const full = path.join(dir, relative);
    let left = 0;
    for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const target = path.join(dir, child);
      if (entry.isDirectory()) {
        if (exclude?.matches(child)) {
          removed += countFiles(target);
          fs.rmSync(target, { recursive: true, force: true });
          continue;
        }
        if (walk(child)) fs.rmdirSync(target);
        else left += 1;
        continue;
      }
      if ((include && !include.matches(child)) || exclude?.matches(child)) {
        fs.rmSync(target, { force: true });
        removed += 1;
      } else {
        left += 1;
      }
    }
    return left === 0;
  };
  walk('');
  return removed;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return n;
}
