/**
 * The admission policies of dist/cluster on a real API server. Sessions are created from synthesized blueprints as
 * the runtime creates them; then, authenticated as the learner's own ServiceAccount (a TokenRequest token, not the
 * admin), every attack of issue 10 items 4 and 10 is tried with server-side requests (dry runs where the attack
 * needs no stored object) and must be refused with the rule's message, while what a learner legitimately does is
 * admitted. The portal's ServiceAccount, given cluster-admin by the test so that RBAC refuses nothing, is held to
 * its own namespaces by the portal-scope policy alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';

import {
  admissionPolicies,
  AdmissionRule,
  API_VERSION,
  Budget,
  CompiledBlueprint,
  DRAIN_FINALIZER,
  INGRESS_DOMAIN_ANNOTATION,
  isSessionHost,
  Labels,
  type Manifest,
  reachesSocket,
  RESERVED_HOSTS_ANNOTATION,
  synthesize,
  type SynthFile,
  TrainingPortal,
  Workshop,
} from '../../src/constructs/index.js';
import { applySession, generateSessionSecrets, KubeClient, KubeError } from '../../src/runtime/index.js';
import { blueprintOf } from '../support/examples.js';
import { serviceAccountKubeconfig } from '../support/identities.js';
import { waitFor } from '../support/portal-fixture.js';

const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const PORTAL = 'adm';
const DOMAIN = 'adm.127-0-0-1.test';
const GUARDED = `${PORTAL}-guarded`;
const RELAXED = `${PORTAL}-relaxed`;
const A = `${GUARDED}-aaaaa`;
const B = `${GUARDED}-bbbbb`;
const R = `${RELAXED}-rrrrr`;
/** A namespace labelled as a session but enforcing no Pod Security level, where only the policies stand. */
const BARE = `${PORTAL}-bare-sssss`;
const VICTIM = `${PORTAL}-victim`;
const PORTAL_ADMIN_BINDING = `${PORTAL}-test-portal-cluster-admin`;
const PROBE = `${PORTAL}-probe`;
const PROBE_BINDING = `${PORTAL}-test-probe-cluster-admin`;

const clusterAdmin = (name: string, namespace: string): Manifest =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace }],
  }) as Manifest;

function fixture(): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const portal = new TrainingPortal(app, PORTAL, { ingressDomain: DOMAIN, maximumSessions: 5 });
  portal.addWorkshop(new Workshop(app, 'guarded', { title: 'Guarded', description: 'Every rule holds', budget: Budget.SMALL }), {
    capacity: 3,
    reserved: 0,
  });
  portal.addWorkshop(
    new Workshop(app, 'relaxed', {
      title: 'Relaxed',
      description: 'NodePort Services and hostPath volumes allowed',
      budget: Budget.SMALL.withOverrides({ nodePortServices: 1 }),
      admissionExceptions: [AdmissionRule.NODE_PORT_SERVICES, AdmissionRule.HOST_PATH_VOLUMES],
    }),
    { capacity: 3, reserved: 0 },
  );
  return synthesize(app);
}

function distObjects(file: string): Manifest[] {
  return parseAllDocuments(fs.readFileSync(path.join(path.resolve('dist'), file), 'utf8')).map((d) => d.toJSON() as Manifest);
}

/** Creates a session as the runtime does, its objects applied by `client` (the admin, or the portal's ServiceAccount). */
async function startSession(environmentName: string, id: string, client = admin): Promise<void> {
  const environment = (await admin.get(API_VERSION, 'WorkshopEnvironment', environmentName))!;
  const session = await admin.create<Manifest>({
    apiVersion: API_VERSION,
    kind: 'WorkshopSession',
    metadata: { name: `${environmentName}-${id}`, labels: { [Labels.ENVIRONMENT]: environmentName } },
    spec: { environment: environmentName, id },
  });
  await applySession(
    client,
    new CompiledBlueprint(blueprintOf(environment)),
    {
      environmentName,
      sessionId: id,
      workshopSessionUid: String(session.metadata.uid),
      ingressDomain: DOMAIN,
      ingressProtocol: 'http',
    },
    generateSessionSecrets(),
  );
}

