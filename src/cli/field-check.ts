/**
 * Unknown fields in synthesized objects, found without a cluster: what the API server's strict field validation
 * refuses, and so what Argo CD's server-side apply (and `kubectl apply --server-side`) fails a sync on. Built-in
 * kinds are checked against the field names of the Kubernetes release the project tests against (k8s-fields.ts,
 * generated from its OpenAPI document); custom resources against the `openAPIV3Schema` of a CRD synthesized with
 * them (this library's WorkshopEnvironment and WorkshopSession included). Objects of other kinds are not checked.
 * The objects a WorkshopEnvironment carries for the runtime to create (`spec.session.objects`,
 * `spec.environment.objects`, `spec.request.objects`) are checked too: the API server would refuse them only when a
 * learner's session is made.
 */
import { editDistance } from '../constructs/edit-distance.js';
import { describeManifest, type Manifest } from '../constructs/manifest.js';
import { K8S_FIELDS_VERSION, K8S_KINDS, K8S_TYPES } from './k8s-fields.js';

/** A schema node: named fields, list items, map values, or anything. */
interface Node {
  readonly fields?: Readonly<Record<string, Node | (() => Node)>>;
  readonly items?: Node;
  readonly values?: Node;
  /** What the fields belong to, for messages ("Kubernetes 1.34 Container", "the CRD's schema"). */
  readonly owner?: string;
}

const ANY: Node = {};

export interface UnknownField {
  /** The object the field is in (for a nested session object: the WorkshopEnvironment's, then the nested one). */
  readonly object: string;
  /** Dotted path of the field from the object's top, e.g. `spec.template.spec.containers[0].imagePullPolicyy`. */
  readonly path: string;
  readonly field: string;
  /** The field names allowed at that place. */
  readonly allowed: readonly string[];
  readonly owner: string;
  /** The closest allowed name, when one is close. */
  readonly suggestion?: string;
}

const builtinNodes = new Map<string, Node>();

function builtinNode(type: string): Node {
  const known = builtinNodes.get(type);
  if (known) return known;
  const fields: Record<string, () => Node> = {};
  const node: Node = { fields, owner: `Kubernetes ${K8S_FIELDS_VERSION} ${type.split('.').pop()}` };
  builtinNodes.set(type, node);
  for (const [field, fieldType] of Object.entries(K8S_TYPES[type] ?? {})) fields[field] = () => typeNode(fieldType);
  return node;
}

function typeNode(type: string): Node {
  if (type === '') return ANY;
  if (type.startsWith('[')) return { items: typeNode(type.slice(1, -1)) };
  if (type.startsWith('{')) return { values: typeNode(type.slice(1, -1)) };
  return builtinNode(type);
}

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
};

const METADATA = builtinNode('meta.v1.ObjectMeta');

/** A CRD's structural schema as a node: unknown fields are refused where it names properties and keeps no others. */
function schemaNode(schema: JsonSchema | undefined, owner: string, top = false): Node {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return ANY;
  if (schema.items) return { items: schemaNode(schema.items, owner) };
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    return { values: schemaNode(schema.additionalProperties, owner) };
  if (!schema.properties && !top) return ANY;
  const fields: Record<string, Node> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) fields[name] = schemaNode(property, owner);
  if (top) {
    // every object has these, whatever its schema says
    Object.assign(fields, { apiVersion: ANY, kind: ANY, metadata: METADATA });
  }
  return { fields, owner };
}

/** The CRDs among the objects, by `group/version/Kind` (served versions). */
export function crdSchemas(objects: readonly Manifest[]): Map<string, Node> {
  const schemas = new Map<string, Node>();
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition' && String(o.apiVersion).startsWith('apiextensions.k8s.io/'))) {
    const spec = crd.spec as {
      group: string;
      names: { kind: string };
      versions?: Array<{ name: string; schema?: { openAPIV3Schema?: JsonSchema } }>;
    };
    for (const version of spec.versions ?? []) {
      schemas.set(
        `${spec.group}/${version.name}/${spec.names.kind}`,
        schemaNode(version.schema?.openAPIV3Schema, `the schema of CRD ${crd.metadata.name}`, true),
      );
    }
  }
  return schemas;
}

function nodeFor(object: Manifest, crds: Map<string, Node>): Node | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  const builtin = K8S_KINDS[key];
  if (builtin) return builtinNode(builtin);
  return crds.get(key);
}

const resolve = (entry: Node | (() => Node)): Node => (typeof entry === 'function' ? entry() : entry);

function walk(value: unknown, node: Node, path: string, found: Array<Omit<UnknownField, 'object'>>): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => walk(item, node.items!, `${path}[${i}]`, found));
    return;
  }
  if (node.values) {
    for (const [key, item] of Object.entries(value)) walk(item, node.values, `${path}${path ? '.' : ''}${key}`, found);
    return;
  }
  if (!node.fields) return;
  for (const [key, item] of Object.entries(value)) {
    const where = `${path}${path ? '.' : ''}${key}`;
    const entry = node.fields[key];
    if (!entry) {
      const allowed = Object.keys(node.fields).sort();
      found.push({ path: where, field: key, allowed, owner: node.owner ?? 'its schema', suggestion: closest(key, allowed) });
      continue;
    }
    walk(item, resolve(entry), where, found);
  }
}

/**
 * Every unknown field of the objects (and of the objects WorkshopEnvironments carry), with the CRDs found among
 * `objects` plus `extraCrds` (e.g. those of cluster/ when checking a portal's folder alone).
 */
export function unknownFields(objects: readonly Manifest[], extraCrds: readonly Manifest[] = []): UnknownField[] {
  const crds = crdSchemas([...objects, ...extraCrds]);
  const problems: UnknownField[] = [];
  const check = (object: Manifest, name: string) => {
    const node = nodeFor(object, crds);
    if (!node) return;
    const found: Array<Omit<UnknownField, 'object'>> = [];
    walk(object, node, '', found);
    problems.push(...found.map((f) => ({ object: name, ...f })));
  };
  for (const object of objects) {
    check(object, describeManifest(object));
    if (object.kind !== 'WorkshopEnvironment') continue;
    const spec = object.spec as Record<string, { objects?: Manifest[] } | undefined> | undefined;
    for (const part of ['session', 'environment', 'request']) {
      for (const nested of spec?.[part]?.objects ?? []) {
        if (nested && typeof nested === 'object' && nested.kind)
          check(nested, `${describeManifest(object)} ${part} object ${describeManifest(nested)}`);
      }
    }
  }
  return problems;
}

export function describeUnknownField(problem: UnknownField): string {
  const hint = problem.suggestion ? `did you mean '${problem.suggestion}'? ` : '';
  const allowed = problem.allowed.length > 12 ? `${problem.allowed.slice(0, 12).join(', ')}, …` : problem.allowed.join(', ');
  return (
    `${problem.object}: unknown field '${problem.path}' (${hint}${problem.owner} has: ${allowed}); ` +
    "the API server's strict field validation, and so an Argo CD sync, refuses it"
  );
}

/** The allowed name within edit distance 2 (or a case-insensitive match), if any. */
function closest(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const distance = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
