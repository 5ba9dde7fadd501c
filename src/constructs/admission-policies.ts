/**
 * What a learner may create in a session namespace beyond what RBAC and Pod Security decide, enforced by the API
 * server itself with ValidatingAdmissionPolicies (GA since Kubernetes 1.30), the part Kyverno's rules play in
 * Educates: Ingress hosts only under the session's own names and no nginx configuration snippets; no NodePort,
 * LoadBalancer, ExternalName Services or externalIPs; no hand-written Endpoints; no hostPath volumes, host namespaces,
 * host ports or container runtime sockets in pods and pod templates; and the labels the portal selects on stay the
 * portal's. One policy per rule, each bound to session namespaces by label, so that an author can relax a single rule
 * for one workshop (`admissionExceptions`), visibly: the exception is a label on the session namespace that the
 * rule's binding does not select.
 *
 * A second policy holds the portal's ServiceAccount to its own namespaces: whatever RBAC allows it cluster-wide, it
 * writes only in its own namespace, its environments' namespaces and its session namespaces, and the namespaces it
 * creates or changes are session namespaces of its own with a Pod Security level no weaker than baseline.
 *
 * Every rule has a twin in TypeScript that synthesis runs over the blueprints, so an author learns at synth time,
 * not when the first learner starts a session, that the portal would be refused.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
import { k8s } from 'cdk8s-plus-28';

import { describeManifest, type Manifest } from './manifest.js';
import { API_GROUP, LABEL_PREFIX, Labels, MANAGED_BY } from './names.js';
import { podSpecOf } from './pod-security.js';

type Json = Record<string, any>;

/** What a rule needs to know about the session an object belongs to. */
export interface AdmissionContext {
  /** The session's name (`$(session_name)` at synth time). */
  readonly sessionName: string;
  /** The portal's ingress domain. */
  readonly ingressDomain: string;
  /** Hosts of the session served from outside its namespaces (the workshop pod's), which its Ingresses may not use. */
  readonly reservedHosts?: readonly string[];
}

/** The namespace annotation that carries the ingress domain to the Ingress rule. */
export const INGRESS_DOMAIN_ANNOTATION = `${LABEL_PREFIX}ingress-domain`;
/**
 * The namespace annotation listing (comma-separated) the session's hosts that Ingresses outside its namespaces serve,
 * such as the session dashboard's `<session>.<domain>`: an Ingress in the session may not add paths to them.
 */
export const RESERVED_HOSTS_ANNOTATION = `${LABEL_PREFIX}reserved-hosts`;
/** The ServiceAccount name every portal runs as; the portal policy matches it in any namespace. */
export const PORTAL_SERVICE_ACCOUNT = 'training-portal';
/** Host paths of container runtime sockets (Docker, containerd, CRI-O, cri-dockerd, k3s). */
export const RUNTIME_SOCKETS = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/crio/crio.sock',
  '/var/run/cri-dockerd.sock',
  '/run/cri-dockerd.sock',
  '/run/k3s/containerd/containerd.sock',
  '/var/run/dockershim.sock',
];

const PREFIX = 'cdk8s-workshops';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const POD_KINDS = ['Pod', 'ReplicationController', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];
// (a ReplicationController without a template never reaches admission: validation requires one)
const POD_RESOURCES = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
];

/** A CEL string literal (double-quoted; JSON's escapes are CEL's). */
const lit = (text: string) => JSON.stringify(text);

interface Validation {
  readonly expression: string;
  readonly messageExpression: string;
}

interface RuleDefinition {
  readonly resourceRules: Array<{ apiGroups: string[]; apiVersions: string[]; resources: string[] }>;
  readonly variables?: Array<{ name: string; expression: string }>;
  readonly matchConditions?: Array<{ name: string; expression: string }>;
  readonly validations: Validation[];
  /** The TypeScript twin: what in `object` breaks the rule, one message each (without the prefix). */
  readonly check: (object: Json, context: AdmissionContext) => string[];
}

/**
 * A rule that ValidatingAdmissionPolicies enforce in every session namespace, for learners, the portal and
 * blueprints alike. Pass rules to a workshop's `admissionExceptions` (or a secondary namespace's) to relax them there.
 */
