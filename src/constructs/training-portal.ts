import { isIP } from 'node:net';

import { ApiObject, Chart, type Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import { checkDuration, formatSeconds } from './duration.js';
import { projectImage } from './images.js';
import { apiGroupOf, lookupKind } from './kinds.js';
import { describeManifest, type Manifest } from './manifest.js';
import { API_GROUP, API_VERSION, checkDnsLabel, Labels, MANAGED_BY } from './names.js';
import { type PortalSettings, portalSettings, type PortalSettingsProps } from './portal-settings.js';
import { k8sPolicyRule, type PolicyRule, uncoveredPermissions } from './session-role.js';
import { PORTAL_ACCESS_BINDING, portalSessionRoleName } from './session-template.js';
import { substituteVariables } from './variables.js';
import type { Workshop } from './workshop.js';
import type { SecretReference } from './workshop-environment.js';
import { resolveWorkshop } from './workshop-template.js';

/** The portal's image; the Dockerfile in this repository builds it. */
export const DEFAULT_PORTAL_IMAGE = 'ghcr.io/cdk8s-workshops/training-portal:0.1.0';

/** The ingress domain of a portal that sets none: loopback addresses (`*.127-0-0-1.test`) for a local cluster. */
export const DEFAULT_INGRESS_DOMAIN = 'workshops.127-0-0-1.test';

/** How learners get an account. */
export enum Registration {
  /** Learners register with a user name and password in one step (and may sign in with OpenID Connect if set up). */
  ONE_STEP = 'one-step',
  /** Learners get an automatic identity without signing in. */
  ANONYMOUS = 'anonymous',
  /** Nobody registers and only the admin signs in (OpenID Connect sign-in, which registers, is off too). */
  DISABLED = 'disabled',
}

/** Who may see the catalog. */
export enum CatalogVisibility {
  /** Only signed-in users. */
  PRIVATE = 'private',
  /** Everyone, including REST clients without a token. */
  PUBLIC = 'public',
}

/** Pool and timer settings of a workshop in a portal (Educates' `workshops[]` fields). */
export interface WorkshopSettings {
  /** Most sessions at once (allocated and reserved). @default - the portal's `maximumSessions` */
  readonly capacity?: number;
  /** Sessions created when the environment starts. @default - `reserved` */
  readonly initial?: number;
  /** Ready sessions kept waiting for learners. @default 1 (no more than `capacity`) */
  readonly reserved?: number;
  /** Lifetime of a session from allocation. @default - sessions do not expire */
  readonly expires?: Duration;
  /** How much one extension adds. @default - no extensions */
  readonly overtime?: Duration;
  /** Longest lifetime including extensions. @default - `expires` (no extensions) */
  readonly deadline?: Duration;
  /** A session unused this long ends. @default - never */
  readonly orphaned?: Duration;
  /** A session the learner never opened within this time after allocation ends. @default - never */
  readonly overdue?: Duration;
  /** The environment is recreated after this age. @default - never */
  readonly refresh?: Duration;
  /** Extra environment variables of every session's dashboard. @default - none */
  readonly env?: Record<string, string>;
}

export interface PortalWorkshopOptions extends WorkshopSettings {
  /**
   * The name the portal lists the workshop under, so that one workshop can be listed twice with different settings.
   * @default - the workshop's name
   */
  readonly alias?: string;
}

/** A workshop as a portal lists it, with its effective settings. */
export interface PortalWorkshop {
  readonly workshop: Workshop;
  /** The name in the catalog and in the environment's name. */
  readonly alias: string;
  /** Name of the WorkshopEnvironment and of its namespace: `<portal>-<alias>`. */
  readonly environmentName: string;
  readonly capacity: number;
  readonly initial: number;
  readonly reserved: number;
  readonly expiresSeconds: number;
  readonly overtimeSeconds: number;
  readonly deadlineSeconds: number;
  readonly orphanedSeconds: number;
  readonly overdueSeconds: number;
  readonly refreshSeconds: number;
  readonly env: Record<string, string>;
}

export interface TrainingPortalProps extends PortalSettingsProps {
  /** The portal's name: a DNS-1123 label; its namespace is `<name>-ui`. @default - the construct id */
  readonly name?: string;
  /** @default 'Workshops' */
  readonly title?: string;
  /** A logo for the portal's pages: a data: URI or an https URL. @default - none */
  readonly logo?: string;
  /** The domain under which the portal and all sessions get host names. @default 'workshops.127-0-0-1.test' */
  readonly ingressDomain?: string;
  /** The portal's own host name. @default - `<name>-ui.<ingressDomain>` */
  readonly hostname?: string;
  /** The IngressClass of every Ingress. @default - the cluster's default class */
  readonly ingressClass?: string;
  /**
   * A TLS Secret for `*.<ingressDomain>`; the runtime copies it into every environment and session namespace.
   * @default - plain http
   */
  readonly tlsSecret?: SecretReference;
  /** @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** StorageClass for sessions' volumes. @default - the cluster's default */
  readonly storageClass?: string;
  /** Registry that `$(image_repository)` points to. @default 'registry.default.svc.cluster.local' */
  readonly imageRepository?: string;
  /** @default - `<imageRegistry>/cdk8s-workshops/training-portal:<version>` (WorkshopApp's `imageRegistry`), else DEFAULT_PORTAL_IMAGE */
  readonly image?: string;
  /** Portal replicas; any replica serves any request. @default 2 */
  readonly replicas?: number;
  /** Most sessions at once across all workshops; 0 for no limit. @default 0 */
  readonly maximumSessions?: number;
  /** Most sessions one registered learner may hold at once; 0 for no limit. @default 1 */
  readonly registeredSessions?: number;
  /** Most sessions one anonymous learner may hold at once. @default - `registeredSessions` */
  readonly anonymousSessions?: number;
  /** @default Registration.ONE_STEP */
  readonly registration?: Registration;
  /** @default CatalogVisibility.PRIVATE */
  readonly catalogVisibility?: CatalogVisibility;
  /** Defaults for every workshop's settings. @default - Educates' defaults */
  readonly workshopDefaults?: WorkshopSettings;
  /**
   * Addresses or CIDRs of the proxy hops in front of the portal (the ingress controller's pods) whose
   * `X-Forwarded-For` the portal believes, for rate limits and logs. Never list a range that holds workshop pods:
   * a learner's shell could then claim any address.
   * @default - none: the connection's own address counts
   */
  readonly trustedProxies?: string[];
  /**
   * Namespaces allowed to reach the portal's pods besides its environments' workshop pods (the ingress controller,
   * monitoring), by name. Session namespaces never are.
   * @default - every namespace that is neither a session nor an environment
   */
  readonly allowedNamespaces?: string[];
}

/**
 * A training portal: the catalog learners pick workshops from and the runtime that hands each of them a session.
 * It synthesizes its namespace, a ServiceAccount with a ClusterRole computed from exactly what its workshops'
 * sessions contain, its Deployment, Service, Ingress and configuration; `addWorkshop()` lists a workshop, which
 * gives it a WorkshopEnvironment in this portal.
 */
export class TrainingPortal extends Chart {
  /** True when `x` is a TrainingPortal (also across copies of this library). */
  public static isTrainingPortal(x: unknown): x is TrainingPortal {
    return x !== null && typeof x === 'object' && PORTAL_SYMBOL in x;
  }

  public readonly name: string;
  /** The portal's namespace. */
  public readonly portalNamespace: string;
  public readonly title: string;
  public readonly ingressDomain: string;
  public readonly hostname: string;
  public readonly ingressProtocol: 'http' | 'https';
  public readonly ingressClass?: string;
  public readonly tlsSecret?: SecretReference;
  public readonly clusterDomain: string;
  public readonly storageClass: string;
  public readonly imageRepository: string;
  public readonly maximumSessions: number;
  /** Proxy hops whose X-Forwarded-For the portal believes. */
  public readonly trustedProxies: string[];
  private readonly props: TrainingPortalProps;
  private readonly settings: PortalSettings;
  private readonly _workshops: PortalWorkshop[] = [];

  constructor(scope: Construct, id: string, props: TrainingPortalProps = {}) {
    const name = props.name ?? id;
    checkDnsLabel(`TrainingPortal '${name}'`, 'name', name, 20);
    if (name.startsWith('kube-')) throw new Error(`TrainingPortal '${name}': 'name' must not start with 'kube-' (reserved by Kubernetes)`);
    super(scope, id, { namespace: `${name}-ui`, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: name } });
    Object.defineProperty(this, PORTAL_SYMBOL, { value: true });
    this.props = props;
    this.name = name;
    this.portalNamespace = `${name}-ui`;
    this.title = props.title ?? 'Workshops';
    this.ingressDomain = props.ingressDomain ?? DEFAULT_INGRESS_DOMAIN;
    if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(this.ingressDomain)) {
      throw new Error(
        `TrainingPortal '${name}': 'ingressDomain' (${JSON.stringify(this.ingressDomain)}) must be a DNS domain such as workshops.example.com`,
      );
    }
    this.hostname = props.hostname ?? `${name}-ui.${this.ingressDomain}`;
    this.ingressClass = props.ingressClass;
    this.tlsSecret = props.tlsSecret;
    this.ingressProtocol = props.tlsSecret ? 'https' : 'http';
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.storageClass = props.storageClass ?? '';
    this.imageRepository = props.imageRepository ?? 'registry.default.svc.cluster.local';
    const where = `TrainingPortal '${name}'`;
    this.trustedProxies = (props.trustedProxies ?? []).map((hop, i) => checkProxyHop(where, `trustedProxies[${i}]`, hop));
    for (const [i, ns] of (props.allowedNamespaces ?? []).entries()) checkDnsLabel(where, `allowedNamespaces[${i}]`, ns, 63);
    this.maximumSessions = count(where, 'maximumSessions', props.maximumSessions ?? 0);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`TrainingPortal '${name}': 'replicas' (${replicas}) must be a whole number ≥ 1`);
    const registered = count(where, 'registeredSessions', props.registeredSessions ?? 1);
    const anonymous = count(where, 'anonymousSessions', props.anonymousSessions ?? registered);
    this.settings = portalSettings(where, props, { hostname: this.hostname, ingressDomain: this.ingressDomain });
    this.buildObjects(replicas, registered, anonymous);
    this.node.addValidation({ validate: () => this.rbac().problems });
  }

  /** The portal's browser-facing address, e.g. `https://labs-ui.workshops.example.com`. */
  public get url(): string {
    return `${this.ingressProtocol}://${this.hostname}`;
  }

  /** The origins of other sites that may frame the portal (and so the sessions' dashboards it shows). Returns a copy. */
  public get frameAncestors(): string[] {
    return [...this.settings.frameAncestors];
  }

  /** The workshops listed so far with their effective settings. Returns a copy. */
  public get workshops(): PortalWorkshop[] {
    return [...this._workshops];
  }

  /**
   * Lists a workshop in the portal with its pool and timer settings, applying Educates' defaults: capacity from the
   * portal maximum, reserved 1 (at most capacity), initial = reserved, deadline = expires. Settings that
   * contradict each other are errors.
   */
  public addWorkshop(workshop: Workshop, options: PortalWorkshopOptions = {}): PortalWorkshop {
    const alias = options.alias ?? workshop.name;
    const where = `TrainingPortal '${this.name}' workshop '${alias}'`;
    checkDnsLabel(where, 'alias', alias, 40);
    if (this._workshops.some((w) => w.alias === alias)) {
      throw new Error(`${where}: the portal already lists a workshop as '${alias}': give one of them another 'alias'`);
    }
    const environmentName = `${this.name}-${alias}`;
    if (environmentName.length > 40) {
      throw new Error(
        `${where}: environment name '${environmentName}' has ${environmentName.length} characters; ` +
          `portal name and alias together may have at most 39, so that session host names stay within 63`,
      );
    }
    const defaults = this.props.workshopDefaults ?? {};
    const pick = <K extends keyof WorkshopSettings>(key: K) => options[key] ?? defaults[key];

    const capacity = count(where, 'capacity', pick('capacity') ?? this.maximumSessions);
    if (capacity === 0) {
      throw new Error(`${where}: 'capacity' is 0: set it on the workshop, in workshopDefaults, or as the portal's maximumSessions`);
    }
    const explicitReserved = pick('reserved');
    const reserved = explicitReserved === undefined ? Math.min(1, capacity) : count(where, 'reserved', explicitReserved);
    if (reserved > capacity) throw new Error(`${where}: 'capacity' (${capacity}) must not be below 'reserved' (${reserved})`);
    const explicitInitial = pick('initial');
    let initial = explicitInitial === undefined ? reserved : count(where, 'initial', explicitInitial);
    if (initial > capacity) throw new Error(`${where}: 'capacity' (${capacity}) must not be below 'initial' (${initial})`);
    if (initial !== 0 && initial < reserved) initial = reserved;

    const seconds = (key: 'expires' | 'overtime' | 'deadline' | 'orphaned' | 'overdue' | 'refresh') => {
      const value = pick(key);
      return value === undefined ? 0 : checkDuration(where, key, value);
    };
    const expires = seconds('expires');
    let deadline = seconds('deadline');
    const overtime = seconds('overtime');
    if (deadline !== 0 && expires === 0) throw new Error(`${where}: 'deadline' (${formatSeconds(deadline)}) needs 'expires' to be set`);
    if (deadline !== 0 && expires > deadline) {
      throw new Error(`${where}: 'expires' (${formatSeconds(expires)}) must not exceed 'deadline' (${formatSeconds(deadline)})`);
    }
    if (deadline === 0) deadline = expires;
    if (overtime !== 0 && deadline === expires) {
      throw new Error(
        `${where}: 'overtime' (${formatSeconds(overtime)}) allows extensions, so 'deadline' must be longer than 'expires' (${formatSeconds(expires)})`,
      );
    }
    const env = { ...(defaults.env ?? {}), ...(options.env ?? {}) };
    for (const key of Object.keys(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
        throw new Error(`${where}: env name '${key}' must be letters, digits and '_', not starting with a digit`);
    }
    const entry: PortalWorkshop = {
      workshop,
      alias,
      environmentName,
      capacity,
      initial,
      reserved,
      env,
      expiresSeconds: expires,
      overtimeSeconds: overtime,
      deadlineSeconds: deadline,
      orphanedSeconds: seconds('orphaned'),
      overdueSeconds: seconds('overdue'),
      refreshSeconds: seconds('refresh'),
    };
    this._workshops.push(entry);
    return entry;
  }

  /** The values of the environment variables for one of this portal's workshops. */
  public environmentValues(entry: PortalWorkshop): Record<string, string> {
    return {
      workshop_name: entry.workshop.name,
      workshop_version: entry.workshop.version,
      workshop_image: entry.workshop.session.containers[0].image ?? '',
      workshop_image_pull_policy: 'IfNotPresent',
      environment_name: entry.environmentName,
      workshop_namespace: entry.environmentName,
      training_portal: this.name,
      portal_namespace: this.portalNamespace,
      platform_arch: 'amd64',
      image_repository: this.imageRepository,
      assets_repository: `assets-server.${entry.environmentName}.svc.${this.clusterDomain}`,
      oci_image_cache: `image-cache.${entry.environmentName}.svc.${this.clusterDomain}`,
      cluster_domain: this.clusterDomain,
      ingress_domain: this.ingressDomain,
      ingress_protocol: this.ingressProtocol,
      ingress_port: this.ingressProtocol === 'https' ? '443' : '80',
      ingress_port_suffix: '',
      ingress_secret: this.tlsSecret?.name ?? '',
      ingress_class: this.ingressClass ?? '',
      storage_class: this.storageClass,
    };
  }

  private buildObjects(replicas: number, registered: number, anonymous: number): void {
    const ns = this.portalNamespace;
    const labels = { 'app.kubernetes.io/name': 'training-portal', [Labels.PORTAL]: this.name };
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: ns,
        labels: { [Labels.COMPONENT]: 'portal', [Labels.PSA_ENFORCE]: 'restricted', [Labels.PSA_ENFORCE_VERSION]: 'latest' },
      },
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: 'training-portal' },
      automountServiceAccountToken: false,
    });
    const subject = [{ kind: 'ServiceAccount', name: 'training-portal', namespace: ns }];
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: `${MANAGED_BY}-portal-${this.name}` },
      rules: Lazy.any({ produce: () => this.rbac().cluster.map(k8sPolicyRule) }) as k8s.PolicyRule[],
    });
    // bound in each session namespace by the session's own first RoleBinding (see SessionTemplate), nowhere else
    new k8s.KubeClusterRole(this, 'SessionClusterRole', {
      metadata: { name: portalSessionRoleName(this.name) },
      rules: Lazy.any({ produce: () => this.rbac().session.map(k8sPolicyRule) }) as k8s.PolicyRule[],
    });
    // a record of every phase change, visible with kubectl describe: events of cluster-scoped objects go to `default`
    new k8s.KubeRole(this, 'EventsRole', {
      metadata: { name: `${MANAGED_BY}-portal-${this.name}-events`, namespace: 'default' },
      rules: [{ apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] }],
    });
    new k8s.KubeRoleBinding(this, 'EventsRoleBinding', {
      metadata: { name: `${MANAGED_BY}-portal-${this.name}-events`, namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${MANAGED_BY}-portal-${this.name}-events` },
      subjects: subject,
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: `${MANAGED_BY}-portal-${this.name}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${MANAGED_BY}-portal-${this.name}` },
      subjects: subject,
    });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name: 'training-portal' },
      rules: [
        // leader election of the reconciler among the replicas
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        // the portal's own state every replica shares: cookie keys, accounts, OAuth clients
        { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name: 'training-portal' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'training-portal' },
      subjects: subject,
    });
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: 'training-portal' },
      data: {
        'portal.json': Lazy.any({
          produce: () =>
            JSON.stringify(
              {
                name: this.name,
                title: this.title,
                logo: this.props.logo,
                url: `${this.ingressProtocol}://${this.hostname}/`,
                registration: this.props.registration ?? Registration.ONE_STEP,
                catalogVisibility: this.props.catalogVisibility ?? CatalogVisibility.PRIVATE,
                sessions: { maximum: this.maximumSessions, registered, anonymous },
                ingress: { domain: this.ingressDomain, protocol: this.ingressProtocol, class: this.ingressClass, secret: this.tlsSecret?.name },
                environments: this._workshops.map((w) => w.environmentName),
                ...this.settings.config,
              },
              null,
              2,
            ),
        }),
        ...this.settings.files,
      },
    });
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: 'training-portal', labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels, ...(Object.keys(this.settings.podAnnotations).length ? { annotations: this.settings.podAnnotations } : {}) },
          spec: {
            serviceAccountName: 'training-portal',
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001 },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'portal',
                image: this.props.image ?? projectImage(this, 'training-portal'),
                imagePullPolicy: 'IfNotPresent',
                // images/portal/Dockerfile: the portal process (runtime, pages, REST API, admin) on port 8080
                command: ['node', '/app/lib/apps/portal.js'],
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'PORTAL_NAME', value: this.name },
                  { name: 'PORTAL_NAMESPACE', value: ns },
                  { name: 'PORTAL_CONFIG', value: '/opt/portal/config/portal.json' },
                  { name: 'PORTAL_URL', value: this.url },
                  { name: 'PORT', value: '8080' },
                  // cookies marked Secure only when the portal is served over https
                  { name: 'SECURE_COOKIES', value: String(this.ingressProtocol === 'https') },
                  ...(this.trustedProxies.length ? [{ name: 'PORTAL_TRUSTED_PROXIES', value: this.trustedProxies.join(',') }] : []),
                  // admin and robot credentials: generated by the first replica into this Secret (never synthesized)
                  { name: 'PORTAL_CREDENTIALS_SECRET', value: 'training-portal-credentials' },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  // access code, OIDC, analytics, theme, embedding, index URL (secrets by secretKeyRef only)
                  ...this.settings.env,
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('256Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('256Mi') },
                },
                readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromNumber(8080) }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(8080) }, periodSeconds: 20, failureThreshold: 3 },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
                volumeMounts: [
                  { name: 'config', mountPath: '/opt/portal/config', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'training-portal' } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
    if (replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: { name: 'training-portal' },
        spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
      });
    }
    new k8s.KubeService(this, 'Service', {
      metadata: { name: 'training-portal', labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(8080) }] },
    });
    // Who may open a connection to the portal's pods: the ingress controller (and whatever else runs outside
    // sessions and environments, or the namespaces named in allowedNamespaces), and its environments' workshop pods
    // (the dashboards call its API). Learners' own pods in session namespaces may not: they reach the portal through
    // the ingress controller like any browser, so rate limits and X-Forwarded-For see them as the clients they are.
    const others = this.props.allowedNamespaces
      ? [...this.props.allowedNamespaces].sort().map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }))
      : [{ namespaceSelector: { matchExpressions: [{ key: Labels.COMPONENT, operator: 'NotIn', values: ['session', 'environment'] }] } }];
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: 'training-portal' },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [...others, { namespaceSelector: { matchLabels: { [Labels.COMPONENT]: 'environment', [Labels.PORTAL]: this.name } } }],
            ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(8080) }],
          },
        ],
      },
    });
    // where the portal reports its own readiness (runtime/portal-conditions.ts) for kubectl and Argo CD to read;
    // cluster-scoped and named after the portal (the portal may read and patch the status of this one only)
    new ApiObject(this, 'TrainingPortal', {
      apiVersion: API_VERSION,
      kind: 'TrainingPortal',
      metadata: { name: this.name },
      spec: Lazy.any({
        produce: () => ({
          title: this.title,
          namespace: ns,
          url: `${this.ingressProtocol}://${this.hostname}/`,
          ingressDomain: this.ingressDomain,
          replicas,
          sessions: { maximum: this.maximumSessions, registered, anonymous },
          environments: this._workshops.map((w) => w.environmentName),
        }),
      }),
    });
    new k8s.KubeIngress(this, 'Ingress', {
      metadata: { name: 'training-portal' },
      spec: {
        rules: [
          {
            host: this.hostname,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'training-portal', port: { number: 80 } } } }] },
          },
        ],
      },
    });
  }

  /**
   * The Role and RoleBinding the portal gets in each namespace outside the sessions where its workshop's sessions
   * put objects (the environment namespace: the workshop pod, its ServiceAccount, Secret and ConfigMap), for the
   * environment's file. These namespaces are known at synth time, so these rights are not cluster-wide.
   */
  public namespaceAccess(entry: PortalWorkshop): Manifest[] {
    const name = `${MANAGED_BY}-portal-${entry.environmentName}`;
    return this.rbac()
      .namespaces.filter((n) => n.environment === entry.environmentName)
      .flatMap(
        (n) =>
          [
            k8s.KubeRole.manifest({
              metadata: { name, namespace: n.namespace, labels: { [Labels.PORTAL]: this.name } },
              rules: n.rules.map(k8sPolicyRule),
            }),
            k8s.KubeRoleBinding.manifest({
              metadata: { name, namespace: n.namespace, labels: { [Labels.PORTAL]: this.name } },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
              subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace: this.portalNamespace }],
            }),
          ] as Manifest[],
      );
  }

  /**
   * What the runtime may do, computed from exactly what its workshops' sessions contain:
   *
   * - cluster-wide, only what cannot be namespaced: its own custom resources, creating and deleting session
   *   namespaces (whose names nobody knows in advance), creating the first RoleBinding of a new session namespace, `bind` on the ClusterRoles the sessions reference by name, reading the
   *   declared Secrets by name, and the cluster-scoped kinds the sessions contain;
   * - in each session namespace, through that first RoleBinding, the kinds the sessions put there;
   * - in the environment namespaces (and any other namespace the sessions use), a Role with the kinds put there.
   *
   * Never `escalate`, and never `bind` on a role the sessions do not reference. An author's Role or ClusterRole
   * that grants what the portal does not hold where it is created is a synth-time problem, as is a binding to
   * `cluster-admin` or a Role the session does not define.
   */
  private rbac(): {
    cluster: PolicyRule[];
    session: PolicyRule[];
    namespaces: Array<{ environment: string; namespace: string; rules: PolicyRule[] }>;
    problems: string[];
  } {
    const clusterKinds = new Kinds();
    const sessionKinds = new Kinds();
    const namespaceKinds = new Map<string, { environment: string; kinds: Kinds; secretReads: Set<string> }>();
    const bindable = new Set<string>();
    const secretNames = new Set<string>();
    const authorRoles: Array<{ where: string; object: Manifest; place: 'session' | 'cluster' | string }> = [];
    const problems: string[] = [];
    if (this.tlsSecret) secretNames.add(this.tlsSecret.name);

    for (const entry of this._workshops) {
      const where = `TrainingPortal '${this.name}' workshop '${entry.alias}'`;
      const workshop = entry.workshop;
      let resolved;
      try {
        resolved = resolveWorkshop(workshop);
      } catch {
        continue; // the workshop's own problems are reported by synthesis
      }
      const values = this.environmentValues(entry);
      const sessionNamespaces = new Set([workshop.session.primaryNamespace.name, ...workshop.session.secondaryNamespaces.map((n) => n.name)]);
      const inNamespace = (namespace: string) => {
        if (!namespaceKinds.has(namespace))
          namespaceKinds.set(namespace, { environment: entry.environmentName, kinds: new Kinds(), secretReads: new Set() });
        return namespaceKinds.get(namespace)!;
      };
      // the environment namespace always: the portal copies the environment's Secrets into it
      inNamespace(entry.environmentName).kinds.add('', 'secrets');
      for (const secret of workshop.environment.secrets) secretNames.add(secret.name);
      for (const secret of workshop.session.injectedSecrets.map((s) => substituteVariables(s, values))) {
        if (secret.namespace === entry.environmentName) inNamespace(secret.namespace).secretReads.add(secret.name);
        else secretNames.add(secret.name);
      }

      // what the portal creates for a session: its objects, and those of a learner's request when it is allocated
      const objects = substituteVariables([...resolved.sessionObjects, ...resolved.requestObjects], values);
      const defined = new Set(objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
      for (const object of objects) {
        const info = lookupKind(object.apiVersion, object.kind)!;
        const group = apiGroupOf(object.apiVersion);
        const namespace = object.metadata.namespace;
        let place: string;
        if (object.kind === 'Namespace') continue;
        if (!info.namespaced) {
          clusterKinds.add(group, info.resource);
          place = 'cluster';
        } else if (namespace && sessionNamespaces.has(namespace)) {
          sessionKinds.add(group, info.resource);
          place = 'session';
        } else if (namespace && !namespace.includes('$(')) {
          inNamespace(namespace).kinds.add(group, info.resource);
          place = namespace;
        } else {
          problems.push(
            `${where}: ${describeManifest(object)} is in namespace '${namespace}', which is neither a session namespace nor known at synth time, so the portal cannot be given rights there`,
          );
          continue;
        }
        if (object.kind === 'Role' || object.kind === 'ClusterRole') authorRoles.push({ where, object, place });
        const ref = (object as { roleRef?: { kind?: string; name?: string } }).roleRef;
        if (ref?.kind === 'ClusterRole' && ref.name) {
          if (ref.name === 'cluster-admin' || ref.name.startsWith('system:')) {
            problems.push(
              `${where}: ${describeManifest(object)} binds ClusterRole '${ref.name}', which no session may have: bind a role that grants what the workshop needs`,
            );
          } else {
            bindable.add(ref.name);
          }
        } else if (ref?.kind === 'Role' && !defined.has(`${namespace}/${ref.name}`)) {
          problems.push(
            `${where}: ${describeManifest(object)} binds Role '${ref.name}', which the session does not define in '${namespace}': ` +
              'the portal binds only Roles the session defines and ClusterRoles by name',
          );
        }
      }
    }

    const CRUD = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
    const cluster: PolicyRule[] = [
      // its own state: the environments it serves and the sessions it creates, allocates and ends
      // patch: the drain finalizer only (runtime/drain.ts), as the portal-scope admission policy holds it to; not by
      // name, since an environment removed from git leaves this list before it is pruned and must still drain
      { apiGroups: [API_GROUP], resources: ['workshopenvironments'], verbs: ['get', 'list', 'watch', 'patch'] },
      { apiGroups: [API_GROUP], resources: ['workshopenvironments/status'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: [API_GROUP], resources: ['workshopsessions'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [API_GROUP], resources: ['workshopsessions/status'], verbs: ['get', 'patch', 'update'] },
      // its own TrainingPortal, by name: read it, and write the Ready condition into its status (portal-conditions.ts)
      { apiGroups: [API_GROUP], resources: ['trainingportals'], verbs: ['get'], resourceNames: [this.name] },
      { apiGroups: [API_GROUP], resources: ['trainingportals/status'], verbs: ['get', 'patch'], resourceNames: [this.name] },
      // session namespaces: created (never patched: a namespace's labels are set once), watched, deleted when a session ends
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      // the first object of a new session namespace: the RoleBinding that gives the portal the rest there (create
      // cannot be limited by name; the server-side apply that writes it again is, to that one binding)
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['patch'], resourceNames: [PORTAL_ACCESS_BINDING] },
    ];
    cluster.push(...clusterKinds.rules(CRUD));
    // the ClusterRoles the sessions bind by name (the session roles, the portal's own session role, `view`…)
    bindable.add(portalSessionRoleName(this.name));
    cluster.push({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [...bindable].sort() });
    if (secretNames.size) {
      // the declared Secrets, by name, wherever they are copied from
      cluster.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [...secretNames].sort() });
    }

    // the learner's request and the copied Secrets go into every session namespace
    sessionKinds.add('', 'secrets');
    sessionKinds.add('rbac.authorization.k8s.io', 'rolebindings');
    const session = sessionKinds.rules(CRUD);

    const namespaces = [...namespaceKinds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([namespace, { environment, kinds, secretReads }]) => {
        const rules = kinds.rules(CRUD);
        if (secretReads.size) rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [...secretReads].sort() });
        return { environment, namespace, rules };
      });

    for (const { where, object, place } of authorRoles) {
      const held =
        place === 'cluster'
          ? cluster
          : place === 'session'
            ? [...cluster, ...session]
            : [...cluster, ...(namespaces.find((n) => n.namespace === place)?.rules ?? [])];
      for (const rule of (object as { rules?: PolicyRule[] }).rules ?? []) {
        const missing = uncoveredPermissions(held, rule);
        if (missing.length) {
          problems.push(
            `${where}: ${describeManifest(object)} grants ${JSON.stringify(rule)}, but the portal does not itself hold ${missing.join(', ')} ` +
              `${place === 'cluster' ? 'cluster-wide' : 'there'} and is never given 'escalate': grant only what the session's objects need, or bind a ClusterRole by name`,
          );
        }
      }
    }
    return { cluster, session, namespaces, problems };
  }
}

