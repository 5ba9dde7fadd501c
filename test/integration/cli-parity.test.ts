/**
 * What an Educates CLI user reaches for, on the local control plane, with the real bin/workshops.js: deploy
 * --dry-run (nothing changes), --context, portal credentials, browse, sessions request/extend through a real
 * portal's REST API as its robot, and delete (reverse order, namespaces waited for, idempotent).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parse, stringify } from 'yaml';

import { API_VERSION, Labels, type Manifest, RequestParameter } from '../../src/constructs/index.js';
import { ensurePortalCredentials } from '../../src/portal/credentials.js';
import { KubeClient, phaseOf, type WorkshopSession } from '../../src/runtime/index.js';
import { tmp, workshops } from '../support/cli.js';
import { type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { startTestPortal, type TestPortal } from '../support/portal-server.js';

const KUBECONFIG = process.env.KUBECONFIG!;
const client = KubeClient.fromKubeconfig(KUBECONFIG);
const PORTAL = 'clpd';
let fixture: Fixture;
/** The portal's files (not the cluster/ ones, which other test files share): what deploy and delete work on. */
let dist: string;
let portal: TestPortal | undefined;

function writeDist(dir: string, files: Array<{ path: string; objects: Manifest[] }>): void {
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, file.path), file.objects.map((o) => stringify(o)).join('---\n'));
  }
}

const resourceVersion = async (apiVersion: string, kind: string, name: string, namespace?: string) =>
  (await client.get<{ metadata: { resourceVersion: string } }>(apiVersion, kind, name, namespace))?.metadata.resourceVersion;

beforeAll(async () => {
  fixture = synthPortal(PORTAL, [
    {
      name: 'lab',
      capacity: 3,
      reserved: 1,
      expires: seconds(60),
      overtime: seconds(30),
      deadline: seconds(120),
      parameters: [RequestParameter.fixed('GREETING', 'hello')],
    },
  ]);
  // the shared cluster objects (CRDs, session roles, admission policies), as every portal test applies them
  for (const file of fixture.files.filter((f) => f.path.startsWith('cluster/'))) {
    for (const object of file.objects) await client.apply(object);
  }
  await waitFor('the CRDs', async () => {
    const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      `workshopenvironments.${API_VERSION.split('/')[0]}`,
    );
    return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  dist = tmp('cli-parity-dist-');
  writeDist(
    dist,
    fixture.files.filter((f) => !f.path.startsWith('cluster/')),
  );
});

afterAll(async () => {
  await portal?.stop();
  await client.close();
});

describe('deploy --dry-run', () => {
  test('before the first deploy: objects judged by the server, those in new namespaces listed as not checked; nothing created', async () => {
    const run = await workshops(['deploy', '--dry-run', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(run.stderr).not.toContain('refused');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^dry run of \d+ objects against https:\/\/127\.0\.0\.1:\d+ \(nothing was changed\): \d+ would be created, 0 changed, 0 unchanged; 0 refused, \d+ not checked\n/,
    );
    expect(run.stdout).toContain(`  would create: WorkshopEnvironment ${PORTAL}-lab (${PORTAL}/lab/environment.k8s.yaml)\n`);
    expect(run.stdout).toContain(
      `  Deployment ${PORTAL}-ui/training-portal (${PORTAL}/portal.k8s.yaml): its namespace ${PORTAL}-ui does not exist yet (this deployment creates it)\n`,
    );
    // nothing was stored
    expect(await client.get('v1', 'Namespace', `${PORTAL}-ui`)).toBeUndefined();
    expect(await client.get(API_VERSION, 'WorkshopEnvironment', `${PORTAL}-lab`)).toBeUndefined();
    expect(await client.get('rbac.authorization.k8s.io/v1', 'ClusterRole', `cdk8s-workshops-portal-${PORTAL}`)).toBeUndefined();
  });

  test('after deploy: every object judged; a refused object named with the server message, exit 1, and nothing changed', async () => {
    const deployed = await workshops(['deploy', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(deployed.code).toBe(0);
    const clean = await workshops(['deploy', '--dry-run', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/: 0 would be created, \d+ changed, \d+ unchanged; 0 refused, 0 not checked\n/);

    const changed = tmp('cli-parity-changed-');
    writeDist(
      changed,
      fixture.files.filter((f) => !f.path.startsWith('cluster/')),
    );
    fs.writeFileSync(
      path.join(changed, 'extra.k8s.yaml'),
      [
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cli-parity-new', namespace: `${PORTAL}-ui` }, data: { a: 'b' } }),
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cli-parity-bad', namespace: `${PORTAL}-ui` },
          data: { a: 'b' },
          bogus: true,
        }),
        stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'training-portal', namespace: `${PORTAL}-ui` },
          spec: { ports: [{ name: 'http', port: 70000, targetPort: 8080 }] },
        }),
      ].join('---\n'),
    );
    const before = await resourceVersion('v1', 'Service', 'training-portal', `${PORTAL}-ui`);
    const run = await workshops(['deploy', '--dry-run', '--dist', changed, '--kubeconfig', KUBECONFIG]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ 2 refused, 0 not checked\n/);
    expect(run.stdout).toContain(`  would create: ConfigMap ${PORTAL}-ui/cli-parity-new (extra.k8s.yaml)\n`);
    expect(run.stdout).toMatch(
      new RegExp(`refused 2:\\n(.*\\n)*  ConfigMap ${PORTAL}-ui/cli-parity-bad \\(extra\\.k8s\\.yaml\\): .*bogus: field not declared in schema`),
    );
    expect(run.stdout).toMatch(new RegExp(`  Service ${PORTAL}-ui/training-portal \\(extra\\.k8s\\.yaml\\): .*port: Invalid value: 70000`));
    expect(run.stderr).toMatch(/workshops: error: 2 of \d+ objects were refused by the server \(dry run: nothing was changed\)\n$/);
    expect(await client.get('v1', 'ConfigMap', 'cli-parity-new', `${PORTAL}-ui`)).toBeUndefined();
    expect(await resourceVersion('v1', 'Service', 'training-portal', `${PORTAL}-ui`)).toBe(before);
  });
});

