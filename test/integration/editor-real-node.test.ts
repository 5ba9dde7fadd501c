/**
 * The editor on the test cluster's real node, by the learner's own path: a workshop with a terminal and the Editor
 * capability, synthesized by the constructs and applied as a user applies it (test/support/real-cluster.ts only
 * points the images at the loopback registry and puts the pods on the real node), its instructions published to the
 * registry; the portal on the real node; Chromium through Traefik: the catalog, Start, the session's dashboard, and
 * the Editor tab on the editor's own host (the dashboard proxies code-server in the same pod).
 * GIVEN files in the learner's home, WHEN she clicks the instructions' editor actions, THEN the editor opens, selects,
 * replaces, inserts into YAML and runs a command, and the files in her home in the pod change (saved by uid 1001).
 * The listener of the extension refuses the learner's container (no token there). When code-server stops, the
 * session stays up; the Editor tab says which application is not answering and why, and shows VS Code again (the
 * actions working) once the container's start script has started it again.
 *
 * One real node per machine: this file takes it through real-node.ts's lock (or uses the suite's, with
 * CDK8S_WORKSHOPS_REAL_NODE=1).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { parseAllDocuments } from 'yaml';

import { ContentSource, Editor, Registration, Terminal, TrainingPortal, Workshop, WorkshopApp } from '../../src/constructs/index.js';
import { launchBrowser } from '../support/browser.js';
import { scratchFolders, workshops } from '../support/cli.js';
import { DEPLOYMENT_YAML, editorAction } from '../support/editor-fixtures.js';
import { NODE_INGRESS_ADDRESS, type RealCluster, realDist, startRealCluster } from '../support/real-cluster.js';
import { eventually, REAL_NODE_NAME } from '../support/real-node.js';

const DOMAIN = 'workshops.127-0-0-1.test';
const PORTAL = 'editing';
const WORKSHOP = 'editor-actions';
const ENVIRONMENT = `${PORTAL}-${WORKSHOP}`;
const SESSION = `${ENVIRONMENT}-s001`;
const CONTENT_REPOSITORY = 'cdk8s-workshops/editor-actions-files:1.0.0';
const EDITOR_HOST = `editor-${SESSION}.${DOMAIN}`;

type Json = Record<string, any>;

const scratch = scratchFolders();
let cluster: RealCluster;
let browser: Browser | undefined;
let page: Page;
let podName: string;

const INSTRUCTIONS = [
  '---\ntitle: Editing on the real node\n---\n\nThe editor, driven from here.\n\n',
  editorAction('open-file', 'open deployment', 'file: ~/exercises/deployment.yaml\nline: 3'),
  editorAction('select-matching-text', 'select image', 'file: ~/exercises/deployment.yaml\ntext: "image: (.*)"\nisRegex: true\ngroup: 1'),
  editorAction('replace-text-selection', 'replace image', 'file: ~/exercises/deployment.yaml\ntext: nginx:1.27'),
  editorAction(
    'insert-value-into-yaml',
    'add sidecar',
    'file: ~/exercises/deployment.yaml\npath: spec.template.spec.containers\nvalue:\n- name: sidecar\n  image: busybox:1.36',
  ),
  editorAction('append-lines-to-file', 'create notes', 'file: ~/exercises/new/notes.txt\ntext: |\n  written by the editor'),
  editorAction('execute-command', 'close editors', 'command: workbench.action.closeAllEditors'),
  editorAction('open-file', 'open missing', 'file: ~/exercises/missing.txt'),
].join('');

async function k(...args: string[]): Promise<string> {
  const result = await cluster.node.kubectl(args, { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}
async function apply(objects: Json[]): Promise<void> {
  const result = await cluster.node.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    timeoutMs: 120_000,
  });
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr.trim()}`);
}

/** A shell script in a container of the session's pod (as that container's user). */
function inPod(container: 'workshop' | 'editor', script: string): Promise<string> {
  return k('-n', ENVIRONMENT, 'exec', podName, '-c', container, '--', 'bash', '-c', script);
}