/** A client authenticated as the ServiceAccount the session's RoleBinding names: the learner. */
async function learnerOf(sessionNamespace: string): Promise<KubeClient> {
  const binding = await admin.get<{ subjects: Array<{ name: string; namespace: string }> }>(
    'rbac.authorization.k8s.io/v1',
    'RoleBinding',
    'workshop-session-role',
    sessionNamespace,
  );
  const [subject] = binding!.subjects;
  return KubeClient.fromKubeconfig(await serviceAccountKubeconfig(subject.namespace, subject.name));
}

/** Creates `object` (a server-side dry run unless `persist`); returns the refusal message, or undefined when admitted. */
async function attempt(client: KubeClient, object: Manifest, persist = false): Promise<string | undefined> {
  try {
    await client.request('POST', client.pathFor(object.apiVersion, object.kind, undefined, object.metadata.namespace), {
      body: object,
      query: { dryRun: persist ? undefined : 'All', fieldValidation: 'Strict' },
    });
    return undefined;
  } catch (error) {
    if (error instanceof KubeError && (error.status === 403 || error.status === 422)) return error.message;
    throw error;
  }
}

async function refusedBy(rule: string, client: KubeClient, object: Manifest): Promise<string> {
  const message = await attempt(client, object);
  expect(message).toContain(`cdk8s-workshops [${rule}]: `);
  return message!;
}

const meta = (namespace: string, name = 'attack') => ({ name, namespace });
const ingress = (namespace: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: meta(namespace),
  spec,
});
const backend = { service: { name: 'web', port: { number: 80 } } };
const hostRule = (host?: string) => ({ ...(host === undefined ? {} : { host }), http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } });
const service = (namespace: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(namespace),
  spec: { ports: [{ port: 80, targetPort: 8080 }], ...spec },
});
const container = (extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: 'registry.invalid/app:1',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  resources: { requests: { cpu: '1m', memory: '1M' }, limits: { cpu: '1m', memory: '1M' } },
  ...extra,
});
const podSpec = (extra: Record<string, unknown> = {}) => ({
  securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [container()],
  ...extra,
});
const pod = (namespace: string, spec: Record<string, unknown>, name = 'attack'): Manifest => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta(namespace, name),
  spec,
});
const deployment = (namespace: string, spec: Record<string, unknown>, name = 'attack'): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(namespace, name),
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
});
const socketVolume = { name: 'docker', hostPath: { path: '/var/run/docker.sock' } };

/**
 * One refused sample per rule, for waiting until the API server enforces the new policies (they load asynchronously):
 * in `namespace`, which enforces no Pod Security level, and the socket in `relaxed`, where hostPath is allowed (a
 * refusal names one policy only).
 */
function samples(namespace: string, relaxed: string): Array<[string, Manifest]> {
  return [
    ['ingress-hosts', ingress(namespace, { rules: [hostRule(`x.${DOMAIN}`)] })],
    [
      'ingress-snippets',
      {
        ...ingress(namespace, { rules: [hostRule(`${namespace}.${DOMAIN}`)] }),
        metadata: { ...meta(namespace), annotations: { 'nginx.org/server-snippets': 'x' } },
      },
    ],
    ['node-port-services', service(namespace, { type: 'NodePort' })],
    ['load-balancer-services', service(namespace, { type: 'LoadBalancer' })],
    [
      'external-name-services',
      { apiVersion: 'v1', kind: 'Service', metadata: meta(namespace), spec: { type: 'ExternalName', externalName: 'example.com' } },
    ],
    ['external-ips', service(namespace, { externalIPs: ['192.0.2.1'] })],
    ['hand-written-endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: meta(namespace), subsets: [] } as Manifest],
    ['host-path-volumes', pod(namespace, podSpec({ volumes: [{ name: 'root', hostPath: { path: '/etc' } }] }))],
    ['host-namespaces', pod(namespace, podSpec({ hostIPC: true }))],
    ['host-ports', pod(namespace, podSpec({ containers: [container({ ports: [{ containerPort: 80, hostPort: 80 }] })] }))],
    [
      'workshop-labels',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...meta(relaxed), labels: { [Labels.COMPONENT]: 'session' } } } as Manifest,
    ],
    [
      'runtime-socket-mounts',
      deployment(relaxed, podSpec({ volumes: [{ name: 'sock', hostPath: { path: '/run/containerd', type: 'Directory' } }] })),
    ],
  ];
}

