import type { SecretReference } from './workshop-environment.js';

/** What every fetched content source may also say: which files to keep, and the credentials to fetch with. */
export interface ContentSourceOptions {
  /**
   * Globs of the files to keep, relative to the content's root (`**` any number of folders, `*` and `?` within
   * one; a leading '/' is allowed, as Educates writes them, e.g. `/workshop/**`).
   * @default - every file
   */
  readonly includePaths?: string[];
  /** Globs of files (or whole folders) to leave out, applied after `includePaths`. @default - none */
  readonly excludePaths?: string[];
  /**
   * A Secret with `username` and `password` (a token) for the registry, Git server or web server — for a Git
   * repository reached over SSH, `ssh-privatekey` and `ssh-knownhosts` instead (a `kubernetes.io/ssh-auth` Secret
   * with the server's known_hosts line added, as vendir reads it) — copied into the environment namespace and
   * given to the session dashboard's own container only (never to the learner's). Its values are never synthesized.
   * @default - anonymous
   */
  readonly credentials?: SecretReference;
  /**
   * The folder of the content this source fills, as vendir's `path` (e.g. `exercises/app`); with several sources
   * (`ContentSource.several`) each has its own, and they may not overlap.
   * @default '.' (the whole content)
   */
  readonly into?: string;
}

export interface GitContentOptions extends ContentSourceOptions {
  /** The folder inside the repository that holds the workshop. @default '.' */
  readonly path?: string;
}

export interface HttpContentOptions extends ContentSourceOptions {
  /** The folder inside the archive that holds the workshop (e.g. the top folder of a GitHub archive). @default '.' */
  readonly path?: string;
  /**
   * The archive's sha256 (64 hex digits, `sha256:` prefix allowed): an archive with other bytes is refused, and a
   * pinned archive is not checked for changes. @default - not pinned (followed by ETag/Last-Modified)
   */
  readonly sha256?: string;
}

/**
 * Where a workshop's instructions and files come from.
 */
export class ContentSource {
  /**
   * Content published as an OCI artifact (see `workshops publish`), pulled when a session starts and pulled again
   * when the tag moves.
   *
   * @param ref an image reference with a tag or digest, e.g. `ghcr.io/acme/k8s-basics-files:1.2`
   */
  public static image(ref: string, options: ContentSourceOptions = {}): ContentSource {
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(ref)) {
      throw new Error(`ContentSource.image: '${ref}' is not an OCI reference with a tag or digest (example: ghcr.io/acme/workshop-files:1.0)`);
    }
    // Like the puller, require a registry host, so content is never fetched from (or published to) Docker Hub by
    // accident: the first part of the name must look like a host (a dot, a port, or localhost).
    const host = ref.split('/')[0];
    if (!ref.includes('/') || !(host.includes('.') || host.includes(':') || host === 'localhost')) {
      throw new Error(`ContentSource.image: '${ref}' has no registry host; write it in full, e.g. ghcr.io/${ref} or docker.io/${ref}`);
    }
    return new ContentSource([{ spec: { image: { ref, ...common('ContentSource.image', options) } }, credentials: options.credentials, ssh: false }]);
  }

  /**
   * Content in a Git repository, cloned (shallow, at `ref`) when a session starts; when `ref` is a branch, the
   * session follows it as it moves.
   *
   * @param url an https or ssh URL of the repository (plain http:// and git:// only on loopback, for tests)
   * @param ref a branch, tag or commit @default 'main'
   * @param pathOrOptions the folder inside the repository that holds the workshop (@default '.'), or options
   */
  public static git(url: string, ref = 'main', pathOrOptions: string | GitContentOptions = '.'): ContentSource {
    const options: GitContentOptions = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : pathOrOptions;
    const path = options.path ?? '.';
    if (!/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/.test(url) && !isLoopbackUrl(url, ['http:', 'git:'])) {
      throw new Error(`ContentSource.git: '${url}' is not a Git URL (https://…, ssh://… or git@host:path; http:// and git:// only on loopback)`);
    }
    if (/^(ssh:\/\/|git@)/.test(url) && !options.credentials) {
      throw new Error(
        `ContentSource.git: '${url}' is reached over SSH, so it needs credentials: a Secret with 'ssh-privatekey' and 'ssh-knownhosts' (the server's known_hosts line; host keys are never trusted on first use)`,
      );
    }
    if (!ref || /\s/.test(ref) || ref.startsWith('-'))
      throw new Error(`ContentSource.git: ref ${JSON.stringify(ref)} must be a branch, tag or commit`);
    checkPath('ContentSource.git', path);
    return new ContentSource([
      {
        spec: { git: { url, ref, path, ...common('ContentSource.git', options) } },
        credentials: options.credentials,
        ssh: /^(ssh:\/\/|git@)/.test(url),
      },
    ]);
  }

  /**
   * Content in a tar.gz archive on a web server, downloaded when a session starts (and again when it changes).
   *
   * @param url an https URL (plain http:// only on loopback, for tests)
   */
  public static http(url: string, options: HttpContentOptions = {}): ContentSource {
    if (!/^https:\/\/[^\s/]+\/?[^\s]*$/.test(url) && !isLoopbackUrl(url, ['http:'])) {
      throw new Error(`ContentSource.http: '${url}' is not an https URL of a tar.gz archive (http:// only on loopback)`);
    }
    const path = options.path ?? '.';
    checkPath('ContentSource.http', path);
    const pin = options.sha256;
    if (pin !== undefined && (typeof pin !== 'string' || !/^(sha256:)?[0-9a-f]{64}$/.test(pin))) {
      throw new Error(`ContentSource.http: sha256 ${JSON.stringify(pin)} must be the archive's sha256: 64 lower-case hexadecimal digits`);
    }
    const sha256 = pin === undefined ? {} : { sha256: pin.replace(/^sha256:/, '') };
    return new ContentSource([
      { spec: { http: { url, path, ...sha256, ...common('ContentSource.http', options) } }, credentials: options.credentials, ssh: false },
    ]);
  }

  /**
   * Several sources, each filling its own folder of the content (`into`), as Educates' several vendir items:
   * e.g. the workshop from an OCI artifact (no `into`: the root) and an application's repository into
   * `exercises/app`, which replaces that folder of the root's. One source at most fills the root; the others'
   * folders may not overlap. Each keeps its own filters, credentials and way of following changes.
   */
  public static several(sources: ContentSource[]): ContentSource {
    if (!Array.isArray(sources) || sources.length < 2) throw new Error('ContentSource.several: give two or more sources (one source needs no list)');
    const parts = sources.flatMap((source, i) => {
      if (!(source instanceof ContentSource) || source.parts.length !== 1) {
        throw new Error(`ContentSource.several: sources[${i}] must be one ContentSource.image, .git or .http (not embedded, not several)`);
      }
      return source.parts;
    });
    const folders: string[] = [];
    parts.forEach((part, i) => {
      const kind = Object.keys(part.spec)[0];
      const into = (part.spec[kind] as { into?: string }).into ?? '.';
      const clash = folders.find((f) => f === into || (f !== '.' && into !== '.' && (into.startsWith(`${f}/`) || f.startsWith(`${into}/`))));
      if (clash === '.')
        throw new Error(
          `ContentSource.several: sources[${i}] has no 'into', as an earlier one: only one source fills the root; give the others a folder, e.g. 'exercises/app'`,
        );
      if (clash !== undefined)
        throw new Error(
          `ContentSource.several: sources[${i}] into '${into}' overlaps the folder '${clash}' of an earlier source; give each its own folder`,
        );
      folders.push(into);
    });
    return new ContentSource(parts);
  }

  /** Content inside the workshop image itself (the default). */
  public static embedded(): ContentSource {
    return new ContentSource([]);
  }

  private constructor(private readonly parts: ReadonlyArray<{ spec: Record<string, unknown>; credentials?: SecretReference; ssh: boolean }>) {}

  /** The Secret the session dashboard fetches with, if any (of the first source that has one). */
  public get credentials(): SecretReference | undefined {
    return this.parts.find((p) => p.credentials)?.credentials;
  }

  /**
   * Each source's credentials and whether they are an SSH key, in order (index n of several is read by the
   * dashboard as `CONTENT_…_<n>`, the first without a suffix).
   */
  public get sourceCredentials(): ReadonlyArray<{ readonly credentials?: SecretReference; readonly ssh: boolean }> {
    return this.parts.map(({ credentials, ssh }) => ({ credentials, ssh }));
  }

  /** The `content` field of the WorkshopEnvironment resource (and of the dashboard's settings). */
  public toJson(): Record<string, unknown> {
    if (this.parts.length === 0) return {};
    if (this.parts.length === 1) return JSON.parse(JSON.stringify(this.parts[0].spec));
    return JSON.parse(JSON.stringify({ sources: this.parts.map((p) => p.spec) }));
  }
}

