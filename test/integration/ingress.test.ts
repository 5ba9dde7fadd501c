/**
 * A real Ingress controller for the test cluster: Traefik (scripts/ingress), built from the Go module proxy, runs on
 * this machine against the cluster as a ServiceAccount of its own with a ClusterRole that holds only what its
 * Kubernetes Ingress provider reads. Two Ingresses, a portal host and a session host `s001.<domain>`, route to two
 * backends served by this test; Traefik sends each Host to its own backend, answers 404 for a host no Ingress names
 * and for an Ingress of another class, passes WebSocket upgrades through, and Chromium reaches the hosts through
 * `--host-resolver-rules` (no /etc/hosts entry).
 *
 * The cluster's pods are kwok's, with loopback IPs that EndpointSlices refuse, so each backend is a Service without
 * a selector plus an EndpointSlice written here, pointing at an address of a bridge interface this test creates
 * (a /32 that is not loopback, as the API server wants) and removes at the end.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

import type { Browser } from 'playwright-core';
import { WebSocket, WebSocketServer } from 'ws';

import { KubeClient } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { serviceAccountKubeconfig } from '../support/identities.js';
import { waitFor } from '../support/portal-fixture.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const STATE_DIR = process.env.CDK8S_WORKSHOPS_TEST_STATE!;
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

const suffix = randomBytes(3).toString('hex');
const NAMESPACE = `ingress-test-${suffix}`;
const INSTANCE = `test-${suffix}`; // up.sh --name: a Traefik of this test file alone
const CLUSTER_ROLE = `ingress-test-${suffix}-traefik`;
const DOMAIN = 'workshops.test';
const PORTAL_HOST = `portal.${DOMAIN}`;
const SESSION_HOST = `s001.${DOMAIN}`;
const OTHER_CLASS_HOST = `other-class.${DOMAIN}`;
const NO_ENDPOINTS_HOST = `s001-app.${DOMAIN}`;
// A bridge with no ports and one /32 address: traffic to it never leaves this machine (the kernel delivers it
// locally), yet it is not a loopback address, which EndpointSlices refuse. 198.18.0.0/15 is reserved for tests.
const BRIDGE = `cwing${suffix}`.slice(0, 15);
const BACKEND_IP = `198.18.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;

interface Backend {
  server: http.Server;
  port: number;
  /** Host headers of the requests and upgrades it answered. */
  hosts: string[];
}

/** An HTTP server on the bridge address; the session one also echoes WebSocket messages on /ws. */
async function startBackend(name: string, withWebSocket: boolean): Promise<Backend> {
  const hosts: string[] = [];
  const page =
    `<!doctype html><title>${name}</title><h1 id="who">${name} backend</h1><p id="ws">no websocket</p>` +
    (withWebSocket
      ? `<script>const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onopen = () => ws.send('hello from the browser');
ws.onmessage = (m) => { document.getElementById('ws').textContent = m.data; };
ws.onerror = () => { document.getElementById('ws').textContent = 'websocket error'; };</script>`
      : '');
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-backend': name });
    res.end(page);
  });
  if (withWebSocket) {
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      hosts.push(req.headers.host ?? '');
      if (req.url !== '/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data) => ws.send(`${name} echoes: ${data.toString()}`));
      });
    });
  }
  await new Promise<void>((resolve, reject) => server.listen(0, BACKEND_IP, resolve).on('error', reject));
  return { server, port: (server.address() as AddressInfo).port, hosts };
}

/** GET http://127.0.0.1:<traefik port>/ with a Host header: status, body and the backend that answered. */
function get(host: string, urlPath = '/'): Promise<{ status: number; body: string; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: traefikPort, path: urlPath, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, backend: res.headers['x-backend'] as string | undefined }));
    });
    req.on('error', reject);
  });
}

/** Runs a script of scripts/ingress with bash; its progress (stderr) shows in the test output, stdout is returned. */
function script(name: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${ROOT}/scripts/ingress/${name}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${name} ${args.join(' ')} exited with ${code}: ${stderr}`))));
  });
}

function service(name: string, backendPort: number): object {
  // No selector: its endpoints are the EndpointSlice below.
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE },
    spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort, protocol: 'TCP' }] },
  };
}

function endpointSlice(name: string, backendPort: number): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name}-manual`,
      namespace: NAMESPACE,
      labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'ingress-test.cdk8s-workshops.dev' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [BACKEND_IP], conditions: { ready: true } }],
    ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
  };
}