export class AdmissionRule {
  /** Ingress hosts must be `<session>.<domain>` or `<name>-<session>.<domain>`; no defaultBackend (it takes every host). */
  public static readonly INGRESS_HOSTS = new AdmissionRule('ingress-hosts', ingressHosts);
  /**
   * No configuration snippets in Ingress annotations (`nginx.ingress.kubernetes.io/*-snippet`, `nginx.org/*-snippets`):
   * they put the learner's text into the ingress controller's configuration, which can read its credentials.
   */
  public static readonly INGRESS_SNIPPETS = new AdmissionRule('ingress-snippets', ingressSnippets);
  /** No Services of type NodePort (a port on every node, outside the session's isolation). */
  public static readonly NODE_PORT_SERVICES = new AdmissionRule('node-port-services', () =>
    serviceType('NodePort', 'opens a port on every node of the cluster; use a ClusterIP Service and an Ingress'),
  );
  /** No Services of type LoadBalancer. */
  public static readonly LOAD_BALANCER_SERVICES = new AdmissionRule('load-balancer-services', () =>
    serviceType('LoadBalancer', 'asks the cloud for a public address and opens node ports; use a ClusterIP Service and an Ingress'),
  );
  /** No Services of type ExternalName (a name in the cluster that points anywhere, e.g. the metadata service). */
  public static readonly EXTERNAL_NAME_SERVICES = new AdmissionRule('external-name-services', () =>
    serviceType('ExternalName', 'makes a cluster name point anywhere, such as the cloud metadata service or another session'),
  );
  /** No `externalIPs` on Services (they take traffic for those addresses on every node). */
  public static readonly EXTERNAL_IPS = new AdmissionRule('external-ips', externalIps);
  /** No hand-written Endpoints or EndpointSlices (a Service could then send traffic anywhere). */
  public static readonly HAND_WRITTEN_ENDPOINTS = new AdmissionRule('hand-written-endpoints', endpoints);
  /** No hostPath volumes in pods and pod templates. */
  public static readonly HOST_PATH_VOLUMES = new AdmissionRule('host-path-volumes', hostPathVolumes);
  /** No hostNetwork, hostPID or hostIPC in pods and pod templates. */
  public static readonly HOST_NAMESPACES = new AdmissionRule('host-namespaces', hostNamespaces);
  /** No hostPort on any container of pods and pod templates. */
  public static readonly HOST_PORTS = new AdmissionRule('host-ports', hostPorts);
  /**
   * Labels the portal selects on (`training.cdk8s-workshops.dev/*`, `app.kubernetes.io/managed-by: cdk8s-workshops`)
   * are the portal's: others may not add or change them on objects in session namespaces, so that no cache or
   * readiness check of the portal can be fed by a learner. (Blueprint objects are the portal's writes: unaffected.)
   */
  public static readonly WORKSHOP_LABELS = new AdmissionRule('workshop-labels', workshopLabels);
  /** No mounts of container runtime sockets (docker.sock, containerd.sock, crio.sock …), even where hostPath is relaxed. */
  public static readonly RUNTIME_SOCKET_MOUNTS = new AdmissionRule('runtime-socket-mounts', runtimeSockets);

  /** Every rule, in a fixed order. */
  public static all(): AdmissionRule[] {
    return [
      AdmissionRule.INGRESS_HOSTS,
      AdmissionRule.INGRESS_SNIPPETS,
      AdmissionRule.NODE_PORT_SERVICES,
      AdmissionRule.LOAD_BALANCER_SERVICES,
      AdmissionRule.EXTERNAL_NAME_SERVICES,
      AdmissionRule.EXTERNAL_IPS,
      AdmissionRule.HAND_WRITTEN_ENDPOINTS,
      AdmissionRule.HOST_PATH_VOLUMES,
      AdmissionRule.HOST_NAMESPACES,
      AdmissionRule.HOST_PORTS,
      AdmissionRule.RUNTIME_SOCKET_MOUNTS,
      AdmissionRule.WORKSHOP_LABELS,
    ];
  }

  /** The rule with a name such as `node-port-services`. */
  public static fromName(name: string): AdmissionRule {
    const found = AdmissionRule.all().find((rule) => rule.name === name);
    if (!found)
      throw new Error(
        `unknown admission rule '${name}': allowed are ${AdmissionRule.all()
          .map((r) => r.name)
          .join(', ')}`,
      );
    return found;
  }

  private _definition?: RuleDefinition;

  private constructor(
    /** The rule's name, as refusals and exception labels spell it. */
    public readonly name: string,
    // built on first use: the rule builders below use constants defined after this class
    private readonly define: () => RuleDefinition,
  ) {}

