import { manifestAnnotations } from './annotations.js';
import { OciError } from './errors.js';
import { contentManifest, serializeManifest } from './manifest.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, OCI_MANIFEST } from './media-types.js';
import { packContent, type PackOptions } from './pack.js';
import { formatReference, parseReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

export interface PublishOptions extends PackOptions {
  /** The workshop directory (holding workshop/, exercises/, README.md). */
  readonly dir: string;
  /** Where to push: `host[:port]/path[:tag]` (tag `latest` when omitted; a digest cannot be pushed to). */
  readonly ref: string;
  readonly username?: string;
  readonly password?: string;
  /**
   * Plain HTTP instead of HTTPS.
   * @default - false, except for loopback registries (localhost, 127.0.0.0/8, [::1]), which use HTTP
   */
  readonly insecure?: boolean;
  /** Extra manifest annotations; they win over the computed ones (created, source, version). */
  readonly annotations?: Record<string, string>;
  /** Called as the layer goes up: bytes sent so far and the layer's size. */
  onProgress?(done: number, total: number): void;
}

export interface PublishResult {
  /** The reference pushed to, in canonical form, e.g. `ghcr.io/acme/files:1.0`. */
  readonly ref: string;
  /** The manifest digest: `ref@digest` names exactly this content forever. */
  readonly digest: string;
  /** The size of the content layer (compressed). */
  readonly bytes: number;
}

/**
 * Packs a workshop directory and pushes it as an OCI artifact. Blobs the registry already has are not sent again,
 * and unchanged content gives the same manifest, so publishing twice is cheap and changes nothing.
 */
export async function publishContent(opts: PublishOptions): Promise<PublishResult> {
  const ref = parseReference(opts.ref);
  if (ref.digest) {
    throw new OciError(
      `cannot publish to '${opts.ref}': a digest names content that exists already; publish to a tag, e.g. ${ref.registry}/${ref.repository}:1.0`,
    );
  }
  const tag = ref.tag ?? 'latest';
  const packed = await packContent(opts.dir, { include: opts.include });
  const annotations = await manifestAnnotations(opts.dir, tag, opts.annotations);

  const client = new RegistryClient(ref, opts, 'push');
  // The config first: registries check that every blob a manifest names exists when the manifest is put.
  await client.pushBlob(EMPTY_CONFIG_BYTES, EMPTY_CONFIG.digest);
  await client.pushBlob(packed.layer, packed.digest, opts.onProgress);
  const manifest = serializeManifest(contentManifest({ digest: packed.digest, size: packed.layer.length }, annotations));
  const digest = await client.putManifest(tag, manifest, OCI_MANIFEST);
  return { ref: formatReference({ ...ref, tag }), digest, bytes: packed.layer.length };
}
