import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Budget } from './budget.js';
import { Annotations, API_VERSION, Labels } from './names.js';
import { SecurityPolicy } from './security-policy.js';
import { SessionRole } from './session-role.js';
import { variable } from './variables.js';

/** Cloud metadata endpoints that sessions may not reach unless the author allows it. */
export const METADATA_CIDRS = ['169.254.169.254/32', 'fd00:ec2::254/128'];

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
   * The Pod Security Standard the namespace enforces.
   * @default SecurityPolicy.RESTRICTED
   */
  readonly securityPolicy?: SecurityPolicy;
  /**
   * Egress destinations (CIDRs) blocked for pods in the namespace; `[]` blocks nothing.
   * @default - the cloud metadata endpoints 169.254.169.254/32 and fd00:ec2::254/128
   */
  readonly blockedEgressCidrs?: string[];
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
 * and the budget's LimitRange and ResourceQuotas.
 */
export class SessionNamespace extends Construct {
  /** The namespace's name (with session variables). */
  public readonly name: string;
  public readonly budget?: Budget;
  public readonly role: SessionRole;
  public readonly securityPolicy: SecurityPolicy;
  public readonly blockedEgressCidrs: string[];
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

    const owner = props.primary
      ? { apiVersion: API_VERSION, kind: 'WorkshopSession', name: variable('session_name'), uid: variable('workshop_session_uid') }
      : { apiVersion: 'v1', kind: 'Namespace', name: variable('session_namespace'), uid: variable('session_namespace_uid') };
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: this.name,
        labels: {
          [Labels.POLICY]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE_VERSION]: 'latest',
          [Labels.PSA_WARN]: this.securityPolicy.name,
          [Labels.PSA_AUDIT]: this.securityPolicy.name,
        },
        annotations: this.budget ? { [Annotations.BUDGET]: this.budget.name } : undefined,
        ownerReferences: [{ ...owner, controller: props.primary, blockOwnerDeletion: false }],
      },
    });

    if (this.role !== SessionRole.CUSTOM) {
      new ApiObject(this, 'RoleBinding', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'workshop-session-role', namespace: this.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.role.clusterRoleName },
        subjects: [{ kind: 'ServiceAccount', name: variable('service_account'), namespace: variable('session_namespace') }],
      });
    }

    new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'workshop-isolation', namespace: this.name },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{
          from: [
            // pods of the same session, in any of its namespaces
            { namespaceSelector: { matchLabels: { [Labels.SESSION]: variable('session_name') } } },
            // everything that is not a session: the portal, the ingress controller, the environment's shared services
            { namespaceSelector: { matchExpressions: [{ key: Labels.COMPONENT, operator: 'NotIn', values: ['session'] }] } },
          ],
        }],
        egress: egressRules(this.blockedEgressCidrs),
      },
    });

    const figures = this.budget?.figures;
    if (figures) {
      const compute = { 'limits.cpu': figures.quotaCpu, 'limits.memory': figures.quotaMemory };
      new ApiObject(this, 'LimitRange', {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'resource-limits', namespace: this.name, annotations: { [Annotations.BUDGET]: this.budget!.name } },
        spec: {
          limits: [
            { type: 'Pod', min: { cpu: figures.containerMinCpu, memory: figures.containerMinMemory }, max: { cpu: figures.podMaxCpu, memory: figures.podMaxMemory } },
            {
              type: 'Container',
              min: { cpu: figures.containerMinCpu, memory: figures.containerMinMemory },
              max: { cpu: figures.containerMaxCpu, memory: figures.containerMaxMemory },
              default: { cpu: figures.containerDefaultCpu, memory: figures.containerDefaultMemory },
              defaultRequest: { cpu: figures.containerDefaultRequestCpu, memory: figures.containerDefaultRequestMemory },
            },
            { type: 'PersistentVolumeClaim', min: { storage: figures.claimMinStorage }, max: { storage: figures.claimMaxStorage } },
          ],
        },
      });
      const quota = (id: string, name: string, spec: Record<string, unknown>) => new ApiObject(this, id, {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name, namespace: this.name, annotations: { [Annotations.BUDGET]: this.budget!.name } },
        spec,
      });
      quota('ComputeQuota', 'compute-resources', { hard: compute, scopes: ['NotTerminating'] });
      quota('TimeboundQuota', 'compute-resources-timebound', { hard: compute, scopes: ['Terminating'] });
      quota('ObjectQuota', 'object-counts', {
        hard: {
          persistentvolumeclaims: String(figures.persistentVolumeClaims),
          replicationcontrollers: String(figures.replicationControllers),
          secrets: String(figures.secrets),
          services: String(figures.services),
        },
      });
    }
  }
}

function egressRules(blocked: string[]): Array<Record<string, unknown>> {
  const v4 = blocked.filter((cidr) => !cidr.includes(':'));
  const v6 = blocked.filter((cidr) => cidr.includes(':'));
  return [
    // every pod in the cluster (other sessions' own policies refuse what they must)
    { to: [{ namespaceSelector: {} }] },
    // everything outside the cluster but the blocked destinations
    { to: [{ ipBlock: { cidr: '0.0.0.0/0', ...(v4.length ? { except: v4 } : {}) } }, { ipBlock: { cidr: '::/0', ...(v6.length ? { except: v6 } : {}) } }] },
  ];
}

function checkCidr(where: string, cidr: string): void {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (v4 && v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32 && Number(v4[5]) > 0) return;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
  if (v6 && v6[1].includes(':') && Number(v6[2]) <= 128 && Number(v6[2]) > 0) return;
  throw new Error(`${where}: 'blockedEgressCidrs' entry '${cidr}' is not a CIDR such as 169.254.169.254/32 or fd00:ec2::254/128 (the prefix must be at least 1)`);
}
