import { OciError } from './errors.js';

/**
 * A parsed OCI reference: `host[:port]/path[:tag|@sha256:<hex>]`.
 *
 * The registry host is required. Docker's short names (`acme/files:1.0` meaning `docker.io/acme/files:1.0`) are
 * refused on purpose: workshop content is often private, and guessing Docker Hub would push it to a public registry
 * when the author only forgot a host name. Writing `docker.io/acme/files:1.0` in full works as with any registry.
 */
export interface OciReference {
  /** `host` or `host:port`, as written (IPv6 literals keep their brackets). */
  readonly registry: string;
  /** The repository path inside the registry, e.g. `acme/k8s-basics-files`. */
  readonly repository: string;
  /** The tag; `latest` when the reference has neither tag nor digest. Absent when only a digest was given. */
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  readonly digest?: string;
}

const EXPECTED = 'expected host[:port]/path[:tag|@sha256:<64 hex digits>], e.g. ghcr.io/acme/k8s-basics-files:1.0';

// The grammar of github.com/distribution/reference, restricted to what registries accept on the wire.
const HOST_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PORT = /^[0-9]{1,5}$/;

function invalid(ref: string, why: string): OciError {
  return new OciError(`invalid OCI reference '${ref}': ${why}; ${EXPECTED}`);
}

/** True when `host` (without port) looks like a registry host rather than the first path component of a short name. */
function isHostLike(host: string, hasPort: boolean): boolean {
  return hasPort || host.includes('.') || host === 'localhost' || host.startsWith('[');
}

/** Parses `ref`; throws an OciError that names the reference and the rule it breaks. */
export function parseReference(ref: string): OciReference {
  if (typeof ref !== 'string' || ref.trim() === '') throw invalid(String(ref ?? ''), 'it is empty');
  if (/\s/.test(ref)) throw invalid(ref, 'it contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) throw invalid(ref, 'write it without a scheme such as https://');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `digest '${digest}' is not sha256:<64 lower-case hex digits>`);
  }

  const slash = rest.indexOf('/');
  if (slash < 0) {
    throw invalid(ref, 'it has no registry host and repository path');
  }
  const registry = rest.slice(0, slash);
  let path = rest.slice(slash + 1);

  // host[:port], or [ipv6][:port]
  const hostMatch = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(.*))?$/.exec(registry);
  if (!hostMatch) throw invalid(ref, `registry '${registry}' is not host[:port]`);
  const [, host, port] = hostMatch;
  if (!isHostLike(host, port !== undefined)) {
    throw new OciError(
      `OCI reference '${ref}' has no registry host: write the registry in full, e.g. docker.io/${ref} or ghcr.io/${ref} ` +
        '(short Docker Hub names are not guessed, so content never lands in a public registry by mistake)',
    );
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw invalid(ref, `port '${port}' must be a number from 1 to 65535`);
  }
  if (!host.startsWith('[') && !host.split('.').every((c) => HOST_COMPONENT.test(c))) {
    throw invalid(ref, `registry host '${host}' is not a valid host name`);
  }

  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `tag '${tag}' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
  }
  if (path === '') throw invalid(ref, 'the repository path is empty');
  const bad = path.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    throw invalid(ref, `path component '${bad}' must be lower-case letters and digits, separated by '.', '_', '__' or '-'`);
  }
  if (path.length > 255) throw invalid(ref, 'the repository path is longer than 255 characters');

  if (tag === undefined && digest === undefined) tag = 'latest';
  // Docker Hub keeps official images under library/: docker.io/alpine is docker.io/library/alpine
  if (isDockerHub(registry) && !path.includes('/')) path = `library/${path}`;
  return { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The reference written back in its canonical form; a digest wins over a tag, as registries resolve it. */
export function formatReference(ref: OciReference, digest = ref.digest): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (digest) return `${base}${ref.tag ? `:${ref.tag}` : ''}@${digest}`;
  return `${base}:${ref.tag ?? 'latest'}`;
}

/** What the registry API calls the manifest to fetch: the digest when pinned, else the tag. */
export function manifestKey(ref: OciReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Docker Hub, whose references say docker.io while its API answers elsewhere (see apiHost). */
function isDockerHub(registry: string): boolean {
  return registry === 'docker.io' || registry === 'index.docker.io';
}

/** The host that serves the distribution API of a registry: the registry itself, except for Docker Hub. */
export function apiHost(registry: string): string {
  return isDockerHub(registry) ? 'registry-1.docker.io' : registry;
}

/**
 * Loopback registries (a registry started for development or tests) speak plain HTTP by default, as `docker` allows
 * for localhost; everything else needs HTTPS unless the caller says `insecure`.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '');
  return host === 'localhost' || /^127(\.[0-9]{1,3}){3}$/.test(host) || host === '[::1]';
}
