/**
 * Synthesis and session-render benchmark. Run with `npm run bench:synth` (tsx; no test framework).
 *
 * 1. Synthesis: for apps with 10, 100 and 400 workshop environments (one WorkshopApp, one TrainingPortal, N distinct
 *    workshops modelled on examples/k8s-fundamentals), the wall time of `synthesize(app)` plus `toYaml()` on every
 *    file: all the in-memory work of `WorkshopApp.synth()`, without the disk writes. Building the constructs is not
 *    timed (it is printed for information). Each app is built fresh, so nothing is cached between runs.
 * 2. Session render: the blueprint of one synthesized environment (`spec.session` of its WorkshopEnvironment),
 *    compiled once with `CompiledBlueprint` and rendered for many sessions, against a baseline that builds a fresh
 *    cdk8s App + Chart of the same objects per session (cdk8s-plus constructs) and calls `app.synthYaml()`.
 * 3. Peak heap.
 */
import { randomUUID } from 'node:crypto';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import { kubernetesFundamentals } from '../examples/k8s-fundamentals/workshop.js';
import {
  CompiledBlueprint,
  type Manifest,
  type SessionBlueprint,
  synthesize,
  toYaml,
  TrainingPortal,
  type Workshop,
  WorkshopApp,
} from '../src/constructs/index.js';
import { generateSessionSecrets, randomPassword, sessionValues } from '../src/runtime/session-variables.js';

const PORTAL = 'bench';
const INGRESS_DOMAIN = 'workshops.127-0-0-1.test';
const SIZES = [10, 100, 400] as const;
/** Warm-up runs at N=10 before anything is measured (JIT). */
const WARMUP_RUNS = 3;
/** Measured rounds; each round synthesizes N=10, 100 and 400 once. */
const ROUNDS = 7;
const RENDER_SESSIONS = 2000;
const RENDER_WARMUP = 300;
const BASELINE_SESSIONS = 200;
const BASELINE_WARMUP = 20;

const TARGET_GROWTH = 4.5;
const TARGET_RENDER_MS = 1;
const TARGET_SPEEDUP = 3;

// ---------------------------------------------------------------------------------------------------------------
// helpers

/** A real gc() when the flag can be set at run time; used only before a phase's warm-up (see synthOnce). */
const realGc: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
})();
const gcAvailable = realGc !== undefined;
const gc = () => realGc?.();

