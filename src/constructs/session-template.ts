import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import type { Capability, DashboardTab, SessionRoute, WorkshopContainer, WorkshopVolume } from './capability.js';
import { projectImage } from './images.js';
import { API_VERSION, checkDnsLabel, Labels, MANAGED_BY } from './names.js';
import { type EnvVar, k8sContainer, k8sVolume, type VolumeMount } from './pod-spec.js';
import { isQuantity, parseQuantity } from './quantity.js';
import { SecurityPolicy } from './security-policy.js';
import { SessionNamespace, type SessionNamespaceOptions } from './session-namespace.js';
import { SessionRole } from './session-role.js';
import { TemplateChart } from './template-chart.js';
import { SessionVariables, variable } from './variables.js';

/** The image of the session dashboard: instructions, terminals, and the proxy to the other capabilities. */
export const DEFAULT_WORKSHOP_IMAGE = 'ghcr.io/cdk8s-workshops/session-dashboard:0.1.0';
/** The dashboard's port inside the workshop pod. */
export const DASHBOARD_PORT = 10080;
/** The learner's user id: the `workshop` container (terminals, set-up, examiner tests) and the home volume's group. */
export const WORKSHOP_UID = 1001;
/** The dashboard process's user id (container `dashboard`): not the learner's, so the learner can neither signal it nor read its /proc. */
export const DASHBOARD_UID = 1002;
/** Where the dashboard and workshop containers find the session's ConfigMap (dashboard.json, kubeconfig). */
export const DASHBOARD_CONFIG_DIR = '/opt/workshop/config';
/** The session agent's socket (src/dashboard/agent/), on a volume the dashboard and workshop containers share. */
export const AGENT_SOCKET_PATH = '/var/run/workshop-agent/agent.sock';
/** Where the dashboard unpacks pulled content, read-only for the learner's container at the same path. */
export const PULLED_CONTENT_DIR = '/opt/workshop/pulled';
/** Where the learner's container has the session ServiceAccount's token (the only container that has it). */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Names of the workshop pod's objects. They live in the environment namespace, beside those of the environment's
 * other sessions, so each carries the session's name (as Educates names them).
 */
export function workshopPodNames(sessionName: string) {
  return {
    /** The Deployment, its Service and its Ingress. */
    deployment: sessionName,
    service: sessionName,
    ingress: sessionName,
    /** The ServiceAccount the pod runs as, bound into the session namespaces. */
    serviceAccount: sessionName,
    /** The Secret with CONFIG_PASSWORD and SERVICES_PASSWORD. */
    secret: `${sessionName}-session`,
    /** The ConfigMap with `dashboard.json` (and `kubeconfig`). */
    configMap: `${sessionName}-dashboard`,
    /** The NetworkPolicy that admits only the session and non-session namespaces to the pod. */
    networkPolicy: sessionName,
  };
}

/** The RoleBinding in every session namespace that gives the portal what it needs to fill the namespace. */
export const PORTAL_ACCESS_BINDING = `${MANAGED_BY}-portal`;
/** Name of the portal's ClusterRole for session namespaces (bound in each by PORTAL_ACCESS_BINDING). */
export function portalSessionRoleName(portal: string): string {
  return `${MANAGED_BY}-portal-${portal}-session`;
}

export interface SessionTemplateOptions extends SessionNamespaceOptions {
  /**
   * Features of the session; more can be added with `addCapability()`.
   * @default - none: the dashboard shows only the instructions
   */
  readonly capabilities?: Capability[];
  /**
   * Whether the workshop pod gets the session ServiceAccount's token, so that `kubectl` in its terminals works.
   * @default true
   */
  readonly kubernetesAccess?: boolean;
  /**
   * Whether the session's ServiceAccount may read (not change, and never read Secrets in) the environment namespace,
   * where the workshop's shared services run.
   * @default false
   */
  readonly environmentAccess?: boolean;
  /**
   * The Pod Security Standard enforced in the environment namespace, where the workshop pod runs (its dashboard,
   * terminals and capability sidecars such as the Docker daemon). Learners cannot create pods there.
   * @default SecurityPolicy.RESTRICTED
   */
  readonly environmentSecurityPolicy?: SecurityPolicy;
  /**
   * Image of the workshop pod's dashboard container: the learner's tools live in it.
   * @default - `<imageRegistry>/cdk8s-workshops/session-dashboard:<version>` (WorkshopApp's `imageRegistry`), else DEFAULT_WORKSHOP_IMAGE
   */
  readonly workshopImage?: string;
  /**
   * Memory of the learner's `workshop` container, where the terminals' tools run (request and limit).
   * @default '512Mi'
   */
  readonly workshopMemory?: string;
  /**
   * CPU limit of the learner's `workshop` container (it requests a tenth of this).
   * @default '500m'
   */
  readonly workshopCpu?: string;
  /**
   * Extra environment variables of the learner's terminals (the `workshop` and `dashboard` containers); values may use session variables.
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * A PersistentVolumeClaim of this size for the learner's home (`workshop-home`, /home/workshop), so that work
   * survives a restart of the workshop pod; it goes with the session.
   * @default - an emptyDir: the home lasts as long as the pod
   */
  readonly storage?: string;
  /** The StorageClass of the home's claim. @default - the cluster's default StorageClass */
  readonly storageClass?: string;
}

