/**
 * The CustomResourceDefinitions of the runtime's state: WorkshopEnvironment (one per workshop per portal,
 * synthesized into dist/ with its session blueprint), WorkshopSession (one per session, created at run time) and
 * TrainingPortal (one per portal, synthesized into dist/: where the portal reports its own readiness).
 * All are cluster-scoped (the first two so that they can own namespaces); all have a status subresource.
 */
import type { Manifest } from './manifest.js';
import { API_GROUP, Labels, MANAGED_BY } from './names.js';

const preserve = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
/** What every content source may carry besides where it is (see ContentSource). */
const contentFilters = {
  includePaths: { type: 'array', items: { type: 'string' } },
  excludePaths: { type: 'array', items: { type: 'string' } },
  credentials: { type: 'object', required: ['secret'], properties: { secret: { type: 'string' } } },
  into: { type: 'string' },
};
const str = { type: 'string' };
/** One content source (ContentSource.image, .git, .http); `content.sources` lists several. */
const contentKinds = {
  image: { type: 'object', required: ['ref'], properties: { ref: str, ...contentFilters } },
  git: { type: 'object', required: ['url'], properties: { url: str, ref: str, path: str, ...contentFilters } },
  http: { type: 'object', required: ['url'], properties: { url: str, path: str, sha256: str, ...contentFilters } },
};
const int = (minimum = 0) => ({ type: 'integer', minimum });
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const secretRefs = {
  type: 'array',
  items: { type: 'object', required: ['name', 'namespace'], properties: { name: str, namespace: str } },
};

/** Phases of a session, as the seed's Session Lifecycle names them, plus Failed. */
export const SESSION_PHASES = [
  'Requested',
  'Allocating',
  'Creating',
  'Starting',
  'Ready',
  'Active',
  'Idle',
  'Expired',
  'Terminating',
  'Failed',
] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

function crd(kind: string, plural: string, shortNames: string[], spec: object, status: object, columns: object[]): Manifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${API_GROUP}`, labels: { [Labels.MANAGED_BY]: MANAGED_BY } },
    spec: {
      group: API_GROUP,
      scope: 'Cluster',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames, categories: ['workshops'] },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status },
            },
          },
        },
      ],
    },
  };
}

/** The WorkshopEnvironment CRD. */
export function workshopEnvironmentCrd(): Manifest {
  const spec = {
    type: 'object',
    required: ['workshop', 'portal', 'session'],
    properties: {
      workshop: {
        type: 'object',
        required: ['name', 'title', 'description'],
        properties: {
          name: str,
          title: str,
          description: str,
          version: str,
          logo: str,
          url: str,
          vendor: str,
          duration: str,
          difficulty: { type: 'string', enum: ['beginner', 'intermediate', 'advanced', 'extreme'] },
          tags: { type: 'array', items: str },
          authors: { type: 'array', items: str },
          labels: stringMap,
          content: {
            type: 'object',
            properties: { ...contentKinds, sources: { type: 'array', items: { type: 'object', properties: contentKinds } } },
          },
        },
      },
      portal: {
        type: 'object',
        required: ['name', 'namespace', 'ingressDomain', 'ingressProtocol'],
        properties: { name: str, namespace: str, alias: str, ingressDomain: str, ingressProtocol: { type: 'string', enum: ['http', 'https'] } },
      },
      pool: {
        type: 'object',
        properties: {
          capacity: int(),
          initial: int(),
          reserved: int(),
          expiresSeconds: int(),
          overtimeSeconds: int(),
          deadlineSeconds: int(),
          orphanedSeconds: int(),
          overdueSeconds: int(),
          refreshSeconds: int(),
        },
      },
      env: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str, value: str } } },
      request: {
        type: 'object',
        properties: {
          parameters: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name'],
              properties: { name: str, value: str, generate: { type: 'object', required: ['pattern'], properties: { pattern: str } } },
            },
          },
          objects: { type: 'array', items: preserve },
        },
      },
      environment: { type: 'object', properties: { secrets: secretRefs } },
      session: {
        type: 'object',
        required: ['objects'],
        properties: {
          variables: { type: 'array', items: str },
          secrets: secretRefs,
          objects: { type: 'array', items: preserve },
        },
      },
    },
  };
  const status = {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: { phase: str, message: str, observedGeneration: int(), sessions: stringMap },
  };
  return crd('WorkshopEnvironment', 'workshopenvironments', ['wenv'], spec, status, [
    { name: 'Workshop', type: 'string', jsonPath: '.spec.workshop.name' },
    { name: 'Portal', type: 'string', jsonPath: '.spec.portal.name' },
    { name: 'Capacity', type: 'integer', jsonPath: '.spec.pool.capacity' },
    { name: 'Reserved', type: 'integer', jsonPath: '.spec.pool.reserved' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
}

/** The WorkshopSession CRD. */
export function workshopSessionCrd(): Manifest {
  const spec = {
    type: 'object',
    required: ['environment', 'id'],
    properties: {
      environment: str,
      workshop: str,
      portal: str,
      id: str,
      blueprintGeneration: int(),
    },
  };
  const status = {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      phase: { type: 'string', enum: [...SESSION_PHASES] },
      reason: str,
      message: str,
      user: str,
      url: str,
      allocatedAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      lastActivityAt: { type: 'string', format: 'date-time' },
      requestApplied: { type: 'boolean' },
      history: {
        type: 'array',
        items: {
          type: 'object',
          required: ['phase', 'time'],
          properties: { phase: str, time: { type: 'string', format: 'date-time' }, reason: str },
        },
      },
    },
  };
  return crd('WorkshopSession', 'workshopsessions', ['wsess'], spec, status, [
    { name: 'Environment', type: 'string', jsonPath: '.spec.environment' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'User', type: 'string', jsonPath: '.status.user' },
    { name: 'Expires', type: 'string', jsonPath: '.status.expiresAt' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
    { name: 'URL', type: 'string', jsonPath: '.status.url', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
}

/**
 * The TrainingPortal CRD: one object per portal, named after it, synthesized by the TrainingPortal construct with a
 * summary of its settings. The portal process (its reconciler's leader) writes `status.conditions` (`Ready`, see
 * runtime/portal-conditions.ts) and a line per environment; Argo CD's health check reads them (constructs/argocd.ts).
 */
export function trainingPortalCrd(): Manifest {
  const spec = {
    type: 'object',
    required: ['namespace', 'environments'],
    properties: {
      title: str,
      namespace: str,
      url: str,
      ingressDomain: str,
      replicas: int(1),
      sessions: { type: 'object', properties: { maximum: int(), registered: int(), anonymous: int() } },
      /** The WorkshopEnvironments the portal serves, by name: the portal is Ready when each of them is. */
      environments: { type: 'array', items: str },
    },
  };
  const condition = {
    type: 'object',
    required: ['type', 'status'],
    properties: {
      type: str,
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: str,
      message: str,
      observedGeneration: int(),
      lastTransitionTime: { type: 'string', format: 'date-time' },
    },
  };
  const status = {
    type: 'object',
    properties: {
      observedGeneration: int(),
      conditions: { type: 'array', items: condition, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
      environments: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            name: str,
            ready: { type: 'string', enum: ['True', 'False', 'Unknown'] },
            reason: str,
            reserves: int(),
            allocated: int(),
          },
        },
      },
    },
  };
  return crd('TrainingPortal', 'trainingportals', ['tportal'], spec, status, [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
}
