import { k8s } from 'cdk8s-plus-28';

import { Labels, MANAGED_BY } from './names.js';

/** One RBAC rule, in the shape of a Kubernetes PolicyRule. */
export interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
  readonly verbs: string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/** What every session role may read in its namespace (the built-in `view` role, without Secrets). */
const VIEW_RULES: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'pods/log',
      'pods/status',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'replicationcontrollers/status',
      'serviceaccounts',
      'services',
      'services/status',
      'events',
      'limitranges',
      'resourcequotas',
      'resourcequotas/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['apps'],
    resources: [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
];

/** What `edit` adds: changing workloads and their configuration. NetworkPolicies, quotas and limits stay read-only. */
const EDIT_RULES: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'secrets',
    ],
    verbs: WRITE,
  },
  { apiGroups: [''], resources: ['secrets'], verbs: READ },
  { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'services/proxy'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  {
    apiGroups: ['apps'],
    resources: [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: WRITE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: WRITE },
];

/**
 * What `admin` adds: Roles and RoleBindings in the namespace. Without the `bind` and `escalate` verbs, Kubernetes
 * lets a session grant only permissions it already holds, so it can never raise its own.
 */
const ADMIN_RULES: PolicyRule[] = [
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
];

/**
 * The access a session's ServiceAccount gets in its own namespace. The roles are Kubernetes' `admin`, `edit` and
 * `view` without write access to NetworkPolicies, ResourceQuotas and LimitRanges, and without `bind`/`escalate`,
 * so a learner can neither leave the session's isolation nor raise their own permissions.
 */
export class SessionRole {
  public static readonly ADMIN = new SessionRole('admin', [...VIEW_RULES, ...EDIT_RULES, ...ADMIN_RULES]);
  public static readonly EDIT = new SessionRole('edit', [...VIEW_RULES, ...EDIT_RULES]);
  public static readonly VIEW = new SessionRole('view', VIEW_RULES);
  /** No binding: the author grants access with their own Role and RoleBinding in the session scope. */
  public static readonly CUSTOM = new SessionRole('custom', []);

  /** The role with a name (`admin`, `edit`, `view`, `custom`). */
  public static fromName(name: string): SessionRole {
    const found = SessionRole.all().find((r) => r.name === name);
    if (!found) throw new Error(`unknown session role '${name}': allowed are admin, edit, view, custom`);
    return found;
  }

  /** Every role with a ClusterRole behind it. */
  public static bindable(): SessionRole[] {
    return [SessionRole.ADMIN, SessionRole.EDIT, SessionRole.VIEW];
  }

  private static all(): SessionRole[] {
    return [...SessionRole.bindable(), SessionRole.CUSTOM];
  }

  private constructor(
    public readonly name: 'admin' | 'edit' | 'view' | 'custom',
    private readonly rules: PolicyRule[],
  ) {}

  /** Name of the ClusterRole that RoleBindings in session namespaces refer to. */
  public get clusterRoleName(): string {
    return `${MANAGED_BY}-session-${this.name}`;
  }

  /** The ClusterRole manifest behind this role (cluster-wide, shared by every portal). */
  public toClusterRole(): Record<string, unknown> {
    return k8s.KubeClusterRole.manifest({
      metadata: { name: this.clusterRoleName, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.COMPONENT]: 'session' } },
      rules: this.rules.map(k8sPolicyRule),
    });
  }
}

/** A rule as the typed L1 classes take it: they spell `nonResourceURLs` `nonResourceUrLs` (and write it back right). */
export function k8sPolicyRule({ nonResourceURLs, ...rule }: PolicyRule): k8s.PolicyRule {
  return { ...rule, nonResourceUrLs: nonResourceURLs };
}

/**
 * The parts of `rule` that no rule of `held` grants, as `verb group/resource[/name]` strings (empty when `held`
 * covers it all). Kubernetes refuses to let anyone create a Role or ClusterRole with a permission they do not hold
 * themselves unless they may `escalate`; this is the same comparison, made at synth time.
 */
export function uncoveredPermissions(held: PolicyRule[], rule: PolicyRule): string[] {
  const missing: string[] = [];
  if (rule.nonResourceURLs?.length) {
    for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) missing.push(`${verb} ${url}`);
  }
  const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        for (const name of names) {
          const granted = held.some(
            (h) =>
              !h.nonResourceURLs?.length &&
              matches(h.apiGroups ?? [], group) &&
              matches(h.resources ?? [], resource) &&
              matches(h.verbs, verb) &&
              (!h.resourceNames?.length || (name !== undefined && h.resourceNames.includes(name))),
          );
          if (!granted) missing.push(`${verb} ${group || 'core'}/${resource}${name ? `/${name}` : ''}`);
        }
      }
    }
  }
  return missing;
}

function matches(allowed: string[], value: string): boolean {
  return allowed.includes('*') || allowed.includes(value);
}
