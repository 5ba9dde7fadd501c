import { parseAllDocuments } from 'yaml';

/** The API version of the Educates resources this importer reads. */
export const EDUCATES_API_VERSION = 'training.educates.dev/v1beta1';

/** One Educates resource of the input. */
export interface EducatesResource {
  readonly kind: 'Workshop' | 'TrainingPortal';
  readonly name: string;
  /** `Workshop lab-x`: how reports and messages name it. */
  readonly label: string;
  readonly document: Record<string, unknown>;
}

/** Metadata fields the API server fills in; an exported resource has them, and they mean nothing to an import. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'namespace',
  'deletionTimestamp',
  'finalizers',
];

/**
 * Parses multi-document YAML into Educates resources, checking what every later step relies on: each document is
 * a mapping with the Educates apiVersion, a kind this importer reads, and a name.
 *
 * @param input which parameter the text came from, for messages (`workshopYaml`, `portalYaml`)
 */
export function parseResources(text: string, input: string): EducatesResource[] {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents)) throw new Error(`${input}: not YAML: ${String(documents)}`);
  const resources: EducatesResource[] = [];
  documents.forEach((document, index) => {
    const where = documents.length > 1 ? `${input} document ${index + 1}` : input;
    if (document.errors.length) throw new Error(`${where} is not valid YAML: ${document.errors[0].message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    // `kubectl get workshops -o yaml` wraps the resources in a List
    const list = value as { kind?: unknown; items?: unknown };
    if (list.kind === 'List' && Array.isArray(list.items)) {
      list.items.forEach((item, i) => resources.push(checkResource(item, `${where} item ${i + 1}`)));
    } else {
      resources.push(checkResource(value, where));
    }
  });
  return resources;
}

/** Checks one resource and returns it without the fields the API server fills in. */
function checkResource(value: unknown, where: string): EducatesResource {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${where} must be a Kubernetes resource (a mapping with apiVersion, kind and metadata), not ${JSON.stringify(value).slice(0, 60)}`,
    );
  }
  const object = value as Record<string, unknown>;
  const kind = object.kind;
  if (kind !== 'Workshop' && kind !== 'TrainingPortal') {
    throw new Error(`${where}: 'kind' (${JSON.stringify(kind)}) must be Workshop or TrainingPortal`);
  }
  if (object.apiVersion !== EDUCATES_API_VERSION) {
    throw new Error(`${where}: 'apiVersion' (${JSON.stringify(object.apiVersion)}) of the ${kind} must be ${EDUCATES_API_VERSION}`);
  }
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const name = metadata && typeof metadata === 'object' ? metadata.name : undefined;
  if (typeof name !== 'string' || !name) {
    throw new Error(`${where}: 'metadata.name' (${JSON.stringify(name)}) of the ${kind} is missing: every resource needs a name`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new Error(`${where}: 'metadata.name' (${JSON.stringify(name)}) must be a DNS-1123 label: lower-case letters, digits and '-'`);
  }
  if (object.spec !== undefined && (typeof object.spec !== 'object' || object.spec === null || Array.isArray(object.spec))) {
    throw new Error(`${where}: 'spec' of ${kind} '${name}' must be a mapping`);
  }
  const cleanMetadata = Object.fromEntries(Object.entries(metadata!).filter(([key]) => !SERVER_METADATA.includes(key)));
  const { status: _status, ...rest } = object;
  return { kind, name, label: `${kind} ${name}`, document: { ...rest, metadata: cleanMetadata } };
}
