/**
 * A synth-time check of pod specs against the Pod Security Standards, so that an author learns that a pod would be
 * refused by the session namespace's admission while synthesizing, not when the first learner starts a session.
 * It covers the controls of the baseline and restricted levels that a pod spec decides.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import { SecurityPolicy } from './security-policy.js';

type Json = Record<string, any>;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** The pod spec inside an object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob), if any. */
export function podSpecOf(object: Json): Json | undefined {
  switch (object.kind) {
    case 'Pod':
      return object.spec;
    case 'CronJob':
      return object.spec?.jobTemplate?.spec?.template?.spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController':
      return object.spec?.template?.spec;
    default:
      return undefined;
  }
}

/** What in `pod` the `policy` level forbids, one line each; empty when the pod passes. */
export function podSecurityViolations(pod: Json, policy: SecurityPolicy): string[] {
  if (policy === SecurityPolicy.PRIVILEGED) return [];
  const problems: string[] = [];
  const podContext: Json = pod.securityContext ?? {};
  const containers: Json[] = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[field]) problems.push(`${field} must not be true`);
  for (const volume of pod.volumes ?? []) if (volume.hostPath) problems.push(`volume '${volume.name}' must not be a hostPath`);
  if (podContext.seccompProfile?.type === 'Unconfined') problems.push('pod seccompProfile must not be Unconfined');
  for (const c of containers) {
    const ctx: Json = c.securityContext ?? {};
    const name = `container '${c.name}'`;
    if (ctx.privileged) problems.push(`${name} must not be privileged`);
    for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${name} must not use hostPort ${port.hostPort}`);
    for (const cap of ctx.capabilities?.add ?? []) if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${name} must not add capability ${cap}`);
    if (ctx.procMount && ctx.procMount !== 'Default') problems.push(`${name} procMount must be Default`);
    if (ctx.seccompProfile?.type === 'Unconfined') problems.push(`${name} seccompProfile must not be Unconfined`);
  }
  if (policy === SecurityPolicy.BASELINE) return problems;

  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type))
      problems.push(`volume '${volume.name}' of type ${type} is not allowed (allowed: ${[...RESTRICTED_VOLUMES].join(', ')})`);
  }
  const podSeccomp = ['RuntimeDefault', 'Localhost'].includes(podContext.seccompProfile?.type);
  if (podContext.runAsUser === 0) problems.push('pod runAsUser must not be 0');
  for (const c of containers) {
    const ctx: Json = c.securityContext ?? {};
    const name = `container '${c.name}'`;
    if (ctx.allowPrivilegeEscalation !== false) problems.push(`${name} must set allowPrivilegeEscalation: false`);
    if (!(ctx.runAsNonRoot === true || (ctx.runAsNonRoot === undefined && podContext.runAsNonRoot === true))) {
      problems.push(`${name} must run as non-root (runAsNonRoot: true on the container or the pod)`);
    }
    if (ctx.runAsUser === 0) problems.push(`${name} runAsUser must not be 0`);
    const seccomp = ctx.seccompProfile?.type;
    if (!(seccomp === 'RuntimeDefault' || seccomp === 'Localhost' || (seccomp === undefined && podSeccomp))) {
      problems.push(`${name} must set seccompProfile RuntimeDefault (on the container or the pod)`);
    }
    if (!(ctx.capabilities?.drop ?? []).includes('ALL')) problems.push(`${name} must drop ALL capabilities`);
    for (const cap of ctx.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${name} may add only NET_BIND_SERVICE, not ${cap}`);
  }
  return problems;
}