function ingress(name: string, host: string, serviceName: string, ingressClassName?: string): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      ...(ingressClassName ? { ingressClassName } : {}),
      rules: [
        {
          host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: serviceName, port: { name: 'http' } } } }] },
        },
      ],
    },
  };
}

async function create(object: any): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural: Record<string, string> = {
    Namespace: 'namespaces',
    ServiceAccount: 'serviceaccounts',
    Service: 'services',
    EndpointSlice: 'endpointslices',
    Ingress: 'ingresses',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
  };
  const namespaced = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  await admin.request('POST', `${base}${namespaced}/${plural[object.kind]}`, { body: object });
}

let traefikPort = 0;
let portal: Backend;
let session: Backend;
let saKubeconfig: string | undefined;
let bridgeCreated = false;
let traefikStarted = false;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!STATE_DIR) throw new Error('CDK8S_WORKSHOPS_TEST_STATE is not set: run this file through jest with the integration global setup');
  await run('ip', ['link', 'add', 'name', BRIDGE, 'type', 'bridge']);
  bridgeCreated = true;
  await run('ip', ['addr', 'add', `${BACKEND_IP}/32`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);

  portal = await startBackend('portal', false);
  session = await startBackend('s001', true);

  await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  for (const [name, backend] of [
    ['portal', portal],
    ['s001-dashboard', session],
  ] as const) {
    await create(service(name, backend.port));
    await create(endpointSlice(name, backend.port));
  }
  // The portal's Ingress names the class; the session's has none, as dist/ synthesizes them unless the
  // TrainingPortal sets ingressClass; a third names a class that is not Traefik's and must stay unrouted.
  await create(ingress('portal', PORTAL_HOST, 'portal', 'traefik'));
  await create(ingress('s001', SESSION_HOST, 's001-dashboard'));
  await create(ingress('other-class', OTHER_CLASS_HOST, 'portal', 'someone-else'));
  // A Service whose pods are kwok's (or not ready): no endpoints at all.
  await create({
    ...service('no-endpoints', 8080),
    spec: { selector: { app: 'nothing-here' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  await create(ingress('no-endpoints', NO_ENDPOINTS_HOST, 'no-endpoints'));

  // Traefik as a ServiceAccount holding only what its Kubernetes Ingress provider lists and watches.
  await create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'traefik', namespace: NAMESPACE } });
  await create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: CLUSTER_ROLE },
    rules: [
      { apiGroups: [''], resources: ['services', 'secrets', 'nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
    ],
  });
  await create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: CLUSTER_ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_ROLE },
    subjects: [{ kind: 'ServiceAccount', namespace: NAMESPACE, name: 'traefik' }],
  });
  saKubeconfig = await serviceAccountKubeconfig(NAMESPACE, 'traefik');

  traefikStarted = true;
  // up.sh builds Traefik first when it is not in the cache (minutes on a cold machine).
  const stdout = await script('up.sh', ['--name', INSTANCE, '--websecure', '--kubeconfig', saKubeconfig, STATE_DIR]);
  traefikPort = Number(stdout.trim().split('\n').pop());
  if (!Number.isInteger(traefikPort) || traefikPort <= 0) throw new Error(`up.sh printed no port: ${JSON.stringify(stdout)}`);

  // Traefik applies what its provider read a moment later: wait until both hosts are routed.
  await waitFor(
    'Traefik to route both Ingress hosts',
    async () => (await get(PORTAL_HOST)).status === 200 && (await get(SESSION_HOST)).status === 200,
  );
}, 20 * 60_000);

afterAll(async () => {
  await browser?.close();
  if (traefikStarted) await script('down.sh', ['--name', INSTANCE, STATE_DIR]);
  for (const backend of [portal, session]) {
    if (backend) await new Promise<void>((resolve) => backend.server.close(() => resolve()).closeAllConnections());
  }
  if (bridgeCreated) await run('ip', ['link', 'del', BRIDGE]);
  await admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${CLUSTER_ROLE}`).catch(() => undefined);
  await admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${CLUSTER_ROLE}`).catch(() => undefined);
  await admin.request('DELETE', `/api/v1/namespaces/${NAMESPACE}`).catch(() => undefined);
  if (saKubeconfig) fs.rmSync(path.dirname(saKubeconfig), { recursive: true, force: true });
}, 60_000);

