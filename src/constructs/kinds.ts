/**
 * What the library knows about Kubernetes kinds: their REST resource name and whether they live in a namespace.
 * Synthesis uses it to keep namespaces off cluster-scoped objects (cdk8s stamps a chart's namespace on every
 * object), to check where per-session objects land, and to grant the portal exactly the resources it creates.
 */
import { API_GROUP } from './names.js';

export interface KindInfo {
  /** Lower-case plural, as in RBAC rules and URLs. */
  readonly resource: string;
  readonly namespaced: boolean;
}

const KINDS = new Map<string, KindInfo>();

/** `group/Kind` for an apiVersion and kind; the core group is ''. */
export function kindKey(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${group}/${kind}`;
}

/** The API group of an apiVersion ('' for the core group). */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/**
 * Tells the library about a kind it does not know (a custom resource an author adds to a session or environment).
 *
 * @example registerKind('example.com/v1', 'Database', { resource: 'databases', namespaced: true })
 */
export function registerKind(apiVersion: string, kind: string, info: KindInfo): void {
  KINDS.set(kindKey(apiVersion, kind), info);
}

/** What the library knows about a kind, or undefined. */
export function lookupKind(apiVersion: string, kind: string): KindInfo | undefined {
  return KINDS.get(kindKey(apiVersion, kind));
}

function known(group: string, namespaced: boolean, entries: Record<string, string>): void {
  for (const [kind, resource] of Object.entries(entries)) KINDS.set(`${group}/${kind}`, { resource, namespaced });
}

known('', false, { Namespace: 'namespaces', Node: 'nodes', PersistentVolume: 'persistentvolumes' });
known('', true, {
  ConfigMap: 'configmaps',
  Endpoints: 'endpoints',
  Event: 'events',
  LimitRange: 'limitranges',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Pod: 'pods',
  PodTemplate: 'podtemplates',
  ReplicationController: 'replicationcontrollers',
  ResourceQuota: 'resourcequotas',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
});
known('apps', true, {
  ControllerRevision: 'controllerrevisions',
  DaemonSet: 'daemonsets',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
});
known('batch', true, { CronJob: 'cronjobs', Job: 'jobs' });
known('autoscaling', true, { HorizontalPodAutoscaler: 'horizontalpodautoscalers' });
known('policy', true, { PodDisruptionBudget: 'poddisruptionbudgets' });
known('networking.k8s.io', true, { Ingress: 'ingresses', NetworkPolicy: 'networkpolicies' });
known('networking.k8s.io', false, { IngressClass: 'ingressclasses' });
known('discovery.k8s.io', true, { EndpointSlice: 'endpointslices' });
known('rbac.authorization.k8s.io', true, { Role: 'roles', RoleBinding: 'rolebindings' });
known('rbac.authorization.k8s.io', false, { ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings' });
known('storage.k8s.io', false, { StorageClass: 'storageclasses' });
known('scheduling.k8s.io', false, { PriorityClass: 'priorityclasses' });
known('coordination.k8s.io', true, { Lease: 'leases' });
known('apiextensions.k8s.io', false, { CustomResourceDefinition: 'customresourcedefinitions' });
known('admissionregistration.k8s.io', false, {
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
});
known('admissionregistration.k8s.io', false, {
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
});
known(API_GROUP, false, { WorkshopEnvironment: 'workshopenvironments', WorkshopSession: 'workshopsessions', TrainingPortal: 'trainingportals' });
