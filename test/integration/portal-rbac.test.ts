/**
 * The runtime as the portal's own synthesized ServiceAccount (a TokenRequest token, not system:masters): it creates
 * sessions of the three example workshops and of an imported Educates workshop that binds `view`, allocates one and
 * ends one. Then, with SubjectAccessReviews and server-side dry runs, what the portal and a learner may not do is
 * tried and refused, next to what a learner must still be able to do.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parseAllDocuments } from 'yaml';

import { containerBuilds } from '../../examples/container-builds/workshop.js';
import { helloTerminal } from '../../examples/hello-terminal/workshop.js';
import { kubernetesFundamentals } from '../../examples/k8s-fundamentals/workshop.js';
import {
  API_VERSION,
  type Manifest,
  Registration,
  synthesize,
  type SynthFile,
  Terminal,
  TrainingPortal,
  Workshop,
  workshopPodNames,
} from '../../src/constructs/index.js';
import { importEducates } from '../../src/importer/index.js';
import {
  createLogger,
  KubeClient,
  KubeError,
  phaseOf,
  SessionRuntime,
  type SessionRuntimeOptions,
  type WorkshopSession,
} from '../../src/runtime/index.js';
import { removeServiceAccountKubeconfigs, serviceAccountKubeconfig } from '../support/identities.js';
import { waitFor } from '../support/portal-fixture.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

type Json = Record<string, any>;

/** An Educates workshop whose sessions bind the built-in `view` ClusterRole, in a portal of its own. */
const IMPORTED_WORKSHOP = `
apiVersion: training.educates.dev/v1beta1
kind: Workshop
metadata:
  name: lab-viewer
spec:
  title: Viewer
  description: A session that may look at its namespace with the cluster's own view role.
  session:
    namespaces:
      role: edit
    applications:
      terminal:
        enabled: true
    objects:
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata:
        name: viewer
      roleRef:
        apiGroup: rbac.authorization.k8s.io
        kind: ClusterRole
        name: view
      subjects:
      - kind: ServiceAccount
        namespace: $(workshop_namespace)
        name: $(service_account)
`;
const IMPORTED_PORTAL = `
apiVersion: training.educates.dev/v1beta1
kind: TrainingPortal
metadata:
  name: rbacimp
spec:
  portal:
    sessions:
      maximum: 4
  workshops:
  - name: lab-viewer
    capacity: 2
    reserved: 1
`;

/** The examples, listed in a portal of their own so that other test files' `labs` is left alone. */
function examplesPortal(): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const portal = new TrainingPortal(app, 'rbac', { maximumSessions: 10, registeredSessions: 2, registration: Registration.ANONYMOUS });
  portal.addWorkshop(kubernetesFundamentals(app), { capacity: 3, reserved: 1 });
  portal.addWorkshop(containerBuilds(app), { capacity: 3, reserved: 1 });
  portal.addWorkshop(helloTerminal(app), { capacity: 3, reserved: 1 });
  return synthesize(app);
}

/** The imported module, run with tsx against this repository's sources, and the files it synthesizes. */
const IMPORT_DIR = path.join(ROOT, '.import-test', 'portal-rbac');

async function importedPortal(): Promise<SynthFile[]> {
  const dir = IMPORT_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const source = importEducates({ workshopYaml: IMPORTED_WORKSHOP, portalYaml: IMPORTED_PORTAL, sourceName: 'portal-rbac' }).source.replaceAll(
    "from 'cdk8s-workshops'",
    `from '${path.join(ROOT, 'src/index.js')}'`,
  );
  fs.writeFileSync(path.join(dir, 'app.ts'), source);
  const outdir = path.join(dir, 'dist');
  await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: dir, env: { ...process.env, CDK8S_OUTDIR: outdir } });
  const files: SynthFile[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        files.push({
          path: path.relative(outdir, full),
          objects: parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJSON() as Manifest),
        });
    }
  };
  walk(outdir);
  return files;
}

/** Applies synthesized files as an administrator would (Argo CD): cluster first, waiting for the CRDs, then the rest. */
async function applyFiles(files: SynthFile[]): Promise<void> {
  const rank = (file: string) => (file.startsWith('cluster/crds') ? 0 : file.startsWith('cluster/') ? 1 : file.endsWith('portal.k8s.yaml') ? 2 : 3);
  for (const file of [...files].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path))) {
    for (const object of file.objects) await admin.apply(object);
    if (file.path === 'cluster/crds.k8s.yaml') {
      for (const crd of file.objects) {
        await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
          const live = await admin.get<Json>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
          return live?.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True');
        });
      }
    }
  }
}

