import { isQuantity } from './quantity.js';

/**
 * Per-field overrides of a budget. Every field is a Kubernetes quantity or count.
 */
export interface BudgetOverrides {
  /** `limits.cpu` of the compute quotas (both the long-running and the time-bound scope). */
  readonly quotaCpu?: string;
  /** `limits.memory` of the compute quotas. */
  readonly quotaMemory?: string;
  /** Largest CPU limit of one pod. */
  readonly podMaxCpu?: string;
  /** Largest memory limit of one pod. */
  readonly podMaxMemory?: string;
  /** Largest CPU limit of one container. */
  readonly containerMaxCpu?: string;
  /** Largest memory limit of one container. */
  readonly containerMaxMemory?: string;
  /** Smallest CPU of one container. */
  readonly containerMinCpu?: string;
  /** Smallest memory of one container. */
  readonly containerMinMemory?: string;
  /** CPU limit given to a container that sets none. */
  readonly containerDefaultCpu?: string;
  /** Memory limit given to a container that sets none. */
  readonly containerDefaultMemory?: string;
  /** CPU request given to a container that sets none. */
  readonly containerDefaultRequestCpu?: string;
  /** Memory request given to a container that sets none. */
  readonly containerDefaultRequestMemory?: string;
  /** Smallest PersistentVolumeClaim. */
  readonly claimMinStorage?: string;
  /** Largest PersistentVolumeClaim. */
  readonly claimMaxStorage?: string;
  /** Most PersistentVolumeClaims in the namespace. */
  readonly persistentVolumeClaims?: number;
  /** Most ReplicationControllers in the namespace. */
  readonly replicationControllers?: number;
  /** Most Secrets in the namespace. */
  readonly secrets?: number;
  /** Most Services in the namespace. */
  readonly services?: number;
  /** Most pods that have not finished (Pending or Running) in the namespace. */
  readonly pods?: number;
  /** Most ConfigMaps in the namespace (Kubernetes puts one, `kube-root-ca.crt`, in every namespace). */
  readonly configMaps?: number;
  /** Most Deployments in the namespace. */
  readonly deployments?: number;
  /** Most Services of type NodePort; more than 0 needs `AdmissionRule.NODE_PORT_SERVICES` relaxed too. @default 0 */
  readonly nodePortServices?: number;
  /** Most Services of type LoadBalancer; more than 0 needs `AdmissionRule.LOAD_BALANCER_SERVICES` relaxed too. @default 0 */
  readonly loadBalancerServices?: number;
}

/** The complete figures of a budget, as written into the ResourceQuotas and the LimitRange. */
export type BudgetFigures = Required<BudgetOverrides>;

