/**
 * The Educates importer end to end: each generated module is written into the repository (so that
 * 'cdk8s-workshops' resolves to lib/ by package self-reference), type-checked, run with tsx to synthesize, and what
 * it synthesizes is checked for the equivalent of the Educates definition and applied to the local control plane
 * with strict server-side apply. Sessions rendered from the imported blueprints apply too, variables and all.
 * Needs lib/ built (`npm run build`, which `npm test` runs first).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

import { Budget, CompiledBlueprint, Labels, type Manifest, SessionRole } from '../../src/constructs/index.js';
import { importEducates } from '../../src/importer/index.js';
import { applySession, generateSessionSecrets, KubeClient } from '../../src/runtime/index.js';
import { blueprintOf } from '../support/examples.js';
import { waitFor } from '../support/portal-fixture.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const WORK = path.join(ROOT, '.import-test');
const FIXTURES = path.join(ROOT, 'test/fixtures/educates');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

type Json = Record<string, any>;

interface Imported {
  dir: string;
  files: Map<string, Manifest[]>;
}

/** Writes the generated module to .import-test/<name>/app.ts and synthesizes it with tsx into its dist/. */
async function importAndSynth(name: string, options: Parameters<typeof importEducates>[0]): Promise<Imported> {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'app.ts'), importEducates(options).source);
  await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: dir, env: { ...process.env, CDK8S_OUTDIR: path.join(dir, 'dist') } });
  const files = new Map<string, Manifest[]>();
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        files.set(
          path.relative(path.join(dir, 'dist'), full),
          parseAllDocuments(fs.readFileSync(full, 'utf8')).map((d) => d.toJSON() as Manifest),
        );
    }
  };
  walk(path.join(dir, 'dist'));
  return { dir, files };
}

function environmentOf(imported: Imported, file: string): Manifest {
  return imported.files.get(file)!.find((o) => o.kind === 'WorkshopEnvironment')!;
}

function sessionObjects(environment: Manifest): Json[] {
  return (environment.spec as Json).session.objects;
}

