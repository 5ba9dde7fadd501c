import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { basicAuthorization, parseChallenge, tokenFromResponse, tokenUrl } from './auth.js';
import { sha256Digest } from './digest.js';
import { OciError } from './errors.js';
import { DEFAULT_PULL_LIMITS, readLimited, readSome, SMALL_BODY_BYTES } from './limits.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { apiHost, formatReference, isLoopbackRegistry, type OciReference } from './reference.js';
import { saveBody } from './save-body.js';

export interface RegistryCredentials {
  /** Username for the registry (with `password`: HTTP Basic, or the credentials of a Bearer token request). */
  readonly username?: string;
  /** Password or access token (e.g. a GitHub personal access token for ghcr.io). */
  readonly password?: string;
  /**
   * Plain HTTP instead of HTTPS.
   * @default - false, except for loopback registries (localhost, 127.0.0.0/8, [::1]), which are spoken to over
   * HTTP first and over HTTPS when they answer that they speak only that
   */
  readonly insecure?: boolean;
}

/** Layers up to this size go in one PUT; larger ones in PATCH chunks of this size, with progress after each. */
export const CHUNK_BYTES = 5 * 1024 * 1024;

/** Attempts of one request when the registry answers 429/5xx or the connection fails; delays double from 250 ms. */
const ATTEMPTS = 4;
const FIRST_DELAY_MS = 250;
/** A Retry-After longer than this is not honoured: the caller gets the error rather than a silent wait. */
const MAX_DELAY_MS = 5_000;
/** Whole blob uploads started again after a transient failure part-way (an upload session cannot be resumed). */
const UPLOAD_ATTEMPTS = 3;
const METADATA_TIMEOUT_MS = 30_000;
/** A token service's answer is a small JSON object. */
const TOKEN_RESPONSE_BYTES = 1024 * 1024;
const TRANSFER_TIMEOUT_MS = 10 * 60_000;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const CONNECTION_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EAI_AGAIN: 'temporary DNS failure',
  UND_ERR_SOCKET: 'connection closed by the registry',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};
const TRANSIENT_CODES = new Set(Object.keys(CONNECTION_ERRORS));

export interface ManifestFetched {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

interface RequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** Statuses that are an answer rather than an error. */
  readonly ok: readonly number[];
  /** False for steps of an upload session, which are retried as a whole upload instead. */
  readonly retry?: boolean;
  readonly timeoutMs?: number;
}

/** A failure worth trying again (5xx, 429, dropped connection), as opposed to an answer. */
class TransientError extends Error {
  constructor(
    readonly userMessage: string,
    readonly retryAfterMs?: number,
  ) {
    super(userMessage);
  }
}

/**
 * A client of the OCI distribution API for one repository: requests with authentication negotiated on the first
 * 401, bounded retries with backoff for 5xx, 429 and dropped connections, and registry answers turned into
 * OciErrors that say what to do. `access` is what the caller means to do: it chooses the token scope and the wording
 * of "denied" errors.
 */
export class RegistryClient {
  private origin: string;
  /** A loopback registry reached over HTTP that may turn out to serve HTTPS (see upgradeToHttps). */
  private mayUpgrade: boolean;
  private authorization?: string;

  constructor(
    private readonly ref: OciReference,
    private readonly credentials: RegistryCredentials,
    private readonly access: 'pull' | 'push',
  ) {
    const loopback = isLoopbackRegistry(ref.registry);
    const scheme = credentials.insecure || loopback ? 'http' : 'https';
    this.origin = `${scheme}://${apiHost(ref.registry)}`;
    this.mayUpgrade = loopback && credentials.insecure !== true;
  }

  private get repoPath(): string {
    return `/v2/${this.ref.repository}`;
  }

  private get refText(): string {
    return formatReference(this.ref);
  }

  private denied(): OciError {
    const what = this.access === 'push' ? `push to ${this.refText}` : `pull from ${this.refText}`;
    return new OciError(`${what} denied: check username/password or token`);
  }

  // ------------------------------------------------------------------------------------------------------------
  // blobs

