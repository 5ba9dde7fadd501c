import { createHash } from 'node:crypto';

/** The OCI content digest of bytes: `sha256:<hex>`, the only algorithm this module writes or accepts. */
export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