let learner: KubeClient;
let relaxedLearner: KubeClient;
let portal: KubeClient;

beforeAll(async () => {
  // GIVEN dist/cluster's policies (the file Argo CD applies, which must be what synthesis makes today)
  const policies = distObjects('cluster/admission-policies.k8s.yaml');
  expect(policies.map((p) => `${p.kind}/${p.metadata.name}`)).toEqual(
    expect.arrayContaining(admissionPolicies().map((p) => `${p.kind}/${p.metadata.name}`)),
  );
  expect(policies.length).toBe(admissionPolicies().length);
  const files = fixture();
  for (const file of files) {
    const objects = file.path === 'cluster/admission-policies.k8s.yaml' ? policies : file.objects;
    for (const object of objects) await admin.apply(object);
    if (file.path.includes('crds')) {
      for (const crd of file.objects) {
        await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
          const live = await admin.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
            'apiextensions.k8s.io/v1',
            'CustomResourceDefinition',
            crd.metadata.name,
          );
          return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
        });
      }
    }
  }
  // a namespace labelled as a session that enforces no Pod Security level: there, only the policies refuse pods
  await admin.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: BARE,
      annotations: { [INGRESS_DOMAIN_ANNOTATION]: DOMAIN },
      labels: { [Labels.COMPONENT]: 'session', [Labels.SESSION]: BARE, [Labels.PORTAL]: PORTAL, 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  });
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: VICTIM } });

  // WHEN sessions are created from the blueprints as the runtime creates them
  await startSession(GUARDED, 'aaaaa');
  await startSession(GUARDED, 'bbbbb');
  await startSession(RELAXED, 'rrrrr');
  learner = await learnerOf(A);
  relaxedLearner = await learnerOf(R);
  await waitFor(
    'every session policy in force',
    async () => {
      for (const [rule, object] of samples(BARE, R)) {
        // (administrators may set the portal's labels: that rule is probed as the learner)
        if (!(await attempt(rule === 'workshop-labels' ? relaxedLearner : admin, object))?.includes(`[${rule}]`)) return false;
      }
      return true;
    },
    30_000,
  );

  // the runtime's writes for a whole session, as the portal's ServiceAccount with its synthesized RBAC, pass the policies
  // (first, a probe: another ServiceAccount named training-portal, with cluster-admin, shows when the policy is in force)
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: PROBE } });
  await admin.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'training-portal', namespace: PROBE } });
  await admin.apply(clusterAdmin(PROBE_BINDING, PROBE));
  const probe = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(PROBE, 'training-portal'));
  await waitFor(
    'the portal policy in force',
    async () => (await attempt(probe, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('kube-system') }))?.includes('[portal-scope]'),
    30_000,
  );
  await probe.close();
  portal = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(`${PORTAL}-ui`, 'training-portal'));
  await startSession(GUARDED, 'ppppp', portal);

  // then the portal's ServiceAccount with every RBAC right, so that what it is refused is refused by the policy alone
  await admin.apply(clusterAdmin(PORTAL_ADMIN_BINDING, `${PORTAL}-ui`));
  await waitFor(
    'the portal with cluster-admin',
    async () => (await attempt(portal, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('kube-system') }))?.includes('[portal-scope]'),
    30_000,
  );
});

afterAll(async () => {
  // the cluster is shared with other test files: leave no policy, binding or grant behind
  for (const object of admissionPolicies()) await admin.delete(object.apiVersion, object.kind, object.metadata.name).catch(() => undefined);
  for (const binding of [PORTAL_ADMIN_BINDING, PROBE_BINDING])
    await admin.delete('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', binding).catch(() => undefined);
  for (const client of [learner, relaxedLearner, portal, admin]) await client?.close();
});

