/**
 * The parts of a Pod spec that capabilities add to the workshop pod, in Kubernetes' JSON shape (the field names
 * and values of a manifest). Written here so that the constructs' public types name no other package's: an author
 * installs cdk8s-workshops with cdk8s, cdk8s-plus-28, constructs and yaml only.
 *
 * The session template hands them to cdk8s-plus-28's typed L1 classes (`k8s.KubeDeployment`), whose `toJson()`
 * keeps only the fields of the Kubernetes 1.28 schema: the converters at the end of this file refuse, at compile
 * time, a field of these shapes that the schema lacks, instead of letting it vanish from the manifest.
 */
import { k8s } from 'cdk8s-plus-28';

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
  readonly ephemeral?: { readonly volumeClaimTemplate?: { readonly spec: PersistentVolumeClaimSpec } };
  readonly csi?: { readonly driver: string; readonly readOnly?: boolean; readonly volumeAttributes?: Record<string, string> };
  readonly hostPath?: { readonly path: string; readonly type?: string };
}

/** The claim of an ephemeral volume. */
export interface PersistentVolumeClaimSpec {
  readonly accessModes?: string[];
  readonly resources?: ResourceRequirements;
  readonly storageClassName?: string;
  readonly volumeMode?: 'Filesystem' | 'Block';
  readonly volumeName?: string;
  readonly selector?: {
    readonly matchLabels?: Record<string, string>;
    readonly matchExpressions?: Array<{ readonly key: string; readonly operator: string; readonly values?: string[] }>;
  };
  readonly dataSource?: { readonly apiGroup?: string; readonly kind: string; readonly name: string };
  readonly dataSourceRef?: { readonly apiGroup?: string; readonly kind: string; readonly name: string; readonly namespace?: string };
}

/**
 * `Ours` with every field that `Theirs` (a typed L1 shape) lacks, at any depth, turned into `never`: assigning a
 * value of `Ours` to it fails to compile when `Ours` has such a field.
 */
type Fit<Ours, Theirs> = Ours extends readonly (infer Item)[]
  ? Theirs extends readonly (infer TheirItem)[]
    ? Fit<Item, TheirItem>[]
    : never
  : Ours extends object
    ? { readonly [K in keyof Ours]: K extends keyof Theirs ? Fit<Ours[K], NonNullable<Theirs[K]>> : never }
    : Ours;

/** A container as the typed L1 classes take it: quantities and ports wrapped, `hostIP` spelled `hostIp`. */
export function k8sContainer(container: Container): k8s.Container {
  const { env, ports, resources, livenessProbe, readinessProbe, startupProbe, lifecycle, ...rest } = container;
  const same: Fit<typeof rest, k8s.Container> = rest;
  return {
    ...same,
    env: env?.map(k8sEnvVar),
    ports: ports?.map(({ hostIP, ...port }) => ({ ...port, hostIp: hostIP })),
    resources: resources && k8sResources(resources),
    livenessProbe: livenessProbe && k8sProbe(livenessProbe),
    readinessProbe: readinessProbe && k8sProbe(readinessProbe),
    startupProbe: startupProbe && k8sProbe(startupProbe),
    lifecycle: lifecycle && {
      postStart: lifecycle.postStart && k8sHandler(lifecycle.postStart),
      preStop: lifecycle.preStop && k8sHandler(lifecycle.preStop),
    },
  };
}

/** A volume as the typed L1 classes take it: quantities wrapped, `downwardAPI` spelled `downwardApi`. */
export function k8sVolume(volume: Volume): k8s.Volume {
  const { emptyDir, projected, downwardAPI, ephemeral, ...rest } = volume;
  const same: Fit<typeof rest, k8s.Volume> = rest;
  return {
    ...same,
    emptyDir: emptyDir && k8sEmptyDir(emptyDir),
    projected: projected && k8sProjected(projected),
    downwardApi: downwardAPI,
    ephemeral: ephemeral && {
      volumeClaimTemplate: ephemeral.volumeClaimTemplate && { spec: k8sClaimSpec(ephemeral.volumeClaimTemplate.spec) },
    },
  };
}

function k8sEmptyDir({ sizeLimit, ...rest }: NonNullable<Volume['emptyDir']>): k8s.EmptyDirVolumeSource {
  const same: Fit<typeof rest, k8s.EmptyDirVolumeSource> = rest;
  return { ...same, sizeLimit: k8sQuantity(sizeLimit) };
}

function k8sProjected({ sources, ...rest }: NonNullable<Volume['projected']>): k8s.ProjectedVolumeSource {
  const same: Fit<typeof rest, k8s.ProjectedVolumeSource> = rest;
  return {
    ...same,
    sources: sources?.map(({ downwardAPI, ...source }) => {
      const sameSource: Fit<typeof source, k8s.VolumeProjection> = source;
      return { ...sameSource, downwardApi: downwardAPI };
    }),
  };
}

/** A claim's spec as the typed L1 classes take it. */
export function k8sClaimSpec(spec: PersistentVolumeClaimSpec): k8s.PersistentVolumeClaimSpec {
  const { resources, ...rest } = spec;
  const same: Fit<typeof rest, k8s.PersistentVolumeClaimSpec> = rest;
  return { ...same, resources: resources && k8sResources(resources) };
}

/** A quantity as the typed L1 classes take it (they write back exactly the string or number given). */
export function k8sQuantity(value: QuantityValue): k8s.Quantity;
export function k8sQuantity(value: QuantityValue | undefined): k8s.Quantity | undefined;
export function k8sQuantity(value: QuantityValue | undefined): k8s.Quantity | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? k8s.Quantity.fromNumber(value) : k8s.Quantity.fromString(value);
}

/** A port by number or by name, as the typed L1 classes take it. */
export function k8sPort(value: PortValue): k8s.IntOrString {
  return typeof value === 'number' ? k8s.IntOrString.fromNumber(value) : k8s.IntOrString.fromString(value);
}

/** Requests and limits with their quantities wrapped. */
export function k8sResources(resources: ResourceRequirements): k8s.ResourceRequirements {
  const quantities = (values?: Record<string, QuantityValue>) =>
    values && Object.fromEntries(Object.entries(values).map(([name, value]) => [name, k8sQuantity(value)]));
  return { requests: quantities(resources.requests), limits: quantities(resources.limits) };
}

function k8sEnvVar(variable: EnvVar): k8s.EnvVar {
  const { valueFrom, ...rest } = variable;
  const same: Fit<typeof rest, k8s.EnvVar> = rest;
  if (!valueFrom) return same;
  const { resourceFieldRef, ...refs } = valueFrom;
  const sameRefs: Fit<typeof refs, k8s.EnvVarSource> = refs;
  return {
    ...same,
    valueFrom: {
      ...sameRefs,
      resourceFieldRef: resourceFieldRef && { ...resourceFieldRef, divisor: k8sQuantity(resourceFieldRef.divisor) },
    },
  };
}

function k8sProbe(probe: Probe): k8s.Probe {
  const { exec, httpGet, tcpSocket, ...rest } = probe;
  const same: Fit<typeof rest, k8s.Probe> = rest;
  return { ...same, ...k8sHandler({ exec, httpGet, tcpSocket }) };
}

function k8sHandler(handler: Handler): k8s.LifecycleHandler {
  const same: Fit<Handler, k8s.LifecycleHandler> = handler;
  return {
    exec: same.exec,
    httpGet: handler.httpGet && { ...handler.httpGet, port: k8sPort(handler.httpGet.port) },
    tcpSocket: handler.tcpSocket && { ...handler.tcpSocket, port: k8sPort(handler.tcpSocket.port) },
  };
}
