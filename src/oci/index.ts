// The OCI module: workshop content packed, published and pulled as an OCI artifact (see README "Publishing content").
export { OciError } from './errors.js';
export { DEFAULT_INCLUDE } from './include.js';
export type { PullLimits } from './limits.js';
export { DEFAULT_PULL_LIMITS } from './limits.js';
export { CONTENT_ARTIFACT_TYPE } from './media-types.js';
export type { PackedContent, PackOptions } from './pack.js';
export { packContent } from './pack.js';
export type { PublishOptions, PublishResult } from './publish.js';
export { publishContent } from './publish.js';
export type { PullOptions, PullResult } from './pull.js';
export { pullContent, resolveDigest } from './pull.js';
export type { OciReference } from './reference.js';
export { formatReference, parseReference } from './reference.js';
export type { RegistryCredentials } from './registry-client.js';