  private get definition(): RuleDefinition {
    this._definition ??= this.define();
    return this._definition;
  }

  /** The label (value `true`) on a session namespace that relaxes this rule there. */
  public get exceptionLabel(): string {
    return `${LABEL_PREFIX}admission-exception.${this.name}`;
  }

  /** Name of the ValidatingAdmissionPolicy and of its binding. */
  public get policyName(): string {
    return `${MANAGED_BY}-session-${this.name}`;
  }

  /** What in `object` breaks this rule, as the refusal would say it; empty when it passes. */
  public violations(object: Json, context: AdmissionContext): string[] {
    return this.definition.check(object, context).map((message) => `${PREFIX} [${this.name}]: ${message}`);
  }

  /** The ValidatingAdmissionPolicy of this rule. */
  public toPolicy(): Manifest {
    const d = this.definition;
    return policyManifest({
      metadata: { name: this.policyName, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.COMPONENT]: 'session' } },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: d.resourceRules.map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'] })) },
        matchConditions: d.matchConditions,
        variables: d.variables,
        validations: d.validations.map((v) => ({
          expression: v.expression,
          messageExpression: `${lit(`${PREFIX} [${this.name}]: `)} + ${v.messageExpression}`,
          reason: 'Forbidden',
        })),
      },
    });
  }

  /** The binding of this rule's policy to every session namespace that does not carry the exception label. */
  public toBinding(): Manifest {
    return bindingManifest({
      metadata: { name: this.policyName, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.COMPONENT]: 'session' } },
      spec: {
        policyName: this.policyName,
        validationActions: ['Deny'],
        matchResources: {
          namespaceSelector: {
            matchLabels: { [Labels.COMPONENT]: 'session' },
            matchExpressions: [{ key: this.exceptionLabel, operator: 'DoesNotExist' }],
          },
        },
      },
    });
  }
}

/** Everything for dist/cluster: one policy and binding per rule, and the portal's policy and binding. */
export function admissionPolicies(): Manifest[] {
  return [...AdmissionRule.all().flatMap((rule) => [rule.toPolicy(), rule.toBinding()]), portalScopePolicy(), portalScopeBinding()];
}

/**
 * What in a session's objects the admission policies would refuse: each object in a session namespace against
 * every rule the namespace does not relax. `namespaces` maps a session namespace's name to its relaxed rules.
 */
export function admissionProblems(
  objects: Manifest[],
  namespaces: ReadonlyMap<string, readonly AdmissionRule[]>,
  context: AdmissionContext,
): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const relaxed = object.metadata.namespace === undefined ? undefined : namespaces.get(object.metadata.namespace);
    if (!relaxed) continue;
    for (const rule of AdmissionRule.all().filter((r) => !relaxed.includes(r))) {
      for (const violation of rule.violations(object, context)) {
        problems.push(
          `${describeManifest(object)} would be refused by admission rule '${rule.name}' (${violation}); ` +
            `relax it for this namespace with admissionExceptions: [AdmissionRule.${constantName(rule.name)}] if the workshop really needs it`,
        );
      }
    }
  }
  return problems;
}

/** The label selector part of a namespace that names what it relaxes: `{ <label>: 'true' }` for each rule. */
export function exceptionLabels(rules: readonly AdmissionRule[]): Record<string, string> {
  return Object.fromEntries([...rules].sort((a, b) => a.name.localeCompare(b.name)).map((rule) => [rule.exceptionLabel, 'true']));
}

function constantName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

// ---- the rules: CEL for the API server, TypeScript for synthesis; keep each pair together ----

const nsLabel = (key: string) =>
  `has(namespaceObject.metadata.labels) && ${lit(key)} in namespaceObject.metadata.labels ? namespaceObject.metadata.labels[${lit(key)}] : ''`;
const nsAnnotation = (key: string) =>
  `has(namespaceObject.metadata.annotations) && ${lit(key)} in namespaceObject.metadata.annotations ? namespaceObject.metadata.annotations[${lit(key)}] : ''`;

/** CEL: true when host `h` is one of the session's own (variables.session and variables.domain). */
function celOwnHost(h: string): string {
  const suffix = `variables.session + "." + variables.domain`;
  return (
    `(${h} == ${suffix} || (${h}.endsWith("-" + ${suffix}) && ` +
    `${h}.substring(0, size(${h}) - size(variables.session) - size(variables.domain) - 2).matches(${lit(DNS_LABEL)})))`
  );
}

