/** Media types and well-known values of the OCI image and distribution specifications used by this module. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_LAYER_TAR_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** What `workshops publish` pushes: tools that list artifacts (oras, registry UIs) show it by this type. */
export const CONTENT_ARTIFACT_TYPE = 'application/vnd.cdk8s-workshops.content.v1+tar';

/**
 * The OCI "empty" descriptor: artifacts that have no configuration point their config at the two bytes `{}`.
 * Its digest is fixed by the bytes; registries check that the blob exists, so it is pushed like any other.
 */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');

/** Every manifest type a tag may point at; asking for all of them lets a wrong kind be reported by name. */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST].join(', ');
