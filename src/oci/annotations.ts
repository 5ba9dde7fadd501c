import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { OciError } from './errors.js';
import { sourceDateEpoch } from './pack.js';

const CREATED = 'org.opencontainers.image.created';
const SOURCE = 'org.opencontainers.image.source';
const VERSION = 'org.opencontainers.image.version';

/**
 * The manifest annotations of published content. Only values that are the same wherever and whenever the same
 * content is published go in, so that re-publishing gives the same digest:
 * - `created`: SOURCE_DATE_EPOCH as RFC 3339 when it is set, else left out (a wall-clock time would change the
 *   digest on every publish);
 * - `source`: the `origin` remote of the Git repository that holds the directory, without credentials, when found;
 * - `version`: the tag pushed to.
 * The caller's annotations come last and win.
 */
export async function manifestAnnotations(dir: string, tag: string | undefined, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const annotations: Record<string, string> = {};
  if (process.env.SOURCE_DATE_EPOCH) annotations[CREATED] = new Date(sourceDateEpoch() * 1000).toISOString().replace('.000Z', 'Z');
  const source = await gitOrigin(resolve(dir));
  if (source) annotations[SOURCE] = source;
  if (tag) annotations[VERSION] = tag;
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new OciError(`annotation '${key}' must be a string, not ${typeof value}`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/.test(key)) {
      throw new OciError(`annotation key '${key}' must be letters, digits, '.', '_', '-' or '/' (reverse-DNS, e.g. org.example.course)`);
    }
    annotations[key] = value;
  }
  return annotations;
}

/** The URL of the `origin` remote of the repository around `dir`, with any user:password removed. */
async function gitOrigin(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    const config = await readFile(join(current, '.git', 'config'), 'utf8').catch(() => undefined);
    if (config !== undefined) {
      const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1] ?? '';
      const url = /^\s*url\s*=\s*(\S+)\s*$/m.exec(section)?.[1];
      return url?.replace(/^(\w+:\/\/)[^@/]*@/, '$1');
    }
    if (dirname(current) === current) return undefined;
  }
}
