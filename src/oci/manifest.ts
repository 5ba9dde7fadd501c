import { CONTENT_ARTIFACT_TYPE, EMPTY_CONFIG, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from './media-types.js';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
  readonly data?: string;
}

export interface ContentManifest {
  readonly schemaVersion: 2;
  readonly mediaType: typeof OCI_MANIFEST;
  readonly artifactType: typeof CONTENT_ARTIFACT_TYPE;
  readonly config: Descriptor;
  readonly layers: Descriptor[];
  readonly annotations?: Record<string, string>;
}

/** The file name tools such as oras give the layer when they pull it. */
export const LAYER_TITLE = 'workshop-content.tar.gz';

/**
 * The manifest of published content: an OCI 1.1 artifact (`artifactType`, the empty config) with one tar+gzip
 * layer. A pure function of its inputs, with keys in a fixed order and annotations sorted, so the same layer and
 * annotations always give the same manifest digest.
 */
export function contentManifest(layer: { digest: string; size: number }, annotations: Record<string, string>): ContentManifest {
  const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: CONTENT_ARTIFACT_TYPE,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size, data: EMPTY_CONFIG.data },
    layers: [
      {
        mediaType: OCI_LAYER_TAR_GZIP,
        digest: layer.digest,
        size: layer.size,
        annotations: { 'org.opencontainers.image.title': LAYER_TITLE },
      },
    ],
    ...(Object.keys(sorted).length > 0 ? { annotations: sorted } : {}),
  };
}

/** The bytes that are pushed and hashed: compact JSON of the manifest. */
export function serializeManifest(manifest: ContentManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}