function common(where: string, options: ContentSourceOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of ['includePaths', 'excludePaths'] as const) {
    const globs = options[field];
    if (globs === undefined) continue;
    if (!Array.isArray(globs) || globs.length === 0)
      throw new Error(`${where}: '${field}' must be a non-empty list of globs such as /workshop/**, or left out`);
    for (const glob of globs) {
      const parts = String(glob).replace(/^\/+/, '').replace(/\/+$/, '').split('/');
      if (typeof glob !== 'string' || glob.trim() === '' || parts.includes('..') || parts.includes('')) {
        throw new Error(
          `${where}: '${field}' glob ${JSON.stringify(glob)} must be a path inside the content such as /workshop/** (no '..', no empty segments)`,
        );
      }
    }
    out[field] = [...globs];
  }
  const secret = options.credentials;
  if (secret !== undefined) {
    for (const key of ['name', 'namespace'] as const) {
      if (typeof secret[key] !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secret[key])) {
        throw new Error(
          `${where}: credentials.${key} ${JSON.stringify(secret[key])} must be a DNS-1123 name (the Secret with 'username' and 'password')`,
        );
      }
    }
    out.credentials = { secret: secret.name };
  }
  if (options.into !== undefined) {
    const into = String(options.into).replace(/^\.\//, '').replace(/\/+$/, '');
    if (typeof options.into !== 'string' || !into || into === '.' || into.startsWith('/') || into.split('/').includes('..') || into.includes('\\')) {
      throw new Error(`${where}: into ${JSON.stringify(options.into)} must be a folder inside the content such as exercises/app (relative, no '..')`);
    }
    out.into = into;
  }
  return out;
}

function checkPath(where: string, path: string): void {
  if (path.startsWith('/') || path.split('/').includes('..')) {
    throw new Error(`${where}: path '${path}' must be relative to the content's root and stay inside it`);
  }
}

function isLoopbackUrl(url: string, protocols: string[]): boolean {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    return protocols.includes(parsed.protocol) && (host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1');
  } catch {
    return false;
  }
}
