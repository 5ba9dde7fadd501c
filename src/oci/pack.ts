import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';

import tar from 'tar-stream';

import { sha256Digest } from './digest.js';
import { OciError } from './errors.js';
import { DEFAULT_INCLUDE, IncludeSet } from './include.js';

export interface PackOptions {
  /**
   * Globs, relative to the content directory, of what goes into the layer.
   * @default - workshop/**, exercises/**, README.md (see DEFAULT_INCLUDE)
   */
  readonly include?: string[];
}

export interface PackedContent {
  /** The gzip-compressed tar, ready to push as an OCI layer. */
  readonly layer: Buffer;
  /** `sha256:<hex>` of `layer`. */
  readonly digest: string;
  /** Regular files and symbolic links in the layer (directories are not counted). */
  readonly files: number;
}

/** One entry of the layer, in the order it is written. */
interface Entry {
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly absolute: string;
  readonly executable: boolean;
  readonly linkTarget?: string;
}

/**
 * The timestamp written into every entry: SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the
 * epoch, so that the same tree gives the same bytes on any machine and at any time.
 */
export function sourceDateEpoch(): number {
  const raw = process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^[0-9]{1,12}$/.test(raw)) {
    throw new OciError(`SOURCE_DATE_EPOCH '${raw}' must be a whole number of seconds since 1970-01-01 (e.g. $(git log -1 --format=%ct))`);
  }
  return Number(raw);
}

/** True when `child` is `root` or below it (both absolute and resolved). */
function isInside(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Walks the directory and lists what the layer holds, sorted by path. Directories are entries of their own when
 * they are included or hold something included, so that the tree comes back with the same shape (empty included
 * directories too). Sockets, FIFOs and devices are left out: content is files. A symbolic link is kept only when it
 * resolves to something inside the directory; it is then written as a relative link to where it really points, so it
 * still works wherever the layer is extracted. Links to outside, and broken links, are left out.
 */
async function collect(root: string, include: IncludeSet): Promise<Entry[]> {
  const realRoot = await realpath(root);
  const entries: Entry[] = [];

  async function walk(dirRel: string): Promise<boolean> {
    const names = (await readable(dirRel || '.', () => readdir(dirRel === '' ? root : join(root, dirRel)))).sort();
    let holdsSomething = false;
    for (const name of names) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const absolute = join(root, rel);
      const info = await readable(rel, () => lstat(absolute));
      if (info.isDirectory()) {
        if (!include.mayContain(rel) && !include.matches(rel)) continue;
        if ((await walk(rel)) || include.matches(rel)) {
          entries.push({ path: rel, type: 'directory', absolute, executable: true });
          holdsSomething = true;
        }
      } else if (!include.matches(rel)) {
        continue;
      } else if (info.isFile()) {
        entries.push({ path: rel, type: 'file', absolute, executable: (info.mode & 0o111) !== 0 });
        holdsSomething = true;
      } else if (info.isSymbolicLink()) {
        let resolved: string;
        try {
          resolved = await realpath(absolute);
        } catch {
          continue; // broken link
        }
        if (!isInside(realRoot, resolved)) continue;
        const linkDir = await realpath(join(root, dirRel));
        const target = relative(linkDir, resolved).split(sep).join('/') || '.';
        entries.push({ path: rel, type: 'symlink', absolute, executable: false, linkTarget: target });
        holdsSomething = true;
      }
    }
    return holdsSomething;
  }

  await walk('');
  // Sorted by full path (code units): a directory comes before what it holds, and the order does not depend on
  // the file system's listing order.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Packs a workshop directory into a deterministic gzip-compressed tar: the same tree always gives the same bytes
 * and so the same digest, which makes re-publishing unchanged content a no-op and lets a session tell cheaply whether
 * its content changed. Entries are sorted, owned by 0:0 with empty owner names, timestamped SOURCE_DATE_EPOCH (or 0),
 * with modes reduced to 0755 (directories, executables) and 0644 (other files). The gzip header carries no time
 * and a fixed OS byte; the output is stable for a given zlib version (Node bundles its own).
 */
export async function packContent(dir: string, opts: PackOptions = {}): Promise<PackedContent> {
  const root = resolve(dir);
  // stat, not lstat: the directory given may itself be a link to the workshop
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat) throw new OciError(`content directory '${dir}' does not exist`);
  if (!rootStat.isDirectory()) throw new OciError(`content directory '${dir}' is not a directory`);

  const include = new IncludeSet(opts.include ?? DEFAULT_INCLUDE);
  const entries = await collect(root, include);
  const files = entries.filter((e) => e.type !== 'directory').length;
  if (files === 0) {
    throw new OciError(`nothing to pack in '${dir}': no file matches ${include.toString()}`);
  }

  const mtime = new Date(sourceDateEpoch() * 1000);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const gzip = createGzip({ level: zlibConstants.Z_DEFAULT_COMPRESSION });
  const written = pipeline(pack, gzip, sink);

  try {
    for (const entry of entries) {
      const common = { uid: 0, gid: 0, uname: '', gname: '', mtime };
      if (entry.type === 'directory') {
        await addEntry(pack, { ...common, name: `${entry.path}/`, type: 'directory', mode: 0o755 });
      } else if (entry.type === 'symlink') {
        await addEntry(pack, { ...common, name: entry.path, type: 'symlink', mode: 0o777, linkname: entry.linkTarget });
      } else {
        const data = await readable(entry.path, () => readFile(entry.absolute));
        await addEntry(pack, { ...common, name: entry.path, type: 'file', mode: entry.executable ? 0o755 : 0o644, size: data.length }, data);
      }
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;

  const layer = Buffer.concat(chunks);
  // The OS byte of the gzip header depends on the platform zlib was built for; 255 ("unknown") keeps the bytes
  // the same wherever the content is packed.
  layer[9] = 0xff;
  return { layer, digest: sha256Digest(layer), files };
}

/** A file system call whose failure (a file unreadable or removed during the walk) names the path, without a stack. */
async function readable<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new OciError(`cannot read '${path}' of the content directory (${code})`);
  }
}

function addEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, data?: Buffer): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolvePromise());
    if (data) pack.entry(header, data, done);
    else pack.entry(header, done);
  });
}