/**
 * How much of the cluster one session namespace may use: a LimitRange and three ResourceQuotas sized from one of
 * Educates' named budgets, with any field overridable. Beyond Educates' object counts (PersistentVolumeClaims,
 * ReplicationControllers, Secrets, Services), every budget also counts pods, ConfigMaps and Deployments, and allows
 * no NodePort or LoadBalancer Services: without them, CPU and memory quotas alone let a learner create about a
 * thousand 1m pods, and ConfigMaps and Deployments without end.
 *
 * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
export class Budget {
  // Educates' figures; then pods, ConfigMaps and Deployments (ours): pods twice the Services, ConfigMaps as many as
  // Secrets, Deployments as many as Services
  public static readonly SMALL = Budget.named('small', ['1', '1Gi', '250m', '256Mi', '1Gi', '1Gi', 3, 10, 20, 5], [10, 20, 5]);
  public static readonly MEDIUM = Budget.named('medium', ['2', '2Gi', '500m', '512Mi', '1Gi', '5Gi', 6, 15, 25, 10], [20, 25, 10]);
  public static readonly LARGE = Budget.named('large', ['4', '4Gi', '500m', '512Mi', '1Gi', '10Gi', 12, 25, 35, 20], [40, 35, 20]);
  public static readonly X_LARGE = Budget.named('x-large', ['8', '8Gi', '500m', '512Mi', '1Gi', '20Gi', 18, 35, 45, 30], [60, 45, 30]);
  public static readonly XX_LARGE = Budget.named('xx-large', ['8', '12Gi', '500m', '512Mi', '1Gi', '20Gi', 24, 45, 55, 40], [80, 55, 40]);
  public static readonly XXX_LARGE = Budget.named('xxx-large', ['8', '16Gi', '500m', '512Mi', '1Gi', '20Gi', 30, 55, 65, 50], [100, 65, 50]);
  /** No quota and no limit range: the author supplies their own (Educates' `custom`). */
  public static readonly CUSTOM = new Budget('custom', undefined);

  /** The names `Budget.fromName` accepts. */
  public static readonly NAMES = ['small', 'medium', 'large', 'x-large', 'xx-large', 'xxx-large', 'custom'] as const;

  /** The budget with an Educates name (`small` … `xxx-large`, `custom`). */
  public static fromName(name: string): Budget {
    const found = [Budget.SMALL, Budget.MEDIUM, Budget.LARGE, Budget.X_LARGE, Budget.XX_LARGE, Budget.XXX_LARGE, Budget.CUSTOM].find(
      (budget) => budget.name === name,
    );
    if (!found) throw new Error(`unknown budget '${name}': allowed are ${Budget.NAMES.join(', ')}`);
    return found;
  }

  private static named(
    name: string,
    row: [string, string, string, string, string, string, number, number, number, number],
    [pods, configMaps, deployments]: [number, number, number],
  ): Budget {
    const [cpu, memory, defaultCpu, defaultMemory, claimMin, claimMax, pvcs, rcs, secrets, services] = row;
    return new Budget(name, {
      quotaCpu: cpu,
      quotaMemory: memory,
      podMaxCpu: cpu,
      podMaxMemory: memory,
      containerMaxCpu: cpu,
      containerMaxMemory: memory,
      containerMinCpu: '1m',
      containerMinMemory: '1M',
      containerDefaultCpu: defaultCpu,
      containerDefaultMemory: defaultMemory,
      containerDefaultRequestCpu: '50m',
      containerDefaultRequestMemory: '128Mi',
      claimMinStorage: claimMin,
      claimMaxStorage: claimMax,
      persistentVolumeClaims: pvcs,
      replicationControllers: rcs,
      secrets,
      services,
      pods,
      configMaps,
      deployments,
      nodePortServices: 0,
      loadBalancerServices: 0,
    });
  }

  private constructor(
    /** The budget's name, written to the `budget` annotation. */
    public readonly name: string,
    /** The figures, or undefined for a budget that creates no quota. */
    public readonly figures: BudgetFigures | undefined,
  ) {}

  /**
   * This budget with some fields changed; the name becomes `<name>+overrides`.
   * Throws on a malformed quantity or count, or on overrides of the `custom` budget (which has no figures).
   */
  public withOverrides(overrides: BudgetOverrides): Budget {
    if (!this.figures) throw new Error(`budget '${this.name}' creates no quota, so it has no fields to override`);
    for (const [field, value] of Object.entries(overrides)) {
      if (value === undefined) continue;
      if (!(field in this.figures)) throw new Error(`budget override '${field}' is unknown: allowed are ${Object.keys(this.figures).join(', ')}`);
      const isCount = typeof (this.figures as unknown as Record<string, unknown>)[field] === 'number';
      if (isCount ? !(Number.isInteger(value) && value >= 0) : !(typeof value === 'string' && isQuantity(value))) {
        throw new Error(
          `budget override '${field}' (${JSON.stringify(value)}) must be ${isCount ? 'a whole number ≥ 0' : 'a Kubernetes quantity such as 500m or 2Gi'}`,
        );
      }
    }
    const name = this.name.endsWith('+overrides') ? this.name : `${this.name}+overrides`;
    return new Budget(name, { ...this.figures, ...stripUndefined(overrides) });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
