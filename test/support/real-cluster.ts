/**
 * Everything the learner's journey on real pods needs, around the real node of test/support/real-node.ts:
 * - a loopback docker-registry (test/support/registry.ts) that the node's containerd pulls from over plain http, and a
 *   TCP forward from the node's address to it, so that pods (whose loopback is their own) reach it as well;
 * - the project's images built by scripts/images/build.sh and pushed there by scripts/images/push.sh;
 * - Traefik (scripts/ingress/up.sh --name …) on a loopback port, routing the cluster's Ingresses, and on the node's
 *   address (198.18.0.1:80) for pods, whose CoreDNS answers the ingress domain with that address (node-dns.sh), so a
 *   pod reaches its session's hosts (its registry, its own routes) by name as the learner's browser does;
 * - dist/ as a user applies it, except where the TEST SETUP has to steer it (`realDist`): images from the loopback
 *   registry, pods on the real node (REAL_NODE_PLACEMENT), what the constructs synthesize for users left as it is.
 *
 * One real node per machine: the suite's cluster is used when it has one (CDK8S_WORKSHOPS_REAL_NODE=1 in the
 * environment of jest, the usual way to run this); else useRealNode() starts a private one, and files that do so
 * take turns through its lock file (see real-node.ts).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { parseAllDocuments } from 'yaml';

import { tcpForward } from '../../src/cli/tcp-forward.js';
import { ROOT, run } from './cli.js';
import { eventually, REAL_NODE_PLACEMENT, type RealNode, useRealNode } from './real-node.js';
import { startRegistry, type TestRegistry } from './registry.js';

/** The node's address on its bridge: what pods reach the host on (scripts/cluster/README.md, "How it is wired"). */
export const NODE_IP = '198.18.0.1';
/** Where Traefik serves the pods: the node's address, port 80 (what a URL without a port asks for). */
export const NODE_INGRESS_ADDRESS = `${NODE_IP}:80`;
/** Where dist/ points its images; the test setup rewrites this prefix to the loopback registry. */
const PUBLISHED_REGISTRY = 'ghcr.io/';

type Json = Record<string, any>;

export interface RealCluster {
  readonly node: RealNode;
  readonly registry: TestRegistry;
  /** `198.18.0.1:<port>`: the same registry as pods reach it. */
  readonly podRegistry: string;
  /** Traefik's http port on 127.0.0.1. */
  readonly ingressPort: number;
  /** The ingress domain pods resolve (`*.<domain>` → NODE_IP, where Traefik serves them too), if one was given. */
  readonly ingressDomain?: string;
  /** Seconds each preparation step took, for the report. */
  readonly timings: Record<string, number>;
  /** kubectl as the admin: its stdout, or an error naming the command and kubectl's message. */
  k(...args: string[]): Promise<string>;
  /** `kubectl … -o json`, parsed. */
  getJson(...args: string[]): Promise<Json>;
  /** `kubectl apply` of the objects as one List. */
  apply(objects: object[]): Promise<void>;
  /** dist/'s objects (or realDist's): the CustomResourceDefinitions first, once Established, then the rest. */
  applyDist(objects: Json[]): Promise<void>;
  /** A request through Traefik's loopback port with the given Host (GET unless `method` says otherwise). */
  viaIngress(host: string, urlPath: string, request?: IngressRequest): Promise<{ status: number; body: string }>;
  /** Waits until the pods matching `selector` are all Ready (at least one); on time-out says why, naming them. */
  podsReady(what: string, namespace: string, selector: string, timeoutMs: number): Promise<Json[]>;
  release(): Promise<void>;
}

export interface IngressRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