export interface SessionTemplateProps extends SessionTemplateOptions {
  /** The workshop's name, for labels and messages. */
  readonly workshopName: string;
  /** The workshop's title, shown by the dashboard. */
  readonly workshopTitle: string;
  /**
   * Where the dashboard fetches the instructions from when the session starts (`content` in `dashboard.json`).
   * @default - embedded in the workshop image
   */
  readonly workshopContent?: Record<string, unknown>;
}

/** A route as the template records it: where it goes and the host it is served at. */
export interface BoundRoute extends SessionRoute {
  /** The host, with session variables. */
  readonly host: string;
  /** The URL, with session variables. */
  readonly url: string;
}

/** A Secret the runtime copies into the session namespace when the session is created. */
export interface InjectedSecret {
  /** The Secret's name in its source namespace (and in the session namespace). */
  readonly name: string;
  /** The namespace to copy from; may use variables. */
  readonly namespace: string;
}

/**
 * Everything one session of a workshop is made of, as a cdk8s scope: the session namespace and any secondary
 * namespaces with their isolation (RBAC, Pod Security, NetworkPolicy, budget), the session ServiceAccount, the
 * workshop pod that capabilities add to, and whatever per-session objects the author adds as ordinary constructs.
 *
 * As in Educates, the workshop pod (dashboard, terminals, sidecars), its credentials and the session's
 * ServiceAccount live in the environment namespace, named after the session and owned by its WorkshopSession; the
 * ServiceAccount is bound into the session namespaces. The learner owns the session namespaces and nothing else:
 * they cannot read the dashboard's credentials, replace its image, or run pods where the Docker daemon may be
 * privileged.
 *
 * The scope's default namespace is the session namespace. Session values are typed accessors on `vars`
 * (`vars.sessionName`…) that render as `$(session_name)`-style variables; the runtime fills them in for every
 * session.
 */
export class SessionTemplate extends TemplateChart {
  /** Session variables, as placeholders. */
  public readonly vars = new SessionVariables();
  /** The session's primary namespace. */
  public readonly primaryNamespace: SessionNamespace;
  /** The name of the session's ServiceAccount (a variable). */
  public readonly serviceAccountName = variable('service_account');
  public readonly kubernetesAccess: boolean;
  public readonly environmentAccess: boolean;
  /** The Pod Security Standard of the environment namespace, where the workshop pod runs. */
  public readonly environmentPolicy: SecurityPolicy;
  public readonly workshopName: string;
  /** Where the dashboard fetches the instructions from (a ContentSource as JSON; empty: in the image). */
  public readonly workshopContent: Record<string, unknown>;

