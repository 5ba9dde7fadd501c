/**
 * `workshops sessions dashboard <session>`: LOCAL DEVELOPMENT ONLY. Runs a session's dashboard as a process on
 * this machine, for a cluster whose pods run no containers (the kwok control plane of scripts/cluster) or whose
 * session hosts do not resolve. It takes from the cluster exactly what the workshop pod would get — the
 * environment of the `dashboard` container of the session's Deployment `<session>`, CONFIG_PASSWORD from its
 * Secret `<session>-session`, and dashboard.json from its ConfigMap `<session>-dashboard`, all in the environment
 * namespace beside the environment's other workshop pods — and starts
 * the dashboard on 127.0.0.1 against a portal run locally (README "Run the portal locally": its
 * PORTAL_DEV_SESSION_URL sends the learner here). The terminals are shells on this machine, not in the cluster.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createProxyServer } from 'http-proxy-3';
import { API_VERSION, Labels } from '../../constructs/names.js';
import { workshopPodNames } from '../../constructs/session-template.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { WorkshopSession } from '../../runtime/session.js';
import { CliError } from '../errors.js';
import { ENDED_PHASES, connect } from '../kube.js';
import { parsePort } from './serve.js';

export interface SessionDashboardOptions {
  readonly port: number;
  readonly host: string;
  /** The portal's origin as the browser reaches it. */
  readonly portalUrl: string;
  /** The portal as the dashboard reaches it. @default portalUrl */
  readonly portalApiUrl?: string;
  /** A workshop folder to serve instead of the session's content (edits show at once). */
  readonly content?: string;
  /** Seconds to wait for the session to exist and be created. */
  readonly wait: number;
  readonly kubeconfig?: string;
  /** Without a session name: follow the sessions of this portal only. */
  readonly portal?: string;
  /** Where the session's home and pulled content go. @default <tmp>/workshops-dashboard-<session> */
  readonly workDir?: string;
  readonly shell?: string;
  readonly logLevel?: string;
}

/** What the session's workshop pod would get from the cluster. */
export interface SessionPodView {
  /** The WorkshopSession's uid: a new session of the same name has another. */
  readonly uid: string;
  readonly env: Record<string, string>;
  readonly configPassword: string;
  readonly dashboardJson: string;
}

/** The pod's environment variables that become `{{< param … >}}` values of the instructions (as src/apps/dashboard.ts). */
const VARIABLES: Record<string, string> = {
  SESSION_NAME: 'session_name', SESSION_NAMESPACE: 'session_namespace', SESSION_URL: 'session_url',
  SESSION_HOSTNAME: 'session_hostname', WORKSHOP_NAME: 'workshop_name', WORKSHOP_NAMESPACE: 'workshop_namespace',
  ENVIRONMENT_NAME: 'environment_name', TRAINING_PORTAL: 'training_portal', INGRESS_DOMAIN: 'ingress_domain',
  INGRESS_PROTOCOL: 'ingress_protocol', SERVICES_PASSWORD: 'services_password',
};

interface Deployment {
  spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } } };
}

/**
 * Waits until the session exists and its namespace holds the workshop pod's Deployment, Secret and ConfigMap,
 * then reads them. `onWaiting` is called once if it has to wait.
 */