describe('Traefik as the Ingress controller of the test cluster', () => {
  test('each Ingress host reaches its own backend, with the Host header unchanged', async () => {
    const portalAnswer = await get(PORTAL_HOST);
    expect(portalAnswer).toMatchObject({ status: 200, backend: 'portal' });
    expect(portalAnswer.body).toContain('portal backend');
    const sessionAnswer = await get(SESSION_HOST, '/some/page');
    expect(sessionAnswer).toMatchObject({ status: 200, backend: 's001' });
    expect(sessionAnswer.body).toContain('s001 backend');
    expect(portal.hosts).toContain(PORTAL_HOST);
    expect(session.hosts).toContain(SESSION_HOST);
    expect(portal.hosts).not.toContain(SESSION_HOST);
  });

  test('a host no Ingress names, and the host of an Ingress of another class, get 404', async () => {
    expect((await get(`s002.${DOMAIN}`)).status).toBe(404);
    expect((await get('elsewhere.example')).status).toBe(404);
    const otherClass = await get(OTHER_CLASS_HOST);
    expect(otherClass.status).toBe(404);
    expect(otherClass.backend).toBeUndefined();
  });

  test('the host of a Service with no ready endpoints answers 503, not 404', async () => {
    await waitFor('Traefik to route the host without endpoints', async () => (await get(NO_ENDPOINTS_HOST)).status !== 404);
    expect((await get(NO_ENDPOINTS_HOST)).status).toBe(503);
  });

  test('with --websecure, https on the second port routes the same hosts', async () => {
    const env = fs.readFileSync(path.join(STATE_DIR, `ingress-${INSTANCE}`, 'env'), 'utf8');
    const httpsPort = Number(/^INGRESS_HTTPS_PORT=(\d+)$/m.exec(env)?.[1]);
    expect(httpsPort).toBeGreaterThan(0);
    const answer = await new Promise<{ status: number; backend?: string }>((resolve, reject) => {
      // Traefik's own self-signed certificate: not what is checked here
      https
        .get(
          { host: '127.0.0.1', port: httpsPort, servername: SESSION_HOST, headers: { host: SESSION_HOST }, rejectUnauthorized: false, agent: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: res.headers['x-backend'] as string | undefined }));
          },
        )
        .on('error', reject);
    });
    expect(answer).toEqual({ status: 200, backend: 's001' });
  });

  test('up.sh refuses an identity that may not watch what Traefik reads, naming the permission', async () => {
    await create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: NAMESPACE } });
    const nobody = await serviceAccountKubeconfig(NAMESPACE, 'nobody');
    try {
      await expect(script('up.sh', ['--name', `${INSTANCE}-nobody`, '--kubeconfig', nobody, STATE_DIR])).rejects.toThrow(
        /may not list ingresses\.networking\.k8s\.io cluster-wide/,
      );
    } finally {
      fs.rmSync(path.dirname(nobody), { recursive: true, force: true });
      await script('down.sh', ['--name', `${INSTANCE}-nobody`, STATE_DIR]);
    }
  });

  test('a WebSocket upgrade on the session host passes through to the session backend', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${traefikPort}/ws`, { headers: { host: SESSION_HOST } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping'));
      ws.on('message', (data) => resolve(data.toString()));
      ws.on('error', reject);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    });
    ws.close();
    expect(reply).toBe('s001 echoes: ping');
  });

  test('Chromium opens both hosts through --host-resolver-rules, WebSocket included', async () => {
    browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1:${traefikPort}`] });
    const page = await browser.newPage();

    const portalResponse = await page.goto(`http://${PORTAL_HOST}/`);
    expect(portalResponse?.status()).toBe(200);
    expect(await page.textContent('#who')).toBe('portal backend');

    const sessionResponse = await page.goto(`http://${SESSION_HOST}/`);
    expect(sessionResponse?.status()).toBe(200);
    expect(await page.textContent('#who')).toBe('s001 backend');
    // the page's own script opens ws://s001.<domain>/ws through Traefik and shows the echo
    await page.waitForFunction("document.getElementById('ws').textContent !== 'no websocket'");
    expect(await page.textContent('#ws')).toBe('s001 echoes: hello from the browser');

    const unknown = await page.goto(`http://s002.${DOMAIN}/`);
    expect(unknown?.status()).toBe(404);
  });

  test('deleting an Ingress takes its host off the router', async () => {
    await admin.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/portal`);
    await waitFor('Traefik to drop the portal host', async () => (await get(PORTAL_HOST)).status === 404);
    expect((await get(SESSION_HOST)).status).toBe(200);
  });
});
