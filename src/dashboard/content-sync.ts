/**
 * Keeps the session's workshop content current while the session runs. Content from an OCI artifact, a Git
 * repository or a tar.gz archive on a web server is fetched at start; then the source is checked every few seconds
 * (a tag's digest, a branch's commit, the archive's ETag) and fetched again when it moved (or at once when
 * POST /workshop/update asks). A tag pinned to a digest, a Git tag or a commit never moves and is not checked.
 * Every fetch lands in a directory of its own, filtered by the source's include/exclude paths, and becomes current
 * only when complete, so a learner never reads a half-unpacked page. Edits in place (an author working inside a
 * session) are picked up by watching the current directory.
 *
 * Listeners of 'change' get the new directory; the dashboard re-reads the instructions from it.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { watchContent } from '../content/index.js';
import { checkLinkTarget } from '../oci/extract.js';
import { pullContent, resolveDigest } from '../oci/index.js';
import { type ContentFetchConfig, type DashboardConfig, intoOf } from './config.js';
import { applyPathFilters, type PathFilters } from './content-sources/filter.js';
import { checkoutGit, type GitAuth, type ResolvedRef, resolveGitRef } from './content-sources/git.js';
import { downloadArchive, type HttpValidators } from './content-sources/http.js';

export interface ContentSyncOptions {
  /** The content source of dashboard.json. */
  readonly source: DashboardConfig['content'];
  /**
   * For embedded content: the workshop directory itself. For fetched content: where the fetches are unpacked,
   * each in a subdirectory named after its version.
   */
  readonly workshopDir: string;
  /** Seconds between checks of the source; 0 turns checking off. @default 30 */
  readonly pollSeconds?: number;
  /** Plain HTTP to the registry (local registries in development and tests). */
  readonly insecureRegistry?: boolean;
  /** Credentials of the content source: the registry, the Git server (a token as password) or the web server. */
  readonly registryUsername?: string;
  readonly registryPassword?: string;
  /**
   * Credentials by source (the first for a single source; `registryUsername`/`registryPassword` fill in for the
   * first when it has none here): see contentCredentialsFromEnv.
   */
  readonly credentials?: readonly (ContentCredentials | undefined)[];
  readonly log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export declare interface ContentSync {
  on(event: 'change', listener: (dir: string) => void): this;
}

/** One kind of source: how to tell cheaply whether it moved, and how to fetch a version into a new directory. */
interface Fetcher {
  /** For logs: the reference, URL or repository. */
  readonly what: string;
  readonly filters: PathFilters;
  /** Whether the source can move at all (checked after the first fetch). */
  follows(): boolean;
  /** True when the source may hold something else than `version`. */
  moved(version: string | undefined): Promise<boolean>;
  /**
   * Fetches into `dest` (which does not exist yet); undefined when the server says nothing changed. `current` is the
   * directory of the version in use, if any (several sources copy the parts that did not move from it).
   */
  fetch(dest: string, current?: string): Promise<{ version: string; files: number } | undefined>;
}

/** What a source is fetched with; each comes from the source's Secret, in the dashboard's container only. */
export interface ContentCredentials extends GitAuth {
  readonly username?: string;
  readonly password?: string;
}

/**
 * The content credentials in the dashboard container's environment (set by the Workshop construct from each source's
 * Secret): `CONTENT_REGISTRY_USERNAME` / `_PASSWORD` and `CONTENT_SSH_PRIVATE_KEY` / `CONTENT_SSH_KNOWN_HOSTS` for
 * the first source, the same names with `_<n>` for the source at index n of several.
 */
export function contentCredentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Array<ContentCredentials | undefined> {
  const result: Array<ContentCredentials | undefined> = [];
  for (let i = 0; i < 64; i++) {
    const suffix = i === 0 ? '' : `_${i}`;
    const found: ContentCredentials = {
      username: env[`CONTENT_REGISTRY_USERNAME${suffix}`] || undefined,
      password: env[`CONTENT_REGISTRY_PASSWORD${suffix}`] || undefined,
      sshPrivateKey: env[`CONTENT_SSH_PRIVATE_KEY${suffix}`] || undefined,
      sshKnownHosts: env[`CONTENT_SSH_KNOWN_HOSTS${suffix}`] || undefined,
    };
    result.push(Object.values(found).some(Boolean) ? found : undefined);
  }
  while (result.length && result[result.length - 1] === undefined) result.pop();
  return result;
}

