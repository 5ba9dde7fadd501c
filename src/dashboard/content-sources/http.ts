/**
 * Workshop content as a tar.gz archive on a web server. A download is streamed to a file next to its destination
 * with a bound on its size, hashed as it arrives, and unpacked by the OCI module's safe extractor (no absolute
 * paths, no `..`, no links out, bounded expansion). A later check sends the ETag / Last-Modified it was given, so
 * an unchanged archive costs one 304; a server that sends neither is downloaded again and compared by hash.
 * An archive pinned by its sha256 (vendir's `sha256`) is unpacked only when its bytes have exactly that hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { extractLayer } from '../../oci/extract.js';
import { DEFAULT_PULL_LIMITS, type PullLimits } from '../../oci/limits.js';

export interface HttpAuth {
  readonly username?: string;
  readonly password?: string;
}

/** What a check remembers of the last download, to ask the server whether it changed. */
export interface HttpValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

export type HttpDownload =
  { readonly changed: false } | { readonly changed: true; readonly digest: string; readonly files: number; readonly validators: HttpValidators };

export class HttpContentError extends Error {}

/**
 * Downloads `url` and unpacks it into `dest` (a new directory), unless the server says it is unchanged since
 * `validators`.
 */
export async function downloadArchive(
  url: string,
  dest: string,
  options: { auth?: HttpAuth; validators?: HttpValidators; limits?: Partial<PullLimits>; timeoutMs?: number; sha256?: string } = {},
): Promise<HttpDownload> {
  const limits: PullLimits = { ...DEFAULT_PULL_LIMITS, ...options.limits };
  const headers: Record<string, string> = { accept: 'application/gzip, application/x-gzip, application/octet-stream, */*' };
  if (options.auth?.username || options.auth?.password) {
    headers.authorization = `Basic ${Buffer.from(`${options.auth.username ?? ''}:${options.auth.password ?? ''}`).toString('base64')}`;
  }
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;
  let response: Response;
  try {
    // redirects are followed (GitHub archives redirect), but never from https to plain http
    response = await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
  } catch (error) {
    throw new HttpContentError(
      `cannot download ${url}: ${(error as Error).cause ? String(((error as Error).cause as Error).message) : (error as Error).message}`,
    );
  }
  if (url.startsWith('https:') && response.url.startsWith('http:')) {
    throw new HttpContentError(`${url} redirected to plain http (${response.url}); refusing it`);
  }
  if (response.status === 304) return { changed: false };
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new HttpContentError(
      `${url} answered ${response.status} ${response.statusText}${response.status === 401 || response.status === 403 ? ' (check the content credentials)' : ''}`,
    );
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limits.layerBytes) {
    await response.body.cancel();
    throw new HttpContentError(`${url} is ${declared} bytes, more than the limit of ${limits.layerBytes}; refusing it`);
  }
  const file = `${dest}.download`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body as never),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > limits.layerBytes)
            return done(new HttpContentError(`${url} sent more than the limit of ${limits.layerBytes} bytes; refusing it`));
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(file),
    );
    const digest = `sha256:${hash.digest('hex')}`;
    const pinned = options.sha256?.toLowerCase().replace(/^sha256:/, '');
    if (pinned !== undefined && digest !== `sha256:${pinned}`) {
      throw new HttpContentError(
        `${url} has the sha256 ${digest.slice(7)}, not the ${pinned} it is pinned to (ContentSource.http sha256); refusing it: the archive changed or is not the one meant`,
      );
    }
    const files = await extractLayer(createReadStream(file), dest, `archive ${url}`, limits);
    const validators: HttpValidators = {
      ...(response.headers.get('etag') ? { etag: response.headers.get('etag')! } : {}),
      ...(response.headers.get('last-modified') ? { lastModified: response.headers.get('last-modified')! } : {}),
    };
    return { changed: true, digest, files, validators };
  } finally {
    await rm(file, { force: true });
  }
}
