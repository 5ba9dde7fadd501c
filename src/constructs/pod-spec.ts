/**
 * The parts of a Pod spec that capabilities add to the workshop pod, in Kubernetes' JSON shape (the field names
 * and values of a manifest). Written here so that the constructs' public types name no other package's: an author
 * installs cdk8s-workshops with cdk8s, cdk8s-plus-28, constructs and yaml only.
 */

/** A quantity as a manifest writes it: `'500m'`, `'1Gi'`, or a number. */
export type QuantityValue = string | number;
/** A port by number or by name. */
export type PortValue = number | string;

export interface KeySelector {
  readonly name?: string;
  readonly key: string;
  readonly optional?: boolean;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly configMapKeyRef?: KeySelector;
    readonly secretKeyRef?: KeySelector;
    readonly fieldRef?: { readonly apiVersion?: string; readonly fieldPath: string };
    readonly resourceFieldRef?: { readonly containerName?: string; readonly resource: string; readonly divisor?: QuantityValue };
  };
}

export interface EnvFromSource {
  readonly prefix?: string;
  readonly configMapRef?: { readonly name?: string; readonly optional?: boolean };
  readonly secretRef?: { readonly name?: string; readonly optional?: boolean };
}

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly hostPort?: number;
  readonly hostIP?: string;
}

export interface ResourceRequirements {
  readonly requests?: Record<string, QuantityValue>;
  readonly limits?: Record<string, QuantityValue>;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly subPath?: string;
  readonly subPathExpr?: string;
  readonly readOnly?: boolean;
  readonly mountPropagation?: string;
}

export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

/** What a probe or a lifecycle hook does. */
export interface Handler {
  readonly exec?: { readonly command?: string[] };
  readonly httpGet?: {
    readonly path?: string;
    readonly port: PortValue;
    readonly host?: string;
    readonly scheme?: 'HTTP' | 'HTTPS';
    readonly httpHeaders?: HttpHeader[];
  };
  readonly tcpSocket?: { readonly port: PortValue; readonly host?: string };
}

export interface Probe extends Handler {
  readonly grpc?: { readonly port: number; readonly service?: string };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
  readonly terminationGracePeriodSeconds?: number;
}

export interface SecurityContext {
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly add?: string[]; readonly drop?: string[] };
  readonly privileged?: boolean;
  readonly procMount?: string;
  readonly readOnlyRootFilesystem?: boolean;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
  readonly appArmorProfile?: { readonly type: string; readonly localhostProfile?: string };
  readonly seLinuxOptions?: { readonly user?: string; readonly role?: string; readonly type?: string; readonly level?: string };
}

/** A container of the session's workshop pod. */
export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  readonly command?: string[];
  readonly args?: string[];
  readonly workingDir?: string;
  readonly env?: EnvVar[];
  readonly envFrom?: EnvFromSource[];
  readonly ports?: ContainerPort[];
  readonly resources?: ResourceRequirements;
  readonly volumeMounts?: VolumeMount[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly postStart?: Handler; readonly preStop?: Handler };
  readonly securityContext?: SecurityContext;
  readonly restartPolicy?: 'Always';
  readonly stdin?: boolean;
  readonly tty?: boolean;
  readonly terminationMessagePath?: string;
  readonly terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode?: number;
}

export interface VolumeProjection {
  readonly configMap?: { readonly name?: string; readonly items?: KeyToPath[]; readonly optional?: boolean };
  readonly secret?: { readonly name?: string; readonly items?: KeyToPath[]; readonly optional?: boolean };
  readonly serviceAccountToken?: { readonly path: string; readonly audience?: string; readonly expirationSeconds?: number };
  readonly downwardAPI?: { readonly items?: Array<{ readonly path: string; readonly fieldRef?: { readonly fieldPath: string } }> };
}

/** A volume of the session's workshop pod. */
export interface Volume {
  readonly name: string;
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: QuantityValue };
  readonly configMap?: { readonly name?: string; readonly items?: KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  readonly secret?: { readonly secretName?: string; readonly items?: KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly projected?: { readonly sources?: VolumeProjection[]; readonly defaultMode?: number };
  readonly downwardAPI?: {
    readonly items?: Array<{ readonly path: string; readonly fieldRef?: { readonly fieldPath: string } }>;
    readonly defaultMode?: number;
  };
  readonly ephemeral?: { readonly volumeClaimTemplate?: { readonly spec: Record<string, unknown> } };
  readonly csi?: { readonly driver: string; readonly readOnly?: boolean; readonly volumeAttributes?: Record<string, string> };
  readonly hostPath?: { readonly path: string; readonly type?: string };
  readonly image?: { readonly reference?: string; readonly pullPolicy?: string };
}