describe('a learner cannot take over traffic', () => {
  const own = `(${A}.${DOMAIN}, <name>-${A}.${DOMAIN})`;

  test("Ingresses for the portal's host or another session's hosts are refused, naming the host and the session's own", async () => {
    expect(await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule(`${PORTAL}-ui.${DOMAIN}`)] }))).toContain(
      `Ingress host '${PORTAL}-ui.${DOMAIN}' is not one of this session's hosts ${own}`,
    );
    expect(await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule(`${B}.${DOMAIN}`)] }))).toContain(
      `Ingress host '${B}.${DOMAIN}' is not one of this session's hosts ${own}`,
    );
    await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule(`files-${B}.${DOMAIN}`)] }));
    // a prefix with dots would be another domain's label; no host at all takes every host
    await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule(`evil.x-${A}.${DOMAIN}`)] }));
    expect(await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule()] }))).toContain("Ingress host '(none)'");
    expect(await refusedBy('ingress-hosts', learner, ingress(A, { defaultBackend: backend }))).toContain('an Ingress may not set defaultBackend');
    expect(
      await refusedBy('ingress-hosts', learner, ingress(A, { rules: [hostRule(`app-${A}.${DOMAIN}`)], tls: [{ hosts: [`${B}.${DOMAIN}`] }] })),
    ).toContain(`Ingress TLS host '${B}.${DOMAIN}'`);
  });

  test("the session's own dashboard host is the workshop pod's: no Ingress in the session may take a path of it", async () => {
    const taken = { ...ingress(A, { rules: [{ host: `${A}.${DOMAIN}`, http: { paths: [{ path: '/oauth2', pathType: 'Prefix', backend }] } }] }) };
    expect(await refusedBy('ingress-hosts', learner, taken)).toContain(
      `Ingress host '${A}.${DOMAIN}' is served by the session's workshop pod: an Ingress in the session may not take paths of it`,
    );
  });

  test('configuration snippets for the ingress controller are refused', async () => {
    const snippet = ingress(A, { rules: [hostRule(`app-${A}.${DOMAIN}`)] });
    snippet.metadata.annotations = { 'nginx.ingress.kubernetes.io/server-snippet': 'location /x { return 200 "$hostname"; }' };
    expect(await refusedBy('ingress-snippets', learner, snippet)).toContain(
      "Ingress annotation nginx.ingress.kubernetes.io/server-snippet puts text into the ingress controller's own configuration",
    );
  });

  test('NodePort, LoadBalancer, externalIPs and ExternalName Services are refused', async () => {
    expect(await refusedBy('node-port-services', learner, service(A, { type: 'NodePort' }))).toContain('a Service of type NodePort');
    expect(await refusedBy('load-balancer-services', learner, service(A, { type: 'LoadBalancer' }))).toContain('a Service of type LoadBalancer');
    expect(await refusedBy('external-ips', learner, service(A, { externalIPs: ['192.0.2.10'] }))).toContain('Service externalIPs (192.0.2.10)');
    await refusedBy('external-name-services', learner, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(A),
      spec: { type: 'ExternalName', externalName: '169.254.169.254' },
    });
  });

  test('hand-written Endpoints and EndpointSlices are refused (EndpointSlices already by RBAC, and by the policy for anyone)', async () => {
    const endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: meta(A),
      subsets: [{ addresses: [{ ip: '10.0.0.10' }], ports: [{ port: 80 }] }],
    };
    expect(await refusedBy('hand-written-endpoints', learner, endpoints as Manifest)).toContain(
      'Endpoints and EndpointSlices are written by the cluster',
    );
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...meta(A), labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.10'] }],
      ports: [{ port: 80 }],
    } as Manifest;
    expect(await attempt(learner, slice)).toMatch(/403 Forbidden: .*cannot create resource "endpointslices"/);
    await refusedBy('hand-written-endpoints', admin, slice);
  });

  test('what a learner legitimately makes is admitted: a Deployment, a ClusterIP Service, Ingresses on the own hosts', async () => {
    expect(await attempt(learner, deployment(A, podSpec(), 'web'))).toBeUndefined();
    expect(await attempt(learner, service(A, { selector: { app: 'web' } }))).toBeUndefined();
    expect(
      await attempt(
        learner,
        ingress(A, { rules: [hostRule(`app-${A}.${DOMAIN}`), hostRule(`api-${A}.${DOMAIN}`)], tls: [{ hosts: [`app-${A}.${DOMAIN}`] }] }),
      ),
    ).toBeUndefined();
  });
});

