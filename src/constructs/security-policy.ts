/**
 * The Pod Security Standard enforced on a namespace through Pod Security Admission labels.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export class SecurityPolicy {
  /** Heavily restricted pods: non-root, no privilege escalation, all capabilities dropped, seccomp on. */
  public static readonly RESTRICTED = new SecurityPolicy('restricted', 2);
  /** Prevents known privilege escalations; allows running as root. */
  public static readonly BASELINE = new SecurityPolicy('baseline', 1);
  /** Unrestricted; needed for docker-in-docker. */
  public static readonly PRIVILEGED = new SecurityPolicy('privileged', 0);

  /** The policy with a Pod Security level name (`restricted`, `baseline`, `privileged`). */
  public static fromName(name: string): SecurityPolicy {
    const found = [SecurityPolicy.RESTRICTED, SecurityPolicy.BASELINE, SecurityPolicy.PRIVILEGED].find((p) => p.name === name);
    if (!found) throw new Error(`unknown security policy '${name}': allowed are restricted, baseline, privileged`);
    return found;
  }

  private constructor(
    /** The Pod Security level name. */
    public readonly name: 'restricted' | 'baseline' | 'privileged',
    private readonly strictness: number,
  ) {}

  /** True when this policy admits everything `other` admits. */
  public allows(other: SecurityPolicy): boolean {
    return this.strictness <= other.strictness;
  }
}