describe('--context', () => {
  /** A kubeconfig whose current context points at a port where no cluster listens; context 'test' is the real one. */
  function twoContexts(): string {
    const config = parse(fs.readFileSync(KUBECONFIG, 'utf8'));
    const real = config.contexts.find((c: { name: string }) => c.name === config['current-context']).context;
    config.clusters.push({ name: 'nowhere', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } });
    config.contexts = [
      { name: 'test', context: real },
      { name: 'elsewhere', context: { cluster: 'nowhere', user: real.user } },
    ];
    config['current-context'] = 'elsewhere';
    const file = path.join(tmp('cli-parity-kubeconfig-'), 'config');
    fs.writeFileSync(file, stringify(config), { mode: 0o600 });
    return file;
  }

  test('every command that talks to a cluster has --context', async () => {
    for (const command of [
      ['deploy'],
      ['delete'],
      ['update'],
      ['sessions', 'list'],
      ['sessions', 'terminate'],
      ['sessions', 'dashboard'],
      ['sessions', 'request'],
      ['sessions', 'extend'],
      ['portal', 'credentials'],
      ['browse'],
    ]) {
      const run = await workshops([...command, '--help']);
      expect(run.code).toBe(0);
      expect(`${command.join(' ')}: ${run.stdout}`).toContain('--context <name>');
    }
  });

  test('--context picks a context other than the current one; an unknown one is named with those there are', async () => {
    const kubeconfig = twoContexts();
    const current = await workshops(['sessions', 'list', '-o', 'json', '--kubeconfig', kubeconfig]);
    expect(current.code).toBe(1);
    expect(current.stderr).toMatch(/^workshops: error: cannot reach the cluster at https:\/\/127\.0\.0\.1:1: /);
    for (const args of [
      ['sessions', 'list', '-o', 'json'],
      ['deploy', '--dry-run', '--dist', dist],
      ['browse', '--print', '--portal', PORTAL],
    ]) {
      const run = await workshops([...args, '--context', 'test'], { env: { KUBECONFIG: kubeconfig } });
      expect(`${args.join(' ')}: ${run.stderr}`).not.toMatch(/error|refused/);
      expect(run.code).toBe(0);
    }
    const unknown = await workshops(['sessions', 'list', '--kubeconfig', kubeconfig, '--context', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`workshops: error: --context 'nosuch': the kubeconfig ${kubeconfig} has no such context (it has: test, elsewhere)\n`);
  });
});