export class ContentSync extends EventEmitter {
  private current: string;
  private version: string | undefined;
  private poller: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  /** Checks run one after another, so an explicit update always sees what was published before it was asked for. */
  private checks: Promise<unknown> = Promise.resolve();
  private busy = false;
  private stopped = false;
  private readonly fetcher: Fetcher | undefined;

  constructor(private readonly options: ContentSyncOptions) {
    super();
    this.current = options.workshopDir;
    const credentialsOf = (index: number): Credentials => {
      const given = options.credentials?.[index];
      const fallback = index === 0 && !given ? { username: options.registryUsername, password: options.registryPassword } : {};
      return { insecure: options.insecureRegistry, ...fallback, ...given };
    };
    const { sources } = options.source;
    // a single source into a folder of its own is put there as one of several would be
    this.fetcher = sources?.length
      ? severalFetcher(sources, credentialsOf)
      : intoOf(options.source) !== '.'
        ? severalFetcher([options.source], credentialsOf)
        : makeFetcher(options.source, credentialsOf(0));
  }

  /** The directory the instructions are read from now. */
  public get dir(): string {
    return this.current;
  }

  /** The version of the content in use (an OCI digest, a Git commit, an archive's sha256), when it was fetched. */
  public get contentDigest(): string | undefined {
    return this.version;
  }

  /** Fetches the content if it comes from elsewhere (failing loudly: a session without content is useless), then watches. */
  public async start(): Promise<void> {
    if (this.fetcher) {
      this.removeLeftovers();
      await this.pull();
      const seconds = this.options.pollSeconds ?? 30;
      if (seconds > 0 && this.fetcher.follows()) {
        this.poller = setInterval(() => {
          if (!this.busy) this.update().catch(() => undefined);
        }, seconds * 1000);
        this.poller.unref();
      }
    }
    this.watch();
  }

  /** Fetches again if the source moved; true when the content changed. */
  public update(): Promise<boolean> {
    if (!this.fetcher) return Promise.resolve(false);
    const check = this.checks
      .catch(() => undefined)
      .then(async () => {
        this.busy = true;
        try {
          return await this.pullIfMoved();
        } finally {
          this.busy = false;
        }
      });
    this.checks = check;
    return check;
  }

  public stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    this.unwatch?.();
  }

  private async pullIfMoved(): Promise<boolean> {
    const fetcher = this.fetcher!;
    try {
      if (!(await fetcher.moved(this.version))) return false;
    } catch (error) {
      this.options.log?.warn({ source: fetcher.what, message: (error as Error).message }, 'cannot check the workshop content for updates');
      throw error;
    }
    return this.pull();
  }

  private async pull(): Promise<boolean> {
    const fetcher = this.fetcher!;
    // Each version gets a directory of its own, renamed into place when complete, while the previous one may
    // still be read.
    const staging = path.join(this.options.workshopDir, `.incoming-${process.pid}-${Date.now()}`);
    let result: { version: string; files: number } | undefined;
    try {
      fs.mkdirSync(this.options.workshopDir, { recursive: true });
      result = await fetcher.fetch(staging, this.current === this.options.workshopDir ? undefined : this.current);
      if (result && !this.stopped && result.version !== this.version) {
        const removed = applyPathFilters(staging, fetcher.filters);
        result = { version: result.version, files: result.files - removed };
      }
    } catch (error) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw error;
    }
    if (!result || this.stopped || result.version === this.version) {
      fs.rmSync(staging, { recursive: true, force: true });
      return false;
    }
    const dir = path.join(this.options.workshopDir, versionDirName(result.version));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    const previous = this.current;
    this.current = dir;
    this.version = result.version;
    this.options.log?.info({ source: fetcher.what, version: result.version, files: result.files }, 'workshop content fetched');
    if (previous !== this.options.workshopDir && previous !== dir) {
      // Readers of the old directory are done by now (pages are read whole); keep the disk tidy.
      fs.rmSync(previous, { recursive: true, force: true });
    }
    this.watch();
    this.emit('change', dir);
    return true;
  }

  /** Versions and half-done fetches of an earlier run (a restarted process): only names this class makes. */
  private removeLeftovers(): void {
    const base = this.options.workshopDir;
    if (!fs.existsSync(base)) return;
    for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
      if (/^[0-9a-f]{16}$/.test(entry.name) || entry.name.replace(/^\.+/, '').startsWith('incoming-')) {
        fs.rmSync(path.join(base, entry.name), { recursive: true, force: true });
      }
    }
  }

  /** Edits in place (an author working inside the session) show up too. */
  private watch(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (!fs.existsSync(this.current)) return;
    try {
      const dir = this.current;
      this.unwatch = watchContent(dir, () => {
        if (this.current === dir) this.emit('change', dir);
      });
    } catch (error) {
      this.options.log?.warn({ dir: this.current, message: (error as Error).message }, 'cannot watch the workshop content for edits');
    }
  }
}