describe('the synth-time twins decide as the API server does', () => {
  test('session hosts', async () => {
    const hosts = [
      `${A}.${DOMAIN}`,
      `a-${A}.${DOMAIN}`,
      `a-b-${A}.${DOMAIN}`,
      `x.${A}.${DOMAIN}`,
      `-${A}.${DOMAIN}`,
      `a${A}.${DOMAIN}`,
      `a-${A}.${DOMAIN}.evil.test`,
      `${A}.${DOMAIN}x`,
      `a-${B}.${DOMAIN}`,
      `${PORTAL}-ui.${DOMAIN}`,
      `a--${A}.${DOMAIN}`,
      `*.${DOMAIN}`,
    ];
    // the reserved hosts as the live namespace carries them
    const reservedHosts = (await admin.get('v1', 'Namespace', A))!.metadata.annotations![RESERVED_HOSTS_ANNOTATION].split(',');
    expect(reservedHosts).toEqual([`${A}.${DOMAIN}`]);
    for (const host of hosts) {
      const object = ingress(A, { rules: [hostRule(host)] });
      const refusal = await attempt(learner, object);
      // (a host that is no DNS name at all is refused by the API's validation before any policy)
      expect({ host, admitted: refusal === undefined }).toEqual({
        host,
        admitted: AdmissionRule.INGRESS_HOSTS.violations(object, { sessionName: A, ingressDomain: DOMAIN, reservedHosts }).length === 0,
      });
    }
    expect(isSessionHost(`${A}.${DOMAIN}`, { sessionName: A, ingressDomain: DOMAIN })).toBe(true);
  });

  test('runtime socket paths (where hostPath is relaxed)', async () => {
    const paths = [
      '/var/run/docker.sock',
      '/var/run',
      '/var/run/',
      '/run',
      '/',
      '/run/containerd/containerd.sock',
      '/var//run/docker.sock',
      '/var/run/./crio',
      '/var/lib/../run',
      '/var/log',
      '/var/run-x',
      '/etc/containerd',
      '/run/k3s',
    ];
    for (const hostPath of [...paths.map((path) => ({ path })), { path: '/opt/agent.sock', type: 'Socket' }]) {
      const refusal = await attempt(relaxedLearner, deployment(R, podSpec({ volumes: [{ name: 'v', hostPath }] })));
      expect({ hostPath, admitted: refusal === undefined }).toEqual({ hostPath, admitted: !reachesSocket(hostPath) });
    }
  });
});

describe("a learner cannot feed the portal's caches", () => {
  test('objects may not carry the labels the portal selects on, unless the portal wrote them', async () => {
    const labelled = (labels: Record<string, string>): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...meta(A), labels } });
    expect(await refusedBy('workshop-labels', learner, labelled({ [Labels.COMPONENT]: 'session', [Labels.MANAGED_BY]: 'cdk8s-workshops' }))).toMatch(
      /label (training.cdk8s-workshops.dev\/component|app.kubernetes.io\/managed-by) is the portal's to set/,
    );
    await refusedBy('workshop-labels', learner, { ...deployment(A, podSpec()), metadata: { ...meta(A), labels: { [Labels.SESSION]: B } } });
    expect(await attempt(learner, labelled({ [Labels.MANAGED_BY]: 'helm', app: 'web' }))).toBeUndefined();
    // the learner may still change an object of the blueprint that carries them, as long as they stay as they are
    const patch = (body: unknown) =>
      learner
        .request('PATCH', learner.pathFor('rbac.authorization.k8s.io/v1', 'RoleBinding', 'workshop-session-role', A), {
          body,
          contentType: 'application/merge-patch+json',
          query: { dryRun: 'All' },
        })
        .then(
          () => undefined,
          (error: Error) => error.message,
        );
    expect(await patch({ metadata: { annotations: { note: 'mine' } } })).toBeUndefined();
    expect(await patch({ metadata: { labels: { [Labels.SESSION]: B } } })).toContain(
      `cdk8s-workshops [workshop-labels]: label ${Labels.SESSION} is the portal's to set`,
    );
  });
});

