/**
 * Synthesis of a whole app into the files Argo CD applies: a `cluster/` folder (CRDs, session roles, admission
 * policies), and a folder
 * per portal with its own objects and a sub-folder per environment (shared objects plus the WorkshopEnvironment
 * that carries the session blueprint). Every object is resolved once, so synthesis grows linearly with the
 * number of environments; the output is byte-for-byte deterministic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { stringify } from 'yaml';

import { admissionPolicies, admissionProblems, type AdmissionRule, RESERVED_HOSTS_ANNOTATION } from './admission-policies.js';
import { blueprintVariables, type SessionBlueprint } from './blueprint.js';
import { trainingPortalCrd, workshopEnvironmentCrd, workshopSessionCrd } from './crds.js';
import { lookupKind } from './kinds.js';
import { describeManifest, type Manifest } from './manifest.js';
import { Annotations, API_VERSION, Labels, MANAGED_BY } from './names.js';
import { SessionRole } from './session-role.js';
import { type PortalWorkshop, TrainingPortal } from './training-portal.js';
import { ENVIRONMENT_VARIABLES, substituteVariables, variable } from './variables.js';
import { Workshop } from './workshop.js';
import { resolveWorkshop } from './workshop-template.js';

/** One output file: a path relative to the output folder and its objects, in order. */
export interface SynthFile {
  readonly path: string;
  readonly objects: Manifest[];
}

/**
 * Argo CD sync waves: CRDs, then cluster roles, then the admission policies (in force before any portal can create
 * a session), then namespaces, then the rest, then the environments with the TrainingPortal that reports on them
 * (in their wave, not after: Argo CD applies a wave only once the one before is Healthy, and the portal must be
 * there to say why an environment is not).
 */
const WAVES: Record<string, number> = {
  CustomResourceDefinition: -20,
  ClusterRole: -10,
  ValidatingAdmissionPolicy: -8,
  ValidatingAdmissionPolicyBinding: -8,
  Namespace: -5,
  WorkshopEnvironment: 5,
  TrainingPortal: 5,
};
const KIND_ORDER = [
  'CustomResourceDefinition',
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ResourceQuota',
  'LimitRange',
  'NetworkPolicy',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
  'Ingress',
  'PodDisruptionBudget',
];

/** Synthesizes every portal, environment and blueprint under `root`; throws with every author mistake found. */
export function synthesize(root: IConstruct): SynthFile[] {
  const constructs = root.node.findAll();
  const errors = constructs.flatMap((c) => c.node.validate().map((message) => `${c.node.path}: ${message}`));
  if (errors.length) throw new Error(errors.join('\n'));

  const workshops = constructs.filter(Workshop.isWorkshop);
  const problems: string[] = [];
  for (const workshop of workshops) {
    try {
      resolveWorkshop(workshop);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));

  const files: SynthFile[] = [
    { path: 'cluster/crds.k8s.yaml', objects: [workshopEnvironmentCrd(), workshopSessionCrd(), trainingPortalCrd()] },
    { path: 'cluster/session-roles.k8s.yaml', objects: SessionRole.bindable().map((r) => r.toClusterRole() as Manifest) },
    { path: 'cluster/admission-policies.k8s.yaml', objects: admissionPolicies() },
  ];
  const portals = constructs.filter(TrainingPortal.isTrainingPortal);
  const seenPortals = new Set<string>();
  for (const portal of portals) {
    if (seenPortals.has(portal.name)) throw new Error(`TrainingPortal '${portal.name}' is defined twice: portal names must be unique`);
    seenPortals.add(portal.name);
    files.push({ path: `${portal.name}/portal.k8s.yaml`, objects: apiObjectsOf(portal) });
    for (const entry of portal.workshops) {
      files.push({ path: `${portal.name}/${entry.alias}/environment.k8s.yaml`, objects: environmentObjects(portal, entry) });
    }
  }
  return files.map((file) => ({ path: file.path, objects: sortManifests(file.objects.map((o) => finish(o))) }));
}

/** The YAML text of one file: its objects as documents. */
export function toYaml(file: SynthFile): string {
  return file.objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/**
 * Writes the files into `outdir`, first removing the `.k8s.yaml` files a previous synthesis left there (and
 * nothing else), so that a removed workshop disappears from the output.
 */
export function writeFiles(outdir: string, files: SynthFile[]): void {
  removeOldOutput(outdir);
  for (const file of files) {
    const target = path.join(outdir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, toYaml(file));
  }
}

function removeOldOutput(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removeOldOutput(full);
      if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
    } else if (entry.name.endsWith('.k8s.yaml')) {
      fs.rmSync(full);
    }
  }
}

function apiObjectsOf(scope: IConstruct): Manifest[] {
  return scope.node
    .findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c))
    .map((o) => {
      const json = o.toJson() as Manifest;
      if (lookupKind(json.apiVersion, json.kind)?.namespaced === false) delete json.metadata.namespace;
      return json;
    });
}