/** What the editor shows (its listener's /state), asked from the editor container with the token. */
async function editorState(): Promise<Json> {
  const script =
    "const t=require('fs').readFileSync('/var/run/editor-control/token','utf8').trim();" +
    "fetch('http://127.0.0.1:10086/state',{headers:{authorization:'Bearer '+t}}).then(r=>r.text()).then(console.log)";
  return JSON.parse(await inPod('editor', `node -e "${script}"`));
}

/** Synthesizes the workshop as a user's app does, and reads every object (cluster-wide ones first). */
function synthesized(contentRef: string): Json[] {
  const outdir = scratch('editor-real-node-dist-');
  const app = new WorkshopApp({ outdir });
  const portal = new TrainingPortal(app, PORTAL, { title: 'Editing', ingressDomain: DOMAIN, registration: Registration.ANONYMOUS });
  const workshop = new Workshop(app, WORKSHOP, {
    title: 'Editor actions',
    description: 'The instructions drive the editor.',
    content: ContentSource.image(contentRef),
    capabilities: [new Terminal(), new Editor()],
  });
  portal.addWorkshop(workshop, { capacity: 1, initial: 1, reserved: 1 });
  app.synth();
  const files = (fs.readdirSync(outdir, { recursive: true }) as string[]).filter((f) => f.endsWith('.yaml')).sort();
  const ordered = [...files.filter((f) => f.startsWith('cluster')), ...files.filter((f) => !f.startsWith('cluster'))];
  return ordered.flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8'))
      .map((d) => d.toJSON() as Json)
      .filter(Boolean),
  );
}

/** What the pod says about the editor: its container's and the dashboard's last log lines, and VS Code's own logs. */
async function evidence(): Promise<string> {
  const logs = async (container: string) =>
    (await cluster.node.kubectl(['-n', ENVIRONMENT, 'logs', podName, '-c', container, '--tail=25'])).stdout.trim();
  const vscodeLogs = await inPod(
    'editor',
    'for f in $(find ~/.local/share/code-server/logs -name "*.log" | sort); do echo "== $f"; tail -15 "$f"; done',
  ).catch((e) => String(e));
  return `editor container:\n${await logs('editor')}\ndashboard container:\n${await logs('dashboard')}\nVS Code's logs:\n${vscodeLogs}`;
}

/** Clicks the action titled `title`; it must end Done (else the error says what the page and the pod say). */
async function done(title: string): Promise<void> {
  const outcome = await click(title).catch(async (error) => {
    throw new Error(`${(error as Error).message}\n${await evidence()}`);
  });
  if (outcome.state !== 'done') throw new Error(`'${title}' ended ${outcome.state}: ${outcome.message}\n${await evidence()}`);
}

/** Clicks the action titled `title` and waits for its outcome; returns the state and the message shown. */
async function click(title: string): Promise<{ state: string; message: string }> {
  const block = page.locator('[data-action^="editor:"]', { has: page.locator('.action-title', { hasText: new RegExp(`^${title}$`) }) });
  await block.click();
  await eventually(`the outcome of '${title}'`, async () => ['done', 'failed'].includes((await block.getAttribute('data-state')) ?? ''), 180_000);
  return { state: (await block.getAttribute('data-state'))!, message: await block.locator('.action-status').innerText() };
}

