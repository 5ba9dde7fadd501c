/**
 * Turns a Workshop's two template scopes into plain JSON once, and checks what can only be checked on the whole:
 * variables, where per-session objects land, ingress hosts, kinds, and whether the budget holds the pods.
 */
import { ApiObject, type Chart } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';

import { editDistance } from './edit-distance.js';
import { lookupKind } from './kinds.js';
import { describeManifest, type Manifest } from './manifest.js';
import { podSecurityViolations, podSpecOf } from './pod-security.js';
import { formatCpu, formatMemory, parseQuantity } from './quantity.js';
import type { SecurityPolicy } from './security-policy.js';
import { ALL_VARIABLES, variable } from './variables.js';
import type { Workshop } from './workshop.js';

export interface ResolvedWorkshop {
  /** Objects of the environment scope, with environment variables in them. */
  readonly environmentObjects: Manifest[];
  /** Objects of the session scope, with environment and session variables in them. */
  readonly sessionObjects: Manifest[];
  /**
   * Objects of the request scope, created when a session is allocated: environment and session variables and the
   * request parameters in them.
   */
  readonly requestObjects: Manifest[];
}

const cache = new WeakMap<Workshop, ResolvedWorkshop>();

/** Resolves (once) and checks a workshop's templates; throws with every problem found. */
export function resolveWorkshop(workshop: Workshop): ResolvedWorkshop {
  const cached = cache.get(workshop);
  if (cached) return cached;
  const where = `Workshop '${workshop.name}'`;
  const environmentObjects = chartObjects(workshop.environment, where);
  const sessionObjects = chartObjects(workshop.session, where);
  const requestObjects = chartObjects(workshop.request, where);
  const perSession = [...sessionObjects, ...requestObjects];
  const problems = [
    ...checkVariables(environmentObjects, `${where} environment`),
    ...checkVariables(sessionObjects, `${where} session`),
    ...checkRequestObjects(workshop, sessionObjects, requestObjects),
    ...checkSessionPlacement(workshop, perSession),
    ...checkIngressHosts(perSession, where),
    ...checkBudget(workshop, perSession),
    ...checkPodSecurity(workshop, environmentObjects, perSession),
  ];
  if (problems.length) throw new Error(problems.join('\n'));
  addSessionOwnership(workshop, sessionObjects);
  addSessionOwnership(workshop, requestObjects);
  const resolved = { environmentObjects, sessionObjects, requestObjects };
  cache.set(workshop, resolved);
  return resolved;
}

/** Resolves every ApiObject of a chart to JSON, taking cdk8s' chart namespace off cluster-scoped objects. */
export function chartObjects(chart: Chart, where: string): Manifest[] {
  const objects: Manifest[] = [];
  for (const apiObject of chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c))) {
    const json = apiObject.toJson() as Manifest;
    const kind = lookupKind(json.apiVersion, json.kind);
    if (!kind) {
      throw new Error(
        `${where}: ${json.kind} '${json.metadata.name}' (${json.apiVersion}) at ${apiObject.node.path} is a kind the library does not know: ` +
          `call registerKind('${json.apiVersion}', '${json.kind}', { resource: '<plural>', namespaced: true|false }) first`,
      );
    }
    if (!kind.namespaced) delete json.metadata.namespace;
    objects.push(json);
  }
  return objects;
}

function checkVariables(objects: Manifest[], where: string): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const text = JSON.stringify(object);
    for (const match of text.matchAll(/\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g)) {
      if (!ALL_VARIABLES.has(match[1]) && match[1] !== 'base64') {
        const close = [...ALL_VARIABLES].find((known) => editDistance(known, match[1]) <= 2);
        problems.push(`${where}: ${describeManifest(object)} uses unknown variable $(${match[1]})` + (close ? ` (did you mean $(${close})?)` : ''));
      }
    }
  }
  return [...new Set(problems)];
}

/**
 * Request objects: the variables they may use (those of a session, and the workshop's request parameters, whose
 * names must not hide a variable), no namespaces (a session's namespaces exist before it is allocated), and no
 * object that a session object already is.
 */