export async function readSessionPod(client: KubeClient, name: string, waitSeconds: number, onWaiting?: (why: string) => void): Promise<SessionPodView> {
  const deadline = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    const phase = session?.status?.phase;
    if (session && phase && ENDED_PHASES.has(phase)) {
      throw new CliError(`session '${name}' has ended (${phase}${session.status?.reason ? `, ${session.status.reason}` : ''}): start a new one in the portal`);
    }
    // The workshop pod's objects are in the environment namespace (named as the environment), named after the session.
    const names = workshopPodNames(name);
    const namespace = session?.spec?.environment;
    const [deployment, secret, configMap] = session && namespace ? await Promise.all([
      client.get<Deployment>('apps/v1', 'Deployment', names.deployment, namespace),
      client.get<{ data?: Record<string, string> }>('v1', 'Secret', names.secret, namespace),
      client.get<{ data?: Record<string, string> }>('v1', 'ConfigMap', names.configMap, namespace),
    ]) : [undefined, undefined, undefined];
    if (deployment && secret?.data?.CONFIG_PASSWORD && configMap?.data?.['dashboard.json']) {
      const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === 'dashboard');
      if (!container) throw new CliError(`session '${name}': its Deployment '${namespace}/${names.deployment}' has no container 'dashboard'; was it made by this version of cdk8s-workshops?`);
      const env: Record<string, string> = {};
      for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
      if (secret.data.SERVICES_PASSWORD) env.SERVICES_PASSWORD = Buffer.from(secret.data.SERVICES_PASSWORD, 'base64').toString('utf8');
      return { uid: String(session!.metadata.uid ?? ''), env, configPassword: Buffer.from(secret.data.CONFIG_PASSWORD, 'base64').toString('utf8'), dashboardJson: configMap.data['dashboard.json'] };
    }
    if (Date.now() >= deadline) {
      throw new CliError(session
        ? `session '${name}' exists but its environment namespace '${namespace}' has no Deployment '${names.deployment}', Secret '${names.secret}' and ConfigMap '${names.configMap}' yet (phase ${phase ?? 'Requested'}); is the portal running?`
        : `no WorkshopSession named '${name}' after ${waitSeconds} s: press Start in the portal, or see 'workshops sessions list'`);
    }
    if (!told) {
      told = true;
      onWaiting?.(session ? `waiting for session '${name}' to be created (phase ${phase ?? 'Requested'})…`
        : `waiting for session '${name}': press Start in the portal (Ctrl-C stops)…`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Runs the dashboard of session `name`, until Ctrl-C or the session ends. Without a name it follows the portal:
 * it serves the most recently allocated session, and when that ends waits for the next one.
 */
export async function runSessionDashboard(name: string | undefined, options: SessionDashboardOptions): Promise<void> {
  const portalUrl = checkUrl('--portal-url', options.portalUrl);
  const portalApiUrl = options.portalApiUrl ? checkUrl('--portal-api-url', options.portalApiUrl) : portalUrl;
  let contentDir: string | undefined;
  if (options.content) {
    contentDir = path.resolve(options.content);
    if (!fs.existsSync(path.join(contentDir, 'workshop', 'content'))) {
      throw new CliError(`--content ${options.content} has no workshop/content/ folder: name a workshop folder`);
    }
  }
  if (options.port === 10080) process.stderr.write('warning: browsers refuse port 10080 (ERR_UNSAFE_PORT); choose another with --port\n');
  const say = (why: string) => process.stderr.write(`${why}\n`);
  // One server keeps the port for the whole run: it shows a waiting page while there is no session to serve (the
  // portal may send the learner here before the dashboard is up) and forwards to the session's dashboard while
  // there is one. Closing the port between the two left a moment in which the learner's redirect was refused.
  const door = await frontDoor(options.host, options.port, name);
  try {
    for (;;) {
      const client = await connect(options.kubeconfig);
      let session: string;
      let pod: SessionPodView;
      try {
        session = name ?? await nextAllocatedSession(client, options, say);
        pod = await readSessionPod(client, session, options.wait, say);
      } finally {
        await client.close();
      }
      const why = await serveSession(session, pod, { ...options, portalUrl, portalApiUrl, contentDir }, door);
      if (name || why.startsWith('SIG')) return;
    }
  } finally {
    await door.close();
  }
}

/** The port is taken, both by the waiting page and by the dashboard itself. */
function portInUse(host: string, port: number): CliError {
  return new CliError(`port ${port} on ${host} is in use (another session's dashboard?): stop it, or pass --port <another> and start the portal with PORTAL_DEV_SESSION_URL=http://${host}:<another>`);
}

/** The command's port: a waiting page, or the running dashboard behind it. */
interface FrontDoor {
  readonly url: string;
  /** Sends every request (WebSockets too) to this dashboard; `undefined` brings the waiting page back. */
  forwardTo(target: string | undefined): void;
  close(): Promise<void>;
}

/**
 * While no dashboard runs, every request gets a page that says so and reloads once the dashboard answers /healthz.
 * The Host header is passed on unchanged, so the dashboard builds its sign-in redirect and checks Origin against
 * the address the learner's browser uses.
 */
async function frontDoor(host: string, port: number, session?: string): Promise<FrontDoor> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waiting for the session</title></head>
<body style="font: 1rem/1.5 system-ui, sans-serif; margin: 2rem">
<h1>Waiting for ${session ? `session ${session}` : 'your session'}</h1>
<p>Local development: <code>workshops sessions dashboard</code> starts this session's dashboard as soon as the cluster has created it. This page opens it then.</p>
<script>setInterval(() => fetch('/healthz', { cache: 'no-store' }).then((r) => { if (r.ok) location.reload(); }, () => undefined), 500);</script>
</body></html>`;
  const proxy = createProxyServer({ ws: true });
  let target: string | undefined;
  proxy.on('error', (_error, _request, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('the session dashboard did not answer');
    else res.destroy();
  });
  const server = http.createServer((request, response) => {
    if (target) return proxy.web(request, response, { target });
    response.writeHead(503, { 'content-type': request.url === '/healthz' ? 'application/json' : 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' });
    response.end(request.url === '/healthz' ? '{"status":"waiting"}' : html);
  });
  server.on('upgrade', (request, socket, head) => {
    if (target) proxy.ws(request, socket, head, { target });
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? portInUse(host, port) : error));
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    forwardTo: (next) => { target = next; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      proxy.close();
    }),
  };
}

/** The most recently created session that a learner has (waits for one); `--portal` narrows it to one portal. */
async function nextAllocatedSession(client: KubeClient, options: SessionDashboardOptions, say: (why: string) => void): Promise<string> {
  const deadline = Date.now() + options.wait * 1000;
  let told = false;
  for (;;) {
    const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', {
      labelSelector: options.portal ? `${Labels.PORTAL}=${options.portal}` : undefined,
    });
    const allocated = sessions
      .filter((s) => s.status?.user && !ENDED_PHASES.has(s.status.phase ?? ''))
      .sort((a, b) => String((b.metadata as { creationTimestamp?: string }).creationTimestamp ?? '')
        .localeCompare(String((a.metadata as { creationTimestamp?: string }).creationTimestamp ?? '')));
    if (allocated.length) return allocated[0].metadata.name;
    if (Date.now() >= deadline) throw new CliError(`no session was started${options.portal ? ` in portal '${options.portal}'` : ''} within ${options.wait} s: press Start in the portal`);
    if (!told) {
      told = true;
      say(`waiting for a learner's session${options.portal ? ` in portal '${options.portal}'` : ''}: press Start in the portal (Ctrl-C stops)…`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Serves one session's dashboard until Ctrl-C (returns the signal) or the session ends (returns its phase). */
async function serveSession(name: string, pod: SessionPodView, options: SessionDashboardOptions & { portalApiUrl: string; contentDir?: string }, door: FrontDoor): Promise<string> {
  const { portalUrl, portalApiUrl, contentDir } = options;
  const { learnerEnvironment, parseConfig, startDashboard } = await import('../../dashboard/index.js');
  let config = parseConfig(JSON.parse(pod.dashboardJson), `session '${name}' ConfigMap ${workshopPodNames(name).configMap}`);
  const workDir = options.workDir ?? path.join(os.tmpdir(), `workshops-dashboard-${name}`);
  const homeDir = path.join(workDir, 'home');
  // A new session starts with an empty home, as the pod's emptyDir does (slot names come back after a session
  // ends); the same session, served again after Ctrl-C, keeps it.
  const uidFile = path.join(workDir, 'session-uid');
  if (!fs.existsSync(uidFile) || fs.readFileSync(uidFile, 'utf8') !== pod.uid) fs.rmSync(homeDir, { recursive: true, force: true });
  fs.mkdirSync(homeDir, { recursive: true });
  fs.writeFileSync(uidFile, pod.uid);
  let workshopDir: string;
  if (contentDir) {
    // the author's folder, read in place: edits reach the open page at once
    config = { ...config, content: {} };
    workshopDir = contentDir;
  } else if (config.content.image) {
    workshopDir = path.join(workDir, 'content');
    fs.mkdirSync(workshopDir, { recursive: true });
  } else {
    throw new CliError(`session '${name}': its content ${config.content.git ? 'comes from git, which the dashboard cannot pull yet' : 'is baked into the dashboard image'}: ` +
      'pass --content <workshop folder> to serve it from this machine');
  }
  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const variables: Record<string, string> = { home_directory: homeDir };
  for (const [env, variable] of Object.entries(VARIABLES)) if (pod.env[env]) variables[variable] = pod.env[env];
  // The learner's shells get the pod's environment (never the dashboard's own secrets), plus a kubeconfig for this
  // cluster, since their HOME is a scratch folder. The kubeconfig is this machine's, resolved before the pod's
  // environment is copied in: the pod's KUBECONFIG names a file that exists only inside the workshop pod.
  const kubeconfig = options.kubeconfig ?? process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config');
  const { KUBECONFIG: _podKubeconfig, ...podEnv } = learnerEnvironment(pod.env);
  Object.assign(process.env, podEnv);
  if (fs.existsSync(kubeconfig.split(path.delimiter)[0])) process.env.KUBECONFIG = kubeconfig.split(path.delimiter).map((f) => path.resolve(f)).join(path.delimiter);

  // The dashboard itself listens on a loopback port of its own, behind the command's port.
  const dashboard = await startDashboard({
    sessionName: name,
    portalUrl,
    portalApiUrl,
    clientSecret: pod.configPassword,
    workshopDir,
    configFile,
    host: '127.0.0.1',
    port: 0,
    variables,
    shell: options.shell,
    homeDir,
    insecureCookies: !portalUrl.startsWith('https:'),
    logLevel: options.logLevel ?? 'warn',
  });
  door.forwardTo(dashboard.url);
  process.stdout.write(`dashboard of session ${name} at ${door.url}/ (LOCAL DEVELOPMENT: its terminals are shells on this machine, in ${homeDir})\n` +
    `content: ${contentDir ?? config.content.image!.ref}; portal: ${portalUrl}\n` +
    `the portal sends learners here when started with PORTAL_DEV_SESSION_URL=${door.url}; Ctrl-C stops\n`);

  // Runs until Ctrl-C, or until the session ends.
  let onSignal: ((signal: string) => void) | undefined;
  let watch: NodeJS.Timeout | undefined;
  const why = await new Promise<string>((resolve) => {
    onSignal = resolve;
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    watch = setInterval(() => {
      void (async () => {
        const c = await connect(options.kubeconfig).catch(() => undefined);
        if (!c) return;
        try {
          const session = await c.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
          if (!session || ENDED_PHASES.has(session.status?.phase ?? '')) resolve(`session ${session?.status?.phase ?? 'deleted'}`);
        } catch {
          // the cluster is briefly away: look again next time
        } finally {
          await c.close();
        }
      })();
    }, 2_000);
  });
  clearInterval(watch);
  process.off('SIGINT', onSignal!);
  process.off('SIGTERM', onSignal!);
  door.forwardTo(undefined);
  await dashboard.close();
  process.stderr.write(`dashboard of session ${name} stopped (${why})\n`);
  return why;
}

function checkUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${option} '${value}' is not a URL: give the portal's address, e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${option} '${value}' must be http:// or https://`);
  return url.origin;
}

function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of seconds');
  return Number(value);
}