/** The directory of a version: 16 hex characters of its digest or commit. */
function versionDirName(version: string): string {
  return version.replace(/^sha256:/, '').slice(0, 16);
}

interface Credentials extends ContentCredentials {
  readonly insecure?: boolean;
}

/**
 * Several sources (Educates' several vendir items), each into its own folder of the content; one may fill the root
 * ('.'), and the others then replace their folders in it. A check asks each source that can move; a fetch fetches
 * the sources that moved (all of them the first time), filters each by its own include/exclude paths, and copies
 * the others from the version in use. The version is a hash of the sources' versions.
 */
function severalFetcher(sources: readonly ContentFetchConfig[], credentialsOf: (index: number) => Credentials): Fetcher {
  const parts = sources
    .map((source, i) => ({ index: i, into: intoOf(source), fetcher: makeFetcher(source, credentialsOf(i))! }))
    // the root first: the others' folders go into it
    .sort((a, b) => Number(b.into === '.') - Number(a.into === '.') || a.index - b.index);
  const versions: Array<string | undefined> = sources.map(() => undefined);
  const movedParts = new Set<number>(parts.map((p) => p.index));
  return {
    what: parts.map((p) => p.fetcher.what).join(' + '),
    filters: {},
    follows: () => parts.some((p) => p.fetcher.follows()),
    moved: async () => {
      for (const part of parts) {
        const known = versions[part.index];
        if (known === undefined || (part.fetcher.follows() && (await part.fetcher.moved(known)))) movedParts.add(part.index);
      }
      return movedParts.size > 0;
    },
    fetch: async (dest, current) => {
      const next = [...versions];
      let changed = false;
      if (parts[0].into !== '.') fs.mkdirSync(dest, { recursive: true });
      for (const part of parts) {
        const root = part.into === '.';
        const target = root ? dest : path.join(dest, ...part.into.split('/'));
        const kept = current && (root ? current : path.join(current, ...part.into.split('/')));
        const keepable = kept !== undefined && fs.existsSync(kept);
        if (movedParts.has(part.index) || !keepable) {
          const raw = `${dest}.part-${part.index}`;
          try {
            const fetched = await part.fetcher.fetch(raw);
            if (fetched && fetched.version !== versions[part.index]) {
              applyPathFilters(raw, part.fetcher.filters);
              fs.rmSync(target, { recursive: true, force: true });
              fs.mkdirSync(path.dirname(target), { recursive: true });
              fs.renameSync(raw, target);
              next[part.index] = fetched.version;
              changed = true;
              continue;
            }
          } finally {
            fs.rmSync(raw, { recursive: true, force: true });
          }
        }
        // unchanged: as it is in the version in use (filtered already)
        if (!keepable) throw new Error(`content source ${part.fetcher.what} said it is unchanged, but nothing of it is here`);
        fs.rmSync(target, { recursive: true, force: true });
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(kept, target, { recursive: true, verbatimSymlinks: true });
      }
      movedParts.clear();
      if (!changed) return undefined;
      versions.splice(0, versions.length, ...next);
      const version = `sha256:${createHash('sha256').update(next.join('\n')).digest('hex')}`;
      return { version, files: countFiles(dest) };
    },
  };
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  return n;
}