function environmentObjects(portal: TrainingPortal, entry: PortalWorkshop): Manifest[] {
  const workshop = entry.workshop;
  const values = portal.environmentValues(entry);
  const resolved = resolveWorkshop(workshop);
  const shared = substituteVariables(resolved.environmentObjects, values).map((object) => {
    object.metadata.labels = { ...object.metadata.labels, [Labels.WORKSHOP]: workshop.name };
    return applyIngressSettings(portal, object);
  });
  const sessionObjects = substituteVariables(resolved.sessionObjects, values).map((object) =>
    applyPortalSettings(portal, applyIngressSettings(portal, object)),
  );
  const requestObjects = substituteVariables(resolved.requestObjects, values).map((object) => applyIngressSettings(portal, object));
  checkHostLengths(portal, entry, [...sessionObjects, ...requestObjects]);
  checkAdmission(portal, entry, [...sessionObjects, ...requestObjects]);
  const leftover = JSON.stringify([...sessionObjects, ...requestObjects]).match(new RegExp(`\\$\\((${ENVIRONMENT_VARIABLES.join('|')})\\)`));
  if (leftover) throw new Error(`Workshop '${workshop.name}': environment variable ${leftover[0]} was not filled in (this is a bug)`);

  const secrets = [...workshop.session.injectedSecrets.map((s) => substituteVariables(s, values))];
  const environmentSecrets = [...workshop.environment.secrets];
  if (portal.tlsSecret) {
    environmentSecrets.push({ ...portal.tlsSecret });
    secrets.push({ name: portal.tlsSecret.name, namespace: entry.environmentName });
  }
  const blueprint: SessionBlueprint = { objects: sortManifests(sessionObjects.map((o) => finish(o, false))), secrets };
  const environment: Manifest = {
    apiVersion: API_VERSION,
    kind: 'WorkshopEnvironment',
    metadata: {
      name: entry.environmentName,
      labels: {
        [Labels.MANAGED_BY]: MANAGED_BY,
        [Labels.COMPONENT]: 'environment',
        [Labels.PORTAL]: portal.name,
        [Labels.WORKSHOP]: workshop.name,
        [Labels.ENVIRONMENT]: entry.environmentName,
      },
    },
    spec: {
      workshop: workshop.toCatalogJson(),
      portal: {
        name: portal.name,
        namespace: portal.portalNamespace,
        alias: entry.alias,
        ingressDomain: portal.ingressDomain,
        ingressProtocol: portal.ingressProtocol,
      },
      pool: {
        capacity: entry.capacity,
        initial: entry.initial,
        reserved: entry.reserved,
        expiresSeconds: entry.expiresSeconds,
        overtimeSeconds: entry.overtimeSeconds,
        deadlineSeconds: entry.deadlineSeconds,
        orphanedSeconds: entry.orphanedSeconds,
        overdueSeconds: entry.overdueSeconds,
        refreshSeconds: entry.refreshSeconds,
      },
      env: Object.entries(entry.env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value })),
      request: {
        parameters: workshop.requestParameters.map((p) => p.toJson()),
        ...(requestObjects.length ? { objects: sortManifests(requestObjects.map((o) => finish(o, false))) } : {}),
      },
      environment: { secrets: environmentSecrets },
      session: { variables: blueprintVariables(blueprint), secrets: blueprint.secrets, objects: blueprint.objects },
    },
  };
  // the portal's rights in the environment namespace, where it creates each session's workshop pod
  return [...shared, ...portal.namespaceAccess(entry), environment];
}

/** Gives every Ingress the portal's IngressClass and TLS, unless the author set them. */
function applyIngressSettings(portal: TrainingPortal, object: Manifest): Manifest {
  if (object.kind !== 'Ingress') return object;
  const spec = (object.spec ?? {}) as { ingressClassName?: string; tls?: unknown[]; rules?: Array<{ host?: string }> };
  if (portal.ingressClass && !spec.ingressClassName) spec.ingressClassName = portal.ingressClass;
  if (portal.tlsSecret && !spec.tls) {
    const hosts = (spec.rules ?? []).map((r) => r.host).filter((h): h is string => !!h);
    spec.tls = [{ hosts, secretName: portal.tlsSecret.name }];
  }
  object.spec = spec;
  return object;
}

/**
 * What a session's dashboard must know of its portal: the portal's address (its `hostname` may be any name, not
 * only `<portal>-ui.<ingress domain>`), where the dashboard sends the learner to sign in and back, and the other
 * sites that may frame the portal, which then frame the dashboard the portal shows too. The portal's values win
 * over a workshop's own.
 */
