/**
 * `request.objects` on the test control plane, with the runtime authenticated as the portal's own synthesized
 * ServiceAccount: a reserve session waits without them; allocating it to a learner, with parameters supplied by a
 * REST client, creates them with the values filled in (in the session namespace and, owned by it, in the environment
 * namespace); ending the session removes them. The portal's RBAC grew by exactly the kinds they have, where they are.
 */
import { ApiObject, App } from 'cdk8s';

import {
  API_VERSION,
  type Manifest,
  RequestParameter,
  synthesize,
  type SynthFile,
  Terminal,
  TrainingPortal,
  Workshop,
} from '../../src/constructs/index.js';
import { createLogger, KubeClient, phaseOf, SessionRuntime } from '../../src/runtime/index.js';
import { removeServiceAccountKubeconfigs, serviceAccountKubeconfig } from '../support/identities.js';
import { waitFor } from '../support/portal-fixture.js';

const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const PORTAL = 'reqobj';
const ENVIRONMENT = `${PORTAL}-lab`;
type Json = Record<string, any>;

function files(): SynthFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const workshop = new Workshop(app, 'lab', {
    title: 'Lab',
    description: 'Objects made for the learner who gets the session',
    capabilities: [new Terminal()],
    requestParameters: [RequestParameter.fixed('GREETING', 'hello'), RequestParameter.generated('TOKEN', '[a-z]{12}')],
  });
  const r = workshop.request;
  new ApiObject(r, 'greeting', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'greeting' },
    data: { greeting: `${r.param('GREETING')}, from ${r.vars.sessionName}`, token: r.param('TOKEN'), encoded: `$(base64(${r.param('GREETING')}))` },
  });
  new ApiObject(r, 'helper', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'helper' } });
  new ApiObject(r, 'shared', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${r.vars.sessionName}-greeting`, namespace: r.vars.workshopNamespace },
    data: { greeting: r.param('GREETING') },
  });
  const portal = new TrainingPortal(app, PORTAL, { maximumSessions: 4 });
  portal.addWorkshop(workshop, { capacity: 2, reserved: 1 });
  return synthesize(app);
}

async function applyFiles(all: SynthFile[]): Promise<void> {
  const rank = (file: string) => (file.startsWith('cluster/crds') ? 0 : file.startsWith('cluster/') ? 1 : file.endsWith('portal.k8s.yaml') ? 2 : 3);
  for (const file of [...all].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path))) {
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

async function can(attributes: Record<string, string>): Promise<boolean> {
  const review = await admin.request<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${PORTAL}-ui:training-portal`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${PORTAL}-ui`, 'system:authenticated'],
        resourceAttributes: attributes,
      },
    },
  });
  return review.status.allowed;
}

let runtime: SessionRuntime;
let client: KubeClient;

beforeAll(async () => {
  await applyFiles(files());
  client = KubeClient.fromKubeconfig(await serviceAccountKubeconfig(`${PORTAL}-ui`, 'training-portal'));
  runtime = new SessionRuntime(client, {
    portal: PORTAL,
    portalNamespace: `${PORTAL}-ui`,
    limits: { maximum: 0, registered: 2, anonymous: 2 },
    tickMs: 200,
    idleAfterSeconds: 60,
    leaseDurationSeconds: 4,
    logger: createLogger('request-objects', process.env.LOG_LEVEL ?? 'silent'),
  });
  await runtime.start();
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  await client?.close();
  await admin.close();
  removeServiceAccountKubeconfigs();
});

test('a reserve has no request objects; allocation creates them with the request parameters; they go with the session', async () => {
  const reserve = await waitFor(
    'a Ready reserve',
    () => runtime.state.sessionsOf(ENVIRONMENT).find((s) => phaseOf(s) === 'Ready' && !s.status?.user),
    120_000,
  );
  const name = reserve.metadata.name;
  expect(await admin.get('v1', 'ConfigMap', 'greeting', name)).toBeUndefined();
  expect(await admin.get('v1', 'ConfigMap', `${name}-greeting`, ENVIRONMENT)).toBeUndefined();

  // a REST client supplies GREETING (with characters that would break a naive substitution); TOKEN is generated
  const greeting = 'hi "there"}, $(services_password)';
  const result = await runtime.allocate({
    environment: ENVIRONMENT,
    user: 'alice',
    request: { parameters: { GREETING: greeting, UNDECLARED: 'x' } },
  });
  if (!('session' in result)) throw new Error(`no session: ${result.refused}`);
  expect(result.session.metadata.name).toBe(name);

  const cm = await waitFor('the request ConfigMap', () => admin.get<Json>('v1', 'ConfigMap', 'greeting', name));
  const secret = await admin.get<Json>('v1', 'Secret', 'workshop-request', name);
  const token = Buffer.from(secret!.data.TOKEN, 'base64').toString('utf8');
  expect(token).toMatch(/^[a-z]{12}$/);
  expect(cm!.data).toEqual({ greeting: `${greeting}, from ${name}`, token, encoded: Buffer.from(greeting).toString('base64') });
  expect(await admin.get('v1', 'ServiceAccount', 'helper', name)).toBeDefined();
  const shared = await admin.get<Json>('v1', 'ConfigMap', `${name}-greeting`, ENVIRONMENT);
  expect(shared!.data).toEqual({ greeting });
  const namespace = await admin.get<Json>('v1', 'Namespace', name);
  expect(shared!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Namespace', name, uid: namespace!.metadata.uid })]);

  await runtime.terminate(name, 'TerminatedByAdmin');
  await waitFor(
    `${name} and its request objects to be gone`,
    async () =>
      !(await admin.get(API_VERSION, 'WorkshopSession', name)) &&
      !(await admin.get('v1', 'Namespace', name)) &&
      !(await admin.get('v1', 'ConfigMap', `${name}-greeting`, ENVIRONMENT)),
    90_000,
  );
}, 240_000);

test("the portal may create the request objects' kinds where they are, and not elsewhere", async () => {
  const session = await waitFor('a session', () => runtime.state.sessionsOf(ENVIRONMENT).find((s) => phaseOf(s) === 'Ready'), 120_000);
  expect(await can({ namespace: session.metadata.name, verb: 'create', resource: 'serviceaccounts' })).toBe(true);
  expect(await can({ namespace: ENVIRONMENT, verb: 'create', resource: 'configmaps' })).toBe(true);
  for (const namespace of ['kube-system', 'default']) {
    expect(await can({ namespace, verb: 'create', resource: 'serviceaccounts' })).toBe(false);
    expect(await can({ namespace, verb: 'create', resource: 'configmaps' })).toBe(false);
  }
  // and the admission policy keeps even a kind it may create out of namespaces that are not its own
  const planted: Manifest = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'planted', namespace: 'default' } };
  await expect(client.apply(planted, { dryRun: true })).rejects.toMatchObject({ status: 403 });
}, 180_000);