beforeAll(async () => {
  cluster = await startRealCluster({ ingressDomain: DOMAIN });
  const content = scratch('editor-real-node-content-');
  fs.mkdirSync(path.join(content, 'workshop/content'), { recursive: true });
  fs.writeFileSync(path.join(content, 'workshop/content/_index.md'), INSTRUCTIONS);
  const published = await workshops(['publish', content, '--image', `${cluster.registry.host}/${CONTENT_REPOSITORY}`]);
  if (published.code !== 0) throw new Error(`workshops publish: ${published.stderr.trim()}`);

  const objects = realDist(synthesized(`ghcr.io/${CONTENT_REPOSITORY}`), {
    registry: cluster.registry.host,
    activeEnvironments: [ENVIRONMENT],
    ingressProbeAddress: NODE_INGRESS_ADDRESS,
    content: { [ENVIRONMENT]: `${cluster.podRegistry}/${CONTENT_REPOSITORY}` },
  });
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  await apply(crds);
  await k('wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.metadata.name}`));
  await apply(objects.filter((o) => o.kind !== 'CustomResourceDefinition'));
}, 30 * 60_000);

afterAll(async () => {
  await browser?.close();
  if (!cluster) return;
  if (!cluster.node.own) {
    await cluster.node.kubectl(['delete', '--wait=false', '--ignore-not-found', 'workshopenvironments.training.cdk8s-workshops.dev', '--all']);
    await cluster.node.kubectl(['delete', '--wait=false', '--ignore-not-found', 'namespace', `${PORTAL}-ui`, ENVIRONMENT]);
  }
  await cluster.release();
}, 10 * 60_000);

test(
  'the learner starts the workshop through the portal and reaches her dashboard, whose pod runs the editor on the real node',
  async () => {
    const started = Date.now();
    const session = await eventually(
      `${SESSION} to be Ready`,
      async () => {
        const s = JSON.parse(await k('get', 'workshopsessions.training.cdk8s-workshops.dev', SESSION, '-o', 'json')) as Json;
        return s.status?.phase === 'Ready' ? s : undefined;
      },
      10 * 60_000,
    ).catch(async (error) => {
      const pods = await k('get', 'pods', '-A', '-o', 'wide').catch((e) => String(e));
      throw new Error(`${(error as Error).message}\n${pods}`);
    });
    expect(session.metadata.name).toBe(SESSION);
    console.log(`${SESSION} Ready ${((Date.now() - started) / 1000).toFixed(1)} s after the objects were applied`);
    const pod = (
      JSON.parse(await k('get', 'pods', '-n', ENVIRONMENT, '-l', `training.cdk8s-workshops.dev/session.name=${SESSION}`, '-o', 'json')) as Json
    ).items[0] as Json;
    podName = pod.metadata.name;
    expect(pod.spec.nodeName).toBe(REAL_NODE_NAME);
    expect(pod.spec.containers.map((c: Json) => c.name)).toEqual(expect.arrayContaining(['workshop', 'dashboard', 'editor']));

    browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1:${cluster.ingressPort}`] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    await page.goto(`http://${PORTAL}-ui.${DOMAIN}/`);
    await page.locator('li.card', { hasText: 'Editor actions' }).getByRole('button', { name: 'Start workshop' }).click();
    await page.waitForURL(`http://${SESSION}.${DOMAIN}/`, { timeout: 5 * 60_000 });
    await expect(page.locator('#page-title').innerText()).resolves.toBe('Editing on the real node');
  },
  15 * 60_000,
);

test(
  'the instructions drive the editor on the real node: the files in her home change, saved by the learner',
  async () => {
    expect(podName).toBeDefined();
    await inPod('workshop', `mkdir -p ~/exercises && cat > ~/exercises/deployment.yaml <<'EOF'\n${DEPLOYMENT_YAML}EOF`);

    // the first action brings the Editor tab forward: VS Code starts, and with its window our extension
    const first = Date.now();
    await done('open deployment');
    console.log(`first editor action (the Editor tab loading on the real node, then the action): ${((Date.now() - first) / 1000).toFixed(1)} s`);
    expect(await editorState()).toMatchObject({ file: '/home/workshop/exercises/deployment.yaml', selection: { start: { line: 3, character: 0 } } });
    // the Editor tab shows VS Code from the editor's own host, through Traefik and the dashboard's proxy
    await expect(page.locator('iframe[title="Editor"]').getAttribute('src')).resolves.toBe(`http://${EDITOR_HOST}/`);
    await page.frameLocator('iframe[title="Editor"]').locator('.monaco-workbench').waitFor({ timeout: 60_000 });

    await done('select image');
    expect((await editorState()).selection.text).toBe('nginx:latest');
    await done('replace image');
    expect(await inPod('workshop', 'grep -n "image:" ~/exercises/deployment.yaml')).toBe('10:        image: nginx:1.27\n');

    await done('add sidecar');
    expect(await inPod('workshop', 'cat ~/exercises/deployment.yaml; stat -c %u:%g ~/exercises/deployment.yaml')).toBe(
      [
        ...DEPLOYMENT_YAML.replace('nginx:latest', 'nginx:1.27').trimEnd().split('\n'),
        '      - name: sidecar',
        '        image: busybox:1.36',
        '1001:1001',
        '',
      ].join('\n'),
    );
    await done('create notes');
    expect(await inPod('workshop', 'cat ~/exercises/new/notes.txt; stat -c %u ~/exercises/new/notes.txt')).toBe('written by the editor\n1001\n');

    expect((await editorState()).visible.length).toBeGreaterThan(0);
    await done('close editors');
    expect(await editorState()).toMatchObject({ file: null, visible: [] });

    const missing = await click('open missing');
    expect(missing.state).toBe('failed');
    expect(missing.message).toContain('the file ~/exercises/missing.txt does not exist');
  },
  10 * 60_000,
);

test("the editor's listener refuses the learner's own container: no token there, and a request without it is refused", async () => {
  expect(await inPod('workshop', 'test -e /var/run/editor-control/token && echo visible || echo absent')).toBe('absent\n');
  const status = await inPod(
    'workshop',
    "curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{\"command\":\"workbench.action.closeAllEditors\"}' http://127.0.0.1:10086/actions/execute-command",
  );
  expect(status).toBe('401');
});

test(
  'when code-server stops, the session stays up, the Editor tab says what is not answering and why, and VS Code comes back by itself',
  async () => {
    const editorLog = async () => k('-n', ENVIRONMENT, 'logs', podName, '-c', 'editor');
    const listening = async () => (await inPod('editor', 'exec 3<>/dev/tcp/127.0.0.1/10085 && echo up').catch(() => '')).trim() === 'up';
    // the image's start script starts code-server again after 1 s, then (ending again within 30 s) 10 s, then 30 s
    for (const delay of [1, 10, 30]) {
      await eventually('code-server listening', listening, 120_000);
      await inPod('editor', 'pkill -TERM -P 1 -f out/node/entry.js');
      await eventually(
        `the editor container saying it starts code-server again in ${delay} s`,
        async () => (await editorLog()).includes(`starting it again in ${delay} s`),
        60_000,
      );
    }
    // the container runs on and the pod stays Ready: the learner's session (the dashboard's host) is still there
    const pod = JSON.parse(await k('get', 'pod', '-n', ENVIRONMENT, podName, '-o', 'json')) as Json;
    expect(pod.status.containerStatuses.find((c: Json) => c.name === 'editor')).toMatchObject({ restartCount: 0, state: { running: {} } });
    expect(pod.status.conditions.find((c: Json) => c.type === 'Ready').status).toBe('True');
    await page.reload();
    await expect(page.locator('#page-title').innerText()).resolves.toBe('Editing on the real node');

    // the Editor tab, opened now, says which application does not answer and why
    await page.locator('button[data-tab="Editor"]').click();
    const frame = page.frameLocator('iframe[title="Editor"]');
    const down = frame.locator('main.route-down[data-route="editor"]');
    await down.waitFor({ timeout: 20_000 });
    await expect(down.locator('h1').innerText()).resolves.toBe('The editor application is not answering');
    await expect(down.innerText()).resolves.toContain(
      "This tab shows the session's editor application, but nothing is listening on port 10085 of the session.",
    );

    // the page tries again by itself: VS Code appears once code-server runs again, and the actions work in it
    await frame.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await done('open deployment');
    expect(await editorState()).toMatchObject({ file: '/home/workshop/exercises/deployment.yaml' });
  },
  8 * 60_000,
);