/** The kubectl and ingress helpers of a RealCluster (one copy for the tests and the bench that use it). */
function helpers(node: RealNode, ingressPort: number): Pick<RealCluster, 'k' | 'getJson' | 'apply' | 'applyDist' | 'viaIngress' | 'podsReady'> {
  const k = async (...args: string[]) => {
    const result = await node.kubectl(args, { timeoutMs: 300_000 });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const getJson = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json')) as Json;
  const apply = async (objects: object[]) => {
    const result = await node.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      timeoutMs: 300_000,
    });
    if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr.trim()}`);
  };
  /** Why pods matching `selector` are not Ready yet: phases, waiting reasons and recent events. */
  const podTrouble = async (namespace: string, selector: string) => {
    const pods = (await getJson('-n', namespace, 'get', 'pods', '-l', selector)).items as Json[];
    const lines = pods.map(
      (p) =>
        `${p.metadata.name} on ${p.spec.nodeName ?? '(unscheduled)'}: ${p.status.phase} ${(p.status.containerStatuses ?? [])
          .map((c: Json) => `${c.name} ${JSON.stringify(c.state)} ready=${c.ready}`)
          .join(' ')} ${(p.status.conditions ?? [])
          .filter((c: Json) => c.status !== 'True')
          .map((c: Json) => `${c.type}: ${c.message ?? c.reason ?? ''}`)
          .join('; ')}`,
    );
    const events = await k('-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp');
    return `${lines.join('\n') || '(no pods)'}\nevents:\n${events.split('\n').slice(-15).join('\n')}`;
  };
  return {
    k,
    getJson,
    apply,
    applyDist: async (objects) => {
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      await apply(crds);
      await k('wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.metadata.name}`));
      await apply(objects.filter((o) => o.kind !== 'CustomResourceDefinition'));
    },
    viaIngress: (host, urlPath, request = {}) =>
      new Promise((resolve, reject) => {
        const method = request.method ?? 'GET';
        const req = http.request(
          {
            host: '127.0.0.1',
            port: ingressPort,
            method,
            path: urlPath,
            headers: { host, ...request.headers },
            timeout: request.timeoutMs ?? 30_000,
          },
          (res) => {
            let body = '';
            res
              .setEncoding('utf8')
              .on('data', (d: string) => (body += d))
              .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} http://${host}${urlPath} through Traefik timed out`)));
        req.on('error', reject);
        req.end(request.body);
      }),
    podsReady: async (what, namespace, selector, timeoutMs) => {
      try {
        return await eventually(
          what,
          async () => {
            const pods = (await getJson('-n', namespace, 'get', 'pods', '-l', selector)).items as Json[];
            const ready =
              pods.length > 0 && pods.every((p) => (p.status.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True'));
            return ready ? pods : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${await podTrouble(namespace, selector).catch((e) => `(${e.message})`)}`);
      }
    },
  };
}

async function script(file: string, args: string[], timeoutMs: number, log?: (stderr: string) => void): Promise<string> {
  const result = await run('bash', [path.join(ROOT, file), ...args], { timeoutMs });
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (exit code ${result.code}):\n${result.stderr.slice(-4000)}`);
  }
  log?.(result.stderr);
  return result.stdout;
}

/** Per image, from the log of scripts/images/push.sh: the build ("<name> image: done after Ns"; 0 when cached) and push. */
function imageTimings(log: string, timings: Record<string, number>): void {
  for (const line of log.split('\n')) {
    let m = /\] (\S+) image: done after (\d+)s/.exec(line);
    if (m) timings[`image ${m[1]} build`] = Number(m[2]);
    m = /\] (\S+): cached \(/.exec(line);
    if (m) timings[`image ${m[1]} build`] = 0;
    m = /\] (\S+): pushed .* in (\d+)s$/.exec(line);
    if (m) timings[`image ${m[1]} push`] = Number(m[2]);
  }
}

/**
 * The real node, a registry it pulls from with the project's images in it, and Traefik. Each step fails loudly,
 * naming the component. `release()` undoes what this started (and the node, if it was started here).
 */
export async function startRealCluster(options: { ingressDomain?: string } = {}): Promise<RealCluster> {
  const timings: Record<string, number> = {};
  const timed = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await step();
    } finally {
      timings[what] = Math.round((Date.now() - start) / 100) / 10;
    }
  };
  const undo: Array<() => Promise<unknown>> = [];
  const release = async () => {
    for (const step of undo.reverse()) await step().catch((error) => console.error(`real cluster clean-up: ${(error as Error).message}`));
  };
  try {
    // up.sh --real-node has given up on CoreDNS becoming ready on a loaded 2-core machine (once seen 2 times in 5
    // starts), and on kube-proxy when kube-router took its chains (2 in 15; fixed in node-up.sh since, 0 in 15):
    // one more try, said out loud with up.sh's reason
    const node = await timed('real node', () =>
      useRealNode().catch((error) => {
        console.warn(`the real node did not start, trying once more: ${(error as Error).message.split('\n')[0]}`);
        return useRealNode();
      }),
    );
    undo.push(() => node.release());
    for (const [phase, seconds] of Object.entries(node.startTimings)) timings[`real node: ${phase}`] = seconds;
    const registry = await timed('registry', () => startRegistry());
    undo.push(() => registry.stop());
    await node.addRegistry(registry.host);
    const colon = registry.host.lastIndexOf(':');
    const podForward = await tcpForward(NODE_IP, 0, registry.host.slice(0, colon), Number(registry.host.slice(colon + 1)));
    undo.push(() => podForward.close());
    // build (a no-op when cached) and push; the tag is the project's version, as dist/ names it
    await timed('images build and push', async () => {
      // push.sh takes the inputs' hash again after building: a source edited meanwhile (a shared work tree) names
      // an archive not built yet, and the next run builds it
      for (let attempt = 1; ; attempt++) {
        try {
          return await script('scripts/images/push.sh', [registry.host], 60 * 60_000, (log) => imageTimings(log, timings));
        } catch (error) {
          if (attempt >= 3 || !/Invalid source name oci-archive/.test((error as Error).message)) throw error;
        }
      }
    });
    const ingressPort = await timed('ingress up', async () => {
      // up.sh picks a port no socket listens on; on a busy machine a client socket may still hold it: try again
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await script(
            'scripts/ingress/up.sh',
            ['--name', 'real-journey', '--node-address', NODE_INGRESS_ADDRESS, node.stateDir],
            30 * 60_000,
          );
          return Number(out.trim().split('\n').pop());
        } catch (error) {
          if (attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
        }
      }
    });
    undo.push(() => script('scripts/ingress/down.sh', ['--name', 'real-journey', node.stateDir], 60_000));
    if (!Number.isInteger(ingressPort) || ingressPort <= 0) throw new Error(`scripts/ingress/up.sh printed no port (got ${ingressPort})`);
    const domain = options.ingressDomain;
    if (domain) {
      await timed('pod DNS for the ingress domain', () => script('scripts/cluster/node-dns.sh', [node.stateDir, 'add', domain], 60_000));
      undo.push(() => script('scripts/cluster/node-dns.sh', [node.stateDir, 'remove', domain], 60_000));
    }
    console.log(`real cluster prepared; seconds per step: ${JSON.stringify(timings)}`);
    return {
      node,
      registry,
      podRegistry: `${NODE_IP}:${podForward.port}`,
      ingressPort,
      ingressDomain: options.ingressDomain,
      timings,
      ...helpers(node, ingressPort),
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Every object of dist/: the cluster-wide objects, the portal, and each workshop environment of `labs`. */
export function distObjects(): Json[] {
  const files = [
    ...fs
      .readdirSync(path.join(ROOT, 'dist/cluster'))
      .sort()
      .map((f) => path.join('dist/cluster', f)),
    'dist/labs/portal.k8s.yaml',
    ...fs
      .readdirSync(path.join(ROOT, 'dist/labs'))
      .sort()
      .filter((d) => fs.statSync(path.join(ROOT, 'dist/labs', d)).isDirectory())
      .flatMap((d) =>
        fs
          .readdirSync(path.join(ROOT, 'dist/labs', d))
          .sort()
          .map((f) => path.join('dist/labs', d, f)),
      ),
  ].filter((f) => f.endsWith('.yaml'));
  return files.flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(ROOT, f), 'utf8'))
      .map((d) => d.toJSON())
      .filter(Boolean),
  );
}