/** A runtime authenticated as the portal's ServiceAccount. */
async function runtimeAs(portal: string, options: Partial<SessionRuntimeOptions> = {}): Promise<{ runtime: SessionRuntime; client: KubeClient }> {
  const client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(`${portal}-ui`, 'training-portal'));
  const runtime = new SessionRuntime(client, {
    portal,
    portalNamespace: `${portal}-ui`,
    limits: { maximum: 0, registered: 2, anonymous: 2 },
    tickMs: 200,
    idleAfterSeconds: 60,
    leaseDurationSeconds: 4,
    logger: createLogger('portal-rbac', process.env.LOG_LEVEL ?? 'silent'),
    ...options,
  });
  await runtime.start();
  return { runtime, client };
}

/** Whether the API server's authorizer lets a ServiceAccount do something. */
async function can(account: { namespace: string; name: string }, attributes: Record<string, string>): Promise<boolean> {
  const review = await admin.request<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${account.namespace}:${account.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'],
        resourceAttributes: attributes,
      },
    },
  });
  return review.status.allowed;
}

/** The error of a request that must fail (server-side dry runs change nothing when they succeed). */
async function refusal(request: Promise<unknown>): Promise<KubeError> {
  const error = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KubeError)) throw new Error(`expected a refusal, got ${error === undefined ? 'success' : String(error)}`);
  return error;
}

const dryRunCreate = (client: KubeClient, object: Manifest) =>
  client.request('POST', client.pathFor(object.apiVersion, object.kind, undefined, object.metadata.namespace), {
    body: object,
    query: { dryRun: 'All' },
  });

let examples: { runtime: SessionRuntime; client: KubeClient };
let imported: { runtime: SessionRuntime; client: KubeClient };
const PORTAL = { namespace: 'rbac-ui', name: 'training-portal' };
const IMPORTED_PORTAL_SA = { namespace: 'rbacimp-ui', name: 'training-portal' };
const ENVIRONMENTS = ['rbac-k8s-fundamentals', 'rbac-container-builds', 'rbac-hello-terminal'];

const readySession = (runtime: SessionRuntime, environment: string) =>
  waitFor(`a Ready session of ${environment}`, () => runtime.state.sessionsOf(environment).find((s) => phaseOf(s) === 'Ready'), 90_000);

beforeAll(async () => {
  const [examplesFiles, importedFiles] = await Promise.all([examplesPortal(), importedPortal()]);
  await applyFiles(examplesFiles);
  await applyFiles(importedFiles);
  examples = await runtimeAs('rbac');
  imported = await runtimeAs('rbacimp');
}, 180_000);

afterAll(async () => {
  await examples?.runtime.stop();
  await imported?.runtime.stop();
  await admin.close();
  removeServiceAccountKubeconfigs();
  fs.rmSync(IMPORT_DIR, { recursive: true, force: true });
});

describe('the runtime as the portal ServiceAccount', () => {
  test('creates Ready sessions of every example workshop and of the imported one', async () => {
    for (const environment of ENVIRONMENTS) {
      const session = await readySession(examples.runtime, environment);
      expect(session.status!.history!.map((h) => h.phase)).toEqual(['Creating', 'Starting', 'Ready']);
      // the workshop pod is in the environment namespace, owned by the WorkshopSession
      const deployment = await admin.get<Json>('apps/v1', 'Deployment', workshopPodNames(session.metadata.name).deployment, environment);
      expect(deployment!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'WorkshopSession', uid: session.metadata.uid })]);
      expect(await admin.list('apps/v1', 'Deployment', { namespace: session.metadata.name })).not.toContainEqual(
        expect.objectContaining({ metadata: expect.objectContaining({ name: workshopPodNames(session.metadata.name).deployment }) }),
      );
    }
    const viewer = await readySession(imported.runtime, 'rbacimp-lab-viewer');
    const binding = await admin.get<Json>('rbac.authorization.k8s.io/v1', 'RoleBinding', 'viewer', viewer.metadata.name);
    expect(binding!.roleRef.name).toBe('view');
  }, 200_000);

  test('allocates a session (its request lands in the session namespace) and ends another, which goes with everything it had', async () => {
    const result = await examples.runtime.allocate({ environment: 'rbac-k8s-fundamentals', user: 'alice' });
    if (!('session' in result)) throw new Error(`no session: ${result.refused}`);
    const allocated = result.session.metadata.name;
    await waitFor('the request Secret', () => admin.get('v1', 'Secret', 'workshop-request', allocated));

    const ending = await readySession(examples.runtime, 'rbac-hello-terminal');
    const name = ending.metadata.name;
    await examples.runtime.terminate(name, 'TerminatedByAdmin');
    await waitFor(
      `${name} to be gone`,
      async () => !(await admin.get(API_VERSION, 'WorkshopSession', name)) && !(await admin.get('v1', 'Namespace', name)),
      90_000,
    );
    const names = workshopPodNames(name);
    await waitFor(
      `the workshop pod of ${name} to be collected`,
      async () =>
        !(await admin.get('apps/v1', 'Deployment', names.deployment, 'rbac-hello-terminal')) &&
        !(await admin.get('v1', 'Secret', names.secret, 'rbac-hello-terminal')) &&
        !(await admin.get('v1', 'ServiceAccount', names.serviceAccount, 'rbac-hello-terminal')),
      60_000,
    );
  }, 200_000);
});