describe('portal credentials and browse', () => {
  test('credentials: a clear error before the portal made them, then the admin and robot credentials from its Secret', async () => {
    const early = await workshops(['portal', 'credentials', '--portal', PORTAL, '--kubeconfig', KUBECONFIG]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      new RegExp(`^workshops: error: portal '${PORTAL}' has no credentials yet: Secret ${PORTAL}-ui/training-portal-credentials does not exist `),
    );
    const missing = await workshops(['portal', 'credentials', '--portal', 'clpnope', '--kubeconfig', KUBECONFIG]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^workshops: error: --portal 'clpnope': no training portal of that name/);

    const made = await ensurePortalCredentials(client, `${PORTAL}-ui`);
    const text = await workshops(['portal', 'credentials', '--portal', PORTAL], { env: { KUBECONFIG } });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `portal ${PORTAL} (namespace ${PORTAL}-ui, http://${PORTAL}-ui.workshops.127-0-0-1.test)`,
        `admin username:      ${made.admin.username}`,
        `admin password:      ${made.admin.password}`,
        `robot client id:     ${made.robot.clientId}`,
        `robot client secret: ${made.robot.clientSecret}`,
        `robot username:      ${made.robot.username}`,
        `robot password:      ${made.robot.password}`,
        '',
      ].join('\n'),
    );
    const json = await workshops(['portal', 'credentials', '--portal', PORTAL, '-o', 'json', '--kubeconfig', KUBECONFIG]);
    expect(JSON.parse(json.stdout)).toEqual({
      portal: PORTAL,
      namespace: `${PORTAL}-ui`,
      url: `http://${PORTAL}-ui.workshops.127-0-0-1.test`,
      ...made,
    });
  });

  test('browse prints the URL of the Ingress host with --print or without xdg-open, and hands it to xdg-open when there is one', async () => {
    const url = `http://${PORTAL}-ui.workshops.127-0-0-1.test`;
    const printed = await workshops(['browse', '--print', '--portal', PORTAL, '--kubeconfig', KUBECONFIG]);
    expect(printed).toMatchObject({ code: 0, stdout: `${url}\n`, stderr: '' });
    const empty = tmp('cli-parity-path-');
    const none = await workshops(['browse', '--portal', PORTAL, '--kubeconfig', KUBECONFIG], { env: { PATH: empty } });
    expect(none).toMatchObject({ code: 0, stdout: `${url}\n`, stderr: 'no xdg-open on $PATH: open the URL yourself\n' });
    // a stand-in xdg-open that writes down what it was asked to open (no browser is launched)
    const opened = path.join(empty, 'opened');
    fs.writeFileSync(path.join(empty, 'xdg-open'), `#!/bin/sh\necho "$1" > ${opened}\n`, { mode: 0o755 });
    const run = await workshops(['browse', '--portal', PORTAL, '--kubeconfig', KUBECONFIG], { env: { PATH: `${empty}:/usr/bin:/bin` } });
    expect(run).toMatchObject({ code: 0, stdout: `opening ${url}\n`, stderr: '' });
    expect(await waitFor('xdg-open to run', () => fs.existsSync(opened) && fs.readFileSync(opened, 'utf8'))).toBe(`${url}\n`);
  });
});