describe('a learner cannot reach the node', () => {
  test('pods with hostPath, host namespaces, privileges or the docker socket are refused in the session namespace', async () => {
    // Pod Security (restricted) answers first for bare pods; its message names the control
    expect(await attempt(learner, pod(A, podSpec({ volumes: [{ name: 'root', hostPath: { path: '/' } }] })))).toMatch(
      /403 Forbidden: .*volume "root" uses restricted volume type "hostPath"/,
    );
    expect(await attempt(learner, pod(A, podSpec({ hostNetwork: true })))).toMatch(/403 Forbidden: .*host namespaces \(hostNetwork=true\)/);
    expect(await attempt(learner, pod(A, podSpec({ containers: [container({ securityContext: { privileged: true } })] })))).toMatch(
      /403 Forbidden: .*privileged/,
    );
    expect(await attempt(learner, pod(A, podSpec({ volumes: [socketVolume] })))).toMatch(
      /403 Forbidden: .*volume "docker" uses restricted volume type "hostPath"/,
    );
  });

  test('workload templates, which Pod Security only warns about, are refused by the policies', async () => {
    expect(
      await refusedBy('host-path-volumes', learner, deployment(A, podSpec({ volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] }))),
    ).toContain("volume 'etc' is a hostPath (/etc)");
    expect(await refusedBy('host-namespaces', learner, deployment(A, podSpec({ hostNetwork: true })))).toContain('hostNetwork must not be true');
    expect(
      await refusedBy('host-ports', learner, deployment(A, podSpec({ containers: [container({ ports: [{ containerPort: 80, hostPort: 80 }] })] }))),
    ).toContain("container 'app' may not use hostPort 80");
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta(A),
      spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: podSpec({ restartPolicy: 'Never', hostPID: true }) } } } },
    } as Manifest;
    expect(await refusedBy('host-namespaces', learner, cronJob)).toContain('hostPID must not be true');
    const controller = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: meta(A),
      spec: { replicas: 1, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: podSpec({ hostIPC: true }) } },
    } as Manifest;
    expect(await refusedBy('host-namespaces', learner, controller)).toContain('hostIPC must not be true');
  });

  test('where no Pod Security level is enforced, the policies alone refuse each pod form', async () => {
    expect(await refusedBy('host-path-volumes', admin, pod(BARE, podSpec({ volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] })))).toContain(
      "volume 'etc'",
    );
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
      expect(await refusedBy('host-namespaces', admin, pod(BARE, podSpec({ [field]: true })))).toContain(`${field} must not be true`);
    }
    await refusedBy(
      'host-ports',
      admin,
      pod(BARE, podSpec({ initContainers: [container({ name: 'init', ports: [{ containerPort: 53, hostPort: 53 }] })] })),
    );
  });

  test('an author relaxes a rule visibly, per namespace; the docker socket stays refused where hostPath is allowed', async () => {
    const relaxed = await admin.get('v1', 'Namespace', R);
    expect(relaxed!.metadata.labels).toMatchObject({
      [AdmissionRule.NODE_PORT_SERVICES.exceptionLabel]: 'true',
      [AdmissionRule.HOST_PATH_VOLUMES.exceptionLabel]: 'true',
    });
    expect(await attempt(relaxedLearner, service(R, { type: 'NodePort', selector: { app: 'web' } }))).toBeUndefined();
    expect(await attempt(relaxedLearner, deployment(R, podSpec({ volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] })))).toBeUndefined();
    expect(await refusedBy('runtime-socket-mounts', relaxedLearner, deployment(R, podSpec({ volumes: [socketVolume] })))).toContain(
      "volume 'docker' (/var/run/docker.sock) mounts the container runtime socket",
    );
    await refusedBy('runtime-socket-mounts', relaxedLearner, deployment(R, podSpec({ volumes: [{ name: 'run', hostPath: { path: '/var/run/' } }] })));
    // the other rules still hold there
    await refusedBy('load-balancer-services', relaxedLearner, service(R, { type: 'LoadBalancer' }));
    await refusedBy('ingress-hosts', relaxedLearner, ingress(R, { rules: [hostRule(`app-${A}.${DOMAIN}`)] }));
  });
});