/** TypeScript twin of celOwnHost. */
export function isSessionHost(host: string, context: AdmissionContext): boolean {
  const own = `${context.sessionName}.${context.ingressDomain}`;
  if (host === own) return true;
  return host.endsWith(`-${own}`) && new RegExp(DNS_LABEL).test(host.slice(0, host.length - own.length - 1));
}

const TAKEN = "is served by the session's workshop pod: an Ingress in the session may not take paths of it; use a host of its own";

function ingressHosts(): RuleDefinition {
  const hostsText = `variables.session + "." + variables.domain + ", <name>-" + variables.session + "." + variables.domain`;
  return {
    resourceRules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses'] }],
    variables: [
      { name: 'session', expression: nsLabel(Labels.SESSION) },
      { name: 'domain', expression: nsAnnotation(INGRESS_DOMAIN_ANNOTATION) },
      {
        name: 'badHosts',
        expression: `has(object.spec.rules) ? object.spec.rules.map(r, has(r.host) ? r.host : "").filter(h, !${celOwnHost('h')}) : []`,
      },
      { name: 'reserved', expression: `(${nsAnnotation(RESERVED_HOSTS_ANNOTATION)}).split(",")` },
      {
        name: 'takenHosts',
        expression: `has(object.spec.rules) ? object.spec.rules.filter(r, has(r.host) && r.host != "" && r.host in variables.reserved).map(r, r.host) : []`,
      },
      {
        name: 'badTlsHosts',
        expression: `has(object.spec.tls) ? object.spec.tls.filter(t, has(t.hosts) && t.hosts.exists(h, !${celOwnHost('h')})).map(t, t.hosts.filter(h, !${celOwnHost('h')})[0]) : []`,
      },
    ],
    validations: [
      {
        expression: `variables.session != "" && variables.domain != ""`,
        messageExpression: lit(
          `this namespace lacks the session name label (${Labels.SESSION}) or the ingress domain annotation (${INGRESS_DOMAIN_ANNOTATION}), so no Ingress host can be checked`,
        ),
      },
      {
        expression: 'size(variables.badHosts) == 0',
        messageExpression: `"Ingress host '" + (variables.badHosts[0] == "" ? "(none)" : variables.badHosts[0]) + "' is not one of this session's hosts (" + ${hostsText} + ")"`,
      },
      {
        expression: 'size(variables.takenHosts) == 0',
        messageExpression: `"Ingress host '" + variables.takenHosts[0] + "' ${TAKEN}"`,
      },
      {
        expression: 'size(variables.badTlsHosts) == 0',
        messageExpression: `"Ingress TLS host '" + variables.badTlsHosts[0] + "' is not one of this session's hosts (" + ${hostsText} + ")"`,
      },
      {
        expression: '!has(object.spec.defaultBackend)',
        messageExpression: lit('an Ingress may not set defaultBackend: it would take the requests for every host of the ingress controller'),
      },
    ],
    check: (object, context) => {
      if (object.kind !== 'Ingress') return [];
      const hosts = `${context.sessionName}.${context.ingressDomain}, <name>-${context.sessionName}.${context.ingressDomain}`;
      const spec: Json = object.spec ?? {};
      const problems: string[] = [];
      for (const rule of spec.rules ?? []) {
        const host: string = rule.host ?? '';
        if (!isSessionHost(host, context)) problems.push(`Ingress host '${host || '(none)'}' is not one of this session's hosts (${hosts})`);
        else if (context.reservedHosts?.includes(host)) problems.push(`Ingress host '${host}' ${TAKEN}`);
      }
      for (const tls of spec.tls ?? []) {
        for (const host of tls.hosts ?? []) {
          if (!isSessionHost(host, context)) problems.push(`Ingress TLS host '${host}' is not one of this session's hosts (${hosts})`);
        }
      }
      if (spec.defaultBackend)
        problems.push('an Ingress may not set defaultBackend: it would take the requests for every host of the ingress controller');
      return problems;
    },
  };
}

const SNIPPET_PREFIXES = ['nginx.ingress.kubernetes.io/', 'nginx.org/'];
const isSnippet = (key: string) => SNIPPET_PREFIXES.some((p) => key.startsWith(p)) && (key.endsWith('-snippet') || key.endsWith('-snippets'));