let peakHeapUsed = 0;
function sampleHeap(): void {
  const used = process.memoryUsage().heapUsed;
  if (used > peakHeapUsed) peakHeapUsed = used;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------------------------
// the workshops: copies of examples/k8s-fundamentals under other names

function workshopName(i: number): string {
  return `w${String(i).padStart(4, '0')}`;
}

function benchWorkshop(scope: Construct, i: number): Workshop {
  return kubernetesFundamentals(scope, workshopName(i));
}

function buildApp(n: number): WorkshopApp {
  const app = new WorkshopApp({ outdir: '/tmp/cdk8s-workshops-bench-unused' });
  const portal = new TrainingPortal(app, PORTAL, { ingressDomain: INGRESS_DOMAIN, maximumSessions: n * 10 });
  for (let i = 1; i <= n; i++) portal.addWorkshop(benchWorkshop(app, i), { capacity: 10, reserved: 1 });
  return app;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. synthesis

interface SynthRun {
  readonly buildMs: number;
  readonly synthMs: number;
  readonly yamlMs: number;
  /** synthesize + toYaml, wall clock: the figure. */
  readonly totalMs: number;
  /** Process CPU time (all threads, so it includes V8's helper threads) over the same region. */
  readonly cpuMs: number;
  /** Time V8 reported in GC pauses over the same region. */
  readonly gcMs: number;
  readonly files: number;
  readonly bytes: number;
}

let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauseMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
/** Lets pending 'gc' performance entries arrive. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function synthOnce(n: number): Promise<SynthRun> {
  const b0 = performance.now();
  const app = buildApp(n);
  const b1 = performance.now();
  sampleHeap();
  // No forced gc() here: a forced full GC also flushes compiled code, and the run after it pays for recompiling
  // (measured: N=10 doubles). Garbage of earlier runs is collected as it would be in any long-lived process.
  await settle();
  gcPauseMs = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const files = synthesize(app);
  const t1 = performance.now();
  sampleHeap();
  let bytes = 0;
  for (const file of files) bytes += toYaml(file).length;
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  sampleHeap();
  await settle();
  const expected = 2 + 1 + n;
  if (files.length !== expected) throw new Error(`N=${n}: expected ${expected} files, got ${files.length}`);
  return {
    buildMs: b1 - b0,
    synthMs: t1 - t0,
    yamlMs: t2 - t1,
    totalMs: t2 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs: gcPauseMs,
    files: files.length,
    bytes,
  };
}

async function benchSynthesis(): Promise<Map<number, SynthRun[]>> {
  console.log('== 1. Synthesis: synthesize(app) + toYaml(every file), in memory (no disk writes); each app built fresh, building untimed ==');
  gc();
  for (let i = 0; i < WARMUP_RUNS; i++) await synthOnce(10);
  // Rounds of 10, 100, 400 rather than all runs of one size in a row: on a shared machine a slow spell then
  // spreads over every size instead of landing on one and skewing the growth ratio.
  const results = new Map<number, SynthRun[]>(SIZES.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of SIZES) results.get(n)!.push(await synthOnce(n));
  }
  for (const n of SIZES) {
    const runs = results.get(n)!;
    const mid = median(runs.map((x) => x.totalMs));
    console.log(
      `  N=${String(n).padStart(3)}: runs ${runs.map((x) => x.totalMs.toFixed(0)).join('/')} ms -> median ${ms(mid)} = ` +
        `synthesize ${ms(median(runs.map((x) => x.synthMs)))} + toYaml ${ms(median(runs.map((x) => x.yamlMs)))} ` +
        `(${(mid / n).toFixed(2)} ms/environment; GC pauses ${ms(median(runs.map((x) => x.gcMs)))}; CPU ${ms(median(runs.map((x) => x.cpuMs)))}; ` +
        `build, untimed ${ms(median(runs.map((x) => x.buildMs)))}; ${runs[0].files} files, ${(runs[0].bytes / 1024).toFixed(0)} KiB)`,
    );
  }
  return results;
}

/** Heap held by a synthesized N=400 app (constructs, files and their YAML all alive), after a full GC. Untimed. */
function liveHeapAt(n: number): number {
  const app = buildApp(n);
  const files = synthesize(app);
  const yaml = files.map((file) => toYaml(file));
  gc();
  const used = process.memoryUsage().heapUsed;
  sampleHeap();
  if (yaml.length !== files.length || app.node.children.length === 0) throw new Error('unreachable');
  return used;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. session render vs. a cdk8s synth per session

/** The `spec.session` of one environment, exactly as synthesized. */
function synthesizedBlueprint(): { blueprint: SessionBlueprint; environmentName: string } {
  const app = buildApp(1);
  const files = synthesize(app);
  const environmentName = `${PORTAL}-${workshopName(1)}`;
  const file = files.find((f) => f.path === `${PORTAL}/${workshopName(1)}/environment.k8s.yaml`);
  const environment = file?.objects.find((o) => o.kind === 'WorkshopEnvironment');
  if (!environment) throw new Error('no WorkshopEnvironment in the synthesized files');
  const session = (environment.spec as { session: { objects: Manifest[]; secrets: SessionBlueprint['secrets'] } }).session;
  return { blueprint: { objects: session.objects, secrets: session.secrets }, environmentName };
}

const ID_ALPHABET = 'bcdfghjklmnpqrstvwxz23456789';
function sessionId(i: number): string {
  let id = '';
  for (let k = 0, x = i + 7919; k < 5; k++, x = Math.floor(x / ID_ALPHABET.length)) id += ID_ALPHABET[x % ID_ALPHABET.length];
  return id;
}

/**
 * Values maps for `count` sessions, computed before any timing: one real `sessionValues()` (it hashes with bcrypt,
 * deliberately slow), then per session the name replaced throughout and fresh ids and passwords.
 */
async function sessionValueMaps(environmentName: string, count: number): Promise<Array<Record<string, string>>> {
  const template = await sessionValues(
    {
      environmentName,
      sessionId: 'zzzzz',
      workshopSessionUid: randomUUID(),
      sessionNamespaceUid: randomUUID(),
      ingressDomain: INGRESS_DOMAIN,
      ingressProtocol: 'http',
    },
    generateSessionSecrets(),
  );
  const oldName = `${environmentName}-zzzzz`;
  const maps: Array<Record<string, string>> = [];
  for (let i = 0; i < count; i++) {
    const id = sessionId(i);
    const name = `${environmentName}-${id}`;
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(template)) values[key] = value.split(oldName).join(name);
    values.session_id = id;
    values.workshop_session_uid = randomUUID();
    values.session_namespace_uid = randomUUID();
    values.services_password = randomPassword();
    values.config_password = randomPassword();
    maps.push(values);
  }
  return maps;
}

function checkRendered(objects: Manifest[], values: Record<string, string>): void {
  const text = JSON.stringify(objects);
  const missed = text.match(/\$\(([a-z_][a-z0-9_]*)\)/);
  if (missed) throw new Error(`render left ${missed[0]} in the session's objects`);
  if (!objects.some((o) => o.kind === 'Namespace' && o.metadata.name === values.session_namespace)) {
    throw new Error('render did not produce the session namespace');
  }
}

const LABEL = 'training.cdk8s-workshops.dev';

/**
 * The baseline: what a session would cost if it were synthesized with cdk8s itself — a fresh App and Chart in the
 * session namespace with cdk8s-plus constructs equivalent to the blueprint's objects, then `app.synthYaml()`.
 */
function baselineSession(environmentName: string, values: Record<string, string>): string {
  const ns = values.session_namespace;
  const sessionName = values.session_name;
  const app = new App({ outdir: '/tmp/cdk8s-workshops-bench-unused' });
  const chart = new Chart(app, 'session', {
    namespace: ns,
    labels: {
      'app.kubernetes.io/managed-by': 'cdk8s-workshops',
      [`${LABEL}/component`]: 'session',
      [`${LABEL}/environment.name`]: environmentName,
      [`${LABEL}/session.name`]: sessionName,
    },
  });
  const budget = { [`${LABEL}/budget`]: 'medium' };
  const owner = { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: values.session_namespace_uid, blockOwnerDeletion: false };

  new kplus.Namespace(chart, 'namespace', {
    metadata: {
      name: ns,
      annotations: budget,
      labels: {
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        [`${LABEL}/policy.name`]: 'restricted',
      },
      ownerReferences: [
        {
          apiVersion: `${LABEL}/v1alpha1`,
          kind: 'WorkshopSession',
          name: sessionName,
          uid: values.workshop_session_uid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    },
  });
  const serviceAccount = new kplus.ServiceAccount(chart, 'service-account', { metadata: { name: values.service_account }, automountToken: false });
  new k8s.KubeRoleBinding(chart, 'session-role', {
    metadata: { name: 'workshop-session-role' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cdk8s-workshops-session-admin' },
    subjects: [{ kind: 'ServiceAccount', name: values.service_account, namespace: ns }],
  });
  new k8s.KubeRoleBinding(chart, 'environment-view', {
    metadata: { name: `${sessionName}-environment-view`, namespace: environmentName, ownerReferences: [owner] },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cdk8s-workshops-session-view' },
    subjects: [{ kind: 'ServiceAccount', name: values.service_account, namespace: ns }],
  });
  const compute = { 'limits.cpu': k8s.Quantity.fromString('2'), 'limits.memory': k8s.Quantity.fromString('2Gi') };
  new k8s.KubeResourceQuota(chart, 'compute', {
    metadata: { name: 'compute-resources', annotations: budget },
    spec: { hard: compute, scopes: ['NotTerminating'] },
  });
  new k8s.KubeResourceQuota(chart, 'timebound', {
    metadata: { name: 'compute-resources-timebound', annotations: budget },
    spec: { hard: compute, scopes: ['Terminating'] },
  });
  new k8s.KubeResourceQuota(chart, 'objects', {
    metadata: { name: 'object-counts', annotations: budget },
    spec: {
      hard: {
        persistentvolumeclaims: k8s.Quantity.fromNumber(6),
        replicationcontrollers: k8s.Quantity.fromNumber(15),
        secrets: k8s.Quantity.fromNumber(25),
        services: k8s.Quantity.fromNumber(10),
      },
    },
  });
  const q = (value: string) => k8s.Quantity.fromString(value);
  new k8s.KubeLimitRange(chart, 'limits', {
    metadata: { name: 'resource-limits', annotations: budget },
    spec: {
      limits: [
        { type: 'Pod', min: { cpu: q('1m'), memory: q('1M') }, max: { cpu: q('2'), memory: q('2Gi') } },
        {
          type: 'Container',
          min: { cpu: q('1m'), memory: q('1M') },
          max: { cpu: q('2'), memory: q('2Gi') },
          default: { cpu: q('500m'), memory: q('512Mi') },
          defaultRequest: { cpu: q('50m'), memory: q('128Mi') },
        },
        { type: 'PersistentVolumeClaim', min: { storage: q('1Gi') }, max: { storage: q('5Gi') } },
      ],
    },
  });
  new k8s.KubeNetworkPolicy(chart, 'isolation', {
    metadata: { name: 'workshop-isolation' },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { [`${LABEL}/session.name`]: sessionName } } },
            { namespaceSelector: { matchExpressions: [{ key: `${LABEL}/component`, operator: 'NotIn', values: ['session'] }] } },
          ],
        },
      ],
      egress: [
        { to: [{ namespaceSelector: {} }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }, { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128'] } }] },
      ],
    },
  });
  new kplus.Secret(chart, 'csrf', { metadata: { name: 'kubernetes-dashboard-csrf' } });
  const sessionSecret = new kplus.Secret(chart, 'session-secret', {
    metadata: { name: 'workshop-session' },
    stringData: { SERVICES_PASSWORD: values.services_password, CONFIG_PASSWORD: values.config_password },
  });
  const host = (prefix: string) => `${prefix}${sessionName}.${INGRESS_DOMAIN}`;
  const dashboardConfig = new kplus.ConfigMap(chart, 'dashboard-config', {
    metadata: { name: 'workshop-dashboard' },
    data: {
      'dashboard.json': JSON.stringify(
        {
          workshop: { name: workshopName(1), title: 'Bench workshop 1' },
          capabilities: ['terminal', 'console', 'editor'],
          tabs: [
            { name: 'Terminal', url: 'terminal:1' },
            { name: 'Console', url: `http://${host('console-')}/` },
            { name: 'Editor', url: `http://${host('editor-')}/` },
            { name: 'Hello app', url: `http://${host('hello-')}/` },
          ],
          routes: [
            { name: 'console', host: host('console-'), port: 10083, authenticated: true },
            { name: 'editor', host: host('editor-'), port: 10085, authenticated: true },
          ],
          settings: { terminal: { layout: 'split', sessions: ['1', '2'] } },
        },
        null,
        2,
      ),
    },
  });

  // the workshop pod: dashboard, console and editor
  const selector = { 'app.kubernetes.io/name': 'workshop', [`${LABEL}/session.name`]: sessionName };
  const home = kplus.Volume.fromEmptyDir(chart, 'home', 'workshop-home');
  const restricted = {
    ensureNonRoot: true,
    user: 1001,
    group: 1001,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
  };
  const workshop = new kplus.Deployment(chart, 'workshop', {
    metadata: { name: 'workshop', labels: selector },
    replicas: 1,
    strategy: kplus.DeploymentStrategy.recreate(),
    serviceAccount,
    automountServiceAccountToken: true,
    podMetadata: {
      labels: {
        ...selector,
        [`${LABEL}/capability.console`]: 'true',
        [`${LABEL}/capability.editor`]: 'true',
        [`${LABEL}/capability.terminal`]: 'true',
      },
    },
    securityContext: { fsGroup: 1001, ensureNonRoot: false },
    volumes: [home],
    containers: [
      {
        name: 'dashboard',
        image: 'ghcr.io/cdk8s-workshops/session-dashboard:0.1.0',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ name: 'http', number: 10080 }],
        envFrom: [kplus.Env.fromSecret(sessionSecret)],
        envVariables: {
          SESSION_NAME: kplus.EnvValue.fromValue(sessionName),
          SESSION_NAMESPACE: kplus.EnvValue.fromValue(ns),
          SESSION_URL: kplus.EnvValue.fromValue(values.session_url),
          SESSION_HOSTNAME: kplus.EnvValue.fromValue(values.session_hostname),
          WORKSHOP_NAME: kplus.EnvValue.fromValue(workshopName(1)),
          WORKSHOP_NAMESPACE: kplus.EnvValue.fromValue(environmentName),
          ENVIRONMENT_NAME: kplus.EnvValue.fromValue(environmentName),
          TRAINING_PORTAL: kplus.EnvValue.fromValue(PORTAL),
          PORTAL_API_URL: kplus.EnvValue.fromValue(`http://training-portal.${PORTAL}-ui.svc.cluster.local`),
          INGRESS_DOMAIN: kplus.EnvValue.fromValue(INGRESS_DOMAIN),
          INGRESS_PROTOCOL: kplus.EnvValue.fromValue('http'),
          DASHBOARD_PORT: kplus.EnvValue.fromValue('10080'),
        },
        resources: {
          cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        },
        readiness: kplus.Probe.fromHttpGet('/healthz', { port: 10080, periodSeconds: Duration.seconds(5) }),
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 10080, periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
        securityContext: { ...restricted, readOnlyRootFilesystem: false },
        volumeMounts: [
          { volume: home, path: '/home/workshop' },
          {
            volume: kplus.Volume.fromConfigMap(chart, 'dashboard-volume', dashboardConfig, { name: 'workshop-dashboard' }),
            path: '/opt/workshop/config',
            readOnly: true,
          },
        ],
      },
      {
        name: 'console',
        image: 'kubernetesui/dashboard:v2.7.0',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: [
          `--namespace=${ns}`,
          '--insecure-port=10083',
          '--insecure-bind-address=127.0.0.1',
          '--enable-insecure-login',
          '--enable-skip-login',
          '--disable-settings-authorizer',
          '--port=0',
        ],
        ports: [{ name: 'console', number: 10083 }],
        resources: {
          cpu: { request: kplus.Cpu.millis(25), limit: kplus.Cpu.millis(250) },
          memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
        },
        readiness: kplus.Probe.fromTcpSocket({ port: 10083, periodSeconds: Duration.seconds(10) }),
        securityContext: { ...restricted, readOnlyRootFilesystem: true },
        volumeMounts: [{ volume: kplus.Volume.fromEmptyDir(chart, 'console-tmp', 'console-tmp'), path: '/tmp' }],
      },
      {
        name: 'editor',
        image: 'codercom/code-server:4.96.4',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: ['--bind-addr', '127.0.0.1:10085', '--auth', 'none', '--disable-telemetry', '--disable-update-check', '/home/workshop'],
        envVariables: { HOME: kplus.EnvValue.fromValue('/home/workshop') },
        ports: [{ name: 'editor', number: 10085 }],
        resources: {
          cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
        },
        readiness: kplus.Probe.fromTcpSocket({ port: 10085, periodSeconds: Duration.seconds(10) }),
        securityContext: { ...restricted, readOnlyRootFilesystem: false },
        volumeMounts: [{ volume: home, path: '/home/workshop' }],
      },
    ],
  });
  const workshopService = workshop.exposeViaService({ name: 'workshop', ports: [{ name: 'http', port: 80, targetPort: 10080 }] });
  const backend = kplus.IngressBackend.fromService(workshopService, { port: 80 });
  new kplus.Ingress(chart, 'workshop-ingress', {
    metadata: {
      name: 'workshop',
      annotations: {
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        'projectcontour.io/websocket-routes': '/',
        'projectcontour.io/response-timeout': '3600s',
      },
    },
    rules: ['', 'console-', 'editor-'].map((prefix) => ({ host: host(prefix), path: '/', pathType: kplus.HttpIngressPathType.PREFIX, backend })),
  });

  // the author's per-session application
  const hello = new kplus.Deployment(chart, 'hello', {
    metadata: { name: 'hello' },
    replicas: 1,
    securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
    containers: [
      {
        name: 'hello',
        image: 'ghcr.io/cdk8s-workshops/hello-web:1.0.1',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        portNumber: 8080,
        envVariables: { GREETING_FROM: kplus.EnvValue.fromValue(sessionName) },
        resources: {
          cpu: { request: kplus.Cpu.millis(25), limit: kplus.Cpu.millis(250) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
        securityContext: {
          ensureNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: [kplus.Capability.ALL] },
          seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        },
      },
    ],
  });
  const helloService = hello.exposeViaService({ name: 'hello', ports: [{ port: 80, targetPort: 8080 }] });
  new kplus.Ingress(chart, 'hello-ingress', {
    metadata: { name: 'hello' },
    rules: [
      {
        host: host('hello-'),
        path: '/',
        pathType: kplus.HttpIngressPathType.PREFIX,
        backend: kplus.IngressBackend.fromService(helloService, { port: 80 }),
      },
    ],
  });

  return app.synthYaml();
}