describe('a learner cannot exhaust the cluster (budget small)', () => {
  async function fill(make: (i: number) => Manifest): Promise<{ created: number; refusal: string }> {
    for (let i = 0; i < 200; i++) {
      const refusal = await attempt(learner, make(i), true);
      if (refusal) return { created: i, refusal };
    }
    throw new Error('200 objects were admitted');
  }
  const count = async (apiVersion: string, kind: string) => (await admin.list(apiVersion, kind, { namespace: A })).length;

  test('ConfigMaps stop at the quota', async () => {
    const { created, refusal } = await fill((i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(A, `flood-${i}`),
      data: { i: String(i) },
    }));
    expect(refusal).toMatch(/exceeded quota: object-counts, requested: configmaps=1, used: configmaps=20, limited: configmaps=20/);
    expect(created).toBeLessThan(20);
    // kube-root-ca.crt may be written before the quota exists, and the quota controller counts it only at its next
    // full resync: the namespace holds at most one ConfigMap more than the quota
    expect(await count('v1', 'ConfigMap')).toBeLessThanOrEqual(21);
  });

  test('tiny pods stop at the pod count, long before CPU or memory run out', async () => {
    const { refusal } = await fill((i) => pod(A, podSpec(), `flood-${i}`));
    expect(refusal).toMatch(/exceeded quota: object-counts, requested: pods=1, used: pods=10, limited: pods=10/);
  });

  test('Deployments stop at the quota', async () => {
    const { refusal } = await fill((i) => deployment(A, podSpec(), `flood-${i}`));
    expect(refusal).toMatch(
      /exceeded quota: object-counts, requested: count\/deployments.apps=1, used: count\/deployments.apps=5, limited: count\/deployments.apps=5/,
    );
  });
});

