import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';

import { OciError } from './errors.js';
import { extractLayer } from './extract.js';
import { installAtomically } from './install.js';
import { DEFAULT_PULL_LIMITS, type PullLimits } from './limits.js';
import type { Descriptor } from './manifest.js';
import { DOCKER_LAYER_TAR_GZIP, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from './media-types.js';
import { formatReference, manifestKey, parseReference } from './reference.js';
import { type ManifestFetched, RegistryClient, type RegistryCredentials } from './registry-client.js';

export interface PullOptions extends RegistryCredentials {
  /** What to pull: `host[:port]/path[:tag|@sha256:…]`. */
  readonly ref: string;
  /** The directory that receives the content; replaced as a whole (see installAtomically). */
  readonly dest: string;
  /** Bounds on what the registry may send. @default DEFAULT_PULL_LIMITS */
  readonly limits?: Partial<PullLimits>;
}

export interface PullResult {
  /** The manifest digest pulled: compare it with resolveDigest() later to see whether the tag moved. */
  readonly digest: string;
  /** Files and symbolic links extracted. */
  readonly files: number;
}

/**
 * Pulls published content into `dest`: the manifest, checked against its digest; its single tar+gzip layer,
 * streamed to a file next to `dest` and checked against the digest and size the manifest gives; then a safe, streamed
 * extraction into a staging directory that replaces `dest` in one rename. Every step has a bound (`limits`) checked
 * while the bytes arrive. Content pushed as a plain one-layer image (Educates' imgpkg `-files` images) is accepted too.
 */
export async function pullContent(opts: PullOptions): Promise<PullResult> {
  const limits: PullLimits = { ...DEFAULT_PULL_LIMITS, ...opts.limits };
  const ref = parseReference(opts.ref);
  const refText = formatReference(ref);
  const client = new RegistryClient(ref, opts, 'pull');
  const manifest = await client.getManifest(manifestKey(ref), limits.manifestBytes);
  const layer = contentLayer(manifest, refText);
  if (layer.size > limits.layerBytes) {
    throw new OciError(
      `content layer of ${refText} is ${layer.size} bytes (as its manifest declares), more than the limit of ${limits.layerBytes} bytes; refusing it`,
    );
  }
  const files = await installAtomically(opts.dest, async (staging) => {
    // the layer is verified whole before a byte of it is extracted
    const blob = `${staging}.layer`;
    try {
      await client.downloadBlob(layer.digest, layer.size, 'content layer', blob);
      return await extractLayer(createReadStream(blob), staging, `layer of ${refText}`, limits);
    } finally {
      await rm(blob, { force: true });
    }
  });
  return { digest: manifest.digest, files };
}

/**
 * The digest `ref` points at now, from one HEAD request: cheap enough for a running session to poll and see
 * whether the content was published again (Docker Hub does not count HEAD requests against its pull limits).
 * A reference that pins a digest answers with that digest without asking the registry.
 */
export async function resolveDigest(ref: string, credentials: RegistryCredentials = {}): Promise<string> {
  const parsed = parseReference(ref);
  if (parsed.digest) return parsed.digest;
  return new RegistryClient(parsed, credentials, 'pull').headManifest(manifestKey(parsed));
}

/** The layer to extract, after checking that the manifest is one this module can read. */
function contentLayer(manifest: ManifestFetched, refText: string): Descriptor {
  let parsed: { schemaVersion?: unknown; mediaType?: unknown; layers?: unknown };
  try {
    parsed = JSON.parse(manifest.bytes.toString('utf8'));
  } catch {
    throw new OciError(`manifest of ${refText} is not JSON`);
  }
  const mediaType = typeof parsed.mediaType === 'string' ? parsed.mediaType : manifest.mediaType;
  if (mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST) {
    throw new OciError(`${refText} is an image index (one image per platform), not workshop content: publish the content with 'workshops publish'`);
  }
  if ((mediaType !== OCI_MANIFEST && mediaType !== DOCKER_MANIFEST) || parsed.schemaVersion !== 2) {
    throw new OciError(`${refText} has a manifest of type '${mediaType || 'unknown'}'; expected ${OCI_MANIFEST}`);
  }
  const layers = Array.isArray(parsed.layers) ? (parsed.layers as Descriptor[]) : [];
  const tarGzip = layers.filter((l) => l && (l.mediaType === OCI_LAYER_TAR_GZIP || l.mediaType === DOCKER_LAYER_TAR_GZIP));
  if (layers.length !== 1 || tarGzip.length !== 1) {
    throw new OciError(
      `${refText} has ${layers.length} layer(s) of types ${layers.map((l) => l?.mediaType).join(', ') || 'none'}; ` +
        `workshop content is one ${OCI_LAYER_TAR_GZIP} layer`,
    );
  }
  const [layer] = tarGzip;
  if (typeof layer.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(layer.digest) || !Number.isSafeInteger(layer.size) || layer.size < 0) {
    throw new OciError(`${refText} names its layer with an invalid digest or size`);
  }
  return layer;
}