function ingressSnippets(): RuleDefinition {
  const why = "puts text into the ingress controller's own configuration";
  const celIsSnippet = `(${SNIPPET_PREFIXES.map((p) => `k.startsWith(${lit(p)})`).join(' || ')}) && (k.endsWith("-snippet") || k.endsWith("-snippets"))`;
  return {
    resourceRules: [{ apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses'] }],
    variables: [{ name: 'snippets', expression: `has(object.metadata.annotations) ? object.metadata.annotations.filter(k, ${celIsSnippet}) : []` }],
    validations: [{ expression: 'size(variables.snippets) == 0', messageExpression: `"Ingress annotation " + variables.snippets[0] + " ${why}"` }],
    check: (object) =>
      object.kind === 'Ingress'
        ? Object.keys(object.metadata?.annotations ?? {})
            .filter(isSnippet)
            .sort()
            .map((key) => `Ingress annotation ${key} ${why}`)
        : [],
  };
}

const SERVICES = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['services'] }];

function serviceType(type: string, why: string): RuleDefinition {
  return {
    resourceRules: SERVICES,
    validations: [
      {
        expression: `!has(object.spec.type) || object.spec.type != ${lit(type)}`,
        messageExpression: lit(`a Service of type ${type} ${why}`),
      },
    ],
    check: (object) => (object.kind === 'Service' && object.spec?.type === type ? [`a Service of type ${type} ${why}`] : []),
  };
}

function externalIps(): RuleDefinition {
  const why = 'would take the traffic for those addresses on every node';
  return {
    resourceRules: SERVICES,
    validations: [
      {
        expression: '!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0',
        messageExpression: `"Service externalIPs (" + object.spec.externalIPs.join(", ") + ") ${why}"`,
      },
    ],
    check: (object) => {
      const ips: string[] = object.kind === 'Service' ? (object.spec?.externalIPs ?? []) : [];
      return ips.length ? [`Service externalIPs (${ips.join(', ')}) ${why}`] : [];
    },
  };
}

function endpoints(): RuleDefinition {
  const why = "are written by the cluster for Services with a selector, not by hand: a hand-written one sends a Service's traffic anywhere";
  return {
    resourceRules: [
      { apiGroups: [''], apiVersions: ['v1'], resources: ['endpoints'] },
      { apiGroups: ['discovery.k8s.io'], apiVersions: ['v1'], resources: ['endpointslices'] },
    ],
    // the endpoint controllers run as the controller manager, or as its ServiceAccounts in kube-system
    matchConditions: [
      {
        name: 'not-the-cluster',
        expression: `request.userInfo.username != "system:kube-controller-manager" && !request.userInfo.username.startsWith("system:serviceaccount:kube-system:")`,
      },
    ],
    validations: [{ expression: 'false', messageExpression: `${lit('Endpoints and EndpointSlices ')} + ${lit(why)}` }],
    check: (object) => (['Endpoints', 'EndpointSlice'].includes(object.kind) ? [`Endpoints and EndpointSlices ${why}`] : []),
  };
}

const SPEC = `object.kind == "Pod" ? object.spec : object.kind == "CronJob" ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec`;
const CONTAINERS = `variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : [])`;
const podVariables = (...more: Array<{ name: string; expression: string }>) => [{ name: 'spec', expression: SPEC }, ...more];

/** The pod spec of a Pod or a workload's template, for the TypeScript twins (undefined for other kinds). */
function podOf(object: Json): Json | undefined {
  return POD_KINDS.includes(object.kind) ? podSpecOf(object) : undefined;
}

function hostPathVolumes(): RuleDefinition {
  const why = "pods in session namespaces may not mount the node's files";
  return {
    resourceRules: POD_RESOURCES,
    variables: podVariables({
      name: 'hostPaths',
      expression: 'has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.hostPath)) : []',
    }),
    validations: [
      {
        expression: 'size(variables.hostPaths) == 0',
        messageExpression: `"volume '" + variables.hostPaths[0].name + "' is a hostPath (" + variables.hostPaths[0].hostPath.path + "): ${why}"`,
      },
    ],
    check: (object) =>
      (podOf(object)?.volumes ?? [])
        .filter((v: Json) => v.hostPath)
        .map((v: Json) => `volume '${v.name}' is a hostPath (${v.hostPath.path}): ${why}`),
  };
}

