/**
 * The pure parts of the local loop and the portal pages: which folder serves a session under --content, which
 * session a `<session>.localhost` host names, the retry schedule of a failing dashboard, the waiting page, and how
 * learners read on the admin page. (local-loop.test.ts and portal-pages.test.ts prove them in Chromium.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { localDist, type MachineFacts, realNodeObstacles } from '../../src/cli/commands/local.js';
import { contentChoice, contentFor, retryDelaySeconds, sessionOfHost } from '../../src/cli/commands/session-dashboard.js';
import { bannerHtml, endedPage, endedWhy, FAILURES_SHOWN_AS_STUCK, waitingPage } from '../../src/cli/dev-front-door.js';
import { readDist } from '../../src/cli/dist.js';
import { CliError } from '../../src/cli/errors.js';
import { learnerLabel } from '../../src/portal/views.js';

describe('--content', () => {
  test('the examples folder serves each workshop its own folder; an unknown workshop is named with those there are', () => {
    const choice = contentChoice('examples');
    expect(choice).toEqual({
      kind: 'by-workshop',
      root: path.resolve('examples'),
      workshops: ['container-builds', 'hello-terminal', 'k8s-fundamentals'],
    });
    expect(contentFor(choice, 'hello-terminal')).toBe(path.resolve('examples/hello-terminal'));
    expect(() => contentFor(choice, 'nope')).toThrow(
      new CliError(
        `--content ${path.resolve('examples')} has no folder for workshop 'nope' ` +
          `(it has: container-builds, hello-terminal, k8s-fundamentals): add ${path.resolve('examples/nope/workshop/content')}/`,
      ),
    );
  });

  test('one workshop folder serves every session; a folder with neither shape is refused', () => {
    expect(contentFor(contentChoice('examples/hello-terminal'), 'anything')).toBe(path.resolve('examples/hello-terminal'));
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'local-loop-unit-'));
    try {
      expect(() => contentChoice(empty)).toThrow(/has no workshop\/content\/ folder, nor folders <workshop>\/workshop\/content\//);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

test('a <session>.localhost host names its session; anything else names none', () => {
  expect(sessionOfHost('labs-hello-terminal-s001.localhost:10082')).toBe('labs-hello-terminal-s001');
  expect(sessionOfHost('labs-hello-terminal-s001.localhost')).toBe('labs-hello-terminal-s001');
  for (const host of ['127.0.0.1:10082', 'localhost:10082', 'a.b.localhost:1', '-x.localhost:1', 'evil.example.com', ''])
    expect(sessionOfHost(host)).toBeUndefined();
});

test('a failing dashboard is tried again after 1, 2, 4, 8, then every 10 s', () => {
  expect([1, 2, 3, 4, 5, 9].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 10, 10]);
  expect(FAILURES_SHOWN_AS_STUCK).toBe(3);
});

test("the waiting page uses the portal's style sheet and escapes what it shows", () => {
  const page = waitingPage('http://127.0.0.1:8080', 's<1>');
  expect(page).toContain('<link rel="stylesheet" href="http://127.0.0.1:8080/static/portal.css">');
  expect(page).toContain('Waiting for session s&lt;1&gt;');
  expect(page).not.toContain('s<1>');
  const banner = bannerHtml({ homeDir: '/tmp/<h>', namespace: 'ns1' });
  expect(banner).toMatch(
    />Local development: terminals are shells on this machine \(home \/tmp\/&lt;h&gt;\), kubectl in namespace ns1<\/div><script type="module">/,
  );
  // and the page leaves for the "ended" page once its host says the session ended
  expect(banner).toMatch(/fetch\('\/healthz'.*health\.status === 'ended'\)\s*location\.reload\(\)/s);
  // its script is the compiled src/browser module, and the waiting page's too (with the count it shows as stuck)
  expect(page).toMatch(/<script type="module">.*getElementById\('door'\)/s);
  expect(page).toContain(`data-stuck-after="${FAILURES_SHOWN_AS_STUCK}"`);
});

test("an ended session's page says why, escapes what it shows, and links back to the portal's workshops", () => {
  const page = endedPage('http://127.0.0.1:8080', { session: 'labs-x-s001', phase: 'Terminating', reason: 'TerminatedByAdmin' });
  expect(page).toContain('<h1 id="title">This session has ended</h1>');
  expect(page).toContain('Session <strong>labs-x-s001</strong> has ended: an administrator ended it.');
  expect(page).toContain('<a class="button" id="back-to-portal" href="http://127.0.0.1:8080/workshops/catalog/">Back to the workshops</a>');
  expect(endedPage('http://p', { session: '<b>', phase: 'deleted' })).toContain('Session <strong>&lt;b&gt;</strong> has ended: it no longer exists.');
  expect(endedWhy({ session: 's', phase: 'Expired', reason: 'Expired' })).toBe('its time ran out');
  expect(endedWhy({ session: 's', phase: 'Terminating', reason: 'TerminatedByUser' })).toBe('you ended it');
  expect(endedWhy({ session: 's', phase: 'Failed', reason: 'StartupTimeout' })).toBe('failed: StartupTimeout');
});

test('learners read as people: guests by a short id, OpenID users by subject and issuer, REST learners by name', () => {
  expect(learnerLabel('anon@labs:3f2a9c1b-1111-2222-3333-444455556666')).toBe('Guest 3f2a9c1b');
  expect(learnerLabel('oidc:id.example.com:ada')).toBe('ada (id.example.com)');
  expect(learnerLabel('anon@labs:3f2a9c1b-1111', { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })).toBe(
    'Ada Lovelace <ada@example.com>',
  );
  expect(learnerLabel('anon@labs:3f2a9c1b-1111', { email: 'ada@example.com' })).toBe('ada@example.com');
  expect(learnerLabel('grace')).toBe('grace');
  expect(learnerLabel(undefined)).toBe('—');
});

describe('local up (real pods)', () => {
  const able: MachineFacts = { platform: 'linux', uid: 0, filesystems: ['ext4', 'overlay'], ipForwarding: true, cgroups: true };

  test('a machine that can run the real node has no obstacles; each missing part is named, as is its own node', () => {
    expect(realNodeObstacles(able, '/tmp/labs/cluster')).toEqual([]);
    expect(realNodeObstacles({ ...able, realNodeOf: '/tmp/labs/cluster' }, '/tmp/labs/cluster')).toEqual([]);
    expect(realNodeObstacles({ ...able, platform: 'darwin' }, '/x')).toEqual(['the real node runs on Linux only (this is darwin)']);
    expect(
      realNodeObstacles({ ...able, uid: 1000, filesystems: ['ext4'], ipForwarding: false, cgroups: false, realNodeOf: '/tmp/other' }, '/x'),
    ).toEqual([
      'the real node needs root (network interfaces, iptables, mounts, cgroups); this runs as uid 1000',
      'the kernel has no overlay filesystem (containerd unpacks images with it)',
      'the kernel has no IPv4 forwarding (/proc/sys/net/ipv4/ip_forward), which pod networking needs',
      'there is no /sys/fs/cgroup (the kubelet runs pods in cgroups)',
      "this machine's one real node is in use by the cluster in /tmp/other (stop it with scripts/cluster/down.sh /tmp/other)",
    ]);
  });

  test('not root: the command refuses before starting anything, and names --preview', () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'local-up-nobody-'));
    fs.chmodSync(state, 0o777);
    const result = spawnSync(process.execPath, [path.resolve('bin/workshops.js'), 'local', 'up', path.join(state, 'labs')], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    fs.rmSync(state, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^workshops: error: this machine cannot run the real node: the real node needs root .* this runs as uid 65534/);
    expect(result.stderr).toContain(
      "'workshops local up --preview' runs the portal and each session's dashboard as processes on this machine instead",
    );
  });

  test('dist/ with local settings: loopback images, pods on the real node, the local domain, local content, small pools', () => {
    const objects = localDist(
      readDist('dist').map((e) => e.object),
      { registry: '127.0.0.1:5001', podRegistry: '198.18.0.1:5001', content: { 'hello-terminal': 'local/hello-terminal-files:latest' }, reserved: 1 },
    );
    const text = JSON.stringify(objects);
    // (toBe, not toContain: a failure would print all of dist/)
    expect(text.includes('"image":"ghcr.io/')).toBe(false);
    expect(text.includes('workshops.127-0-0-1.test')).toBe(false);
    expect(text.includes('"image":"127.0.0.1:5001/cdk8s-workshops/training-portal:')).toBe(true);
    expect(text.includes('"image":"127.0.0.1:5001/cdk8s-workshops/docker-daemon:')).toBe(true);
    const portal = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'training-portal')!;
    expect(portal.spec.template.spec.nodeSelector).toEqual({ 'cdk8s-workshops.dev/real-node': 'true' });
    expect(portal.spec.template.spec.containers[0].env).toContainEqual({ name: 'INGRESS_PROBE_ADDRESS', value: '198.18.0.1:80' });
    expect(portal.spec.template.spec.containers[0].env).toContainEqual({ name: 'PORTAL_URL', value: 'http://labs-ui.workshops.localhost' });
    const environments = objects.filter((o) => o.kind === 'WorkshopEnvironment');
    expect(environments.map((e) => [e.metadata.name, e.spec.pool.initial, e.spec.pool.reserved])).toEqual([
      ['labs-container-builds', 1, 1],
      ['labs-hello-terminal', 1, 1],
      ['labs-k8s-fundamentals', 1, 1],
    ]);
    const hello = environments.find((e) => e.metadata.name === 'labs-hello-terminal')!;
    expect(hello.spec.portal.ingressDomain).toBe('workshops.localhost');
    expect(hello.spec.workshop.content).toEqual({ image: { ref: '198.18.0.1:5001/local/hello-terminal-files:latest' } });
    const pod = hello.spec.session.objects.find((o: { kind: string }) => o.kind === 'Deployment');
    expect(pod.spec.template.spec.tolerations).toContainEqual({
      key: 'cdk8s-workshops.dev/real-node',
      operator: 'Equal',
      value: 'true',
      effect: 'NoSchedule',
    });
    expect(pod.spec.template.spec.containers.find((c: { name: string }) => c.name === 'dashboard').env).toContainEqual({
      name: 'CONTENT_REGISTRY_INSECURE',
      value: 'true',
    });
    // dist/ itself is left as it is
    expect(JSON.stringify(readDist('dist').map((e) => e.object)).includes('workshops.127-0-0-1.test')).toBe(true);
  });
});
