/**
 * `workshops local up STATE_DIR`: LOCAL DEVELOPMENT ONLY. The examples' portal (or any synthesized dist/) on this
 * machine with sessions as real pods, as `educates create-cluster` gives Educates authors a real local cluster: a
 * control plane with the real node (scripts/cluster, kubelet + containerd), a loopback registry with the project's
 * images (scripts/images) and the workshops' content (`workshops publish`), Traefik (scripts/ingress) for every
 * host, and dist/ deployed with local settings (`localDist`). The browser reaches everything under
 * `*.workshops.localhost` (browsers resolve `*.localhost` to this machine), through port 80 of 127.0.0.1; pods
 * resolve the same names to the node's address, where Traefik serves them too. It stays in the foreground; Ctrl-C
 * stops and removes what it started.
 *
 * `--preview` is the fast mode without a real node: the simulated (kwok) control plane, the portal as a process on
 * this machine and each session's dashboard as a process (`sessions dashboard --session-hosts`), its terminals
 * shells on this machine.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { Command } from 'commander';
import { stringify } from 'yaml';

import type { Manifest } from '../../constructs/manifest.js';
import { readDist } from '../dist.js';
import { CliError } from '../errors.js';
import { packageRoot, packageVersion } from '../package-info.js';
import { type TcpForward, tcpForward } from '../tcp-forward.js';
import { parsePort } from './serve.js';

/** The node's address on its bridge, where pods reach this machine (scripts/cluster/README.md "How it is wired"). */
export const NODE_IP = '198.18.0.1';
/** The ingress domain of the local loop: every host under it resolves to this machine in browsers. */
export const LOCAL_DOMAIN = 'workshops.localhost';
/** The registry the synthesized images name; `localDist` points them at the loopback registry instead. */
const PUBLISHED_REGISTRY = 'ghcr.io/';
const REAL_NODE_LABEL = 'cdk8s-workshops.dev/real-node';
/** The file naming the cluster that has this machine's real node (scripts/cluster/node-up.sh). */
const REAL_NODE_MARKER = '/run/cdk8s-workshops-real-node';

type Json = Record<string, any>;

/** What the machine offers that the real node needs; read from /proc and /sys by `machineFacts()`. */
export interface MachineFacts {
  readonly platform: string;
  readonly uid: number | undefined;
  /** Filesystems the kernel supports (/proc/filesystems). */
  readonly filesystems: readonly string[];
  /** Whether /proc/sys/net/ipv4/ip_forward and /sys/fs/cgroup exist. */
  readonly ipForwarding: boolean;
  readonly cgroups: boolean;
  /** The cluster state folder that holds the machine's real node now, if any. */
  readonly realNodeOf?: string;
}

export function machineFacts(): MachineFacts {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    filesystems: (read('/proc/filesystems') ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).pop() ?? '')
      .filter(Boolean),
    ipForwarding: fs.existsSync('/proc/sys/net/ipv4/ip_forward'),
    cgroups: fs.existsSync('/sys/fs/cgroup'),
    realNodeOf: read(REAL_NODE_MARKER)?.trim() || undefined,
  };
}

/**
 * Why this machine cannot run the real node, each reason naming what is missing and the way out (`--preview`);
 * empty when it can. `stateDir` is the cluster folder this run would use (its own real node is no obstacle).
 */
export function realNodeObstacles(facts: MachineFacts, stateDir: string): string[] {
  const reasons: string[] = [];
  if (facts.platform !== 'linux') reasons.push(`the real node runs on Linux only (this is ${facts.platform})`);
  else {
    if (facts.uid !== 0)
      reasons.push(`the real node needs root (network interfaces, iptables, mounts, cgroups); this runs as uid ${facts.uid ?? 'unknown'}`);
    if (!facts.filesystems.includes('overlay')) reasons.push('the kernel has no overlay filesystem (containerd unpacks images with it)');
    if (!facts.ipForwarding) reasons.push('the kernel has no IPv4 forwarding (/proc/sys/net/ipv4/ip_forward), which pod networking needs');
    if (!facts.cgroups) reasons.push('there is no /sys/fs/cgroup (the kubelet runs pods in cgroups)');
    if (facts.realNodeOf && path.resolve(facts.realNodeOf) !== path.resolve(stateDir))
      reasons.push(
        `this machine's one real node is in use by the cluster in ${facts.realNodeOf} (stop it with scripts/cluster/down.sh ${facts.realNodeOf})`,
      );
  }
  return reasons;
}