export interface RealDistOptions {
  /** `127.0.0.1:<port>`: what containerd pulls the images from. */
  readonly registry: string;
  /** The environments that keep their synthesized pool; the others get `initial: 0, reserved: 0`. */
  readonly activeEnvironments: readonly string[];
  /**
   * Per active environment, a smaller pool than the synthesized one (e.g. k8s-fundamentals' 5 reserved sessions,
   * each with a console and an editor, are more than a test needs on a 2-core machine).
   */
  readonly pools?: Readonly<Record<string, { initial: number; reserved: number }>>;
  /** Per environment: the content artifact its dashboards pull (a registry pods reach, over plain http). */
  readonly content?: Readonly<Record<string, string>>;
  /**
   * Images of other registries replaced by ones built here, e.g. Docker Hub's `docker:…-dind` by
   * `<registry>/cdk8s-workshops/docker-daemon` (what a user does with the capability's `image` prop).
   */
  readonly images?: Readonly<Record<string, string>>;
  /** Put the pods on the real node. @default true (false: they land on the kwok nodes, for a kwok-only figure) */
  readonly realNode?: boolean;
  /**
   * `INGRESS_PROBE_ADDRESS` of the portal (src/runtime/route-readiness.ts): where it asks the ingress whether a
   * session's host is routed before calling the session Ready, e.g. NODE_INGRESS_ADDRESS. Unset: no probe.
   */
  readonly ingressProbeAddress?: string;
}