  private readonly _capabilities: Capability[] = [];
  private readonly _containers: WorkshopContainer[] = [];
  /** Extra mounts of the dashboard container and of the learner's container (capabilities add them). */
  private readonly _dashboardMounts: VolumeMount[] = [];
  private readonly _learnerMounts: VolumeMount[] = [];
  private readonly _dashboardEnv: EnvVar[] = [];
  private readonly _volumes: WorkshopVolume[] = [];
  private readonly _tabs: DashboardTab[] = [];
  private readonly _routes: BoundRoute[] = [];
  private readonly _env: Record<string, string> = {};
  private readonly _settings: Record<string, unknown> = {};
  private readonly _secondary: SessionNamespace[] = [];
  private readonly _injectedSecrets: InjectedSecret[] = [];
  private readonly _podLabels: Record<string, string> = {};
  private serviceRoutes?: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: SessionTemplateProps) {
    super(scope, id, {
      namespace: variable('session_namespace'),
      labels: {
        [Labels.MANAGED_BY]: MANAGED_BY,
        [Labels.COMPONENT]: 'session',
        [Labels.ENVIRONMENT]: variable('environment_name'),
        [Labels.SESSION]: variable('session_name'),
      },
    });
    this.workshopName = props.workshopName;
    this.workshopContent = props.workshopContent ?? {};
    this.kubernetesAccess = props.kubernetesAccess ?? true;
    this.environmentAccess = props.environmentAccess ?? false;
    const memory = props.workshopMemory ?? '512Mi';
    const cpu = props.workshopCpu ?? '500m';
    checkQuantity(this.node.path, 'workshopMemory', memory);
    checkQuantity(this.node.path, 'workshopCpu', cpu);
    if (props.storage !== undefined) checkQuantity(this.node.path, 'storage', props.storage);
    if (props.storageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(props.storageClass)) {
      throw new Error(
        `${this.node.path}: 'storageClass' (${JSON.stringify(props.storageClass)}) must be the name of a StorageClass (a DNS-1123 subdomain)`,
      );
    }

    checkSessionPolicy(this.node.path, 'securityPolicy', props.securityPolicy);
    this.primaryNamespace = new SessionNamespace(this, 'Namespace', { ...props, name: variable('session_namespace'), primary: true });

    this.environmentPolicy = props.environmentSecurityPolicy ?? SecurityPolicy.RESTRICTED;
    const names = workshopPodNames(variable('session_name'));
    const environmentNamespace = variable('workshop_namespace');
    // Objects of the session in the environment namespace go when its WorkshopSession goes.
    const ownedBySession: k8s.OwnerReference[] = [
      {
        apiVersion: API_VERSION,
        kind: 'WorkshopSession',
        name: variable('session_name'),
        uid: variable('workshop_session_uid'),
        blockOwnerDeletion: false,
      },
    ];
    const inEnvironment = (name: string): k8s.ObjectMeta => ({ name, namespace: environmentNamespace, ownerReferences: ownedBySession });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: inEnvironment(this.serviceAccountName),
      automountServiceAccountToken: false,
    });
    this.addPortalAccess(this.primaryNamespace);

    if (this.environmentAccess) {
      new k8s.KubeRoleBinding(this, 'EnvironmentAccess', {
        metadata: inEnvironment(`${variable('session_name')}-environment-view`),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SessionRole.VIEW.clusterRoleName },
        subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: environmentNamespace }],
      });
    }

    // Per-session credentials, kept out of the pod spec and out of the learner's namespaces.
    new k8s.KubeSecret(this, 'SessionSecret', {
      metadata: inEnvironment(names.secret),
      type: 'Opaque',
      stringData: { SERVICES_PASSWORD: variable('services_password'), CONFIG_PASSWORD: variable('config_password') },
    });

    new k8s.KubeConfigMap(this, 'DashboardConfig', {
      metadata: inEnvironment(names.configMap),
      data: Lazy.any({
        produce: (): Record<string, string> => ({
          'dashboard.json': JSON.stringify(this.dashboardSettings(props.workshopTitle), null, 2),
          ...(this.kubernetesAccess ? { kubeconfig: sessionKubeconfig() } : {}),
        }),
      }) as Record<string, string>,
    });

    const selector = { 'app.kubernetes.io/name': 'workshop', [Labels.SESSION]: variable('session_name') };
    const image = props.workshopImage ?? projectImage(this, 'session-dashboard');
    // The dashboard (the session's credentials, the portal, the page) and the learner (terminals, set-up, examiner
    // tests, the ServiceAccount's token) in two containers under two user ids, with no shared process namespace:
    // the learner cannot see, signal or read the dashboard's process, and the dashboard holds no cluster token.
    // They meet on the agent's socket (src/dashboard/agent/).
    this._containers.push({
      name: 'dashboard',
      image,
      imagePullPolicy: 'IfNotPresent',
      ports: [{ name: 'http', containerPort: DASHBOARD_PORT }],
      envFrom: [{ secretRef: { name: names.secret } }],
      resources: { requests: { cpu: '25m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      readinessProbe: { httpGet: { path: '/healthz', port: DASHBOARD_PORT }, periodSeconds: 5 },
      livenessProbe: { httpGet: { path: '/healthz', port: DASHBOARD_PORT }, periodSeconds: 20, failureThreshold: 6 },
      securityContext: { ...restrictedContainer(), runAsUser: DASHBOARD_UID, runAsGroup: DASHBOARD_UID },
      volumeMounts: Lazy.any({
        produce: (): VolumeMount[] => [
          { name: 'workshop-dashboard', mountPath: DASHBOARD_CONFIG_DIR, readOnly: true },
          { name: 'workshop-agent', mountPath: '/var/run/workshop-agent' },
          { name: 'workshop-content', mountPath: PULLED_CONTENT_DIR },
          ...this._dashboardMounts,
        ],
      }),
    });
    this._containers.push({
      name: 'workshop',
      image,
      imagePullPolicy: 'IfNotPresent',
      command: ['node', '/opt/dashboard/lib/apps/session-agent.js'],
      workingDir: '/home/workshop',
      resources: { requests: { cpu: cpuRequest(cpu), memory }, limits: { cpu, memory } },
      securityContext: restrictedContainer(),
      volumeMounts: Lazy.any({
        produce: (): VolumeMount[] => [
          { name: 'workshop-home', mountPath: '/home/workshop' },
          { name: 'workshop-dashboard', mountPath: DASHBOARD_CONFIG_DIR, readOnly: true },
          { name: 'workshop-agent', mountPath: '/var/run/workshop-agent' },
          { name: 'workshop-content', mountPath: PULLED_CONTENT_DIR, readOnly: true },
          ...(this.kubernetesAccess ? [{ name: 'workshop-token', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true }] : []),
          ...this._learnerMounts,
        ],
      }),
    });
    const homeClaim = `${variable('session_name')}-home`;
    if (props.storage !== undefined) {
      // D (issue 11): the learner's home on a claim of its own, owned by the session like the rest here
      new k8s.KubePersistentVolumeClaim(this, 'Home', {
        metadata: inEnvironment(homeClaim),
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(props.storage) } },
          ...(props.storageClass ? { storageClassName: props.storageClass } : {}),
        },
      });
    }
    this._volumes.push(
      props.storage !== undefined
        ? { name: 'workshop-home', persistentVolumeClaim: { claimName: homeClaim } }
        : { name: 'workshop-home', emptyDir: {} },
      { name: 'workshop-dashboard', configMap: { name: names.configMap } },
      { name: 'workshop-agent', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { name: 'workshop-content', emptyDir: {} },
    );
    if (this.kubernetesAccess) {
      // What the ServiceAccount admission would mount into every container, mounted into the learner's only.
      this._volumes.push({
        name: 'workshop-token',
        projected: {
          defaultMode: 0o444,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      });
    }

    new k8s.KubeDeployment(this, 'Workshop', {
      metadata: { ...inEnvironment(names.deployment), labels: selector },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: Lazy.any({ produce: (): Record<string, string> => ({ ...selector, ...this._podLabels }) }) as Record<string, string> },
          spec: {
            serviceAccountName: this.serviceAccountName,
            // the token goes into the learner's container only (the `workshop-token` volume), never the dashboard's
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' }, fsGroup: WORKSHOP_UID },
            containers: Lazy.any({
              produce: (): k8s.Container[] => this._containers.map((c) => k8sContainer({ ...c, env: this.containerEnv(c) })),
            }) as k8s.Container[],
            volumes: Lazy.any({ produce: (): k8s.Volume[] => this._volumes.map(k8sVolume) }) as k8s.Volume[],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: inEnvironment(names.service),
      spec: { selector, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromNumber(DASHBOARD_PORT) }] },
    });

    // The environment namespace holds every session's workshop pod: only the session's own namespaces and what is
    // no session nor environment (the ingress controller, the portal) may reach this one.
    new k8s.KubeNetworkPolicy(this, 'WorkshopIsolation', {
      metadata: inEnvironment(names.networkPolicy),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { [Labels.SESSION]: variable('session_name') } } },
              { namespaceSelector: { matchExpressions: [{ key: Labels.COMPONENT, operator: 'NotIn', values: ['session', 'environment'] }] } },
            ],
          },
        ],
      },
    });

    new k8s.KubeIngress(this, 'Ingress', {
      metadata: { ...inEnvironment(names.ingress), annotations: { ...WEBSOCKET_TIMEOUTS } },
      spec: {
        rules: Lazy.any({
          produce: (): k8s.IngressRule[] => [
            ingressRule(`${this.vars.sessionName}.${this.vars.ingressDomain}`, names.service, 80),
            ...this._routes.filter((route) => !route.service).map((route) => ingressRule(route.host, names.service, 80)),
          ],
        }) as k8s.IngressRule[],
      },
    });
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);
    for (const capability of props.capabilities ?? []) this.addCapability(capability);
  }

  /** The capabilities added so far. Returns a copy; to add one, use `addCapability()`. */
  public get capabilities(): Capability[] {
    return [...this._capabilities];
  }

  /** Secondary namespaces. Returns a copy; to add one, use `addNamespace()`. */
  public get secondaryNamespaces(): SessionNamespace[] {
    return [...this._secondary];
  }

  /** Secrets copied into the session namespace. Returns a copy; to add one, use `injectSecret()`. */
  public get injectedSecrets(): InjectedSecret[] {
    return [...this._injectedSecrets];
  }

  /** Routes of the session. Returns a copy; to add one, use `addRoute()`. */
  public get routes(): BoundRoute[] {
    return [...this._routes];
  }

  /** The workshop pod's containers. Returns a copy; to add one, use `addContainer()`. */
  public get containers(): WorkshopContainer[] {
    return this._containers.map((c) => ({ ...c }));
  }

  /** The security policy of the primary namespace. (The workshop pod runs in the environment namespace: see `environmentPolicy`.) */
  public get securityPolicy() {
    return this.primaryNamespace.securityPolicy;
  }

  /** Adds a capability; throws when one of the same name is already there or the security policy forbids it. */
  public addCapability(capability: Capability): void {
    if (this._capabilities.some((c) => c.name === capability.name)) {
      throw new Error(`${this.node.path}: capability '${capability.name}' is added twice`);
    }
    if (!this.environmentPolicy.allows(capability.requiredPolicy)) {
      throw new Error(
        `${this.node.path}: capability '${capability.name}' needs the '${capability.requiredPolicy.name}' security policy in the environment namespace, ` +
          `where the workshop pod runs, but it enforces '${this.environmentPolicy.name}': ` +
          `set environmentSecurityPolicy: SecurityPolicy.${capability.requiredPolicy.name.toUpperCase()} (learners cannot create pods there)`,
      );
    }
    this._capabilities.push(capability);
    this._podLabels[`${Labels.CAPABILITY}.${capability.name}`] = 'true';
    capability.bind(this);
  }

  /** True when a capability of this name was added. */
  public hasCapability(name: string): boolean {
    return this._capabilities.some((c) => c.name === name);
  }

  /** Adds a container to the workshop pod. */
  public addContainer(container: WorkshopContainer): void {
    if (this._containers.some((c) => c.name === container.name)) {
      throw new Error(`${this.node.path}: the workshop pod already has a container named '${container.name}'`);
    }
    this._containers.push(container);
  }

  /** Adds a volume to the workshop pod. */
  public addVolume(volume: WorkshopVolume): void {
    if (this._volumes.some((v) => v.name === volume.name)) {
      throw new Error(`${this.node.path}: the workshop pod already has a volume named '${volume.name}'`);
    }
    this._volumes.push(volume);
  }

  /** Mounts a volume of the workshop pod into the dashboard container (the dashboard process, not the learner's). */
  public addDashboardMount(mount: { name: string; mountPath: string; readOnly?: boolean }): void {
    this._dashboardMounts.push({ ...mount });
  }

  /** Mounts a volume of the workshop pod into the learner's container `workshop` (terminals, set-up, examiner tests). */
  public addLearnerMount(mount: { name: string; mountPath: string; readOnly?: boolean }): void {
    this._learnerMounts.push({ ...mount });
  }

  /**
   * An environment variable of the dashboard container only (never the learner's), from a Secret of the
   * environment namespace: e.g. the content source's credentials.
   */
  public addDashboardSecretEnv(name: string, secretName: string, key: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${this.node.path}: environment variable name '${name}' must be letters, digits and '_', not starting with a digit`);
    }
    if (this._dashboardEnv.some((e) => e.name === name)) throw new Error(`${this.node.path}: dashboard secret variable '${name}' is added twice`);
    this._dashboardEnv.push({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  }

  /** Adds an environment variable to the learner's terminals (the `workshop` container; the `dashboard` container too). */
  public addEnv(name: string, value: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${this.node.path}: environment variable name '${name}' must be letters, digits and '_', not starting with a digit`);
    }
    this._env[name] = value;
  }

  /** Adds a tab to the session dashboard. */
  public addDashboardTab(tab: DashboardTab): void {
    if (this._tabs.some((t) => t.name === tab.name)) {
      throw new Error(`${this.node.path}: the dashboard already has a tab named '${tab.name}'`);
    }
    this._tabs.push({ ...tab });
  }

  /**
   * Gives something in the session a host of its own, `<name>-<session>.<ingress domain>`, and returns where it is.
   * Throws when another route already uses the name.
   */
  public addRoute(route: SessionRoute): BoundRoute {
    checkDnsLabel(this.node.path, 'route name', route.name, 20);
    if (route.name === 'workshop' || this._routes.some((r) => r.name === route.name)) {
      throw new Error(
        `${this.node.path}: ingress host '${route.name}-${variable('session_name')}' collides with another route named '${route.name}'`,
      );
    }
    if (!Number.isInteger(route.port) || route.port < 1 || route.port > 65535) {
      throw new Error(`${this.node.path}: route '${route.name}' port ${route.port} must be a whole number from 1 to 65535`);
    }
    const host = this.vars.hostFor(route.name);
    const bound: BoundRoute = { ...route, host, url: `${this.vars.ingressProtocol}://${host}/` };
    this._routes.push(bound);
    if (route.service && !this.serviceRoutes) {
      // A route to a Service of the session goes through an Ingress beside that Service (an Ingress reaches only
      // the Services of its own namespace); the workshop pod's Ingress, in the environment namespace, has the rest.
      this.serviceRoutes = new k8s.KubeIngress(this, 'ServiceRoutes', {
        metadata: { name: 'session-routes', annotations: { ...WEBSOCKET_TIMEOUTS } },
        spec: {
          rules: Lazy.any({
            produce: (): k8s.IngressRule[] => this._routes.filter((r) => r.service).map((r) => ingressRule(r.host, r.service!, r.port)),
          }) as k8s.IngressRule[],
        },
      });
    }
    return bound;
  }

  /** Sets a value in the dashboard's settings (`dashboard.json`), under the capability's name. */
  public setDashboardSetting(key: string, value: unknown): void {
    this._settings[key] = value;
  }

  /**
   * Adds a secondary namespace `<session namespace>-<suffix>` with its own budget, role and policy.
   * Per-session objects go into it with `metadata.namespace: ns.name`.
   */
  public addNamespace(suffix: string, options: SessionNamespaceOptions = {}): SessionNamespace {
    checkDnsLabel(this.node.path, 'secondary namespace suffix', suffix, 12);
    checkSessionPolicy(`${this.node.path} namespace '${suffix}'`, 'securityPolicy', options.securityPolicy);
    if (this._secondary.some((ns) => ns.node.id === `Namespace-${suffix}`)) {
      throw new Error(`${this.node.path}: secondary namespace '${suffix}' is added twice`);
    }
    const ns = new SessionNamespace(this, `Namespace-${suffix}`, {
      ...options,
      name: `${variable('session_namespace')}-${suffix}`,
      primary: false,
    });
    this._secondary.push(ns);
    this.addPortalAccess(ns);
    return ns;
  }

  /**
   * Copies a Secret into the session namespace when the session is created.
   *
   * @param fromNamespace where it is copied from @default - the environment namespace
   */
  public injectSecret(name: string, fromNamespace = variable('workshop_namespace')): void {
    this._injectedSecrets.push({ name, namespace: fromNamespace });
  }

  /**
   * Gives the portal, in one session namespace, the rights it needs to fill it: its session ClusterRole, bound by a
   * RoleBinding the runtime creates right after the namespace. Nothing else gives the portal rights there.
   */
  private addPortalAccess(ns: SessionNamespace): void {
    new k8s.KubeRoleBinding(ns, 'PortalAccess', {
      metadata: { name: PORTAL_ACCESS_BINDING, namespace: ns.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: portalSessionRoleName(variable('training_portal')) },
      subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace: variable('portal_namespace') }],
    });
  }

  private containerEnv(container: WorkshopContainer): EnvVar[] | undefined {
    const base = container.env ?? [];
    if (container.name !== 'dashboard' && container.name !== 'workshop') return base.length ? base : undefined;
    const dashboard = container.name === 'dashboard';
    const standard: Record<string, string> = {
      SESSION_NAME: variable('session_name'),
      SESSION_NAMESPACE: variable('session_namespace'),
      SESSION_URL: variable('session_url'),
      SESSION_HOSTNAME: variable('session_hostname'),
      WORKSHOP_NAME: variable('workshop_name'),
      WORKSHOP_NAMESPACE: variable('workshop_namespace'),
      ENVIRONMENT_NAME: variable('environment_name'),
      TRAINING_PORTAL: variable('training_portal'),
      PORTAL_API_URL: `http://training-portal.${variable('portal_namespace')}.svc.${variable('cluster_domain')}`,
      INGRESS_DOMAIN: variable('ingress_domain'),
      INGRESS_PROTOCOL: variable('ingress_protocol'),
      DASHBOARD_PORT: String(DASHBOARD_PORT),
      // kubectl and friends work on the session namespace, not on the pod's own (the environment namespace)
      ...(this.kubernetesAccess ? { KUBECONFIG: `${DASHBOARD_CONFIG_DIR}/kubeconfig` } : {}),
      WORKSHOP_AGENT_SOCKET: AGENT_SOCKET_PATH,
      ...(dashboard ? { WORKSHOP_PULLED_DIR: PULLED_CONTENT_DIR } : {}),
      ...this._env,
    };
    return [...Object.entries(standard).map(([name, value]) => ({ name, value })), ...(dashboard ? this._dashboardEnv : []), ...base];
  }

  private dashboardSettings(title: string) {
    return {
      workshop: { name: this.workshopName, title },
      content: this.workshopContent,
      capabilities: this._capabilities.map((c) => c.name),
      tabs: this._tabs,
      routes: this._routes.map((r) => ({ name: r.name, host: r.host, port: r.port, service: r.service, authenticated: r.authenticated ?? true })),
      settings: this._settings,
    };
  }
}