function checkRequestObjects(workshop: Workshop, sessionObjects: Manifest[], requestObjects: Manifest[]): string[] {
  const where = `Workshop '${workshop.name}' request`;
  const problems: string[] = [];
  const parameters = new Set(workshop.requestParameters.map((p) => p.name));
  for (const name of parameters) {
    if (ALL_VARIABLES.has(name))
      problems.push(
        `${where}: request parameter '${name}' has the name of a session variable: rename it, so that $(${name}) in request objects is not ambiguous`,
      );
  }
  const key = (o: Manifest) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const inSession = new Set(sessionObjects.map(key));
  for (const object of requestObjects) {
    for (const match of JSON.stringify(object).matchAll(/\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)/g)) {
      const name = match[1];
      if (ALL_VARIABLES.has(name) || parameters.has(name) || name === 'base64') continue;
      const close = [...parameters, ...ALL_VARIABLES].find((known) => editDistance(known, name) <= 2);
      problems.push(
        `${where}: ${describeManifest(object)} uses $(${name}), which is neither a session variable nor a request parameter of the workshop` +
          (close ? ` (did you mean $(${close})?)` : ` (its parameters: ${[...parameters].join(', ') || 'none'})`),
      );
    }
    if (object.kind === 'Namespace') {
      problems.push(
        `${where}: ${describeManifest(object)} is a namespace, which a session has before it is allocated: add it with session.addNamespace()`,
      );
    }
    if (inSession.has(key(object))) problems.push(`${where}: ${describeManifest(object)} is also a session object: give it another name`);
  }
  return [...new Set(problems)];
}

function sessionNamespaces(workshop: Workshop): string[] {
  return [workshop.session.primaryNamespace.name, ...workshop.session.secondaryNamespaces.map((ns) => ns.name)];
}

function checkSessionPlacement(workshop: Workshop, objects: Manifest[]): string[] {
  const problems: string[] = [];
  const namespaces = sessionNamespaces(workshop);
  const perSession = (name: string) => ['session_name', 'session_namespace', 'service_account'].some((v) => name.includes(variable(v)));
  for (const object of objects) {
    const inSession = object.metadata.namespace !== undefined && namespaces.includes(object.metadata.namespace);
    const isSessionNamespace = object.kind === 'Namespace' && namespaces.includes(object.metadata.name);
    if (inSession || isSessionNamespace) continue;
    if (!perSession(object.metadata.name)) {
      const place = object.metadata.namespace ? `namespace '${object.metadata.namespace}'` : 'the cluster scope';
      problems.push(
        `Workshop '${workshop.name}' session: ${describeManifest(object)} is placed in ${place}, outside the session's namespaces, ` +
          `so its name must contain $(session_name) or $(session_namespace) to be unique per session`,
      );
    }
  }
  return problems;
}

function checkIngressHosts(objects: Manifest[], where: string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const object of objects.filter((o) => o.kind === 'Ingress')) {
    const rules = (object.spec as { rules?: Array<{ host?: string }> })?.rules ?? [];
    for (const rule of rules) {
      const host = rule.host ?? '';
      if (!host.includes(variable('session_name')) && !host.includes(variable('session_namespace'))) {
        problems.push(
          `${where} session: ${describeManifest(object)} has host '${host || '(none)'}', which must contain $(session_name) so that sessions do not share it`,
        );
      }
      const other = seen.get(host);
      if (other && other !== describeManifest(object))
        problems.push(`${where} session: ingress host '${host}' is used by both ${other} and ${describeManifest(object)}`);
      else if (other) problems.push(`${where} session: ingress host '${host}' appears twice in ${other}`);
      seen.set(host, describeManifest(object));
    }
  }
  return problems;
}

/** The pod template of a long-running workload and how many pods it makes (what the budget's quota counts). */
function podsOf(
  object: Manifest,
): { spec: { containers?: Array<{ name: string; resources?: { limits?: Record<string, string> } }> }; replicas: number } | undefined {
  if (!['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet'].includes(object.kind)) return undefined;
  const spec = podSpecOf(object);
  if (!spec) return undefined;
  const replicas = (object.spec as { replicas?: unknown } | undefined)?.replicas;
  return { spec, replicas: object.kind !== 'Pod' && typeof replicas === 'number' ? replicas : 1 };
}