describe('what the portal may not do', () => {
  test('create Deployments or Secrets in kube-system, or patch namespaces', async () => {
    for (const portal of [PORTAL, IMPORTED_PORTAL_SA]) {
      expect(await can(portal, { namespace: 'kube-system', verb: 'create', resource: 'deployments', group: 'apps' })).toBe(false);
      expect(await can(portal, { namespace: 'kube-system', verb: 'create', resource: 'secrets' })).toBe(false);
      expect(await can(portal, { namespace: 'kube-system', verb: 'get', resource: 'secrets', name: 'anything' })).toBe(false);
      expect(await can(portal, { verb: 'patch', resource: 'namespaces', name: 'kube-system' })).toBe(false);
    }
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'miner', namespace: 'kube-system' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      },
    };
    expect((await refusal(dryRunCreate(examples.client, deployment))).status).toBe(403);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'planted', namespace: 'kube-system' }, stringData: { a: 'b' } };
    expect((await refusal(dryRunCreate(examples.client, secret))).status).toBe(403);
    const relabel = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kube-system', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    };
    expect((await refusal(examples.client.apply(relabel, { dryRun: true }))).status).toBe(403);
  });

  test('bind cluster-admin, escalate, or create ClusterRoleBindings; it binds only the ClusterRoles its sessions name', async () => {
    for (const [portal, sessionRole] of [
      [PORTAL, 'cdk8s-workshops-session-admin'],
      [IMPORTED_PORTAL_SA, 'cdk8s-workshops-session-edit'],
    ] as const) {
      expect(await can(portal, { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'cluster-admin' })).toBe(false);
      expect(await can(portal, { verb: 'escalate', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'cluster-admin' })).toBe(
        false,
      );
      expect(await can(portal, { namespace: 'default', verb: 'escalate', resource: 'roles', group: 'rbac.authorization.k8s.io' })).toBe(false);
      expect(await can(portal, { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' })).toBe(false);
      expect(await can(portal, { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: sessionRole })).toBe(true);
    }
    expect(await can(PORTAL, { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'view' })).toBe(false);
    expect(await can(IMPORTED_PORTAL_SA, { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'view' })).toBe(true);
    // the real request: a RoleBinding of cluster-admin, even in a session namespace, is refused
    const session = (await readySession(examples.runtime, 'rbac-k8s-fundamentals')).metadata.name;
    const root = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'root', namespace: session },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace: 'rbac-ui' }],
    };
    expect((await refusal(dryRunCreate(examples.client, root))).message).toMatch(/forbidden/);
    // nor can it hand itself its session-namespace role anywhere else (RBAC lets it create the first RoleBinding of a
    // namespace it does not know yet; the portal-scope admission policy keeps that to its sessions)
    const foothold = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'foothold', namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cdk8s-workshops-portal-rbac-session' },
      subjects: [{ kind: 'ServiceAccount', name: 'training-portal', namespace: 'rbac-ui' }],
    };
    expect([403, 422]).toContain((await refusal(dryRunCreate(examples.client, foothold))).status);
  }, 120_000);
});

describe("the portal's caches", () => {
  test("hold only the environment namespaces' Deployments, never what a learner writes", async () => {
    const session = await readySession(examples.runtime, 'rbac-k8s-fundamentals');
    const client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(session.spec.environment, session.metadata.name));
    try {
      // a learner's own Deployment (admission refuses it the project's labels; the cache would not hold it even with them)
      await client.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'decoy', namespace: session.metadata.name, labels: { app: 'decoy' } },
        spec: {
          selector: { matchLabels: { app: 'decoy' } },
          template: {
            metadata: { labels: { app: 'decoy' } },
            spec: {
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{ name: 'x', image: 'nginx:1.27', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
            },
          },
        },
      });
    } finally {
      await client.close();
    }
    expect(examples.runtime.state.deployments.namespaces).toEqual([...ENVIRONMENTS].sort());
    expect(examples.runtime.state.deployments.get('decoy', session.metadata.name)).toBeUndefined();
  });
});