export interface LocalDistOptions {
  /** `127.0.0.1:<port>`: where containerd pulls the project's images from. */
  readonly registry: string;
  /** `198.18.0.1:<port>`: the same registry as pods reach it (content pulled by the dashboards). */
  readonly podRegistry: string;
  /** Per workshop name: the content repository published to the registry (`<repository>:<tag>`, no host). */
  readonly content: Readonly<Record<string, string>>;
  /** At most this many sessions prepared ahead per workshop (reserve and initial). */
  readonly reserved: number;
}

/** The pod spec of a workload object, if it has one. */
function podSpecOf(object: Json): Json | undefined {
  if (object.kind === 'Pod') return object.spec;
  return object.spec?.template?.spec;
}

/**
 * dist/ as the local loop deploys it: the project's images from the loopback registry (and the Docker and
 * ImageRegistry capabilities' images of Docker Hub replaced by the ones scripts/images builds), every pod on the
 * real node, the portal's ingress domain replaced by LOCAL_DOMAIN, each workshop's content from the loopback registry
 * (over plain http), the portal calling a session Ready only once Traefik routes it, and pools cut to what one
 * machine holds. Returns new objects.
 */
export function localDist(objects: readonly Manifest[], options: LocalDistOptions): Json[] {
  const domains = new Set(
    objects.filter((o) => o.kind === 'WorkshopEnvironment').map((o) => (o as Json).spec?.portal?.ingressDomain as string | undefined),
  );
  domains.delete(undefined);
  const images: Record<string, string> = {
    'docker:27.5.1-dind': `${options.registry}/cdk8s-workshops/docker-daemon:${packageVersion()}`,
    'registry:2.8.3': `${options.registry}/cdk8s-workshops/registry:${packageVersion()}`,
  };
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (images[value]) return images[value];
      if (value.startsWith(PUBLISHED_REGISTRY)) return `${options.registry}/${value.slice(PUBLISHED_REGISTRY.length)}`;
      let text = value;
      for (const domain of domains) text = text.split(domain!).join(LOCAL_DOMAIN);
      return text;
    }
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    return value;
  };
  const place = (object: Json) => {
    const spec = podSpecOf(object);
    if (!spec?.containers) return;
    spec.nodeSelector = { ...spec.nodeSelector, [REAL_NODE_LABEL]: 'true' };
    spec.tolerations = [...(spec.tolerations ?? []), { key: REAL_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' }];
  };
  return objects.map((original) => {
    const object = rewrite(structuredClone(original)) as Json;
    place(object);
    if (object.kind === 'Deployment' && object.metadata?.labels?.['app.kubernetes.io/name'] === 'training-portal') {
      const portal = object.spec.template.spec.containers[0];
      // src/runtime/route-readiness.ts: Ready only once Traefik (on the node's address) routes the session's host
      portal.env = [...(portal.env ?? []), { name: 'INGRESS_PROBE_ADDRESS', value: `${NODE_IP}:80` }];
    }
    if (object.kind === 'WorkshopEnvironment') {
      const pool = object.spec.pool ?? {};
      object.spec.pool = {
        ...pool,
        initial: Math.min(pool.initial ?? 0, options.reserved),
        reserved: Math.min(pool.reserved ?? 0, options.reserved),
      };
      const nested = [...(object.spec.session?.objects ?? []), ...(object.spec.environment?.objects ?? [])] as Json[];
      nested.forEach(place);
      const workshop = object.metadata.labels?.['training.cdk8s-workshops.dev/workshop.name'] as string | undefined;
      const repository = workshop ? options.content[workshop] : undefined;
      if (repository) {
        const ref = `${options.podRegistry}/${repository}`;
        object.spec.workshop = { ...object.spec.workshop, content: { image: { ref } } };
        for (const nestedObject of nested) {
          if (nestedObject.kind === 'ConfigMap' && nestedObject.data?.['dashboard.json']) {
            const dashboard = JSON.parse(nestedObject.data['dashboard.json']);
            dashboard.content = { image: { ref } };
            nestedObject.data['dashboard.json'] = JSON.stringify(dashboard, null, 2);
          }
          const dashboardContainer = podSpecOf(nestedObject)?.containers?.find((c: Json) => c.name === 'dashboard');
          // the loopback registry speaks plain http, and pods reach it on the node's address
          if (dashboardContainer) dashboardContainer.env = [...(dashboardContainer.env ?? []), { name: 'CONTENT_REGISTRY_INSECURE', value: 'true' }];
        }
      }
    }
    return object;
  });
}

/** Runs a script of the checkout; its stderr (progress) goes to ours; resolves with its stdout. */
function script(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const full = path.join(packageRoot(), file);
  if (!fs.existsSync(full)) throw new CliError(`${file} not found: 'workshops local up' runs from a checkout of cdk8s-workshops`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [full, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new CliError(`${file} ${args.join(' ')} failed (exit code ${code}): ${tail.trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
}

/** A TCP forward (src/cli/tcp-forward.ts) whose busy port is named as the local loop's. */
async function forward(host: string, port: number, targetHost: string, targetPort: number): Promise<TcpForward> {
  return tcpForward(host, port, targetHost, targetPort).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE'
      ? new CliError(`${host}:${port} is in use: the local loop's hosts (http://<name>.${LOCAL_DOMAIN}/) need it; stop what listens there`)
      : error;
  });
}

async function freePort(): Promise<number> {
  const f = await forward('127.0.0.1', 0, '127.0.0.1', 9);
  await f.close();
  return f.port;
}

/**
 * Port `port` of 127.0.0.1 in front of Traefik: every request and WebSocket goes through as it is (the Host header
 * too), except for sessions: a session's dashboard page gets the watch that reloads it once the session ends, and
 * a session host that Traefik no longer routes (the session ended, its Ingress is gone) answers with the page that
 * says so and links back to the portal, as in --preview.
 */
async function frontProxy(
  port: number,
  ingressPort: number,
  context: { environments: readonly string[]; kubeconfig: string; portalUrl: string },
): Promise<{ close(): Promise<void> }> {
  const { createProxyServer } = await import('http-proxy-3');
  const { endedWatch, endedPage, injectAfterBody } = await import('../dev-front-door.js');
  const { connect } = await import('../kube.js');
  const { API_VERSION } = await import('../../constructs/names.js');
  const target = `http://127.0.0.1:${ingressPort}`;
  // One client for the proxy's lookups and its watch of how each session ended: the runtime deletes a WorkshopSession
  // soon after it ends, often before its tab asks, and the ended page should still say why.
  const { Informer } = await import('../../runtime/informer.js');
  const watching = await connect(context.kubeconfig);
  const sessions = new Informer(watching, API_VERSION, 'WorkshopSession');
  const endings = new Map<string, { phase: string; reason?: string }>();
  sessions.on('change', (_type: string, changed: unknown) => {
    const object = changed as { metadata: { name: string }; status?: { phase?: string; reason?: string } };
    const phase = object.status?.phase;
    if (phase && ['Terminating', 'Failed', 'Expired'].includes(phase)) endings.set(object.metadata.name, { phase, reason: object.status?.reason });
  });
  await sessions.start();
  const sessionOf = (host: string | undefined) => {
    const label = new RegExp(`^([a-z0-9-]+)\\.${LOCAL_DOMAIN.replace(/\./g, '\\.')}(:\\d+)?$`).exec(String(host ?? '').toLowerCase())?.[1];
    return label && context.environments.some((e) => label.startsWith(`${e}-`)) ? label : undefined;
  };
  const proxy = createProxyServer({ ws: true, selfHandleResponse: true });
  proxy.on('proxyReq', (proxyReq, request) => {
    // the watch goes into the dashboard's page: ask for it uncompressed
    if (sessionOf(request.headers.host)) proxyReq.removeHeader('accept-encoding');
  });
  proxy.on('proxyRes', (proxyRes, request, response) => {
    const res = response as http.ServerResponse;
    const session = sessionOf(request.headers.host);
    if (session && [404, 502, 503, 504].includes(proxyRes.statusCode ?? 0)) {
      // Traefik's 404 (no Ingress any more) or 503 (no pod behind it), or the dashboard's own: the session's phase tells
      const chunks: Buffer[] = [];
      proxyRes.on('data', (c: Buffer) => chunks.push(c));
      const body = new Promise<Buffer>((resolve) => proxyRes.on('end', () => resolve(Buffer.concat(chunks))));
      void (async () => {
        let phase = 'deleted';
        let reason: string | undefined;
        try {
          const found = await watching.get<{ status?: { phase?: string; reason?: string } }>(API_VERSION, 'WorkshopSession', session);
          phase = found ? (found.status?.phase ?? 'Requested') : 'deleted';
          reason = found?.status?.reason;
          const seen = endings.get(session);
          if (!found && seen) ({ phase, reason } = seen);
        } catch {
          phase = 'unknown';
        }
        if (!['deleted', 'Terminating', 'Failed', 'Expired'].includes(phase)) {
          const headers = { ...proxyRes.headers };
          delete headers['transfer-encoding'];
          res.writeHead(proxyRes.statusCode ?? 404, headers).end(await body);
          return;
        }
        const healthz = request.url?.split('?')[0] === '/healthz';
        const ended = { session, phase, reason };
        res.writeHead(410, { 'content-type': healthz ? 'application/json' : 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(healthz ? JSON.stringify({ status: 'ended', ...ended }) : endedPage(context.portalUrl, ended));
      })();
      return;
    }
    const type = String(proxyRes.headers['content-type'] ?? '');
    const document = String(request.headers['sec-fetch-dest'] ?? 'document') === 'document';
    if (session && request.method === 'GET' && document && type.startsWith('text/html') && !proxyRes.headers['content-encoding']) {
      const chunks: Buffer[] = [];
      proxyRes.on('data', (c: Buffer) => chunks.push(c));
      proxyRes.on('end', () => {
        const headers = { ...proxyRes.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(proxyRes.statusCode ?? 200, headers);
        res.end(injectAfterBody(Buffer.concat(chunks).toString('utf8'), endedWatch()));
      });
      proxyRes.on('error', () => res.destroy());
      return;
    }
    res.writeHead(proxyRes.statusCode ?? 200, proxyRes.statusMessage ?? '', proxyRes.headers);
    proxyRes.pipe(res);
  });
  proxy.on('error', (_error, _request, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('Traefik did not answer');
    else res.destroy();
  });
  const server = http.createServer((request, response) => proxy.web(request, response, { target }));
  server.on('upgrade', (request, socket, head) => proxy.ws(request, socket, head, { target }));
  await new Promise<void>((resolve, reject) =>
    server
      .listen(port, '127.0.0.1', resolve)
      .on('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new CliError(`127.0.0.1:${port} is in use: the local loop's hosts (http://<name>.${LOCAL_DOMAIN}/) need it; stop what listens there`)
            : error,
        ),
      ),
  );
  return {
    close: () =>
      new Promise<void>((resolve) => {
        sessions.stop();
        void watching.close();
        server.close(() => resolve());
        server.closeAllConnections();
        proxy.close();
      }),
  };
}

/** GET /healthz of `host` through Traefik, until it answers 200 (5 min); on time-out, the pods of `namespace` say why. */
async function routed(host: string, ingressPort: number, kubeconfig: string, namespace: string): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  let last = '';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port: ingressPort, path: '/healthz', headers: { host }, timeout: 5000 }, (response) => {
        response.resume();
        resolve(String(response.statusCode));
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', (error) => resolve(error.message));
    });
    if (last === '200') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const { connect } = await import('../kube.js');
  const client = await connect(kubeconfig);
  let pods = '';
  try {
    const list = await client.list<Json>('v1', 'Pod', { namespace });
    pods = list
      .map((p) => `${p.metadata.name} ${p.status?.phase} ${JSON.stringify((p.status?.containerStatuses ?? []).map((c: Json) => c.state))}`)
      .join('; ');
  } finally {
    await client.close();
  }
  throw new CliError(
    `http://${host}/healthz did not answer 200 through Traefik within 5 min (last: ${last}); pods in ${namespace}: ${pods || 'none'}`,
  );
}

/** Debian's docker-registry on a loopback port, storing under `dir`; resolves once it answers /v2/. */
async function startRegistry(dir: string): Promise<{ host: string; stop(): Promise<void> }> {
  const binary = '/usr/bin/docker-registry';
  if (!fs.existsSync(binary)) throw new CliError(`${binary} not found: apt-get install docker-registry`);
  const port = await freePort();
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const log = fs.openSync(path.join(dir, 'registry.log'), 'a');
  const child = spawn(binary, ['serve', config], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new CliError(`docker-registry exited at start (log: ${path.join(dir, 'registry.log')})`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new CliError(`docker-registry did not answer on 127.0.0.1:${port} within 30 s (log: ${path.join(dir, 'registry.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host: `127.0.0.1:${port}`, stop };
}

export interface LocalUpOptions {
  readonly dist: string;
  /** A folder of workshop folders (examples/) or one workshop folder: the content published for the sessions. */
  readonly content?: string;
  readonly reserved: number;
  /** Port of 127.0.0.1 the browser reaches the hosts on (80: URLs without a port). */
  readonly port: number;
}

/** The workshop folders under `dir` by name (a folder with workshop/content/ is one workshop, named as the folder). */
function workshopFolders(dir: string): Record<string, string> {
  const root = path.resolve(dir);
  if (fs.existsSync(path.join(root, 'workshop', 'content'))) return { [path.basename(root)]: root };
  const found: Record<string, string> = {};
  for (const entry of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    if (fs.existsSync(path.join(root, entry, 'workshop', 'content'))) found[entry] = path.join(root, entry);
  }
  if (!Object.keys(found).length)
    throw new CliError(
      `--content ${dir} has no workshop/content/ folder, nor folders <workshop>/workshop/content/: name a workshop folder, or a folder of them such as examples/`,
    );
  return found;
}

/**
 * Starts everything and serves until SIGINT/SIGTERM; then removes what it started, the cluster included.
 * `onReady` gets the portal's URL once a browser can use it.
 */
export async function localUp(stateDir: string, options: LocalUpOptions): Promise<void> {
  const state = path.resolve(stateDir);
  const clusterDir = path.join(state, 'cluster');
  const obstacles = realNodeObstacles(machineFacts(), clusterDir);
  if (obstacles.length)
    throw new CliError(
      `this machine cannot run the real node: ${obstacles.join('; ')}. ` +
        "'workshops local up --preview' runs the portal and each session's dashboard as processes on this machine instead (no real node needed)",
    );
  const entries = readDist(path.resolve(options.dist));
  if (!entries.length) throw new CliError(`no objects in ${options.dist}: run 'workshops synth' first`);
  const portals = entries.filter((e) => e.object.kind === 'Deployment' && e.object.metadata.labels?.['app.kubernetes.io/name'] === 'training-portal');
  fs.mkdirSync(state, { recursive: true });
  const say = (line: string) => process.stderr.write(`local: ${line}\n`);
  const undo: Array<() => Promise<unknown>> = [];
  let stopped: ((signal: string) => void) | undefined;
  const stopping = new Promise<string>((resolve) => (stopped = resolve));
  const onSignal = (signal: string) => stopped!(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    say(`${what}…`);
    const result = await Promise.race([work(), stopping.then((signal) => Promise.reject(new CliError(`stopped by ${signal} during: ${what}`)))]);
    say(`${what}: done in ${Math.round((Date.now() - started) / 100) / 10} s`);
    return result;
  };
  try {
    const out = await step('control plane with the real node (scripts/cluster/up.sh --real-node)', () =>
      script('scripts/cluster/up.sh', ['--real-node', clusterDir]),
    );
    undo.push(() => script('scripts/cluster/down.sh', [clusterDir]));
    const kubeconfig = out.trim().split('\n').pop()!;
    const registry = await step('loopback registry (docker-registry)', () => startRegistry(path.join(state, 'registry')));
    undo.push(() => registry.stop());
    await script('scripts/cluster/node-registry.sh', [clusterDir, registry.host]);
    const podRegistry = await forward(NODE_IP, Number(registry.host.split(':')[1]), '127.0.0.1', Number(registry.host.split(':')[1]));
    undo.push(() => podRegistry.close());
    await step('images, built by scripts/images (cached) and pushed', () => script('scripts/images/push.sh', [registry.host]));
    const ingressPort = await step('Traefik (scripts/ingress/up.sh)', async () =>
      Number(
        (await script('scripts/ingress/up.sh', ['--name', 'local', '--node-address', `${NODE_IP}:80`, '--kubeconfig', kubeconfig, clusterDir]))
          .trim()
          .split('\n')
          .pop(),
      ),
    );
    undo.push(() => script('scripts/ingress/down.sh', ['--name', 'local', clusterDir]));
    await script('scripts/cluster/node-dns.sh', [clusterDir, 'add', LOCAL_DOMAIN]);
    const content: Record<string, string> = {};
    if (options.content) {
      const { publishWorkshop } = await import('./publish.js');
      for (const [workshop, dir] of Object.entries(workshopFolders(options.content))) {
        const repository = `local/${workshop}-files:latest`;
        await step(`content of ${workshop} (workshops publish ${path.relative(process.cwd(), dir) || '.'})`, () =>
          publishWorkshop(dir, { image: `${registry.host}/${repository}` }),
        );
        content[workshop] = repository;
      }
    }
    const localDir = path.join(state, 'dist');
    fs.rmSync(localDir, { recursive: true, force: true });
    const objects = localDist(
      entries.map((e) => e.object),
      { registry: registry.host, podRegistry: `${NODE_IP}:${registry.host.split(':')[1]}`, content, reserved: options.reserved },
    );
    entries.forEach((entry, i) => {
      const file = path.join(localDir, entry.file);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.appendFileSync(file, `---\n${stringify(objects[i])}`);
    });
    const { deploy, printDeploySummary } = await import('./deploy.js');
    const deployed = await step(`dist/ with local settings (${path.relative(process.cwd(), localDir)}) deployed`, () =>
      deploy({ dist: localDir, kubeconfig }),
    );
    printDeploySummary(deployed, 0, process.stderr);
    if (deployed.failed.length) throw new CliError(`${deployed.failed.length} objects of ${localDir} were not applied (above)`);
    // the portal is a pod: ready once Traefik routes its host to it
    await step('the portal answering through its host', () =>
      Promise.all(
        portals.map((p) => routed(`${p.object.metadata.namespace}.${LOCAL_DOMAIN}`, ingressPort, kubeconfig, p.object.metadata.namespace!)),
      ),
    );
    const environments = objects.filter((o) => o.kind === 'WorkshopEnvironment').map((o) => o.metadata.name as string);
    const portalUrl = `http://${portals[0].object.metadata.namespace}.${LOCAL_DOMAIN}${options.port === 80 ? '' : `:${options.port}`}`;
    const front = await frontProxy(options.port, ingressPort, { environments, kubeconfig, portalUrl });
    undo.push(() => front.close());
    const suffix = options.port === 80 ? '' : `:${options.port}`;
    const urls = portals.map((p) => {
      const ns = p.object.metadata.namespace!;
      return `http://${ns}.${LOCAL_DOMAIN}${suffix}/`;
    });
    process.stdout.write(
      `open ${urls.join(' , ')} : sessions run as pods on the real node, each at http://<session>.${LOCAL_DOMAIN}${suffix}/\n` +
        `KUBECONFIG=${kubeconfig} (kubectl, 'workshops sessions list'); Ctrl-C stops and removes it all\n`,
    );
    const signal = await stopping;
    say(`${signal}: stopping`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const undoStep of undo.reverse()) await undoStep().catch((error: Error) => say(`clean-up: ${error.message}`));
  }
}

export interface LocalPreviewOptions {
  readonly dist: string;
  readonly content?: string;
  /** The portal's port on 127.0.0.1. */
  readonly portalPort: number;
  /** The sessions' port on 127.0.0.1 (`http://<session>.localhost:<port>/`). */
  readonly port: number;
}

/**
 * `--preview`: the simulated control plane (no container runs), dist/ deployed as it is, the portal as a process on
 * this machine and every learner's session dashboard as a process (`sessions dashboard --session-hosts`), until
 * SIGINT/SIGTERM; then removes what it started.
 */
export async function localPreview(stateDir: string, options: LocalPreviewOptions): Promise<void> {
  const state = path.resolve(stateDir);
  const clusterDir = path.join(state, 'cluster');
  const entries = readDist(path.resolve(options.dist));
  const portals = entries.filter((e) => e.object.kind === 'Deployment' && e.object.metadata.labels?.['app.kubernetes.io/name'] === 'training-portal');
  if (portals.length !== 1)
    throw new CliError(
      `${options.dist} has ${portals.length} training portals: --preview runs exactly one (synthesize one portal into its own folder, --dist)`,
    );
  const portalNamespace = portals[0].object.metadata.namespace!;
  fs.mkdirSync(state, { recursive: true });
  const say = (line: string) => process.stderr.write(`local: ${line}\n`);
  const undo: Array<() => Promise<unknown>> = [];
  try {
    const out = await script('scripts/cluster/up.sh', [clusterDir]);
    undo.push(() => script('scripts/cluster/down.sh', [clusterDir]));
    const kubeconfig = out.trim().split('\n').pop()!;
    const { deploy, printDeploySummary } = await import('./deploy.js');
    const deployed = await deploy({ dist: path.resolve(options.dist), kubeconfig });
    printDeploySummary(deployed, 0, process.stderr);
    if (deployed.failed.length) throw new CliError(`${deployed.failed.length} objects of ${options.dist} were not applied (above)`);
    const { connect } = await import('../kube.js');
    const client = await connect(kubeconfig);
    let portalJson: string | undefined;
    try {
      const configMap = await client.get<{ data?: Record<string, string> }>('v1', 'ConfigMap', 'training-portal', portalNamespace);
      portalJson = configMap?.data?.['portal.json'];
    } finally {
      await client.close();
    }
    if (!portalJson) throw new CliError(`the portal's ConfigMap ${portalNamespace}/training-portal has no portal.json`);
    const portalConfig = path.join(state, 'portal.json');
    fs.writeFileSync(portalConfig, portalJson);
    const portalName = (JSON.parse(portalJson) as { name?: string }).name ?? portalNamespace.replace(/-ui$/, '');
    const portalUrl = `http://127.0.0.1:${options.portalPort}`;
    const adminPassword = process.env.ADMIN_PASSWORD || randomBytes(9).toString('base64url');
    const logFile = path.join(state, 'portal.log');
    const log = fs.openSync(logFile, 'a');
    const portal = spawn(process.execPath, [path.join(packageRoot(), 'lib', 'apps', 'portal.js')], {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        PORTAL_NAME: portalName,
        PORTAL_CONFIG: portalConfig,
        PORTAL_URL: portalUrl,
        SECURE_COOKIES: 'false',
        ADMIN_PASSWORD: adminPassword,
        HOST: '127.0.0.1',
        PORT: String(options.portalPort),
        // sends learners to the session hosts below instead of the sessions' Ingress hosts (never set in a cluster)
        PORTAL_DEV_SESSION_URL: `http://{session}.localhost:${options.port}`,
      },
    });
    fs.closeSync(log);
    undo.push(
      () =>
        new Promise<void>((resolve) => {
          if (portal.exitCode !== null || portal.signalCode !== null) return resolve();
          portal.once('exit', () => resolve());
          portal.kill('SIGTERM');
        }),
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (portal.exitCode !== null) throw new CliError(`the portal exited at start (log: ${logFile})`);
      if (
        await fetch(`${portalUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new CliError(`the portal did not answer on ${portalUrl} within 120 s (log: ${logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    process.stdout.write(
      `open ${portalUrl}/ (admin password: ${adminPassword}); PREVIEW: each session's dashboard is a process on this machine, its terminals shells here\n` +
        `KUBECONFIG=${kubeconfig}; the portal's log: ${logFile}; Ctrl-C stops and removes it all\n`,
    );
    const { runSessionHosts } = await import('./session-dashboard.js');
    await runSessionHosts(
      { host: '127.0.0.1', port: options.port, portalUrl, content: options.content, kubeconfig, portal: portalName, wait: 600 },
      {},
    );
    say('stopping');
  } finally {
    for (const undoStep of undo.reverse()) await undoStep().catch((error: Error) => say(`clean-up: ${error.message}`));
  }
}

export function localCommand(): Command {
  const local = new Command('local')
    .summary('run a portal and its sessions on this machine (local development)')
    .description(
      'LOCAL DEVELOPMENT ONLY: a cluster on this machine for trying workshops as a learner. ' +
        "'local up' runs sessions as real pods on the machine's real node (needs root and Linux); '--preview' runs them as processes instead",
    );
  local
    .command('up')
    .description(
      'Start a control plane with a real node (kubelet + containerd) in STATE_DIR/cluster, a loopback registry with the ' +
        "project's images and the workshops' content, and Traefik; deploy dist/ with local settings (images from the " +
        `registry, pods on the real node, the ingress domain ${LOCAL_DOMAIN}, which browsers resolve to this machine); ` +
        'then serve http://<portal namespace>.workshops.localhost/ until Ctrl-C, which stops and removes it all. ' +
        "Needs root; one real node per machine. With --preview: no real node (see 'workshops sessions dashboard').",
    )
    .argument('<state-dir>', 'a folder for the cluster, the registry and the deployed YAML (e.g. /tmp/workshops-labs)')
    .option('--dist <dir>', 'folder of synthesized YAML', 'dist')
    .option('--content <dir>', "publish this workshop folder (or each workshop folder in it, such as examples/) as the sessions' content", undefined)
    .option(
      '--reserved <n>',
      'at most this many sessions prepared ahead per workshop',
      (v: string) => {
        if (!/^\d+$/.test(v)) throw new CliError(`--reserved '${v}': a whole number (0 or more)`, 2);
        return Number(v);
      },
      1,
    )
    .option(
      '-p, --port <port>',
      'port of 127.0.0.1 that serves the hosts (default 80: the URLs the portal hands out have no port; with --preview: the sessions, default 10082)',
      parsePort,
    )
    .option(
      '--preview',
      "fast preview without a real node: the simulated control plane, the portal and each session's dashboard as processes on this machine, " +
        'terminals as shells here (no root needed)',
    )
    .option('--portal-port <port>', 'with --preview: the portal on http://127.0.0.1:<port>', parsePort, 8080)
    .action(async (stateDir: string, options: Omit<LocalUpOptions, 'port'> & { port?: number; preview?: boolean; portalPort: number }) => {
      if (options.preview) return localPreview(stateDir, { ...options, port: options.port ?? 10082 });
      if (options.portalPort !== 8080)
        throw new CliError('--portal-port goes with --preview (with real pods the portal is a pod, at its own host)', 2);
      await localUp(stateDir, { ...options, port: options.port ?? 80 });
    });
  return local;
}