function hostNamespaces(): RuleDefinition {
  const fields = ['hostNetwork', 'hostPID', 'hostIPC'];
  return {
    resourceRules: POD_RESOURCES,
    variables: podVariables({
      name: 'hostFields',
      expression:
        `[${fields.map(lit).join(', ')}].filter(f, f == "hostNetwork" ? (has(variables.spec.hostNetwork) && variables.spec.hostNetwork) : ` +
        `f == "hostPID" ? (has(variables.spec.hostPID) && variables.spec.hostPID) : (has(variables.spec.hostIPC) && variables.spec.hostIPC))`,
    }),
    validations: [
      {
        expression: 'size(variables.hostFields) == 0',
        messageExpression: `variables.hostFields[0] + " must not be true: pods in session namespaces may not share the node's network, processes or IPC"`,
      },
    ],
    check: (object) => {
      const pod = podOf(object);
      return fields
        .filter((field) => pod?.[field] === true)
        .map((field) => `${field} must not be true: pods in session namespaces may not share the node's network, processes or IPC`);
    },
  };
}

function hostPorts(): RuleDefinition {
  return {
    resourceRules: POD_RESOURCES,
    variables: podVariables({
      name: 'withHostPort',
      expression: `(${CONTAINERS}).filter(c, has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort != 0))`,
    }),
    validations: [
      {
        expression: 'size(variables.withHostPort) == 0',
        messageExpression:
          `"container '" + variables.withHostPort[0].name + "' may not use hostPort " + ` +
          `string(variables.withHostPort[0].ports.filter(p, has(p.hostPort) && p.hostPort != 0)[0].hostPort) + ": pods in session namespaces may not take the node's ports"`,
      },
    ],
    check: (object) => {
      const pod = podOf(object);
      const containers: Json[] = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])];
      return containers.flatMap((c) =>
        (c.ports ?? [])
          .filter((p: Json) => p.hostPort)
          .map((p: Json) => `container '${c.name}' may not use hostPort ${p.hostPort}: pods in session namespaces may not take the node's ports`),
      );
    },
  };
}

function runtimeSockets(): RuleDefinition {
  const sockets = `[${RUNTIME_SOCKETS.map(lit).join(', ')}]`;
  // a path that leads to a socket: the socket itself, a folder above it, or one spelled with '//', '.' or '..'
  const path = 'v.hostPath.path';
  const trimmed = `(${path}.endsWith("/") ? ${path}.substring(0, size(${path}) - 1) : ${path})`;
  const reaches =
    `(${sockets}.exists(s, s == ${trimmed} || s.startsWith(${trimmed} + "/")) || ${path}.contains("//") || ` +
    `${path}.contains("/./") || ${path}.contains("/../") || ${path}.endsWith("/.") || ${path}.endsWith("/..") || ` +
    `(has(v.hostPath.type) && v.hostPath.type == "Socket"))`;
  const why = 'mounts the container runtime socket, which controls every container on the node';
  return {
    resourceRules: POD_RESOURCES,
    variables: podVariables({
      name: 'sockets',
      expression: `has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.hostPath) && ${reaches}) : []`,
    }),
    validations: [
      {
        expression: 'size(variables.sockets) == 0',
        messageExpression: `"volume '" + variables.sockets[0].name + "' (" + variables.sockets[0].hostPath.path + ") ${why}"`,
      },
    ],
    check: (object) =>
      (podOf(object)?.volumes ?? [])
        .filter((v: Json) => v.hostPath && reachesSocket(v.hostPath))
        .map((v: Json) => `volume '${v.name}' (${v.hostPath.path}) ${why}`),
  };
}

/** TypeScript twin of the socket test in runtimeSockets(). */
export function reachesSocket(hostPath: { path: string; type?: string }): boolean {
  const path = hostPath.path;
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return (
    RUNTIME_SOCKETS.some((s) => s === trimmed || s.startsWith(`${trimmed}/`)) ||
    path.includes('//') ||
    path.includes('/./') ||
    path.includes('/../') ||
    path.endsWith('/.') ||
    path.endsWith('/..') ||
    hostPath.type === 'Socket'
  );
}

