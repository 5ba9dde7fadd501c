import type { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import { AdmissionRule, exceptionLabels, INGRESS_DOMAIN_ANNOTATION } from './admission-policies.js';
import type { Budget } from './budget.js';
import { Annotations, API_VERSION, Labels } from './names.js';
import { SecurityPolicy } from './security-policy.js';
import { SessionRole } from './session-role.js';
import { variable } from './variables.js';

/**
 * Cloud metadata endpoints that sessions may not reach unless the author allows it: the link-local instance
 * metadata service of AWS, GCP, Azure, OpenStack and others (169.254.169.254, and AWS' IPv6 fd00:ec2::254), the
 * AWS ECS task metadata and credentials endpoint (169.254.170.2) and Alibaba Cloud's (100.100.100.200).
 */
export const METADATA_CIDRS = ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128'];

export interface SessionNamespaceOptions {
  /**
   * How much the namespace may use.
   * @default - no quota or limit range (Educates' default)
   */
  readonly budget?: Budget;
  /**
   * The access the session's ServiceAccount gets in the namespace.
   * @default SessionRole.ADMIN
   */
  readonly role?: SessionRole;
  /**
   * The Pod Security Standard the namespace enforces: `restricted` or `baseline`. Session namespaces are never
   * `privileged` (the portal's admission policy refuses such a namespace): what needs privileges, such as a docker
   * daemon, runs in the environment namespace, where learners cannot create pods.
   * @default SecurityPolicy.RESTRICTED
   */
  readonly securityPolicy?: SecurityPolicy;
  /**
   * Egress destinations (CIDRs) blocked for pods in the namespace; `[]` blocks nothing. Replaces the default list,
   * so to block more, pass `[...METADATA_CIDRS, '10.0.0.0/8']`.
   * @default METADATA_CIDRS - the cloud metadata endpoints 169.254.169.254/32, 169.254.170.2/32 (AWS ECS),
   * 100.100.100.200/32 (Alibaba Cloud) and fd00:ec2::254/128 (AWS IPv6)
   */
  readonly blockedEgressCidrs?: string[];
  /**
   * Admission rules relaxed in this namespace, e.g. `[AdmissionRule.NODE_PORT_SERVICES]` for a workshop about
   * NodePort Services. Each becomes a label `training.cdk8s-workshops.dev/admission-exception.<rule>: "true"` on the
   * namespace, which that rule's ValidatingAdmissionPolicyBinding does not select; everything else stays refused.
   * Applies to this namespace only (secondary namespaces take their own).
   * @default - none: every rule of AdmissionRule.all() holds
   */
  readonly admissionExceptions?: AdmissionRule[];
}

export interface SessionNamespaceProps extends SessionNamespaceOptions {
  /** The namespace name, containing `$(session_namespace)`. */
  readonly name: string;
  /** Whether this is the session's primary namespace (owned by the WorkshopSession) or a secondary one (owned by the primary). */
  readonly primary: boolean;
}

/**
 * One namespace of a session with everything that isolates it: Pod Security labels, a RoleBinding of the session's
 * ServiceAccount, a NetworkPolicy that admits no traffic from other sessions and blocks the metadata endpoints,
 * the budget's LimitRange and ResourceQuotas, and the labels and annotations the admission policies of
 * `dist/cluster` read (portal, ingress domain, relaxed rules; see admission-policies.ts).
 */
export class SessionNamespace extends Construct {
  /** The namespace's name (with session variables). */
  public readonly name: string;
  public readonly budget?: Budget;
  public readonly role: SessionRole;
  public readonly securityPolicy: SecurityPolicy;
  public readonly blockedEgressCidrs: string[];
  /** Admission rules relaxed in this namespace. */
  public readonly admissionExceptions: AdmissionRule[];
  /** The Namespace object. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: SessionNamespaceProps) {
    super(scope, id);
    this.name = props.name;
    this.budget = props.budget;
    this.role = props.role ?? SessionRole.ADMIN;
    this.securityPolicy = props.securityPolicy ?? SecurityPolicy.RESTRICTED;
    this.blockedEgressCidrs = [...(props.blockedEgressCidrs ?? METADATA_CIDRS)];
    for (const cidr of this.blockedEgressCidrs) checkCidr(this.node.path, cidr);
    this.admissionExceptions = [...new Set(props.admissionExceptions ?? [])];
    if (this.securityPolicy === SecurityPolicy.PRIVILEGED) {
      // checked at synthesis, so that a capability can still move its privileged parts out of the namespace first
      this.node.addValidation({
        validate: () => [
          `session namespace '${this.name}': 'securityPolicy' (${this.securityPolicy.name}) must be restricted or baseline: ` +
            `learners own their session namespaces, so a privileged one would let them take over the node (run privileged parts in the environment namespace)`,
        ],
      });
    }
    const figures = this.budget?.figures;
    if (figures) {
      for (const [rule, field, count] of [
        [AdmissionRule.NODE_PORT_SERVICES, 'nodePortServices', figures.nodePortServices],
        [AdmissionRule.LOAD_BALANCER_SERVICES, 'loadBalancerServices', figures.loadBalancerServices],
      ] as const) {
        if (this.admissionExceptions.includes(rule) && count === 0) {
          throw new Error(
            `${this.node.path}: admissionExceptions relaxes '${rule.name}', but budget '${this.budget!.name}' allows 0 of them ` +
              `(services.${field === 'nodePortServices' ? 'nodeports' : 'loadbalancers'}): override '${field}' in the budget too`,
          );
        }
      }
    }

    const owner = props.primary
      ? { apiVersion: API_VERSION, kind: 'WorkshopSession', name: variable('session_name'), uid: variable('workshop_session_uid') }
      : { apiVersion: 'v1', kind: 'Namespace', name: variable('session_namespace'), uid: variable('session_namespace_uid') };
    this.apiObject = new k8s.KubeNamespace(this, 'Resource', {
      metadata: {
        name: this.name,
        labels: {
          [Labels.POLICY]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE_VERSION]: 'latest',
          [Labels.PSA_WARN]: this.securityPolicy.name,
          [Labels.PSA_AUDIT]: this.securityPolicy.name,
          // the portal's admission policy lets a portal write only in its own session namespaces
          [Labels.PORTAL]: variable('training_portal'),
          ...exceptionLabels(this.admissionExceptions),
        },
        annotations: {
          // the Ingress admission rule reads the domain of the session's hosts from here
          [INGRESS_DOMAIN_ANNOTATION]: variable('ingress_domain'),
          ...(this.budget ? { [Annotations.BUDGET]: this.budget.name } : {}),
        },
        ownerReferences: [{ ...owner, controller: props.primary, blockOwnerDeletion: false }],
      },
    });

    if (this.role !== SessionRole.CUSTOM) {
      new k8s.KubeRoleBinding(this, 'RoleBinding', {
        metadata: { name: 'workshop-session-role', namespace: this.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.role.clusterRoleName },
        // the session's ServiceAccount lives beside the workshop pod, in the environment namespace
        subjects: [{ kind: 'ServiceAccount', name: variable('service_account'), namespace: variable('workshop_namespace') }],
      });
    }

    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: 'workshop-isolation', namespace: this.name },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              // pods of the same session, in any of its namespaces
              { namespaceSelector: { matchLabels: { [Labels.SESSION]: variable('session_name') } } },
              // the session's own workshop pod, which lives in the environment namespace beside the other sessions'
              // (so not the whole environment namespace: another learner's terminal is there too)
              {
                namespaceSelector: { matchLabels: { [Labels.COMPONENT]: 'environment' } },
                podSelector: { matchLabels: { [Labels.SESSION]: variable('session_name') } },
              },
              // everything that is neither a session nor an environment: the portal, the ingress controller
              { namespaceSelector: { matchExpressions: [{ key: Labels.COMPONENT, operator: 'NotIn', values: ['session', 'environment'] }] } },
            ],
          },
        ],
        egress: egressRules(this.blockedEgressCidrs),
      },
    });

    if (figures) {
      const compute = quantities({ 'limits.cpu': figures.quotaCpu, 'limits.memory': figures.quotaMemory });
      new k8s.KubeLimitRange(this, 'LimitRange', {
        metadata: { name: 'resource-limits', namespace: this.name, annotations: { [Annotations.BUDGET]: this.budget!.name } },
        spec: {
          limits: [
            {
              type: 'Pod',
              min: quantities({ cpu: figures.containerMinCpu, memory: figures.containerMinMemory }),
              max: quantities({ cpu: figures.podMaxCpu, memory: figures.podMaxMemory }),
            },
            {
              type: 'Container',
              min: quantities({ cpu: figures.containerMinCpu, memory: figures.containerMinMemory }),
              max: quantities({ cpu: figures.containerMaxCpu, memory: figures.containerMaxMemory }),
              default: quantities({ cpu: figures.containerDefaultCpu, memory: figures.containerDefaultMemory }),
              defaultRequest: quantities({ cpu: figures.containerDefaultRequestCpu, memory: figures.containerDefaultRequestMemory }),
            },
            {
              type: 'PersistentVolumeClaim',
              min: quantities({ storage: figures.claimMinStorage }),
              max: quantities({ storage: figures.claimMaxStorage }),
            },
          ],
        },
      });
      const quota = (id: string, name: string, spec: k8s.ResourceQuotaSpec) =>
        new k8s.KubeResourceQuota(this, id, {
          metadata: { name, namespace: this.name, annotations: { [Annotations.BUDGET]: this.budget!.name } },
          spec,
        });
      quota('ComputeQuota', 'compute-resources', { hard: compute, scopes: ['NotTerminating'] });
      quota('TimeboundQuota', 'compute-resources-timebound', { hard: compute, scopes: ['Terminating'] });
      quota('ObjectQuota', 'object-counts', {
        hard: quantities({
          configmaps: String(figures.configMaps),
          'count/deployments.apps': String(figures.deployments),
          persistentvolumeclaims: String(figures.persistentVolumeClaims),
          pods: String(figures.pods),
          replicationcontrollers: String(figures.replicationControllers),
          secrets: String(figures.secrets),
          services: String(figures.services),
          'services.loadbalancers': String(figures.loadBalancerServices),
          'services.nodeports': String(figures.nodePortServices),
        }),
      });
    }
  }
}

function egressRules(blocked: string[]): k8s.NetworkPolicyEgressRule[] {
  const v4 = blocked.filter((cidr) => !cidr.includes(':'));
  const v6 = blocked.filter((cidr) => cidr.includes(':'));
  return [
    // every pod in the cluster (other sessions' own policies refuse what they must)
    { to: [{ namespaceSelector: {} }] },
    // everything outside the cluster but the blocked destinations
    {
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', ...(v4.length ? { except: v4 } : {}) } },
        { ipBlock: { cidr: '::/0', ...(v6.length ? { except: v6 } : {}) } },
      ],
    },
  ];
}

/** A manifest's quantities (`'500m'`, `'1Gi'`, counts) as the typed L1 classes take them. */
function quantities(values: Record<string, string>): Record<string, k8s.Quantity> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, k8s.Quantity.fromString(value)]));
}

function checkCidr(where: string, cidr: string): void {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (v4 && v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32 && Number(v4[5]) > 0) return;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
  if (v6 && v6[1].includes(':') && Number(v6[2]) <= 128 && Number(v6[2]) > 0) return;
  throw new Error(
    `${where}: 'blockedEgressCidrs' entry '${cidr}' is not a CIDR such as 169.254.169.254/32 or fd00:ec2::254/128 (the prefix must be at least 1)`,
  );
}