  async blobExists(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `${this.repoPath}/blobs/${digest}`, { ok: [200, 404] });
    await discard(res);
    return res.status === 200;
  }

  /**
   * Uploads a blob unless the registry has it already (then only `onProgress(total, total)` is called). Small blobs
   * go in one PUT; larger ones in PATCH chunks so that progress can be reported and a proxy's body limit is not hit.
   */
  async pushBlob(data: Buffer, digest: string, onProgress?: (done: number, total: number) => void): Promise<'exists' | 'uploaded'> {
    const total = data.length;
    if (await this.blobExists(digest)) {
      onProgress?.(total, total);
      return 'exists';
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.uploadOnce(data, digest, onProgress);
        return 'uploaded';
      } catch (error) {
        if (!(error instanceof TransientError) || attempt >= UPLOAD_ATTEMPTS) throw toOciError(error);
        await sleep(FIRST_DELAY_MS * 2 ** (attempt - 1));
      }
    }
  }

  private async uploadOnce(data: Buffer, digest: string, onProgress?: (done: number, total: number) => void): Promise<void> {
    const total = data.length;
    onProgress?.(0, total);
    const started = await this.request('POST', `${this.repoPath}/blobs/uploads/`, { ok: [202], retry: false });
    await discard(started);
    let location = this.uploadLocation(started);
    const octets = { 'content-type': 'application/octet-stream' };

    if (total <= CHUNK_BYTES) {
      const url = new URL(location);
      url.searchParams.set('digest', digest);
      await discard(
        await this.request('PUT', url, {
          headers: { ...octets, 'content-length': String(total) },
          body: data,
          ok: [201],
          retry: false,
          timeoutMs: TRANSFER_TIMEOUT_MS,
        }),
      );
      onProgress?.(total, total);
      return;
    }

    for (let offset = 0; offset < total; offset += CHUNK_BYTES) {
      const chunk = data.subarray(offset, Math.min(offset + CHUNK_BYTES, total));
      const res = await this.request('PATCH', location, {
        // distribution expects `start-end` (inclusive) without the `bytes ` unit
        headers: { ...octets, 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        ok: [202],
        retry: false,
        timeoutMs: TRANSFER_TIMEOUT_MS,
      });
      await discard(res);
      location = this.uploadLocation(res);
      onProgress?.(offset + chunk.length, total);
    }
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    await discard(await this.request('PUT', url, { headers: { 'content-length': '0' }, ok: [201], retry: false }));
  }

  /** The upload session URL of a 202 answer; registries may answer with a path or an absolute URL. */
  private uploadLocation(res: Response): string {
    const location = res.headers.get('location');
    if (!location) throw new OciError(`registry ${this.ref.registry} started an upload without a Location header`);
    return new URL(location, this.origin).toString();
  }

  /**
   * Streams a blob into `file`, checking it against its size while it arrives (a registry that sends more than the
   * manifest declares is cut off at the first byte too many) and against its digest at the end. Nothing of the blob
   * is held in memory. A download cut off part-way starts again, like a failed request.
   */
  async downloadBlob(digest: string, size: number, what: string, file: string): Promise<void> {
    const larger = (value: string) =>
      new OciError(`${what} of ${this.refText} (${digest}) is larger than its manifest declares (${size} bytes): ${value}; refusing it`);
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.request('GET', `${this.repoPath}/blobs/${digest}`, { ok: [200, 404], timeoutMs: TRANSFER_TIMEOUT_MS });
      if (res.status === 404) {
        await discard(res);
        throw new OciError(`${what} of ${this.refText} (${digest}) is missing from the registry: publish the content again`);
      }
      const announced = res.headers.get('content-length');
      if (announced !== null && Number(announced) > size) {
        await res.body?.cancel().catch(() => undefined);
        throw larger(`the registry announces ${announced} bytes (Content-Length)`);
      }
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        // rejects only once the file is closed: the next attempt writes the same file (see saveBody)
        await saveBody((res.body ?? []) as AsyncIterable<Uint8Array>, createWriteStream(file), (chunk) => {
          bytes += chunk.length;
          if (bytes > size) throw larger(`more than ${size} bytes arrived`);
          hash.update(chunk);
        });
      } catch (error) {
        await res.body?.cancel().catch(() => undefined);
        if (error instanceof OciError) throw error;
        const reason = error instanceof DOMException && error.name === 'TimeoutError' ? 'no data in time' : 'connection closed';
        if (attempt >= ATTEMPTS)
          throw new OciError(`cannot reach registry ${this.ref.registry}: the download of ${what} ${digest} was cut off (${reason})`);
        await sleep(FIRST_DELAY_MS * 2 ** (attempt - 1));
        continue;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest || bytes !== size) {
        throw new OciError(
          `${what} of ${this.refText} does not match its digest: expected ${digest} (${size} bytes), got ${actual} (${bytes} bytes); ` +
            'the registry or a proxy altered it',
        );
      }
      return;
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // manifests

  /** Stores a manifest under `tag` and checks that the registry computed the same digest. */
  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.request('PUT', `${this.repoPath}/manifests/${tag}`, {
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      ok: [201, 200],
    });
    await discard(res);
    const answered = res.headers.get('docker-content-digest');
    if (answered && answered !== digest) {
      throw new OciError(
        `registry ${this.ref.registry} stored the manifest of ${this.refText} as ${answered}, not ${digest}: it rewrote the manifest`,
      );
    }
    return digest;
  }

  /**
   * Fetches a manifest by tag or digest; throws "not found" when the registry has no such tag, and refuses one
   * larger than `limit` bytes as soon as that shows (Content-Length, or the bytes read).
   */
  async getManifest(key: string, limit = DEFAULT_PULL_LIMITS.manifestBytes): Promise<ManifestFetched> {
    const tooLarge = (value: string) => new OciError(`manifest of ${this.refText} is larger than the limit of ${limit} bytes: ${value}; refusing it`);
    const { res, body: bytes } = await this.download(
      `${this.repoPath}/manifests/${key}`,
      { headers: { accept: MANIFEST_ACCEPT }, ok: [200, 404] },
      limit,
      tooLarge,
    );
    if (res.status === 404) throw this.notFound();
    const digest = sha256Digest(bytes);
    const answered = res.headers.get('docker-content-digest');
    if ((key.startsWith('sha256:') && key !== digest) || (answered && answered !== digest)) {
      throw new OciError(
        `manifest of ${this.refText} does not match its digest: expected ${key.startsWith('sha256:') ? key : answered}, got ${digest}; ` +
          'the registry or a proxy altered it',
      );
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    return { bytes, mediaType, digest };
  }

  /** The digest a tag points at, from a HEAD request (no body transferred); falls back to GET if not announced. */
  async headManifest(key: string): Promise<string> {
    const res = await this.request('HEAD', `${this.repoPath}/manifests/${key}`, { headers: { accept: MANIFEST_ACCEPT }, ok: [200, 404] });
    await discard(res);
    if (res.status === 404) throw this.notFound();
    const digest = res.headers.get('docker-content-digest');
    if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) return digest;
    return (await this.getManifest(key)).digest;
  }

  private notFound(): OciError {
    return new OciError(`${this.refText} not found: check the repository and the tag, and that the content was published`);
  }

  // ------------------------------------------------------------------------------------------------------------
  // transport

  /**
   * A GET and its whole body, at most `limit` bytes; a body cut off part-way is fetched again, like a failed
   * request. Only for small things (manifests): blobs are streamed (downloadBlob).
   */
  private async download(
    path: string,
    opts: RequestOptions,
    limit: number,
    tooLarge: (value: string) => OciError,
  ): Promise<{ res: Response; body: Buffer }> {
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.request('GET', path, opts);
      try {
        return { res, body: await readLimited(res, limit, tooLarge) };
      } catch (error) {
        if (error instanceof OciError) throw error;
        const reason = error instanceof DOMException && error.name === 'TimeoutError' ? 'no data in time' : 'connection closed';
        if (attempt >= ATTEMPTS) throw new OciError(`cannot reach registry ${this.ref.registry}: the download of ${path} was cut off (${reason})`);
        await sleep(FIRST_DELAY_MS * 2 ** (attempt - 1));
      }
    }
  }

  /**
   * One request to the registry, with authentication and retries. Answers with a status in `ok` are returned;
   * 401/403 become "denied", other answers an error quoting the registry's own message.
   */
  private async request(method: string, path: string | URL, opts: RequestOptions): Promise<Response> {
    let url = typeof path === 'string' && path.startsWith('/') ? new URL(path, this.origin) : new URL(path);
    let authenticated = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const res = await this.send(method, url, opts);
        if (res.status === 400 && url.origin === this.origin && (await this.upgradeToHttps())) {
          await discard(res);
          url = new URL(`${url.pathname}${url.search}`, this.origin);
          attempt -= 1; // not a failure: the same request, now over HTTPS
          continue;
        }
        if (res.status === 401 && !authenticated) {
          authenticated = true;
          await discard(res);
          this.authorization = await this.negotiate(res.headers.get('www-authenticate'));
          attempt -= 1; // a challenge is not a failure
          continue;
        }
        if (opts.ok.includes(res.status)) return res;
        const detail = await errorDetail(res);
        if (res.status === 401 || res.status === 403) throw this.denied();
        const message = `registry ${this.ref.registry} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} to ${method} ${url.pathname}${detail ? `: ${detail}` : ''}`;
        if (RETRYABLE_STATUS.has(res.status)) throw new TransientError(message, retryAfterMs(res.headers.get('retry-after')));
        throw new OciError(message);
      } catch (error) {
        if (!(error instanceof TransientError) || opts.retry === false) throw error;
        if (attempt >= ATTEMPTS) throw toOciError(error);
        const backoff = FIRST_DELAY_MS * 2 ** (attempt - 1);
        await sleep(Math.min(Math.max(backoff, error.retryAfterMs ?? 0), MAX_DELAY_MS));
      }
    }
  }

  /**
   * A loopback registry is tried over plain HTTP (what local registries serve); one that serves TLS answers every
   * plain request with 400 "Client sent an HTTP request to an HTTPS server" (Go's server; a HEAD shows no body, so
   * /v2/ is asked). Then this client switches to HTTPS for good. True when it switched.
   */
  private async upgradeToHttps(): Promise<boolean> {
    if (!this.mayUpgrade) return false;
    this.mayUpgrade = false;
    const probe = await fetch(new URL('/v2/', this.origin), { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) }).catch(() => undefined);
    const text = probe ? await readSome(probe) : '';
    if (probe?.status !== 400 || !/HTTP request to an HTTPS server/i.test(text)) return false;
    this.origin = this.origin.replace(/^http:/, 'https:');
    return true;
  }

  /** fetch, with connection failures turned into TransientError or OciError that name the registry. */
  private async send(method: string, url: URL, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'cdk8s-workshops', ...opts.headers };
    if (this.authorization) headers.authorization = this.authorization;
    try {
      return await fetch(url, {
        method,
        headers,
        body: opts.body,
        redirect: 'follow',
        signal: AbortSignal.timeout(opts.timeoutMs ?? METADATA_TIMEOUT_MS),
      });
    } catch (error) {
      throw this.connectionError(error, url);
    }
  }

  private connectionError(error: unknown, url: URL): Error {
    const where = url.host === apiHost(this.ref.registry) ? `registry ${this.ref.registry}` : `${url.host} (for registry ${this.ref.registry})`;
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      return new TransientError(`cannot reach ${where}: no answer in time`);
    }
    const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
    const code = cause?.code ?? cause?.errors?.[0]?.code ?? '';
    if (TRANSIENT_CODES.has(code)) return new TransientError(`cannot reach ${where}: ${CONNECTION_ERRORS[code]}`);
    if (code === 'ENOTFOUND') return new OciError(`cannot reach ${where}: host not found`);
    if (/SSL|EPROTO|TLS/i.test(code) || /wrong version number|ssl/i.test(cause?.message ?? '')) {
      return new OciError(`cannot reach ${where}: TLS handshake failed (${code || cause?.message}); if the registry speaks plain HTTP, set insecure`);
    }
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
      return new OciError(`cannot reach ${where}: its TLS certificate is not trusted (${code}); add its CA with NODE_EXTRA_CA_CERTS`);
    }
    return new OciError(`cannot reach ${where}: ${code || cause?.message || (error as Error).message}`);
  }

  /** Answers a 401 challenge: the Authorization value to send from now on. */
  private async negotiate(header: string | null): Promise<string> {
    const challenge = parseChallenge(header);
    const { username, password } = this.credentials;
    if (!challenge) throw this.denied();
    if (challenge.scheme === 'basic') {
      if (username === undefined || password === undefined) throw this.denied();
      return basicAuthorization(username, password);
    }
    if (!challenge.params.realm) {
      throw new OciError(`registry ${this.ref.registry} asked for a Bearer token without saying where to get it (no realm)`);
    }
    const actions = this.access === 'push' ? 'pull,push' : 'pull';
    let url: URL;
    try {
      url = tokenUrl(challenge, `repository:${this.ref.repository}:${actions}`);
    } catch {
      throw new OciError(`registry ${this.ref.registry} named an invalid token realm '${challenge.params.realm}'`);
    }
    const headers: Record<string, string> = { 'user-agent': 'cdk8s-workshops', accept: 'application/json' };
    if (username !== undefined && password !== undefined) headers.authorization = basicAuthorization(username, password);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
    } catch (error) {
      throw toOciError(this.connectionError(error, url));
    }
    if (res.status === 401 || res.status === 403) throw this.denied();
    if (!res.ok) throw new OciError(`token service ${url.host} of registry ${this.ref.registry} answered ${res.status}`);
    let answer: unknown;
    try {
      const body = await readLimited(
        res,
        TOKEN_RESPONSE_BYTES,
        (value) =>
          new OciError(`token service ${url.host} of registry ${this.ref.registry} answered with more than ${TOKEN_RESPONSE_BYTES} bytes: ${value}`),
      );
      answer = JSON.parse(body.toString('utf8'));
    } catch (error) {
      if (error instanceof OciError) throw error;
    }
    const token = tokenFromResponse(answer);
    if (!token) throw new OciError(`token service ${url.host} of registry ${this.ref.registry} answered without a token`);
    return `Bearer ${token}`;
  }
}

/** Reads and drops a body nobody needs (a small one, so that the connection goes back to the pool). */
async function discard(res: Response): Promise<void> {
  await readSome(res, SMALL_BODY_BYTES);
}

/** The registry's own explanation (distribution's `{"errors":[{"code","message"}]}`), when there is one. */
async function errorDetail(res: Response): Promise<string> {
  const text = await readSome(res);
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors ?? [];
    return errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ');
  } catch {
    return text.slice(0, 200).trim();
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function toOciError(error: unknown): Error {
  return error instanceof TransientError ? new OciError(error.userMessage) : (error as Error);
}