/** The security context every workshop container gets unless it needs more: passes the `restricted` level. */
export function restrictedContainer() {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    runAsUser: WORKSHOP_UID,
    runAsGroup: WORKSHOP_UID,
  };
}

/** Terminals and editors hold websockets open for as long as the learner works. */
const WEBSOCKET_TIMEOUTS = {
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
  'projectcontour.io/websocket-routes': '/',
  'projectcontour.io/response-timeout': '3600s',
};

/**
 * The kubeconfig of the dashboard container: the pod's own ServiceAccount token, with the session namespace as the
 * default namespace (the token's namespace is the environment's, where the learner may do nothing).
 */
function sessionKubeconfig(): string {
  const account = '/var/run/secrets/kubernetes.io/serviceaccount';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: cluster',
    '  cluster:',
    `    server: https://kubernetes.default.svc.${variable('cluster_domain')}`,
    `    certificate-authority: ${account}/ca.crt`,
    'users:',
    `- name: ${variable('service_account')}`,
    '  user:',
    `    tokenFile: ${account}/token`,
    'contexts:',
    '- name: session',
    '  context:',
    '    cluster: cluster',
    `    user: ${variable('service_account')}`,
    `    namespace: ${variable('session_namespace')}`,
    'current-context: session',
    '',
  ].join('\n');
}

/** Session namespaces never allow what the `baseline` level refuses: the learner creates pods in them. */
function checkSessionPolicy(where: string, field: string, policy?: SecurityPolicy): void {
  if (policy && !SecurityPolicy.BASELINE.allows(policy)) {
    throw new Error(
      `${where}: '${field}' (${policy.name}) is not allowed for a session namespace, where the learner creates pods: allowed are restricted, baseline. ` +
        `Capabilities that need privileged pods (docker) run in the workshop pod in the environment namespace: set environmentSecurityPolicy instead`,
    );
  }
}

function ingressRule(host: string, service: string, port: number): k8s.IngressRule {
  return { host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } };
}

/** A tenth of a CPU limit, as a request (at least 1m). */
function cpuRequest(limit: string): string {
  return `${Math.max(1, Math.round(parseQuantity(limit) * 100))}m`;
}

function checkQuantity(where: string, field: string, value: string): void {
  if (!isQuantity(value)) throw new Error(`${where}: '${field}' (${JSON.stringify(value)}) must be a Kubernetes quantity such as 500m or 512Mi`);
}
