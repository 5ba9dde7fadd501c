/**
 * The plain-JSON shape of a Kubernetes object as this library passes it around after synthesis.
 */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `Kind namespace/name` (or `Kind name`) for messages. */
export function describeManifest(object: Manifest): string {
  const ns = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind} ${ns}${object.metadata?.name}`;
}
