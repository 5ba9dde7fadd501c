/**
 * dist/ against a real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on
 * loopback, started by the global setup): everything is accepted under strict server-side apply, sessions rendered
 * from the blueprints apply and become Available, Pod Security admission and RBAC hold, and deleting a session
 * namespace leaves nothing of the session behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseAllDocuments } from 'yaml';

import { API_VERSION, CompiledBlueprint, Labels, type Manifest, workshopPodNames } from '../../src/constructs/index.js';
import { applySession, generateSessionSecrets, KubeClient, KubeError } from '../../src/runtime/index.js';
import { blueprintOf } from '../support/examples.js';
import { waitFor } from '../support/portal-fixture.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const DIST = path.resolve('dist');

function distObjects(file: string): Manifest[] {
  return parseAllDocuments(fs.readFileSync(path.join(DIST, file), 'utf8')).map((d) => d.toJSON() as Manifest);
}

interface Started {
  environment: Manifest;
  sessionName: string;
  namespace: string;
}

async function startSession(environmentName: string, id: string): Promise<Started> {
  const environment = (await client.get(API_VERSION, 'WorkshopEnvironment', environmentName))!;
  const sessionName = `${environmentName}-${id}`;
  const session = await client.create<Manifest>({
    apiVersion: API_VERSION,
    kind: 'WorkshopSession',
    metadata: { name: sessionName, labels: { [Labels.ENVIRONMENT]: environmentName } },
    spec: { environment: environmentName, id },
  });
  const portal = (environment.spec as { portal: { ingressDomain: string; ingressProtocol: string } }).portal;
  await applySession(
    client,
    new CompiledBlueprint(blueprintOf(environment)),
    {
      environmentName,
      sessionId: id,
      workshopSessionUid: String(session.metadata.uid),
      ingressDomain: portal.ingressDomain,
      ingressProtocol: portal.ingressProtocol,
    },
    generateSessionSecrets(),
  );
  return { environment, sessionName, namespace: sessionName };
}

async function accessReview(namespace: string, serviceAccount: string, attributes: Record<string, string>): Promise<boolean> {
  const review = await client.request<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${namespace}:${serviceAccount}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        resourceAttributes: attributes,
      },
    },
  });
  return review.status.allowed;
}

describe('dist/ on a real control plane', () => {
  const files = [
    'cluster/crds.k8s.yaml',
    'cluster/session-roles.k8s.yaml',
    'labs/portal.k8s.yaml',
    'labs/k8s-fundamentals/environment.k8s.yaml',
    'labs/container-builds/environment.k8s.yaml',
    'labs/hello-terminal/environment.k8s.yaml',
  ];
  let fundamentals: Started;
  let terminal: Started;
  afterAll(() => client.close());

  test('every object of dist/ is accepted by strict server-side apply, and the CRDs become Established', async () => {
    expect(fs.readdirSync(path.join(DIST, 'labs')).length).toBe(4);
    let applied = 0;
    for (const file of files) {
      for (const object of distObjects(file)) {
        await client.apply(object);
        applied++;
      }
      if (file === 'cluster/crds.k8s.yaml') {
        for (const crd of distObjects(file)) {
          await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
            const live = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
              'apiextensions.k8s.io/v1',
              'CustomResourceDefinition',
              crd.metadata.name,
            );
            return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
          });
        }
      }
    }
    expect(applied).toBeGreaterThan(20);
    const environments = await client.list(API_VERSION, 'WorkshopEnvironment', { labelSelector: `${Labels.PORTAL}=labs` });
    expect(environments.map((e) => e.metadata.name).sort()).toEqual(['labs-container-builds', 'labs-hello-terminal', 'labs-k8s-fundamentals']);
  });

  test('a field the schema does not know is refused, not dropped', async () => {
    const [environment] = distObjects('labs/hello-terminal/environment.k8s.yaml').filter((o) => o.kind === 'WorkshopEnvironment');
    // server-side apply answers 500 "field not declared in schema" (not a 4xx) to an unknown field, for every kind
    await expect(client.apply({ ...environment, spec: { ...(environment.spec as object), bogus: true } })).rejects.toThrow(
      /\.spec\.bogus: field not declared in schema/,
    );
    const [configMap] = distObjects('labs/k8s-fundamentals/environment.k8s.yaml').filter((o) => o.kind === 'ConfigMap');
    await expect(client.apply({ ...configMap, bogus: true })).rejects.toThrow(/\.bogus: field not declared in schema/);
  });

  test('a session rendered from each blueprint applies cleanly and its Deployments become Available', async () => {
    fundamentals = await startSession('labs-k8s-fundamentals', 'tst01');
    terminal = await startSession('labs-hello-terminal', 'tst02');
    const builds = await startSession('labs-container-builds', 'tst03');
    for (const started of [fundamentals, terminal, builds]) {
      // the session's Deployments: its own in the session namespace, its workshop pod's in the environment namespace
      const deployments = await waitFor(`Deployments of ${started.namespace}`, async () => {
        const list = await client.list<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>(
          'apps/v1',
          'Deployment',
          { labelSelector: `${Labels.SESSION}=${started.sessionName}` },
        );
        return list.length && list.every((d) => d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) ? list : undefined;
      });
      expect(deployments.map((d) => d.metadata.name)).toContain(workshopPodNames(started.sessionName).deployment);
    }
    const pods = await client.list<{ metadata: { name: string }; status: { phase: string } }>('v1', 'Pod', { namespace: builds.namespace });
    expect(pods.map((p) => p.status.phase).sort()).toEqual(['Running']);
    const workshopPods = await client.list<{ status: { phase: string } }>('v1', 'Pod', {
      namespace: 'labs-container-builds',
      labelSelector: `${Labels.SESSION}=${builds.sessionName}`,
    });
    expect(workshopPods.map((p) => p.status.phase)).toEqual(['Running']);
  });

  test("Docker's privileged daemon runs in the environment namespace; the session namespace stays restricted", async () => {
    const environment = await client.get('v1', 'Namespace', 'labs-container-builds');
    expect(environment!.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    const session = await client.get('v1', 'Namespace', 'labs-container-builds-tst03');
    expect(session!.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('Pod Security admission refuses a privileged pod in a restricted session namespace', async () => {
    const pod: Manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'escape', namespace: fundamentals.namespace },
      spec: { containers: [{ name: 'x', image: 'busybox:1.36', securityContext: { privileged: true } }] },
    };
    const error = await client.create(pod).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect((error as KubeError).status).toBe(403);
    expect((error as KubeError).message).toMatch(/violates PodSecurity "restricted:latest": privileged/);
  });

  test("the session ServiceAccount (in the environment namespace) may create pods at home, and nothing that crosses the session's walls", async () => {
    const ns = fundamentals.namespace;
    const home = 'labs-k8s-fundamentals';
    const sa = fundamentals.sessionName;
    expect(await accessReview(home, sa, { namespace: ns, verb: 'create', resource: 'pods' })).toBe(true);
    expect(await accessReview(home, sa, { namespace: ns, verb: 'create', resource: 'deployments', group: 'apps' })).toBe(true);
    expect(await accessReview(home, sa, { namespace: terminal.namespace, verb: 'get', resource: 'secrets' })).toBe(false);
    expect(await accessReview(home, sa, { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' })).toBe(false);
    expect(
      await accessReview(home, sa, {
        namespace: ns,
        verb: 'delete',
        resource: 'networkpolicies',
        group: 'networking.k8s.io',
        name: 'workshop-isolation',
      }),
    ).toBe(false);
    expect(
      await accessReview(home, sa, {
        namespace: ns,
        verb: 'bind',
        resource: 'clusterroles',
        group: 'rbac.authorization.k8s.io',
        name: 'cluster-admin',
      }),
    ).toBe(false);
    expect(await accessReview(home, sa, { namespace: ns, verb: 'update', resource: 'resourcequotas' })).toBe(false);
    // environment access is read-only, and never Secrets: not the workshop pod's either
    expect(await accessReview(home, sa, { namespace: home, verb: 'list', resource: 'configmaps' })).toBe(true);
    expect(await accessReview(home, sa, { namespace: home, verb: 'delete', resource: 'configmaps' })).toBe(false);
    expect(await accessReview(home, sa, { namespace: home, verb: 'get', resource: 'secrets', name: workshopPodNames(sa).secret })).toBe(false);
    expect(
      await accessReview(home, sa, { namespace: home, verb: 'patch', resource: 'deployments', group: 'apps', name: workshopPodNames(sa).deployment }),
    ).toBe(false);
  });

  test("deleting a session's WorkshopSession removes its namespace and, through ownership, its workshop pod in the environment namespace", async () => {
    const sessionSelector = `${Labels.SESSION}=${fundamentals.sessionName}`;
    const outside = await client.list('rbac.authorization.k8s.io/v1', 'RoleBinding', {
      namespace: 'labs-k8s-fundamentals',
      labelSelector: sessionSelector,
    });
    expect(outside.map((o) => o.metadata.name)).toEqual([`${fundamentals.sessionName}-environment-view`]);
    await client.delete(API_VERSION, 'WorkshopSession', fundamentals.sessionName);
    await waitFor('the session namespace to be gone', async () => !(await client.get('v1', 'Namespace', fundamentals.namespace)));
    for (const [apiVersion, kind] of [
      ['v1', 'Pod'],
      ['apps/v1', 'Deployment'],
      ['v1', 'Secret'],
      ['v1', 'ConfigMap'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['v1', 'ServiceAccount'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
    ]) {
      await waitFor(
        `no ${kind} of the session left`,
        async () => (await client.list(apiVersion, kind, { labelSelector: sessionSelector })).length === 0,
      );
    }
  });

  test('deleting a session namespace alone leaves the workshop pod to its WorkshopSession', async () => {
    await client.delete('v1', 'Namespace', terminal.namespace);
    await waitFor('the session namespace to be gone', async () => !(await client.get('v1', 'Namespace', terminal.namespace)));
    expect(await client.get('apps/v1', 'Deployment', workshopPodNames(terminal.sessionName).deployment, 'labs-hello-terminal')).toBeDefined();
    await client.delete(API_VERSION, 'WorkshopSession', terminal.sessionName);
    await waitFor(
      'the workshop pod to go with its WorkshopSession',
      async () => !(await client.get('apps/v1', 'Deployment', workshopPodNames(terminal.sessionName).deployment, 'labs-hello-terminal')),
    );
  });
});