function checkBudget(workshop: Workshop, objects: Manifest[]): string[] {
  const primary = workshop.session.primaryNamespace;
  const figures = primary.budget?.figures;
  if (!figures) return [];
  const problems: string[] = [];
  const quota = { cpu: parseQuantity(figures.quotaCpu), memory: parseQuantity(figures.quotaMemory) };
  const max = { cpu: parseQuantity(figures.containerMaxCpu), memory: parseQuantity(figures.containerMaxMemory) };
  const defaults = { cpu: parseQuantity(figures.containerDefaultCpu), memory: parseQuantity(figures.containerDefaultMemory) };
  const total = { cpu: 0, memory: 0 };
  const where = `Workshop '${workshop.name}'`;
  for (const object of objects.filter((o) => o.metadata.namespace === primary.name)) {
    const pod = podsOf(object);
    if (!pod) continue;
    for (const container of pod.spec.containers ?? []) {
      const limits = container.resources?.limits ?? {};
      for (const resource of ['cpu', 'memory'] as const) {
        const value = limits[resource] !== undefined ? parseQuantity(limits[resource]) : defaults[resource];
        if (value > max[resource]) {
          const show = resource === 'cpu' ? formatCpu : formatMemory;
          problems.push(
            `${where}: container '${container.name}' of ${describeManifest(object)} has a ${resource} limit of ${show(value)}, ` +
              `above the ${show(max[resource])} that budget '${primary.budget!.name}' allows one container`,
          );
        }
        total[resource] += value * pod.replicas;
      }
    }
  }
  const inPrimary = objects.filter((o) => o.metadata.namespace === primary.name);
  const counts: Array<[string, keyof typeof figures, number]> = [
    ['pods', 'pods', inPrimary.reduce((sum, o) => sum + (podsOf(o)?.replicas ?? 0), 0)],
    // Kubernetes adds the ConfigMap kube-root-ca.crt to every namespace
    ['ConfigMaps', 'configMaps', inPrimary.filter((o) => o.kind === 'ConfigMap').length + 1],
    ['Deployments', 'deployments', inPrimary.filter((o) => o.kind === 'Deployment').length],
  ];
  for (const [what, field, needed] of counts) {
    if (needed > (figures[field] as number)) {
      problems.push(
        `${where}: the session needs ${needed} ${what}, more than the ${figures[field]} that budget '${primary.budget!.name}' allows ` +
          `('${field}'): choose a larger budget or override '${field}'`,
      );
    }
  }
  for (const resource of ['cpu', 'memory'] as const) {
    if (total[resource] > quota[resource] + 1e-9) {
      const show = resource === 'cpu' ? formatCpu : formatMemory;
      problems.push(
        `${where}: the session's pods need ${show(total[resource])} of ${resource} limits, more than the ${show(quota[resource])} ` +
          `quota of budget '${primary.budget!.name}': choose a larger budget or give the capabilities less`,
      );
    }
  }
  return problems;
}

function checkPodSecurity(workshop: Workshop, environmentObjects: Manifest[], sessionObjects: Manifest[]): string[] {
  const policies = new Map<string, SecurityPolicy>([
    [variable('workshop_namespace'), workshop.environment.securityPolicy],
    [workshop.session.primaryNamespace.name, workshop.session.primaryNamespace.securityPolicy],
    ...workshop.session.secondaryNamespaces.map((ns) => [ns.name, ns.securityPolicy] as [string, SecurityPolicy]),
  ]);
  const problems: string[] = [];
  for (const object of [...environmentObjects, ...sessionObjects]) {
    const pod = podSpecOf(object);
    const policy = object.metadata.namespace ? policies.get(object.metadata.namespace) : undefined;
    if (!pod || !policy) continue;
    const violations = podSecurityViolations(pod, policy);
    if (violations.length) {
      problems.push(
        `Workshop '${workshop.name}': ${describeManifest(object)} would be refused by the '${policy.name}' security policy of its namespace: ${violations.join('; ')}`,
      );
    }
  }
  return problems;
}

/** Objects of a session outside its namespaces are owned by the session namespace, so deleting it removes them. */
function addSessionOwnership(workshop: Workshop, objects: Manifest[]): void {
  const namespaces = sessionNamespaces(workshop);
  for (const object of objects) {
    const inSession = object.metadata.namespace !== undefined && namespaces.includes(object.metadata.namespace);
    const isSessionNamespace = object.kind === 'Namespace' && namespaces.includes(object.metadata.name);
    if (inSession || isSessionNamespace || object.metadata.ownerReferences?.length) continue;
    const owner: k8s.OwnerReference = {
      apiVersion: 'v1',
      kind: 'Namespace',
      name: variable('session_namespace'),
      uid: variable('session_namespace_uid'),
      blockOwnerDeletion: false,
    };
    object.metadata.ownerReferences = [{ ...owner }];
  }
}