interface RenderResult {
  readonly renderMedian: number;
  readonly renderP99: number;
  readonly baselineMedian: number;
  readonly baselineP99: number;
}

async function benchRender(): Promise<RenderResult> {
  console.log('== 2. Session render: CompiledBlueprint.render(values) vs. a fresh cdk8s App + Chart + synthYaml() per session ==');
  const { blueprint, environmentName } = synthesizedBlueprint();
  const maps = await sessionValueMaps(environmentName, RENDER_WARMUP + RENDER_SESSIONS);
  const compiled = new CompiledBlueprint(blueprint);
  const blueprintBytes = JSON.stringify(blueprint.objects).length;
  checkRendered(compiled.render(maps[0]), maps[0]);

  gc();
  for (let i = 0; i < RENDER_WARMUP; i++) compiled.render(maps[i]);
  const renderTimes: number[] = [];
  let sink = 0;
  for (let i = RENDER_WARMUP; i < maps.length; i++) {
    const t0 = performance.now();
    const objects = compiled.render(maps[i]);
    renderTimes.push(performance.now() - t0);
    sink += objects.length;
  }
  sampleHeap();
  if (sink !== RENDER_SESSIONS * blueprint.objects.length) throw new Error('render returned the wrong number of objects');
  checkRendered(compiled.render(maps[maps.length - 1]), maps[maps.length - 1]);
  const renderMedian = median(renderTimes);
  const renderP99 = percentile(renderTimes, 99);
  console.log(
    `  render: ${RENDER_SESSIONS} sessions, ${blueprint.objects.length} objects (${(blueprintBytes / 1024).toFixed(1)} KiB of JSON) each; ` +
      `median ${ms(renderMedian, 3)}, p99 ${ms(renderP99, 3)}, total ${ms(renderTimes.reduce((a, b) => a + b, 0))}`,
  );

  gc();
  for (let i = 0; i < BASELINE_WARMUP; i++) baselineSession(environmentName, maps[i]);
  const baselineTimes: number[] = [];
  let yamlBytes = 0;
  for (let i = 0; i < BASELINE_SESSIONS; i++) {
    const values = maps[RENDER_WARMUP + i];
    const t0 = performance.now();
    const yaml = baselineSession(environmentName, values);
    baselineTimes.push(performance.now() - t0);
    yamlBytes += yaml.length;
  }
  sampleHeap();
  const documents = baselineSession(environmentName, maps[0]).split(/^---$/m).length;
  const baselineMedian = median(baselineTimes);
  const baselineP99 = percentile(baselineTimes, 99);
  console.log(
    `  baseline: ${BASELINE_SESSIONS} sessions, ${documents} objects each (${(yamlBytes / BASELINE_SESSIONS / 1024).toFixed(1)} KiB of YAML); ` +
      `median ${ms(baselineMedian, 3)}, p99 ${ms(baselineP99, 3)}`,
  );
  return { renderMedian, renderP99, baselineMedian, baselineP99 };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`cdk8s-workshops synthesis benchmark — node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`forced GC before each phase: ${gcAvailable ? 'yes' : 'no'}`);
  const synth = await benchSynthesis();
  const liveHeap = gcAvailable ? liveHeapAt(400) : undefined;
  const render = await benchRender();
  sampleHeap();

  const t = (n: number) => median(synth.get(n)!.map((x) => x.totalMs));
  const growth = t(400) / t(100);
  const speedup = render.baselineMedian / render.renderMedian;
  const rss = process.resourceUsage().maxRSS * 1024;

  console.log('== Results ==');
  console.log(`synth t(10)  = ${ms(t(10))}`);
  console.log(`synth t(100) = ${ms(t(100))}`);
  console.log(`synth t(400) = ${ms(t(400))}`);
  const cpu = (n: number) => median(synth.get(n)!.map((x) => x.cpuMs));
  console.log(`synth growth t(400)/t(100) = ${growth.toFixed(2)}  target ≤ ${TARGET_GROWTH} (linear = 4.0)  ${verdict(growth <= TARGET_GROWTH)}`);
  console.log(
    `  (for information: CPU-time growth ${(cpu(400) / cpu(100)).toFixed(2)}; per environment ${(t(100) / 100).toFixed(2)} ms at N=100, ${(t(400) / 400).toFixed(2)} ms at N=400)`,
  );
  console.log(
    `render median = ${ms(render.renderMedian, 3)} (p99 ${ms(render.renderP99, 3)})  target ≤ ${TARGET_RENDER_MS} ms  ${verdict(render.renderMedian <= TARGET_RENDER_MS)}`,
  );
  console.log(`baseline (cdk8s App + synthYaml per session) median = ${ms(render.baselineMedian, 3)} (p99 ${ms(render.baselineP99, 3)})`);
  console.log(`render speed-up baseline/render = ${speedup.toFixed(1)}×  target ≥ ${TARGET_SPEEDUP}×  ${verdict(speedup >= TARGET_SPEEDUP)}`);
  console.log(`peak heap used = ${mib(peakHeapUsed)} (process.memoryUsage().heapUsed, sampled around every run; max RSS ${mib(rss)})`);
  if (liveHeap !== undefined)
    console.log(`  (for information: live heap after a full GC with the N=400 app, its files and their YAML held = ${mib(liveHeap)})`);
  console.log(`total bench time = ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
