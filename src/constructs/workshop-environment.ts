import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import { Labels, MANAGED_BY } from './names.js';
import { SecurityPolicy } from './security-policy.js';
import { METADATA_CIDRS } from './session-namespace.js';
import { TemplateChart } from './template-chart.js';
import { EnvironmentVariables, variable } from './variables.js';

/** A Secret in another namespace that the runtime copies into the environment namespace. */
export interface SecretReference {
  /** The namespace it is copied from. */
  readonly namespace: string;
  /** Its name there (and in the environment namespace). */
  readonly name: string;
}

export interface WorkshopEnvironmentOptions {
  /**
   * The Pod Security Standard enforced in the environment namespace, where shared services and every session's
   * workshop pod run (a capability such as Docker may need `privileged`; learners cannot create pods there).
   * @default SecurityPolicy.RESTRICTED
   */
  readonly environmentSecurityPolicy?: SecurityPolicy;
  /**
   * Secrets copied into the environment namespace from other namespaces (for example a pull secret or the
   * credentials of a shared service); sessions can get them with `session.injectSecret(name)`.
   * @default - none
   */
  readonly environmentSecrets?: SecretReference[];
}

/**
 * What a workshop shares between all its sessions in one portal: the environment namespace and the objects the
 * author adds to this scope as ordinary cdk8s / cdk8s-plus constructs (a shared database, a mirror, a
 * ConfigMap…). The scope's default namespace is the environment namespace; `vars` holds the environment's values,
 * filled in when the workshop is synthesized for a portal.
 */
export class WorkshopEnvironment extends TemplateChart {
  /** Environment variables, as placeholders. */
  public readonly vars = new EnvironmentVariables();
  public readonly securityPolicy: SecurityPolicy;
  private readonly _secrets: SecretReference[] = [];

  constructor(scope: Construct, id: string, props: WorkshopEnvironmentOptions = {}) {
    super(scope, id, {
      namespace: variable('workshop_namespace'),
      labels: {
        [Labels.MANAGED_BY]: MANAGED_BY,
        [Labels.COMPONENT]: 'environment',
        [Labels.ENVIRONMENT]: variable('environment_name'),
        [Labels.PORTAL]: variable('training_portal'),
      },
    });
    this.securityPolicy = props.environmentSecurityPolicy ?? SecurityPolicy.RESTRICTED;
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: variable('workshop_namespace'),
        labels: {
          [Labels.POLICY]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE]: this.securityPolicy.name,
          [Labels.PSA_ENFORCE_VERSION]: 'latest',
          [Labels.PSA_WARN]: this.securityPolicy.name,
        },
      },
    });
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: 'environment-egress' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: {} }] },
          {
            to: [
              { ipBlock: { cidr: '0.0.0.0/0', except: METADATA_CIDRS.filter((cidr) => !cidr.includes(':')) } },
              { ipBlock: { cidr: '::/0', except: METADATA_CIDRS.filter((cidr) => cidr.includes(':')) } },
            ],
          },
        ],
      },
    });
    for (const secret of props.environmentSecrets ?? []) this.addSecret(secret);
  }

  /** Secrets copied into the environment. Returns a copy; to add one, use `addSecret()`. */
  public get secrets(): SecretReference[] {
    return [...this._secrets];
  }

  /** Copies a Secret from another namespace into the environment namespace. */
  public addSecret(secret: SecretReference): void {
    for (const [field, value] of Object.entries(secret)) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
        throw new Error(`${this.node.path}: secret reference '${field}' (${JSON.stringify(value)}) must be a DNS-1123 name`);
      }
    }
    if (this._secrets.some((s) => s.name === secret.name)) {
      throw new Error(`${this.node.path}: a secret named '${secret.name}' is already copied into the environment`);
    }
    this._secrets.push({ ...secret });
  }
}
