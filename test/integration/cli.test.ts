/**
 * The `workshops` CLI as users run it: the real bin/workshops.js (the compiled lib/, built by `pretest`) in a child
 * process, against this repository's examples and the local control plane of the integration tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { API_VERSION, Labels } from '../../src/constructs/index.js';
import { KubeClient, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { ROOT, scratchFolders, tmp, workshops } from '../support/cli.js';
import { applyFixture, type Fixture, runtimeFor, synthPortal, waitFor } from '../support/portal-fixture.js';

const KUBECONFIG = process.env.KUBECONFIG!;
/** A scratch folder inside the repository, where 'cdk8s' resolves to its node_modules. */
const scratch = scratchFolders();

/** A workshop project whose app fails synthesis and whose content has mistakes. */
function brokenProject(): string {
  const dir = scratch('cli-broken-');
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), 'app: npx tsx app.ts\noutput: dist\n');
  fs.writeFileSync(
    path.join(dir, 'app.ts'),
    [
      `import { Duration } from 'cdk8s';`,
      `import { Terminal, TrainingPortal, Workshop, WorkshopApp } from '${ROOT}/src/index.js';`,
      `try {`,
      `  const app = new WorkshopApp();`,
      `  const w = new Workshop(app, 'broken', { title: 'Broken', description: 'x', capabilities: [new Terminal()] });`,
      `  new TrainingPortal(app, 'p').addWorkshop(w, { capacity: 1, expires: Duration.minutes(90), deadline: Duration.minutes(60) });`,
      `  app.synth();`,
      `} catch (e) { console.error('synthesis failed:\\n' + (e as Error).message); process.exit(1); }`,
    ].join('\n'),
  );
  fs.mkdirSync(path.join(dir, 'workshop', 'content'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'workshop', 'content', '01-start.md'),
    [
      '---',
      'title: Start',
      'weight: 1',
      '---',
      '',
      'Your namespace is {{< param session_nam >}}.',
      '',
      '```terminal:execute',
      'comand: kubectl get pods',
      '```',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('help and usage errors', () => {
  const COMMANDS: Array<[string[], string[]]> = [
    [[], ['--debug', '--version', 'new', 'synth', 'validate', 'serve', 'publish', 'update', 'deploy', 'sessions', 'import']],
    [['new'], ['<dir>', '--title', '--force']],
    [['synth'], ['--app', '--out']],
    [['validate'], ['--app']],
    [['serve'], ['[dir]', '--port', '--host']],
    [['publish'], ['[dir]', '--image', '--username', '--password', '--insecure']],
    [['update'], ['[dir]', '--image', '--session', '--insecure', '--kubeconfig']],
    [['deploy'], ['--dist', '--kubeconfig']],
    [['sessions'], ['list', 'terminate']],
    [
      ['sessions', 'list'],
      ['--portal', '--output', 'json', '--kubeconfig'],
    ],
    [
      ['sessions', 'terminate'],
      ['<name>', '--kubeconfig'],
    ],
    [['import'], ['<workshop.yaml>', '[trainingportal.yaml]', '--output']],
  ];

  test.each(COMMANDS)('workshops %j --help exits 0 and shows its options', async (command, mentions) => {
    const run = await workshops([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: workshops ${command.join(' ')}`.trim());
    for (const text of mentions) expect(run.stdout).toContain(text);
  });

  test('an unknown command is a usage error: exit 2, one line, no stack trace', async () => {
    const run = await workshops(['deplyo']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^workshops: error: unknown command 'deplyo'.*Did you mean deploy\?/);
    expect(run.stderr).not.toMatch(/\s+at /);
  });

  test('an unknown option, a missing argument and a bad choice are usage errors', async () => {
    for (const args of [['deploy', '--bogus'], ['new'], ['sessions', 'list', '-o', 'yaml']]) {
      const run = await workshops(args);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^workshops: error: /);
    }
  });

  test('a failure is one line with exit 1; --debug adds the stack trace', async () => {
    const plain = await workshops(['deploy', '--dist', '/nonexistent']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe("workshops: error: '/nonexistent' is not a folder of synthesized YAML: run 'workshops synth' first\n");
    const debug = await workshops(['deploy', '--dist', '/nonexistent', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/CliError: '\/nonexistent' is not a folder[^\n]*\n\s+at /);
  });
});

describe('synth and validate on the examples', () => {
  test('synth runs the app of cdk8s.yaml and summarizes files and objects per kind', async () => {
    const out = tmp('cli-synth-');
    const run = await workshops(['synth', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^synthesized 7 files with \\d+ objects into ${out}/`));
    expect(run.stdout).toMatch(/WorkshopEnvironment\s+3\n/);
    expect(run.stdout).toMatch(/CustomResourceDefinition\s+3\n/);
    expect(run.stdout).toMatch(/TrainingPortal\s+1\n/);
    // the same bytes as the committed dist/
    for (const file of ['cluster/crds.k8s.yaml', 'labs/hello-terminal/environment.k8s.yaml']) {
      expect(fs.readFileSync(path.join(out, file), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'dist', file), 'utf8'));
    }
  });

  test('synth --app runs a given file; a failing app exits 1 with its own message', async () => {
    const dir = brokenProject();
    const run = await workshops(['synth', '--app', 'app.ts', '--out', path.join(dir, 'out')], { cwd: dir });
    expect(run.code).toBe(1);
    // the app's own words, then one line of the CLI's
    expect(run.stderr).toBe(
      "synthesis failed:\nTrainingPortal 'p' workshop 'broken': 'expires' (90m) must not exceed 'deadline' (60m)\n" +
        'workshops: error: synthesis failed: \'tsx "app.ts"\' exited with code 1 (its output is above)\n',
    );
  });

  test('validate finds no problems in the examples', async () => {
    const run = await workshops(['validate']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^no problems \(3 workshop folders, \d+ objects synthesized\)\n$/);
  });

  test('validate on a broken workshop prints file:line problems and exits 1', async () => {
    const dir = brokenProject();
    const run = await workshops(['validate'], { cwd: dir });
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain("synth: TrainingPortal 'p' workshop 'broken': 'expires' (90m) must not exceed 'deadline' (60m)");
    expect(lines).toContain(
      "workshop/content/01-start.md:6: unknown variable 'session_nam' in {{< param session_nam >}} (did you mean 'session_name'?)",
    );
    expect(lines).toContain("workshop/content/01-start.md:9: terminal:execute: unknown field 'comand' (did you mean 'command'?)");
    expect(run.stderr).toMatch(/^workshops: error: \d+ problems \(1 workshop folder, 0 objects synthesized\)\n$/);
    // dist/ is left alone: validate synthesizes into a temporary folder
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });
});

describe('deploy and sessions on the local control plane', () => {
  const client = KubeClient.fromKubeconfig(KUBECONFIG);
  let fixture: Fixture;
  let runtime: SessionRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    await client.close();
  });

  test("deploy applies this repository's dist/, CRDs first, and prints a summary", async () => {
    const run = await workshops(['deploy', '--dist', path.join(ROOT, 'dist'), '--kubeconfig', KUBECONFIG]);
    expect(run.stderr).not.toContain('failed');
    expect(run.code).toBe(0);
    const applied = Number(/^applied (\d+) objects to https:\/\/127\.0\.0\.1:\d+ in [\d.]+s: (\d+) created/.exec(run.stdout)?.[1]);
    expect(applied).toBeGreaterThan(20);
    expect(run.stdout).toMatch(/\n\s+WorkshopEnvironment\s+\d+\s+\d+\s+\d+\n/);
    const environments = await client.list(API_VERSION, 'WorkshopEnvironment', { labelSelector: `${Labels.PORTAL}=labs` });
    expect(environments.map((e) => e.metadata.name).sort()).toEqual(['labs-container-builds', 'labs-hello-terminal', 'labs-k8s-fundamentals']);
    expect(await client.get('apps/v1', 'Deployment', 'training-portal', 'labs-ui')).toBeDefined();
  });

  test('deploying the same dist/ again changes nothing', async () => {
    const run = await workshops(['deploy', '--dist', path.join(ROOT, 'dist')], { env: { KUBECONFIG } });
    expect(run.code).toBe(0);
    const [, applied, created, configured, unchanged] = /^applied (\d+) objects .*: (\d+) created, (\d+) configured, (\d+) unchanged/
      .exec(run.stdout)!
      .map(Number);
    expect(created).toBe(0);
    expect(configured + unchanged).toBe(applied);
    expect(unchanged).toBeGreaterThanOrEqual(applied - 2);
  });

  test('a refused object is reported with the server message and exit 1', async () => {
    const dist = tmp('cli-deploy-bad-');
    fs.writeFileSync(
      path.join(dist, 'bad.k8s.yaml'),
      ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: cli-bad', '  namespace: default', 'data:', '  a: b', 'bogus: true', ''].join('\n'),
    );
    const run = await workshops(['deploy', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed 1:\n\s+ConfigMap default\/cli-bad \(bad\.k8s\.yaml\): .*bogus: field not declared in schema/);
    expect(run.stderr).toMatch(/workshops: error: 1 of 1 objects were not applied\n$/);
  });

  test("an author's own CRD and an object of its kind: the CRD is Established first, the kind found by discovery", async () => {
    const dist = tmp('cli-deploy-crd-');
    fs.mkdirSync(path.join(dist, 'cluster'));
    fs.writeFileSync(
      path.join(dist, 'cluster', 'widgets.k8s.yaml'),
      [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata:',
        '  name: widgets.cli.example.com',
        'spec:',
        '  group: cli.example.com',
        '  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }',
        '  scope: Namespaced',
        '  versions:',
        '    - name: v1',
        '      served: true',
        '      storage: true',
        '      schema:',
        '        openAPIV3Schema:',
        '          type: object',
        '          properties:',
        '            spec: { type: object, properties: { size: { type: integer } } }',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dist, 'widget.k8s.yaml'),
      ['apiVersion: cli.example.com/v1', 'kind: Widget', 'metadata:', '  name: w1', '  namespace: default', 'spec:', '  size: 3', ''].join('\n'),
    );
    const run = await workshops(['deploy', '--dist', dist, '--kubeconfig', KUBECONFIG]);
    expect(run.stdout).not.toContain('failed');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^applied 2 objects .*: 2 created, 0 configured, 0 unchanged\n/);
    const widget = await client.request<{ spec: { size: number } }>('GET', '/apis/cli.example.com/v1/namespaces/default/widgets/w1');
    expect(widget.spec.size).toBe(3);
  });

  test('sessions list shows the sessions a runtime made; terminate moves one to Terminating', async () => {
    fixture = synthPortal('clip', [{ name: 'lab', capacity: 3, reserved: 1 }]);
    await applyFixture(client, fixture);
    runtime = runtimeFor(client, fixture);
    await runtime.start();
    const environment = fixture.environment('lab');
    await waitFor('a Ready reserve', () => runtime!.state.sessionsOf(environment).find((s) => phaseOf(s) === 'Ready'), 90_000);
    const allocation = await runtime.allocate({ environment, user: 'ada' });
    if (!('session' in allocation)) throw new Error(`not allocated: ${allocation.refused}`);
    const name = allocation.session.metadata.name;

    const json = await workshops(['sessions', 'list', '--portal', 'clip', '-o', 'json', '--kubeconfig', KUBECONFIG]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ name: string; environment: string; phase: string; user?: string; portal: string }>;
    expect(rows.find((r) => r.name === name)).toMatchObject({ environment, portal: 'clip', user: 'ada' });
    expect(rows.every((r) => r.portal === 'clip')).toBe(true);

    const table = await workshops(['sessions', 'list', '--portal', 'clip'], { env: { KUBECONFIG } });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+ENVIRONMENT\s+PHASE\s+USER\s+AGE\s+EXPIRES\n/);
    expect(table.stdout).toMatch(new RegExp(`\\n${name}\\s+${environment}\\s+Ready[^\\n]*\\s+ada\\s+\\d+s`));

    // stop the portal's runtime, so that nothing removes the session before we look at it
    await runtime.stop();
    runtime = undefined;
    const ended = await workshops(['sessions', 'terminate', name, '--kubeconfig', KUBECONFIG]);
    expect(ended.stderr).toBe('');
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain(`session ${name}: Terminating (TerminatedByAdmin)`);
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    expect(session?.status).toMatchObject({ phase: 'Terminating', reason: 'TerminatedByAdmin' });
    expect(session?.status?.history?.at(-1)).toMatchObject({ phase: 'Terminating', reason: 'TerminatedByAdmin' });

    const missing = await workshops(['sessions', 'terminate', 'clip-lab-nosuch', '--kubeconfig', KUBECONFIG]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("workshops: error: no WorkshopSession named 'clip-lab-nosuch' (see 'workshops sessions list')\n");
  });
});