export function sessionDashboardCommand(): Command {
  return new Command('dashboard')
    .summary("run a session's dashboard on this machine (local development)")
    .description("LOCAL DEVELOPMENT ONLY: run a session's dashboard as a process on this machine, for a cluster whose pods run no " +
      "containers (the local kwok control plane). It reads what the session's workshop pod would get (its environment, " +
      "CONFIG_PASSWORD, dashboard.json) from the cluster, pulls the content (or serves --content), signs learners in through " +
      'the portal at --portal-url, and opens terminals as shells on this machine. Start the portal with ' +
      'PORTAL_DEV_SESSION_URL=http://127.0.0.1:<port> so that Start sends the learner here. Waits for a session to be ' +
      'started; with a session name, stops when it ends; without one, then serves the next session. Ctrl-C stops.')
    .argument('[session]', 'the WorkshopSession, e.g. dev-my-lab-s001; without it, the most recently started session, then the next one when it ends')
    .option('--portal <name>', 'without a session name: only sessions of this training portal')
    .option('-p, --port <port>', 'port to listen on (not 10080, the pod\'s port: browsers refuse it as unsafe)', parsePort, 10082)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--portal-url <url>', 'the portal as the browser reaches it', 'http://127.0.0.1:8080')
    .option('--portal-api-url <url>', 'the portal as this process reaches it (default: --portal-url)')
    .option('--content <dir>', "serve this workshop folder's instructions instead of the session's published content")
    .option('--wait <seconds>', 'how long to wait for the session to be allocated and created', parseSeconds, 600)
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config); also given to the terminals')
    .action(async (session: string | undefined, options: SessionDashboardOptions) => runSessionDashboard(session, options));
}