function workshopLabels(): RuleDefinition {
  const ours = `k.startsWith(${lit(LABEL_PREFIX)}) || (k == ${lit(Labels.MANAGED_BY)} && object.metadata.labels[k] == ${lit(MANAGED_BY)})`;
  const unchanged = `oldObject != null && has(oldObject.metadata.labels) && k in oldObject.metadata.labels && oldObject.metadata.labels[k] == object.metadata.labels[k]`;
  return {
    resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
    // the portals, the cluster's controllers (which copy labels from templates) and cluster administrators may
    matchConditions: [
      {
        name: 'not-the-portal-or-the-cluster',
        expression:
          `!(request.userInfo.username.startsWith("system:serviceaccount:") && request.userInfo.username.endsWith(${lit(`:${PORTAL_SERVICE_ACCOUNT}`)})) && ` +
          `request.userInfo.username != "system:kube-controller-manager" && !request.userInfo.username.startsWith("system:serviceaccount:kube-system:") && ` +
          `!(has(request.userInfo.groups) && "system:masters" in request.userInfo.groups)`,
      },
    ],
    variables: [{ name: 'added', expression: `has(object.metadata.labels) ? object.metadata.labels.filter(k, (${ours}) && !(${unchanged})) : []` }],
    validations: [
      {
        expression: 'size(variables.added) == 0',
        messageExpression: `"label " + variables.added[0] + " is the portal's to set: objects written in a session may not add or change it"`,
      },
    ],
    // blueprint objects are written by the portal, which the policy does not hold to this rule
    check: () => [],
  };
}

// ---- the portal ----

/** Name of the policy (and binding) that keeps portals to their own namespaces. */
export const PORTAL_SCOPE_POLICY = `${MANAGED_BY}-portal-scope`;

/**
 * The portal's ServiceAccount (`system:serviceaccount:<portal namespace>:training-portal`, whatever the portal)
 * may write namespaced objects only in its own namespace, in namespaces of its environments and in its session
 * namespaces (`component` label, and `portal.name` such that `<portal.name>-ui` is its namespace); the namespaces it
 * creates, changes or deletes are session namespaces of its own, enforcing Pod Security `baseline` or `restricted`.
 * Of WorkshopEnvironments it writes only those of its own portal: their status, and their drain finalizer
 * (runtime/drain.ts) — never their spec, labels, annotations, owners or another finalizer, so that the `patch`
 * its ClusterRole needs for the finalizer does not let it change what another portal's runtime creates.
 * Events are exempt: the portal records session phases as Events in `default`.
 */
export function portalScopePolicy(): Manifest {
  const labelOf = (object: string, key: string) =>
    `(has(${object}.metadata.labels) && ${lit(key)} in ${object}.metadata.labels ? ${object}.metadata.labels[${lit(key)}] : "")`;
  const ownedBy = (object: string, components: string[]) =>
    `(${object} != null && ${labelOf(object, Labels.COMPONENT)} in [${components.map(lit).join(', ')}] && ` +
    `${labelOf(object, Labels.PORTAL)} + "-ui" == variables.portalNamespace)`;
  const prefix = lit(`${PREFIX} [portal-scope]: `);
  return policyManifest({
    metadata: { name: PORTAL_SCOPE_POLICY, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.COMPONENT]: 'portal' } },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: '*' }],
        excludeResourceRules: [
          { apiGroups: [''], apiVersions: ['*'], resources: ['events'], operations: ['*'], scope: 'Namespaced' },
          { apiGroups: ['events.k8s.io'], apiVersions: ['*'], resources: ['events'], operations: ['*'], scope: 'Namespaced' },
        ],
      },
      matchConditions: [
        {
          name: 'portal-service-account',
          expression: `request.userInfo.username.startsWith("system:serviceaccount:") && request.userInfo.username.endsWith(${lit(`:${PORTAL_SERVICE_ACCOUNT}`)})`,
        },
      ],
      variables: [
        { name: 'portalNamespace', expression: 'request.userInfo.username.split(":")[2]' },
        { name: 'isNamespace', expression: 'request.resource.group == "" && request.resource.resource == "namespaces"' },
        { name: 'isEnvironment', expression: `request.resource.group == ${lit(API_GROUP)} && request.resource.resource == "workshopenvironments"` },
      ],
      validations: [
        {
          expression: `variables.isNamespace || !has(request.namespace) || request.namespace == "" || request.namespace == variables.portalNamespace || ${ownedBy('namespaceObject', ['session', 'environment'])}`,
          messageExpression:
            `${prefix} + "the portal's ServiceAccount " + request.userInfo.username + " may write only in its own namespace, its environments' ` +
            `namespaces and its session namespaces, not in namespace '" + request.namespace + "'"`,
          reason: 'Forbidden',
        },
        {
          expression:
            `!variables.isNamespace || request.operation == "DELETE" || (${ownedBy('object', ['session'])} && ` +
            `${labelOf('object', Labels.PSA_ENFORCE)} in ["baseline", "restricted"])`,
          messageExpression:
            `${prefix} + "the namespaces the portal's ServiceAccount " + request.userInfo.username + " creates or changes must be its session ` +
            `namespaces (labels ${Labels.COMPONENT}=session and ${Labels.PORTAL}=<its portal>) enforcing Pod Security baseline or restricted; namespace '" + ` +
            `object.metadata.name + "' has component '" + ${labelOf('object', Labels.COMPONENT)} + "', portal '" + ${labelOf('object', Labels.PORTAL)} + ` +
            `"', enforce '" + ${labelOf('object', Labels.PSA_ENFORCE)} + "'"`,
          reason: 'Forbidden',
        },
        {
          expression: `!variables.isNamespace || request.operation == "CREATE" || ${ownedBy('oldObject', ['session'])}`,
          messageExpression:
            `${prefix} + "the portal's ServiceAccount " + request.userInfo.username + " may change or delete only its own session namespaces, ` +
            `not namespace '" + oldObject.metadata.name + "'"`,
          reason: 'Forbidden',
        },
        {
          expression:
            `!variables.isEnvironment || (request.operation == "UPDATE" && ${labelOf('oldObject', Labels.PORTAL)} + "-ui" == variables.portalNamespace && ` +
            `((has(request.subResource) && request.subResource == "status") || (has(object.spec) == has(oldObject.spec) && (!has(object.spec) || object.spec == oldObject.spec) && ` +
            `${unchanged('labels')} && ${unchanged('annotations')} && ${unchanged('ownerReferences')} && ` +
            `${sameBut('object', 'oldObject', DRAIN_FINALIZER)} && ${sameBut('oldObject', 'object', DRAIN_FINALIZER)})))`,
          messageExpression:
            `${prefix} + "the portal's ServiceAccount " + request.userInfo.username + " may change only the status and the ` +
            `${DRAIN_FINALIZER} finalizer of its own portal's WorkshopEnvironments, not " + request.operation + " " + ` +
            `(has(request.subResource) && request.subResource != "" ? request.subResource + " of " : "") + "WorkshopEnvironment '" + request.name + "'"`,
          reason: 'Forbidden',
        },
      ],
    },
  });
}