describe('sessions request and extend through the REST API as the robot', () => {
  test('request prints the session and its activation URL; parameters reach the session; extend prints the new expiry', async () => {
    const credentials = await ensurePortalCredentials(client, `${PORTAL}-ui`);
    portal = await startTestPortal(client, fixture, { admin: credentials.admin, robots: [credentials.robot] });
    const environment = fixture.environment('lab');
    await waitFor('a Ready reserve', () => portal!.runtime.state.sessionsOf(environment).find((s) => phaseOf(s) === 'Ready'), 90_000);

    const run = await workshops([
      'sessions',
      'request',
      '--portal',
      PORTAL,
      '--workshop',
      'lab',
      '--user',
      'ada',
      '--param',
      'GREETING=bonjour',
      '--url',
      portal.url,
      '--kubeconfig',
      KUBECONFIG,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, name, url] = new RegExp(`^session (${environment}-\\w+) \\(user ada, environment ${environment}\\)\\nurl (\\S+)\\n$`).exec(run.stdout)!;
    expect(url).toMatch(new RegExp(`^${portal.url}/workshops/session/${name}/activate/\\?token=[\\w-]+&index_url=`));
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    expect(session?.status?.user).toBe('ada');
    const secret = await waitFor('the request Secret', () => client.get<{ data: Record<string, string> }>('v1', 'Secret', 'workshop-request', name));
    expect(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])).toContainEqual(['GREETING', 'bonjour']);
    // the activation URL works: the portal signs the learner in and sends them on
    const activated = await fetch(url, { redirect: 'manual' });
    expect(activated.status).toBe(303);
    expect(activated.headers.get('location')).toBe(`/workshops/session/${name}/?enter=1`);

    const before = Date.parse(session!.status!.expiresAt!);
    const extended = await workshops(['sessions', 'extend', name, '--url', portal.url, '--kubeconfig', KUBECONFIG]);
    expect(extended.stderr).toBe('');
    expect(extended.code).toBe(0);
    const expires = /^session \S+ extended: expires (\S+)\n$/.exec(extended.stdout)![1];
    expect(Date.parse(expires)).toBeGreaterThan(before);
    expect((await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name))?.status?.expiresAt).toBe(expires);
    // at its deadline now (120 s): refused, with the portal's reason
    const again = await workshops(['sessions', 'extend', name, '--portal', PORTAL, '--url', portal.url, '--kubeconfig', KUBECONFIG]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^workshops: error: session ${name} was not extended: the session has reached its deadline`));

    const unknown = await workshops([
      'sessions',
      'request',
      '--portal',
      PORTAL,
      '--workshop',
      'nope',
      '--url',
      portal.url,
      '--kubeconfig',
      KUBECONFIG,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `workshops: error: --workshop 'nope': portal '${PORTAL}' has no running environment of that workshop (it has: lab)\n`,
    );
  });
});

describe('delete', () => {
  test('without --yes it only lists; with it, everything goes in reverse order, sessions and namespaces included; again: nothing to do', async () => {
    await portal?.stop();
    portal = undefined;
    const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', {
      labelSelector: `${Labels.ENVIRONMENT}=${fixture.environment('lab')}`,
    });
    expect(sessions.length).toBeGreaterThan(0);

    const plan = await workshops(['delete', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe('workshops: error: nothing deleted: add --yes to delete\n');
    const lines = plan.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    // reverse of the apply order: the environment (wave 5) first, the namespaces after what is in them
    expect(lines[0]).toBe(`WorkshopEnvironment ${PORTAL}-lab`);
    expect(lines.indexOf(`Namespace ${PORTAL}-ui`)).toBeGreaterThan(lines.indexOf(`Deployment ${PORTAL}-ui/training-portal`));
    expect(await client.get('v1', 'Namespace', `${PORTAL}-ui`)).toBeDefined();

    const run = await workshops(['delete', '--yes', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^deleted \\d+ objects from https://127\\.0\\.0\\.1:\\d+ in [\\d.]+s \\(0 already gone\\), and ${sessions.length} sessions\\n`),
    );
    expect(run.stderr).toMatch(/waiting for \d+ namespaces? to be gone/);
    for (const ns of [`${PORTAL}-ui`, `${PORTAL}-lab`, ...sessions.map((s) => s.metadata.name)]) {
      expect(await client.get('v1', 'Namespace', ns)).toBeUndefined();
    }
    expect(await client.list(API_VERSION, 'WorkshopSession', { labelSelector: `${Labels.ENVIRONMENT}=${fixture.environment('lab')}` })).toEqual([]);
    expect(await client.get('rbac.authorization.k8s.io/v1', 'ClusterRole', `cdk8s-workshops-portal-${PORTAL}`)).toBeUndefined();

    const again = await workshops(['delete', '--yes', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^deleted 0 objects .* \(\d+ already gone\), and 0 sessions\n/);
  });

  test('CustomResourceDefinitions are kept unless --crds', async () => {
    const crdDist = tmp('cli-parity-crd-');
    writeDist(crdDist, [
      {
        path: 'cluster/gadgets.k8s.yaml',
        objects: [
          {
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: 'gadgets.clpd.example.com' },
            spec: {
              group: 'clpd.example.com',
              names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
              scope: 'Cluster',
              versions: [
                {
                  name: 'v1',
                  served: true,
                  storage: true,
                  schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } },
                },
              ],
            },
          } as Manifest,
        ],
      },
      { path: 'gadget.k8s.yaml', objects: [{ apiVersion: 'clpd.example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: {} } as Manifest] },
    ]);
    expect((await workshops(['deploy', '--dist', crdDist, '--kubeconfig', KUBECONFIG])).code).toBe(0);
    const kept = await workshops(['delete', '--yes', '--dist', crdDist, '--kubeconfig', KUBECONFIG]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('kept CustomResourceDefinition gadgets.clpd.example.com (--crds deletes them too)\n');
    expect(await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gadgets.clpd.example.com')).toBeDefined();
    const all = await workshops(['delete', '--yes', '--crds', '--dist', crdDist, '--kubeconfig', KUBECONFIG]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^deleted 1 objects .* \(1 already gone\)/);
    await waitFor(
      'the CRD to be gone',
      async () => !(await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gadgets.clpd.example.com')),
    );
  });
});