describe('what a learner may not do, and what they still may', () => {
  let builds: WorkshopSession;
  let fundamentals: WorkshopSession;
  let terminal: WorkshopSession;
  const learner = (session: WorkshopSession) => ({ namespace: session.spec.environment, name: session.metadata.name });

  beforeAll(async () => {
    builds = await readySession(examples.runtime, 'rbac-container-builds');
    fundamentals = await readySession(examples.runtime, 'rbac-k8s-fundamentals');
    terminal = await readySession(examples.runtime, 'rbac-hello-terminal');
  }, 200_000);

  test("cannot read the workshop pod's credentials, change its Deployment, or create anything in the environment namespace", async () => {
    for (const session of [builds, fundamentals, terminal]) {
      const me = learner(session);
      const names = workshopPodNames(session.metadata.name);
      const environment = session.spec.environment;
      expect(await can(me, { namespace: environment, verb: 'get', resource: 'secrets', name: names.secret })).toBe(false);
      expect(await can(me, { namespace: environment, verb: 'list', resource: 'secrets' })).toBe(false);
      for (const verb of ['patch', 'update', 'delete']) {
        expect(await can(me, { namespace: environment, verb, resource: 'deployments', group: 'apps', name: names.deployment })).toBe(false);
      }
      for (const resource of ['pods', 'configmaps', 'serviceaccounts', 'services']) {
        expect(await can(me, { namespace: environment, verb: 'create', resource })).toBe(false);
      }
      expect(await can(me, { namespace: environment, verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io' })).toBe(false);
      expect(await can(me, { namespace: environment, verb: 'create', resource: 'pods', subresource: 'exec' })).toBe(false);
    }
    // environment access (k8s-fundamentals) reads, never Secrets
    expect(await can(learner(fundamentals), { namespace: 'rbac-k8s-fundamentals', verb: 'list', resource: 'configmaps' })).toBe(true);
    expect(
      await can(learner(fundamentals), {
        namespace: 'rbac-k8s-fundamentals',
        verb: 'get',
        resource: 'secrets',
        name: workshopPodNames(fundamentals.metadata.name).secret,
      }),
    ).toBe(false);
  });

  test("cannot read other sessions' Secrets or change their own isolation", async () => {
    const me = learner(fundamentals);
    const home = fundamentals.metadata.name;
    expect(await can(me, { namespace: builds.metadata.name, verb: 'get', resource: 'secrets' })).toBe(false);
    expect(
      await can(me, { namespace: builds.spec.environment, verb: 'get', resource: 'secrets', name: workshopPodNames(builds.metadata.name).secret }),
    ).toBe(false);
    for (const verb of ['update', 'patch', 'delete']) {
      expect(await can(me, { namespace: home, verb, resource: 'networkpolicies', group: 'networking.k8s.io', name: 'workshop-isolation' })).toBe(
        false,
      );
      expect(await can(me, { namespace: home, verb, resource: 'resourcequotas', name: 'compute-resources' })).toBe(false);
      expect(await can(me, { namespace: home, verb, resource: 'limitranges', name: 'resource-limits' })).toBe(false);
      expect(await can(me, { verb, resource: 'namespaces', name: home })).toBe(false);
    }
    expect(await can(me, { namespace: home, verb: 'create', resource: 'networkpolicies', group: 'networking.k8s.io' })).toBe(false);
    // the real requests, as the learner
    const client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(me.namespace, me.name));
    try {
      const relabel = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: home, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
      };
      expect((await refusal(client.apply(relabel, { dryRun: true }))).status).toBe(403);
      const open = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'workshop-isolation', namespace: home },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
      };
      expect((await refusal(client.apply(open, { dryRun: true }))).status).toBe(403);
    } finally {
      await client.close();
    }
  });

  test('cannot create privileged or hostPath pods in the session namespace, even with Docker', async () => {
    for (const session of [builds, fundamentals]) {
      const client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(session.spec.environment, session.metadata.name));
      try {
        const namespace = (await admin.get<Json>('v1', 'Namespace', session.metadata.name))!;
        expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
        const pod = (name: string, spec: Json) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: session.metadata.name }, spec });
        const privileged = pod('escape', { containers: [{ name: 'x', image: 'busybox:1.36', securityContext: { privileged: true } }] });
        expect((await refusal(dryRunCreate(client, privileged))).message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
        const host = pod('host', {
          hostPID: true,
          hostNetwork: true,
          containers: [{ name: 'x', image: 'busybox:1.36', volumeMounts: [{ name: 'root', mountPath: '/host' }] }],
          volumes: [{ name: 'root', hostPath: { path: '/' } }],
        });
        expect((await refusal(dryRunCreate(client, host))).message).toMatch(
          /violates PodSecurity "restricted:latest": host namespaces \(hostNetwork=true, hostPID=true\).*volume "root" uses restricted volume type "hostPath"/,
        );
      } finally {
        await client.close();
      }
    }
  }, 60_000);

  test('can create Deployments, Services and Ingresses at home under admin or edit; only read under view', async () => {
    for (const session of [fundamentals, builds]) {
      const me = learner(session);
      for (const [resource, group] of [
        ['deployments', 'apps'],
        ['services', ''],
        ['ingresses', 'networking.k8s.io'],
      ]) {
        expect(await can(me, { namespace: session.metadata.name, verb: 'create', resource, group })).toBe(true);
      }
    }
    const editor = await readySession(imported.runtime, 'rbacimp-lab-viewer');
    expect(await can(learner(editor), { namespace: editor.metadata.name, verb: 'create', resource: 'deployments', group: 'apps' })).toBe(true);
    const viewer = learner(terminal);
    for (const [resource, group] of [
      ['deployments', 'apps'],
      ['services', ''],
      ['ingresses', 'networking.k8s.io'],
    ]) {
      expect(await can(viewer, { namespace: terminal.metadata.name, verb: 'create', resource, group })).toBe(false);
      expect(await can(viewer, { namespace: terminal.metadata.name, verb: 'list', resource, group })).toBe(true);
    }
    // the real request, as the learner: a Deployment and an Ingress on the session's own host are accepted
    const client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(fundamentals.spec.environment, fundamentals.metadata.name));
    try {
      const home = fundamentals.metadata.name;
      await dryRunCreate(client, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'mine', namespace: home },
        spec: {
          selector: { matchLabels: { app: 'mine' } },
          template: {
            metadata: { labels: { app: 'mine' } },
            spec: {
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{ name: 'x', image: 'nginx:1.27', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
            },
          },
        },
      });
      await dryRunCreate(client, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'mine', namespace: home },
        spec: {
          rules: [
            {
              host: `mine-${home}.workshops.127-0-0-1.test`,
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'mine', port: { number: 80 } } } }] },
            },
          ],
        },
      });
    } finally {
      await client.close();
    }
  }, 120_000);
});