describe("the portal's ServiceAccount stays in its own namespaces, even with cluster-admin", () => {
  const configMap = (namespace: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(namespace, 'portal-write') });
  const namespace = (name: string, labels: Record<string, string>): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const sessionLabels = (portalName: string, enforce: string) => ({
    [Labels.COMPONENT]: 'session',
    [Labels.PORTAL]: portalName,
    'pod-security.kubernetes.io/enforce': enforce,
  });

  test("everything the runtime writes for a session passes: a whole session was applied with the portal's own token and RBAC", async () => {
    expect((await admin.get('v1', 'Namespace', `${GUARDED}-ppppp`))!.metadata.labels).toMatchObject({ [Labels.PORTAL]: PORTAL });
  });

  test('it writes in its own namespace, its environments and its sessions', async () => {
    // (session A is full: the quota tests above filled it)
    for (const ns of [`${PORTAL}-ui`, GUARDED, B, R]) expect(await attempt(portal, configMap(ns))).toBeUndefined();
  });

  test('it may not write in kube-system, default, unlabelled namespaces or sessions of another portal', async () => {
    await admin.apply(namespace(`other-x-zzzzz`, sessionLabels('other', 'restricted')));
    for (const ns of ['kube-system', 'default', VICTIM, 'other-x-zzzzz']) {
      expect(await refusedBy('portal-scope', portal, configMap(ns))).toContain(
        `may write only in its own namespace, its environments' namespaces and its session namespaces, not in namespace '${ns}'`,
      );
    }
    await refusedBy('portal-scope', portal, deployment('kube-system', podSpec()));
  });

  test('the namespaces it creates are its session namespaces, never privileged', async () => {
    expect(await attempt(portal, namespace(`${GUARDED}-nnnnn`, sessionLabels(PORTAL, 'baseline')))).toBeUndefined();
    expect(await refusedBy('portal-scope', portal, namespace(`${GUARDED}-nnnnn`, sessionLabels(PORTAL, 'privileged')))).toContain(
      `namespace '${GUARDED}-nnnnn' has component 'session', portal '${PORTAL}', enforce 'privileged'`,
    );
    await refusedBy('portal-scope', portal, namespace(`${GUARDED}-nnnnn`, { [Labels.COMPONENT]: 'session', [Labels.PORTAL]: PORTAL }));
    await refusedBy('portal-scope', portal, namespace(`${GUARDED}-nnnnn`, sessionLabels('other', 'restricted')));
    await refusedBy('portal-scope', portal, namespace('plain', {}));
  });

  test('it cannot relabel other namespaces into sessions, weaken a session, or delete what is not its session', async () => {
    const relabel = async (name: string, labels: Record<string, string>) => {
      try {
        await portal.apply(namespace(name, labels), { dryRun: true, fieldManager: 'attack' });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(await relabel('kube-system', sessionLabels(PORTAL, 'restricted'))).toContain("[portal-scope]: the portal's ServiceAccount");
    expect(await relabel(A, { 'pod-security.kubernetes.io/enforce': 'privileged' })).toContain("enforce 'privileged'");
    const remove = async (name: string) => {
      try {
        await portal.request('DELETE', portal.pathFor('v1', 'Namespace', name), { query: { dryRun: 'All' } });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(await remove(VICTIM)).toContain(`may change or delete only its own session namespaces, not namespace '${VICTIM}'`);
    expect(await remove(B)).toBeUndefined();
  });

  test("of WorkshopEnvironments it changes only its own portal's status and drain finalizer, not what they make", async () => {
    const own = (await admin.get<Manifest>(API_VERSION, 'WorkshopEnvironment', GUARDED))!;
    const foreignName = `${PORTAL}-foreign`;
    await admin.apply({
      apiVersion: own.apiVersion,
      kind: own.kind,
      metadata: { name: foreignName, labels: { ...own.metadata.labels, [Labels.PORTAL]: 'other' } },
      spec: own.spec,
    });
    const patch = async (name: string, body: unknown, subresource = '') => {
      try {
        await portal.request('PATCH', `${portal.pathFor(API_VERSION, 'WorkshopEnvironment', name)}${subresource}`, {
          body,
          contentType: 'application/merge-patch+json',
          query: { dryRun: 'All' },
        });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    // what the runtime does: hold and release its environments, report on them
    expect(await patch(GUARDED, { metadata: { finalizers: [DRAIN_FINALIZER] } })).toBeUndefined();
    expect(await patch(GUARDED, { status: { phase: 'Running' } }, '/status')).toBeUndefined();
    // the attacks: change what its own environment makes, relabel it, add another finalizer; touch another portal's
    const refusal = (name: string, subresource = '') =>
      `[portal-scope]: the portal's ServiceAccount system:serviceaccount:${PORTAL}-ui:training-portal ` +
      `may change only the status and the ${DRAIN_FINALIZER} finalizer of its own portal's WorkshopEnvironments, not UPDATE ${subresource}WorkshopEnvironment '${name}'`;
    expect(await patch(GUARDED, { spec: { pool: { capacity: 99 } } })).toContain(refusal(GUARDED));
    expect(await patch(GUARDED, { metadata: { labels: { [Labels.PORTAL]: 'other' } } })).toContain(refusal(GUARDED));
    expect(await patch(GUARDED, { metadata: { finalizers: [DRAIN_FINALIZER, 'example.com/hold'] } })).toContain(refusal(GUARDED));
    expect(await patch(foreignName, { metadata: { finalizers: [DRAIN_FINALIZER] } })).toContain(refusal(foreignName));
    expect(await patch(foreignName, { status: { phase: 'Stopped' } }, '/status')).toContain(refusal(foreignName, 'status of '));
    await admin.delete(API_VERSION, 'WorkshopEnvironment', foreignName);
  });
});