/** Resources by API group, turned into rules (Secrets are written, never listed or read). */
class Kinds {
  private readonly byGroup = new Map<string, Set<string>>();

  public add(group: string, resource: string): void {
    if (!this.byGroup.has(group)) this.byGroup.set(group, new Set());
    this.byGroup.get(group)!.add(resource);
  }

  public rules(verbs: string[]): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const [group, resources] of [...this.byGroup.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const readable = [...resources].filter((r) => !(group === '' && r === 'secrets')).sort();
      if (readable.length) rules.push({ apiGroups: [group], resources: readable, verbs: [...verbs] });
      if (group === '' && resources.has('secrets')) rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch', 'delete'] });
    }
    return rules;
  }
}

const PORTAL_SYMBOL = Symbol.for('cdk8s-workshops.TrainingPortal');

function count(where: string, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${where}: '${field}' (${value}) must be a whole number ≥ 0`);
  return value;
}

/** An IPv4/IPv6 address or CIDR, as the portal's trusted proxy hops are written. */
function checkProxyHop(where: string, field: string, value: string): string {
  const [address, bits, extra] = String(value).split('/');
  const family = isIP(address ?? '');
  const max = family === 4 ? 32 : 128;
  const ok = family !== 0 && extra === undefined && (bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= max));
  if (!ok) throw new Error(`${where}: '${field}' (${JSON.stringify(value)}) must be an IP address or CIDR such as 10.0.0.7 or 10.244.0.0/16`);
  return value;
}