function makeFetcher(source: ContentFetchConfig, credentials: Credentials): Fetcher | undefined {
  if (source.image) {
    const { ref } = source.image;
    return {
      what: ref,
      filters: source.image,
      follows: () => !ref.includes('@sha256:'),
      moved: async (version) => (await resolveDigest(ref, credentials)) !== version,
      fetch: async (dest) => {
        const pulled = await pullContent({ ref, dest, ...credentials });
        return { version: pulled.digest, files: pulled.files };
      },
    };
  }
  if (source.git) {
    const { url, ref = 'main', path: inside = '.' } = source.git;
    let resolved: ResolvedRef | undefined;
    return {
      what: `${url}#${ref}`,
      filters: source.git,
      follows: () => resolved?.moves ?? false,
      moved: async (version) => {
        resolved = await resolveGitRef(url, ref, credentials);
        return resolved.commit !== version;
      },
      fetch: async (dest) => {
        resolved ??= await resolveGitRef(url, ref, credentials);
        const raw = `${dest}.checkout`;
        try {
          const commit = await checkoutGit(url, resolved, raw, credentials);
          return { version: commit, files: takeFolder(raw, inside, dest, `${url} at ${ref}`) };
        } finally {
          fs.rmSync(raw, { recursive: true, force: true });
        }
      },
    };
  }
  if (source.http) {
    const { url, path: inside = '.', sha256 } = source.http;
    let validators: HttpValidators | undefined;
    return {
      what: url,
      filters: source.http,
      // an archive pinned by its hash cannot change (a different one is refused)
      follows: () => sha256 === undefined,
      // the conditional download itself tells (one 304 when nothing changed); a pinned archive never moves
      moved: async () => sha256 === undefined,
      fetch: async (dest) => {
        const raw = `${dest}.archive`;
        try {
          fs.mkdirSync(raw);
          const download = await downloadArchive(url, raw, { auth: credentials, validators, sha256 });
          if (!download.changed) return undefined;
          validators = download.validators;
          return { version: download.digest, files: takeFolder(raw, inside, dest, url) };
        } finally {
          fs.rmSync(raw, { recursive: true, force: true });
        }
      },
    };
  }
  return undefined;
}

/** Moves the folder `inside` of `raw` (the whole of it for '.') to `dest`; returns the files it holds. */
function takeFolder(raw: string, inside: string, dest: string, what: string): number {
  const segments = inside.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..') || inside.startsWith('/')) throw new Error(`content path '${inside}' must stay inside ${what}`);
  for (let i = 1; i <= segments.length; i++) {
    // never through a link: the folder must be a real one inside the checkout
    const stat = fs.lstatSync(path.join(raw, ...segments.slice(0, i)), { throwIfNoEntry: false });
    if (!stat?.isDirectory()) throw new Error(`${what} has no folder '${inside}'`);
  }
  fs.renameSync(path.join(raw, ...segments), dest);
  return checkTree(dest, '', what);
}

/**
 * Counts the files of a checkout and refuses links that leave it, as the OCI extractor does: a page linked to
 * /proc/self/environ would otherwise show the dashboard's own credentials to the learner.
 */
function checkTree(root: string, relative: string, what: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      n += checkTree(root, child, what);
      continue;
    }
    if (entry.isSymbolicLink()) {
      const why = checkLinkTarget(child, fs.readlinkSync(path.join(root, child)));
      if (why) throw new Error(`${what} has an unsafe entry '${child}': ${why}; refusing it`);
    } else if (!entry.isFile()) {
      throw new Error(`${what} has an entry '${child}' that is neither a file, a folder nor a link; refusing it`);
    }
    n += 1;
  }
  return n;
}
