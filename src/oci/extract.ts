import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import tar from 'tar-stream';

import { OciError } from './errors.js';
import { DEFAULT_PULL_LIMITS, type PullLimits } from './limits.js';

/**
 * Extracts a gzip-compressed tar into `dir`, which must be a new, empty directory (pullContent stages into one).
 * Only regular files, directories and symbolic links are accepted, and nothing may land or point outside `dir`:
 * absolute names, `..` segments, hard links, devices and FIFOs are refused, nothing is ever written through a
 * symbolic link, and a link's target must stay inside (see `checkLinkTarget`). Modes come back as the packer wrote
 * them, 0755 for directories and executables and 0644 otherwise (set-id and sticky bits are dropped); owners are the
 * extracting user. Returns the number of files and links.
 *
 * Nothing is held in memory whole: the layer is read as a stream and each file is written as its bytes arrive. A
 * crafted "gzip bomb" fills an error message rather than the disk: the layer may expand to at most
 * `limits.extractedBytes` bytes of files in at most `limits.entries` entries, checked before each entry is written
 * (from its header) and while it is written.
 *
 * @param layer the gzip-compressed tar: a stream (a file being read) or bytes
 * @param what names the layer in error messages, e.g. "layer of ghcr.io/acme/files:1.0"
 */
export async function extractLayer(
  layer: Readable | Buffer,
  dir: string,
  what: string,
  limits: Pick<PullLimits, 'extractedBytes' | 'entries'> = DEFAULT_PULL_LIMITS,
): Promise<number> {
  const extract = tar.extract();
  const gunzip = createGunzip();
  const source = Buffer.isBuffer(layer) ? Readable.from([layer]) : layer;
  source.on('error', (e) => extract.destroy(e));
  gunzip.on('error', (e) => extract.destroy(new OciError(`${what} is not a valid gzip stream (${e.message})`)));
  source.pipe(gunzip).pipe(extract);

  const links = new Set<string>();
  // directories made so far: a layer lists hundreds of files per directory, one mkdir each would be wasted
  const made = new Set<string>([dir]);
  const ensureDir = async (path: string) => {
    if (made.has(path)) return;
    await mkdir(path, { recursive: true });
    made.add(path);
  };
  let files = 0;
  let entries = 0;
  let bytes = 0;
  const refuse = (name: string, why: string) => new OciError(`${what} has an unsafe entry '${name}': ${why}; refusing to extract it`);
  const tooLarge = (name: string, value: number) =>
    new OciError(`${what} expands to more than the limit of ${limits.extractedBytes} bytes (${value} bytes with '${name}'); refusing to extract it`);

  try {
    for await (const entry of extract) {
      const { header } = entry;
      const rawName = header.name;
      entries += 1;
      if (entries > limits.entries) {
        throw new OciError(`${what} has more than the limit of ${limits.entries} entries (entry ${entries} is '${rawName}'); refusing to extract it`);
      }
      const path = entryPath(rawName);
      if (typeof path !== 'string') throw refuse(rawName, path.why);

      // Never write through a link created earlier (a link `a` -> somewhere, then a file `a/x`).
      const segments = path.split('/');
      for (let i = 1; i <= segments.length; i += 1) {
        const prefix = segments.slice(0, i).join('/');
        if (links.has(prefix) && (i < segments.length || header.type === 'directory')) {
          throw refuse(rawName, `it goes through the symbolic link '${prefix}'`);
        }
      }
      const target = join(dir, ...segments);

      switch (header.type) {
        case 'directory':
          await ensureDir(target);
          await chmod(target, 0o755);
          break;
        case 'file':
        case 'contiguous-file': {
          if (bytes + (header.size ?? 0) > limits.extractedBytes) throw tooLarge(rawName, bytes + (header.size ?? 0));
          await ensureDir(join(target, '..'));
          await replaceable(target, links.has(path));
          // the header's size is checked above; the bytes are counted again as they are written
          const count = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              bytes += chunk.length;
              done(bytes > limits.extractedBytes ? tooLarge(rawName, bytes) : null, chunk);
            },
          });
          await pipeline(entry, count, createWriteStream(target, { flags: 'wx' }));
          await chmod(target, (header.mode ?? 0) & 0o111 ? 0o755 : 0o644);
          links.delete(path);
          files += 1;
          break;
        }
        case 'symlink': {
          const why = checkLinkTarget(path, header.linkname ?? '');
          if (why) throw refuse(rawName, why);
          await ensureDir(join(target, '..'));
          await replaceable(target, true);
          await symlink(header.linkname as string, target);
          links.add(path);
          files += 1;
          break;
        }
        case 'link':
          throw refuse(rawName, 'hard links are not accepted in workshop content');
        default:
          throw refuse(rawName, `entries of type '${header.type}' are not accepted in workshop content (files, directories and symbolic links are)`);
      }
      entry.resume();
    }
  } catch (error) {
    // stop reading the layer too: a paused file stream would keep its descriptor open
    extract.destroy();
    gunzip.destroy();
    source.destroy();
    if (error instanceof OciError) throw error;
    throw new OciError(`${what} is not a valid tar.gz layer (${(error as Error).message})`);
  }
  return files;
}

/** A later entry of the same name replaces an earlier file or link, as tar does; a directory is never replaced. */
async function replaceable(target: string, mayExist: boolean): Promise<void> {
  if (mayExist) await rm(target, { force: true });
}

/** The entry's name as '/'-separated segments, or why it is refused. */
function entryPath(name: string): string | { why: string } {
  if (name.includes('\0')) return { why: 'its name contains a NUL byte' };
  if (name.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(name)) return { why: 'absolute paths are not allowed' };
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { why: "'..' would leave the destination" };
  if (segments.length === 0) return { why: 'it has no name' };
  return segments.join('/');
}

/**
 * Why a link target is refused, or undefined when it is safe. A safe target is relative and in normal form: some
 * '..' that stay within the link's own directory depth, then plain names. Resolution then starts from a real
 * directory inside the destination (links are never written through) and only goes down, through names that are
 * files, directories or links checked the same way, so it cannot leave the destination. A lexical check alone would
 * not do: with `s -> .`, the target `s/s/..` looks inside but is the parent of the destination.
 */
export function checkLinkTarget(linkPath: string, linkTarget: string): string | undefined {
  if (linkTarget === '') return 'its link target is empty';
  if (linkTarget.startsWith('/')) return `its link target '${linkTarget}' is absolute and would point outside the destination`;
  const depth = linkPath.split('/').length - 1;
  // '.' segments change nothing, neither lexically nor when resolved
  const parts = linkTarget.split('/').filter((s) => s !== '' && s !== '.');
  let ups = 0;
  while (ups < parts.length && parts[ups] === '..') ups += 1;
  if (ups > depth) return `its link target '${linkTarget}' points outside the destination`;
  if (parts.slice(ups).includes('..')) {
    return `its link target '${linkTarget}' is not in normal form ('..' only at the start)`;
  }
  return undefined;
}