describe('a session that fails', () => {
  let failing: { runtime: SessionRuntime; client: KubeClient };
  afterAll(async () => {
    await failing?.runtime.stop();
  });

  test('is kept for inspection, but its workshop pod stops with its namespace', async () => {
    // GIVEN a workshop whose own Deployment can never become Available (no node matches it)
    const app = new App({ outdir: '/nonexistent' });
    const portal = new TrainingPortal(app, 'rbacfail', { maximumSessions: 2 });
    const workshop = new Workshop(app, 'stuck', { title: 'Stuck', description: 'Never ready', capabilities: [new Terminal()] });
    new kplus.Deployment(workshop.session, 'unschedulable', {
      metadata: { name: 'unschedulable' },
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
      containers: [
        {
          image: 'nginx:1.27',
          securityContext: {
            ensureNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    }).scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is('no-such-node', 'anywhere')));
    portal.addWorkshop(workshop, { capacity: 1, reserved: 1 });
    await applyFiles(synthesize(app));
    // WHEN the runtime, as the portal, gives up on it
    failing = await runtimeAs('rbacfail', { startupTimeoutSeconds: 3 });
    const failed = await waitFor(
      'the session to fail',
      () => failing.runtime.state.sessionsOf('rbacfail-stuck').find((s) => phaseOf(s) === 'Failed'),
      60_000,
    );
    expect(failed.status!.reason).toBe('StartupTimeout');
    // THEN its namespace and its workshop pod go; the WorkshopSession stays for inspection
    await waitFor('the namespace to go', async () => !(await admin.get('v1', 'Namespace', failed.metadata.name)), 60_000);
    await waitFor(
      'the workshop pod to go',
      async () => !(await admin.get('apps/v1', 'Deployment', workshopPodNames(failed.metadata.name).deployment, 'rbacfail-stuck')),
      30_000,
    );
    expect(await admin.get(API_VERSION, 'WorkshopSession', failed.metadata.name)).toBeDefined();
  }, 120_000);
});