/** The pod spec of a workload object, if it has one. */
function podSpecOf(object: Json): Json | undefined {
  if (object.kind === 'Pod') return object.spec;
  return object.spec?.template?.spec;
}

/**
 * What the test setup changes in dist/ before applying it, and nothing else: image references from the published
 * registry to the loopback one (and `images`); every pod (the portal's, and those the session templates create) on the real node;
 * the pools of environments the test does not use emptied (their console and editor images are not built here);
 * the content source of the environments named in `content`. Returns new objects; dist/ is not touched.
 */
export function realDist(objects: Json[], options: RealDistOptions): Json[] {
  const rewriteImages = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (options.images?.[value]) return options.images[value];
      return value.startsWith(PUBLISHED_REGISTRY) ? `${options.registry}/${value.slice(PUBLISHED_REGISTRY.length)}` : value;
    }
    if (Array.isArray(value)) return value.map(rewriteImages);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteImages(v)]));
    return value;
  };
  const place = (object: Json) => {
    const spec = podSpecOf(object);
    if (!spec?.containers || options.realNode === false) return;
    spec.nodeSelector = { ...spec.nodeSelector, ...REAL_NODE_PLACEMENT.nodeSelector };
    spec.tolerations = [...(spec.tolerations ?? []), ...REAL_NODE_PLACEMENT.tolerations];
  };
  return objects.map((original) => {
    const object = rewriteImages(structuredClone(original)) as Json;
    place(object);
    if (options.ingressProbeAddress && object.kind === 'Deployment' && object.metadata?.labels?.['app.kubernetes.io/name'] === 'training-portal') {
      const portal = object.spec.template.spec.containers[0];
      portal.env = [...(portal.env ?? []), { name: 'INGRESS_PROBE_ADDRESS', value: options.ingressProbeAddress }];
    }
    if (object.kind === 'WorkshopEnvironment') {
      const name = object.metadata.name as string;
      const nested = [...(object.spec.session?.objects ?? []), ...(object.spec.environment?.objects ?? [])] as Json[];
      nested.forEach(place);
      if (!options.activeEnvironments.includes(name)) object.spec.pool = { ...object.spec.pool, initial: 0, reserved: 0 };
      else if (options.pools?.[name]) object.spec.pool = { ...object.spec.pool, ...options.pools[name] };
      const content = options.content?.[name];
      if (content) {
        object.spec.workshop.content = { image: { ref: content } };
        for (const nestedObject of nested) {
          if (nestedObject.kind === 'ConfigMap' && nestedObject.data?.['dashboard.json']) {
            const dashboard = JSON.parse(nestedObject.data['dashboard.json']);
            dashboard.content = { image: { ref: content } };
            nestedObject.data['dashboard.json'] = JSON.stringify(dashboard, null, 2);
          }
          const spec = podSpecOf(nestedObject);
          const dashboardContainer = spec?.containers?.find((c: Json) => c.name === 'dashboard');
          // the pods' registry is plain http and not on their loopback
          if (dashboardContainer) dashboardContainer.env = [...(dashboardContainer.env ?? []), { name: 'CONTENT_REGISTRY_INSECURE', value: 'true' }];
        }
      }
    }
    return object;
  });
}