function applyPortalSettings(portal: TrainingPortal, object: Manifest): Manifest {
  if (object.kind !== 'Deployment') return object;
  type Container = { name: string; env?: Array<{ name: string; value?: string }> };
  const containers = (object.spec as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec?.containers ?? [];
  const frameAncestors = portal.frameAncestors;
  for (const container of containers.filter((c) => c.name === 'dashboard')) {
    const env = (container.env ?? []).filter((e) => e.name !== 'PORTAL_URL' && e.name !== 'PORTAL_FRAME_ANCESTORS');
    env.push({ name: 'PORTAL_URL', value: portal.url });
    if (frameAncestors.length) env.push({ name: 'PORTAL_FRAME_ANCESTORS', value: frameAncestors.join(',') });
    container.env = env;
  }
  return object;
}

/** Session names are `<environment>-<5 characters>`: every host label made from one must stay within 63. */
function checkHostLengths(portal: TrainingPortal, entry: PortalWorkshop, objects: Manifest[]): void {
  const longestSession = `${entry.environmentName}-xxxxx`;
  for (const object of objects.filter((o) => o.kind === 'Ingress')) {
    for (const rule of (object.spec as { rules?: Array<{ host?: string }> }).rules ?? []) {
      const label = (rule.host ?? '').split(variable('session_name')).join(longestSession).split('.')[0];
      if (label.length > 63) {
        throw new Error(
          `TrainingPortal '${portal.name}' workshop '${entry.alias}': ingress host '${rule.host}' of ${describeManifest(object)} ` +
            `becomes a ${label.length}-character label for session names like '${longestSession}'; labels may have at most 63: shorten the alias or the route name`,
        );
      }
    }
  }
}

/** What the session admission policies would refuse in the blueprint (with this portal's domain), as one error. */
function checkAdmission(portal: TrainingPortal, entry: PortalWorkshop, objects: Manifest[]): void {
  const session = entry.workshop.session;
  const namespaces = new Map<string, readonly AdmissionRule[]>(
    [session.primaryNamespace, ...session.secondaryNamespaces].map((ns) => [ns.name, ns.admissionExceptions]),
  );
  // the primary namespace is named after the session: a host may spell the session name either way
  const sameName = objects.map((o) =>
    o.kind === 'Ingress'
      ? {
          ...o,
          spec: JSON.parse(
            JSON.stringify(o.spec ?? {})
              .split(variable('session_namespace'))
              .join(variable('session_name')),
          ),
        }
      : o,
  );
  // hosts served by Ingresses outside the session's namespaces (the workshop pod's) are not the learner's to add paths to
  const reserved = [
    ...new Set(
      sameName
        .filter((o) => o.kind === 'Ingress' && o.metadata.namespace !== undefined && !namespaces.has(o.metadata.namespace))
        .flatMap((o) => ((o.spec as { rules?: Array<{ host?: string }> }).rules ?? []).map((r) => r.host ?? ''))
        .filter((host) => host !== ''),
    ),
  ].sort();
  for (const ns of objects.filter((o) => o.kind === 'Namespace' && namespaces.has(o.metadata.name))) {
    ns.metadata.annotations = { ...ns.metadata.annotations, [RESERVED_HOSTS_ANNOTATION]: reserved.join(',') };
  }
  const problems = admissionProblems(sameName, namespaces, {
    sessionName: variable('session_name'),
    ingressDomain: portal.ingressDomain,
    reservedHosts: reserved,
  });
  // the portal-scope policy: the portal writes only in its own namespace, its environments' and its sessions'
  const writable = new Set([...namespaces.keys(), portal.portalNamespace, ...portal.workshops.map((w) => w.environmentName)]);
  for (const object of objects) {
    const ns = object.metadata.namespace;
    if (ns !== undefined && !writable.has(ns)) {
      problems.push(
        `${describeManifest(object)} is placed in namespace '${ns}', where admission rule 'portal-scope' lets no portal write: ` +
          `put it in a session namespace or the environment namespace ($(workshop_namespace))`,
      );
    }
  }
  if (problems.length) {
    throw new Error(problems.map((problem) => `TrainingPortal '${portal.name}' workshop '${entry.alias}': ${problem}`).join('\n'));
  }
}

/** Stamps the managed-by label and the sync wave, and puts keys in a canonical order. */
function finish(object: Manifest, withWave = true): Manifest {
  const wave = withWave ? WAVES[object.kind] : undefined;
  const metadata = { ...object.metadata };
  metadata.labels = { ...metadata.labels, [Labels.MANAGED_BY]: MANAGED_BY };
  if (wave !== undefined) metadata.annotations = { ...metadata.annotations, [Annotations.SYNC_WAVE]: String(wave) };
  return canonical({ ...object, metadata }) as Manifest;
}

function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item, false));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const first = top ? ['apiVersion', 'kind', 'metadata'] : [];
  entries.sort(([a], [b]) => {
    const ia = first.indexOf(a);
    const ib = first.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, false)]));
}

/** Orders objects the way they must be applied: by wave, then kind, then namespace and name. */
export function sortManifests(objects: Manifest[]): Manifest[] {
  const rank = (kind: string) => {
    const i = KIND_ORDER.indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  const wave = (o: Manifest) => Number(o.metadata.annotations?.[Annotations.SYNC_WAVE] ?? 0);
  return [...objects].sort(
    (a, b) =>
      wave(a) - wave(b) ||
      rank(a.kind) - rank(b.kind) ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}