function find(objects: Json[], kind: string, name: string, namespace?: string): Json {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found)
    throw new Error(`no ${kind} ${namespace ? `${namespace}/` : ''}${name} among ${objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Applies every file of a synthesized dist/: cluster first (waiting for the CRDs), then portals and environments. */
async function applyDist(imported: Imported): Promise<number> {
  const order = [...imported.files.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  let applied = 0;
  for (const file of order) {
    for (const object of imported.files.get(file)!) {
      await client.apply(object);
      applied++;
    }
    if (file === 'cluster/crds.k8s.yaml') {
      for (const crd of imported.files.get(file)!) {
        await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
          const live = await client.get<Json>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
          return live?.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True');
        });
      }
    }
  }
  return applied;
}

function rank(file: string): number {
  if (file.startsWith('cluster/crds')) return 0;
  if (file.startsWith('cluster/')) return 1;
  return file.endsWith('portal.k8s.yaml') ? 2 : 3;
}

async function startSession(environment: Manifest, id: string): Promise<string> {
  const spec = environment.spec as { portal: { ingressDomain: string; ingressProtocol: string } };
  const name = environment.metadata.name;
  const session = await client.create<Manifest>({
    apiVersion: environment.apiVersion,
    kind: 'WorkshopSession',
    metadata: { name: `${name}-${id}`, labels: { [Labels.ENVIRONMENT]: name } },
    spec: { environment: name, id },
  });
  const applied = await applySession(
    client,
    new CompiledBlueprint(blueprintOf(environment)),
    {
      environmentName: name,
      sessionId: id,
      workshopSessionUid: String(session.metadata.uid),
      ingressDomain: spec.portal.ingressDomain,
      ingressProtocol: spec.portal.ingressProtocol,
    },
    generateSessionSecrets(),
  );
  return applied.sessionName;
}

describe('imported Educates workshops synthesize to the equivalent objects and the control plane accepts them', () => {
  let labs: Imported;
  let unsupported: Imported;

  beforeAll(async () => {
    const workshopYaml = ['hugo-lab.yaml', 'container-builds.yaml', 'shared-services.yaml'].map(fixture).join('\n---\n');
    labs = await importAndSynth('labs', {
      workshopYaml, // The portal is renamed so that it does not take over the examples' portal 'labs' in the shared test cluster.
      portalYaml: fixture('portal.yaml').replace(/^  name: labs$/m, '  name: implabs'),
      sourceName: 'labs',
    });
    unsupported = await importAndSynth('unsupported', { workshopYaml: fixture('unsupported-features.yaml') });
  });
  afterAll(() => client.close());

  test('the generated modules type-check against the library (tsc --noEmit, strict)', async () => {
    const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
    const files = [path.join(labs.dir, 'app.ts'), path.join(unsupported.dir, 'app.ts')];
    const result = await run(
      tsc,
      [
        '--noEmit',
        '--strict',
        '--noUnusedLocals',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--skipLibCheck',
        '--types',
        'node',
        ...files,
      ],
      { cwd: ROOT },
    ).catch((e) => e);
    expect(result.stdout ?? '').toBe('');
  });

  test('the files of an Argo CD layout: cluster, the portal, one environment per listed workshop', () => {
    expect([...labs.files.keys()].sort()).toEqual([
      'cluster/admission-policies.k8s.yaml',
      'cluster/crds.k8s.yaml',
      'cluster/session-roles.k8s.yaml',
      'implabs/database/environment.k8s.yaml',
      'implabs/lab-container-builds/environment.k8s.yaml',
      'implabs/lab-k8s-fundamentals/environment.k8s.yaml',
      'implabs/portal.k8s.yaml',
    ]);
    expect([...unsupported.files.keys()].sort()).toEqual([
      'cluster/admission-policies.k8s.yaml',
      'cluster/crds.k8s.yaml',
      'cluster/session-roles.k8s.yaml',
      'workshops/lab-virtual-clusters/environment.k8s.yaml',
      'workshops/portal.k8s.yaml',
    ]);
  });

  test('Hugo lab: the medium budget (the workshop pod is in the environment namespace), admin binding, restricted namespace, terminal, editor, console, route and tab', () => {
    const objects = sessionObjects(environmentOf(labs, 'implabs/lab-k8s-fundamentals/environment.k8s.yaml'));
    const namespace = find(objects, 'Namespace', '$(session_namespace)');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const medium = Budget.MEDIUM.figures!;
    expect(find(objects, 'ResourceQuota', 'compute-resources').spec).toEqual({
      hard: { 'limits.cpu': medium.quotaCpu, 'limits.memory': medium.quotaMemory },
      scopes: ['NotTerminating'],
    });
    expect(find(objects, 'ResourceQuota', 'object-counts').spec.hard).toMatchObject({
      persistentvolumeclaims: '6',
      replicationcontrollers: '15',
      secrets: '25',
      services: '10',
    });
    const containerLimits = find(objects, 'LimitRange', 'resource-limits').spec.limits.find((l: Json) => l.type === 'Container');
    expect(containerLimits).toEqual({
      type: 'Container',
      min: { cpu: '1m', memory: '1M' },
      max: { cpu: '2', memory: '2Gi' },
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '50m', memory: '128Mi' },
    });
    expect(find(objects, 'RoleBinding', 'workshop-session-role').roleRef.name).toBe(SessionRole.ADMIN.clusterRoleName);
    const pod = find(objects, 'Deployment', '$(session_name)').spec.template.spec;
    // the learner's terminals in `workshop`, the dashboard process beside it (the pod split of issue 10)
    expect(pod.containers.map((c: Json) => c.name)).toEqual(['dashboard', 'workshop', 'console', 'editor']);
    const learner = pod.containers.find((c: Json) => c.name === 'workshop');
    expect(learner.resources.limits.memory).toBe('1Gi');
    expect(learner.env).toContainEqual({ name: 'APP_URL', value: 'http://app-$(session_name).workshops.127-0-0-1.test' });
    const hosts = find(objects, 'Ingress', '$(session_name)').spec.rules.map((r: Json) => r.host);
    expect(hosts).toEqual([
      '$(session_name).workshops.127-0-0-1.test',
      'console-$(session_name).workshops.127-0-0-1.test',
      'editor-$(session_name).workshops.127-0-0-1.test',
      'app-$(session_name).workshops.127-0-0-1.test',
    ]);
    const dashboard = JSON.parse(find(objects, 'ConfigMap', '$(session_name)-dashboard').data['dashboard.json']);
    expect(dashboard.content).toEqual({ image: { ref: 'ghcr.io/educates/lab-k8s-fundamentals-files:5.0' } });
    expect(dashboard.settings.terminal).toEqual({ layout: 'split', sessions: ['1', '2'] });
    expect(dashboard.tabs.map((t: Json) => t.name)).toEqual(['Terminal', 'Console', 'Editor', 'App']);
  });

  test('container builds: privileged environment namespace, baseline session namespace, edit binding, docker and registry, the session objects with their variables, routes', () => {
    const objects = sessionObjects(environmentOf(labs, 'implabs/lab-container-builds/environment.k8s.yaml'));
    // docker-in-docker runs beside the workshop container in the environment namespace, where learners create no pods;
    // the session namespace is relaxed to baseline at most, so that the images the learner builds run
    expect(find(objects, 'Namespace', '$(session_namespace)').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    const shared = labs.files.get('implabs/lab-container-builds/environment.k8s.yaml')!;
    expect(find(shared, 'Namespace', 'implabs-lab-container-builds').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(find(objects, 'RoleBinding', 'workshop-session-role').roleRef.name).toBe(SessionRole.EDIT.clusterRoleName);
    const pod = find(objects, 'Deployment', '$(session_name)').spec.template.spec;
    expect(pod.containers.map((c: Json) => c.name)).toEqual(['dashboard', 'workshop', 'docker']);
    expect(pod.containers.find((c: Json) => c.name === 'docker').resources.limits.memory).toBe('1Gi');
    expect(pod.volumes).toContainEqual({ name: 'docker-data', emptyDir: { sizeLimit: '10Gi' } });
    expect(find(objects, 'Deployment', 'registry').spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });
    expect(find(objects, 'ConfigMap', 'build-settings', '$(session_namespace)').data).toEqual({
      registry: '$(registry_host)',
      session: '$(session_name)',
    });
    expect(find(objects, 'Deployment', 'web').spec.template.spec.containers[0].image).toBe('$(registry_host)/web:latest');
    const binding = find(objects, 'ClusterRoleBinding', '$(session_name)-node-reader');
    expect(binding.metadata.namespace).toBeUndefined();
    // as Educates writes it: the session ServiceAccount is in the environment namespace (filled in at synthesis)
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', namespace: 'implabs-lab-container-builds', name: '$(service_account)' }]);
    // a route to a Service of the session namespace has its Ingress there; the workshop pod's Ingress has the others
    const rules = find(objects, 'Ingress', 'session-routes').spec.rules;
    const web = rules.find((r: Json) => r.host.startsWith('web-'));
    expect(web.http.paths[0].backend.service).toEqual({ name: 'web', port: { number: 8080 } });
    const dashboard = JSON.parse(find(objects, 'ConfigMap', '$(session_name)-dashboard').data['dashboard.json']);
    expect(dashboard.content).toEqual({ git: { url: 'https://github.com/educates/lab-container-builds.git', ref: 'main', path: 'workshop' } });
    expect(dashboard.routes.find((r: Json) => r.name === 'hooks')).toMatchObject({ port: 9000, authenticated: false });
    expect(dashboard.settings.files).toEqual({ directory: 'exercises', uploads: false, uploadDirectory: 'uploads' });
  });

  test('shared services: environment objects with environment values filled in, copied secrets, request parameters, secondary namespace', () => {
    const environment = environmentOf(labs, 'implabs/database/environment.k8s.yaml');
    const spec = environment.spec as Json;
    expect(spec.request.parameters).toEqual([
      { name: 'DATABASE_USER', value: 'learner' },
      { name: 'DATABASE_PASSWORD', generate: { pattern: '[a-z0-9]{12}' } },
    ]);
    expect(spec.environment.secrets).toEqual([{ name: 'database-credentials', namespace: 'acme-shared' }]);
    expect(spec.session.secrets).toEqual([{ name: 'database-credentials', namespace: 'implabs-database' }]);
    const shared = labs.files.get('implabs/database/environment.k8s.yaml')!;
    expect(find(shared, 'ConfigMap', 'database-settings', 'implabs-database').data).toEqual({
      host: 'database.implabs-database.svc.cluster.local',
      portal: 'implabs',
    });
    find(shared, 'Service', 'database', 'implabs-database');
    // the shared database runs as root, so the environment namespace enforces baseline rather than restricted
    expect(find(shared, 'Deployment', 'database', 'implabs-database').spec.template.spec.containers[0].image).toBe('postgres:17');
    expect(find(shared, 'Namespace', 'implabs-database').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    const objects = sessionObjects(environment);
    const secondary = find(objects, 'Namespace', '$(session_namespace)-db');
    expect(secondary.metadata.annotations['training.cdk8s-workshops.dev/budget']).toBe('small');
    expect(find(objects, 'RoleBinding', 'workshop-session-role', '$(session_namespace)-db').roleRef.name).toBe(SessionRole.VIEW.clusterRoleName);
    expect(find(objects, 'ConfigMap', 'queries', '$(session_namespace)-db').data).toEqual({ 'first.sql': 'SELECT 1;' });
    // a Namespace of session.objects configured by Educates' annotations
    expect(find(objects, 'Namespace', '$(session_namespace)-cache').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(find(objects, 'RoleBinding', 'workshop-session-role', '$(session_namespace)-cache').roleRef.name).toBe(SessionRole.EDIT.clusterRoleName);
    expect(find(objects, 'LimitRange', 'resource-limits', '$(session_namespace)-cache').spec.limits[1].max).toEqual({ cpu: '1', memory: '512Mi' });
    const limits = find(objects, 'LimitRange', 'resource-limits', '$(session_namespace)').spec.limits.find((l: Json) => l.type === 'Container');
    expect(limits.max.cpu).toBe('750m');
    expect(limits.default.memory).toBe('384Mi');
    const small = Budget.SMALL.figures!;
    expect(find(objects, 'ResourceQuota', 'compute-resources', '$(session_namespace)').spec.hard).toEqual({
      'limits.cpu': small.quotaCpu,
      'limits.memory': small.quotaMemory,
    });
  });

  test("the portal's settings: session limits, registration, catalog, and each workshop's pool and timers as Educates computed them", () => {
    const config = JSON.parse(find(labs.files.get('implabs/portal.k8s.yaml')!, 'ConfigMap', 'training-portal').data['portal.json']);
    expect(config).toMatchObject({
      name: 'implabs',
      title: 'Educates Labs',
      registration: 'anonymous',
      catalogVisibility: 'public',
      sessions: { maximum: 20, registered: 2, anonymous: 1 },
    });
    const pool = (file: string) => (environmentOf(labs, file).spec as Json).pool;
    expect(pool('implabs/lab-k8s-fundamentals/environment.k8s.yaml')).toEqual({
      capacity: 10,
      initial: 3,
      reserved: 1,
      expiresSeconds: 3600,
      overtimeSeconds: 900,
      deadlineSeconds: 5400,
      orphanedSeconds: 300,
      overdueSeconds: 120,
      refreshSeconds: 0,
    });
    expect(pool('implabs/lab-container-builds/environment.k8s.yaml')).toEqual({
      capacity: 4,
      initial: 4,
      reserved: 4,
      expiresSeconds: 3600,
      overtimeSeconds: 900,
      deadlineSeconds: 5400,
      orphanedSeconds: 300,
      overdueSeconds: 120,
      refreshSeconds: 86400,
    });
    expect(pool('implabs/database/environment.k8s.yaml')).toEqual({
      capacity: 5,
      initial: 1,
      reserved: 1,
      expiresSeconds: 1800,
      overtimeSeconds: 0,
      deadlineSeconds: 1800,
      orphanedSeconds: 300,
      overdueSeconds: 120,
      refreshSeconds: 0,
    });
    expect((environmentOf(labs, 'implabs/lab-container-builds/environment.k8s.yaml').spec as Json).env).toEqual([
      { name: 'PORTAL_EVENT', value: 'spring-2026' },
      { name: 'REGISTRY_MIRROR', value: 'mirror.gcr.io' },
    ]);
  });

  test('every synthesized object is accepted by strict server-side apply', async () => {
    expect(await applyDist(labs)).toBeGreaterThan(20);
    expect(await applyDist(unsupported)).toBeGreaterThan(10);
    const environments = await client.list<Manifest>('training.cdk8s-workshops.dev/v1alpha1', 'WorkshopEnvironment', {
      labelSelector: `${Labels.PORTAL}=implabs`,
    });
    expect(environments.map((e) => e.metadata.name).sort()).toEqual([
      'implabs-database',
      'implabs-lab-container-builds',
      'implabs-lab-k8s-fundamentals',
    ]);
  });

  test('sessions rendered from the imported blueprints apply, with their objects, secondary namespace and copied Secret', async () => {
    // the portal copies environment.secrets into the environment namespace; here the test plays that part
    await client.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'database-credentials', namespace: 'implabs-database' },
      stringData: { password: 'p' },
    } as Manifest);
    const fundamentals = await startSession(environmentOf(labs, 'implabs/lab-k8s-fundamentals/environment.k8s.yaml'), 'imp01');
    const builds = await startSession(environmentOf(labs, 'implabs/lab-container-builds/environment.k8s.yaml'), 'imp02');
    const database = await startSession(environmentOf(labs, 'implabs/database/environment.k8s.yaml'), 'imp03');

    const quota = await client.get<Json>('v1', 'ResourceQuota', 'compute-resources', fundamentals);
    expect(quota!.spec.hard).toEqual({ 'limits.cpu': Budget.MEDIUM.figures!.quotaCpu, 'limits.memory': Budget.MEDIUM.figures!.quotaMemory });
    const settings = await client.get<Json>('v1', 'ConfigMap', 'build-settings', builds);
    expect(settings!.data).toEqual({ registry: `registry-${builds}.workshops.127-0-0-1.test`, session: builds });
    const binding = await client.get<Json>('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `${builds}-node-reader`);
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', namespace: 'implabs-lab-container-builds', name: builds }]);
    expect((await client.get<Json>('v1', 'Namespace', `${database}-db`))!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect((await client.get<Json>('v1', 'Namespace', `${database}-cache`))!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(await client.get<Json>('v1', 'ConfigMap', 'queries', `${database}-db`)).toBeTruthy();
    expect((await client.get<Json>('v1', 'Secret', 'database-credentials', database))!.data).toEqual({ password: 'cA==' });
    await waitFor(`the workshop pod of ${fundamentals} to be Available`, async () => {
      const deployment = await client.get<Json>('apps/v1', 'Deployment', fundamentals, 'implabs-lab-k8s-fundamentals');
      return deployment?.status?.conditions?.some((c: Json) => c.type === 'Available' && c.status === 'True');
    });
  });
});