/** The finalizer the runtime holds WorkshopEnvironments with (runtime/drain.ts), the one the portal may change. */
export const DRAIN_FINALIZER = `${API_GROUP}/drain`;

/** CEL: `metadata.<field>` is the same in the old and the new object (absent in both, or equal). */
function unchanged(field: string): string {
  return `(has(object.metadata.${field}) == has(oldObject.metadata.${field}) && (!has(object.metadata.${field}) || object.metadata.${field} == oldObject.metadata.${field}))`;
}

/** CEL: every finalizer of `a` but `except` is one of `b`'s. */
function sameBut(a: string, b: string, except: string): string {
  return `(!has(${a}.metadata.finalizers) || ${a}.metadata.finalizers.all(f, f == ${lit(except)} || (has(${b}.metadata.finalizers) && f in ${b}.metadata.finalizers)))`;
}

/** The binding of the portal policy: everywhere (the policy's match condition picks the portals' requests). */
export function portalScopeBinding(): Manifest {
  return bindingManifest({
    metadata: { name: PORTAL_SCOPE_POLICY, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.COMPONENT]: 'portal' } },
    spec: { policyName: PORTAL_SCOPE_POLICY, validationActions: ['Deny'] },
  });
}

/*
 * ValidatingAdmissionPolicy and its binding are admissionregistration.k8s.io/v1 since Kubernetes 1.30; the L1s of
 * cdk8s-plus-28 know them as v1beta1, whose fields are the same. The objects are typed through those props and
 * written as v1.
 */
const ADMISSION_V1 = 'admissionregistration.k8s.io/v1';

function policyManifest(props: k8s.KubeValidatingAdmissionPolicyV1Beta1Props): Manifest {
  return { ...k8s.KubeValidatingAdmissionPolicyV1Beta1.manifest(props), apiVersion: ADMISSION_V1 };
}

function bindingManifest(props: k8s.KubeValidatingAdmissionPolicyBindingV1Beta1Props): Manifest {
  return { ...k8s.KubeValidatingAdmissionPolicyBindingV1Beta1.manifest(props), apiVersion: ADMISSION_V1 };
}
