import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { OciError } from './errors.js';

/**
 * Fills a fresh staging directory next to `dest` and then puts it in place with renames, so that a reader of `dest`
 * (a running dashboard) sees either the whole old tree or the whole new one, never a half-extracted one. When
 * `dest` already holds a tree it is renamed aside first and removed after the new tree is in place: between those
 * two renames (microseconds) `dest` does not exist. If filling fails, `dest` is left as it was.
 *
 * `dest` cannot be a mount point (a directory that cannot be renamed): pull into a directory below it.
 */
export async function installAtomically<T>(dest: string, fill: (staging: string) => Promise<T>): Promise<T> {
  const target = resolve(dest);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${basename(target)}.pull-`));
  let result: T;
  try {
    result = await fill(staging);
    await chmod(staging, 0o755); // mkdtemp creates it 0700
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }

  try {
    // rename(2) replaces a missing or empty directory in one step
    await rename(staging, target);
    return result;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
      await rm(staging, { recursive: true, force: true });
      throw installError(dest, error as NodeJS.ErrnoException);
    }
  }
  const old = join(parent, `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  try {
    await rename(target, old);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw installError(dest, error as NodeJS.ErrnoException);
  }
  try {
    await rename(staging, target);
  } catch (error) {
    await rename(old, target).catch(() => undefined); // put the previous tree back rather than leave nothing
    await rm(staging, { recursive: true, force: true });
    throw installError(dest, error as NodeJS.ErrnoException);
  }
  await rm(old, { recursive: true, force: true });
  return result;
}

function installError(dest: string, error: NodeJS.ErrnoException): OciError {
  if (error.code === 'EBUSY' || error.code === 'EXDEV') {
    return new OciError(`cannot replace '${dest}' (${error.code}): it is probably a mount point; pull into a directory below it`);
  }
  if (error.code === 'ENOTDIR') return new OciError(`cannot pull into '${dest}': it exists and is not a directory`);
  return new OciError(`cannot put the content in place at '${dest}' (${error.code ?? error.message})`);
}
