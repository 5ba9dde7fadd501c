/**
 * `workshops sessions dashboard <session>`: LOCAL DEVELOPMENT ONLY. Runs a session's dashboard as a process on
 * this machine, for a cluster whose pods run no containers (the kwok control plane of scripts/cluster) or whose
 * session hosts do not resolve. It takes from the cluster exactly what the workshop pod would get — the
 * environment of the `dashboard` container of the session's Deployment `<session>`, CONFIG_PASSWORD from its
 * Secret `<session>-session`, and dashboard.json from its ConfigMap `<session>-dashboard`, all in the environment
 * namespace beside the environment's other workshop pods — and starts
 * the dashboard on 127.0.0.1 against a portal run locally (README "Run the portal locally": its
 * PORTAL_DEV_SESSION_URL sends the learner here). The terminals are shells on this machine, not in the cluster,
 * with a copy of the developer's kubeconfig set to the session's namespace.
 *
 * Three ways to run it: a named session; the portal's latest session, then the next (one port, one learner at a
 * time); or `--session-hosts`, every learner's session at once, each at `<session>.localhost:<port>` through a child
 * process of its own. In every mode the port stays open and says what went wrong (dev-front-door.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { API_VERSION, Labels } from '../../constructs/names.js';
import { workshopPodNames } from '../../constructs/session-template.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { WorkshopSession } from '../../runtime/session.js';
import { type EndedSession, type FrontDoor, frontDoor } from '../dev-front-door.js';
import { CliError } from '../errors.js';
import { connect, contextChoice, ENDED_PHASES } from '../kube.js';
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
  /** The session's workshop (the name `--content <folder of workshops>` looks up). */
  readonly workshop: string;
  readonly env: Record<string, string>;
  readonly configPassword: string;
  readonly dashboardJson: string;
}

interface Deployment {
  spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } } };
}

/**
 * Waits until the session exists and its namespace holds the workshop pod's Deployment, Secret and ConfigMap,
 * then reads them. `onWaiting` is called once if it has to wait.
 */
export async function readSessionPod(
  client: KubeClient,
  name: string,
  waitSeconds: number,
  onWaiting?: (why: string) => void,
): Promise<SessionPodView> {
  const deadline = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    const phase = session?.status?.phase;
    if (session && phase && ENDED_PHASES.has(phase)) {
      throw new SessionEnded(
        `session '${name}' has ended (${phase}${session.status?.reason ? `, ${session.status.reason}` : ''}): start a new one in the portal`,
      );
    }
    // The workshop pod's objects are in the environment namespace (named as the environment), named after the session.
    const names = workshopPodNames(name);
    const namespace = session?.spec?.environment;
    const [deployment, secret, configMap] =
      session && namespace
        ? await Promise.all([
            client.get<Deployment>('apps/v1', 'Deployment', names.deployment, namespace),
            client.get<{ data?: Record<string, string> }>('v1', 'Secret', names.secret, namespace),
            client.get<{ data?: Record<string, string> }>('v1', 'ConfigMap', names.configMap, namespace),
          ])
        : [undefined, undefined, undefined];
    if (deployment && secret?.data?.CONFIG_PASSWORD && configMap?.data?.['dashboard.json']) {
      const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === 'dashboard');
      if (!container)
        throw new CliError(
          `session '${name}': its Deployment '${namespace}/${names.deployment}' has no container 'dashboard'; was it made by this version of cdk8s-workshops?`,
        );
      const env: Record<string, string> = {};
      for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
      if (secret.data.SERVICES_PASSWORD) env.SERVICES_PASSWORD = Buffer.from(secret.data.SERVICES_PASSWORD, 'base64').toString('utf8');
      return {
        uid: String(session!.metadata.uid ?? ''),
        workshop: session!.spec.workshop,
        env,
        configPassword: Buffer.from(secret.data.CONFIG_PASSWORD, 'base64').toString('utf8'),
        dashboardJson: configMap.data['dashboard.json'],
      };
    }
    if (Date.now() >= deadline) {
      if (!session)
        throw new SessionEnded(
          `no WorkshopSession named '${name}' after ${waitSeconds} s: press Start in the portal, or see 'workshops sessions list'`,
        );
      throw new CliError(
        `session '${name}' exists but its environment namespace '${namespace}' has no Deployment '${names.deployment}', Secret '${names.secret}' and ConfigMap '${names.configMap}' yet (phase ${phase ?? 'Requested'}); is the portal running?`,
      );
    }
    if (!told) {
      told = true;
      onWaiting?.(
        session
          ? `waiting for session '${name}' to be created (phase ${phase ?? 'Requested'})…`
          : `waiting for session '${name}': press Start in the portal (Ctrl-C stops)…`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Where `--content` points: one workshop folder for every session, or a folder of workshop folders by name. */
export type ContentChoice =
  { readonly kind: 'one'; readonly dir: string } | { readonly kind: 'by-workshop'; readonly root: string; readonly workshops: readonly string[] };

/** Reads `--content <dir>`: a workshop folder (it has workshop/content/), or a folder of them (e.g. examples/). */
export function contentChoice(option: string): ContentChoice {
  const dir = path.resolve(option);
  if (fs.existsSync(path.join(dir, 'workshop', 'content'))) return { kind: 'one', dir };
  const workshops =
    fs.existsSync(dir) && fs.statSync(dir).isDirectory()
      ? fs
          .readdirSync(dir)
          .filter((entry) => fs.existsSync(path.join(dir, entry, 'workshop', 'content')))
          .sort()
      : [];
  if (!workshops.length) {
    throw new CliError(
      `--content ${option} has no workshop/content/ folder, nor folders <workshop>/workshop/content/: name a workshop folder, or a folder of them such as examples/`,
    );
  }
  return { kind: 'by-workshop', root: dir, workshops };
}

/** The folder that serves a session of `workshop`. */
export function contentFor(choice: ContentChoice, workshop: string): string {
  if (choice.kind === 'one') return choice.dir;
  if (choice.workshops.includes(workshop)) return path.join(choice.root, workshop);
  throw new CliError(
    `--content ${choice.root} has no folder for workshop '${workshop}' (it has: ${choice.workshops.join(', ')}): ` +
      `add ${path.join(choice.root, workshop, 'workshop', 'content')}/`,
  );
}

/** A session that has ended or is gone: nothing to retry; followed sessions move on to the next one. */
export class SessionEnded extends CliError {}

/** Seconds before the next attempt to start a session's dashboard after `failures` failures in a row. */
export function retryDelaySeconds(failures: number): number {
  return Math.min(10, 2 ** Math.max(0, failures - 1));
}

/**
 * Runs the dashboard of session `name`, until Ctrl-C or the session ends. Without a name it follows the portal:
 * it serves the most recently allocated session, and when that ends waits for the next one. The port stays open
 * throughout: when starting a session's dashboard fails (content that cannot be pulled, the cluster away) the
 * waiting page says why, and the command tries again (after 1, 2, 4, 8, then every 10 s) until it works or the
 * session ends.
 */
export async function runSessionDashboard(name: string | undefined, options: SessionDashboardOptions): Promise<void> {
  const portalUrl = checkUrl('--portal-url', options.portalUrl);
  const portalApiUrl = options.portalApiUrl ? checkUrl('--portal-api-url', options.portalApiUrl) : portalUrl;
  const content = options.content ? contentChoice(options.content) : undefined;
  if (options.port === 10080) process.stderr.write('warning: browsers refuse port 10080 (ERR_UNSAFE_PORT); choose another with --port\n');
  const say = (why: string) => process.stderr.write(`${why}\n`);
  // One server keeps the port for the whole run: it shows a waiting page while there is no session to serve (the
  // portal may send the learner here before the dashboard is up) and forwards to the session's dashboard while
  // there is one. Closing the port between the two left a moment in which the learner's redirect was refused.
  const door = await frontDoor({ host: options.host, port: options.port, portalUrl, session: name });
  if (name) say(`serving session ${name} on ${door.url}/ (a waiting page until its dashboard runs)`);
  // Loading the dashboard's modules takes a moment: do it while waiting for the learner, not after she arrives.
  void import('../../dashboard/index.js').catch(() => undefined);
  let failed: { session: string; failures: number } | undefined;
  try {
    for (;;) {
      let session = name;
      try {
        const client = await connect(options.kubeconfig);
        let pod: SessionPodView;
        try {
          session = name ?? (await nextAllocatedSession(client, options, say, door));
          if (failed?.session !== session) door.show({ status: 'starting', session });
          pod = await readSessionPod(client, session, options.wait, say);
        } finally {
          await client.close();
        }
        const why = await serveSession(session, pod, { ...options, portalUrl, portalApiUrl, content }, door, () => {
          failed = undefined;
        });
        if (name || why.startsWith('SIG')) return;
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        if (error instanceof SessionEnded) {
          if (name) throw error;
          failed = undefined;
          door.show({ status: 'waiting' });
          continue;
        }
        const failures = failed && failed.session === (session ?? '') ? failed.failures + 1 : 1;
        failed = { session: session ?? '', failures };
        const delay = retryDelaySeconds(failures);
        say(
          `error: ${session ? `session ${session}: ` : ''}${error.message} (attempt ${failures}; trying again in ${delay} s; the learner's page shows this)`,
        );
        door.show({ status: 'failed', session, error: error.message, failures, retryAt: new Date(Date.now() + delay * 1000).toISOString() });
        await new Promise((resolve) => setTimeout(resolve, delay * 1000));
      }
    }
  } finally {
    await door.close();
  }
}

/** The session a `<session>.localhost[:port]` Host header names, if it looks like one. */
export function sessionOfHost(host: string): string | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.localhost(:\d+)?$/i.exec(host);
  return match ? match[1].toLowerCase() : undefined;
}

/**
 * `--session-hosts`: every learner's session at once, each at `http://<session>.localhost:<port>` (browsers resolve
 * `*.localhost` to this machine; the portal is started with PORTAL_DEV_SESSION_URL=http://{session}.localhost:<port>).
 * Each session gets its own `workshops sessions dashboard <session>` child process on a loopback port of its own
 * (its own environment, home, kubeconfig and waiting page), and this port forwards by Host header. A child ends
 * with its session; a session that appears gets one within a fraction of a second.
 */
export async function runSessionHosts(options: SessionDashboardOptions, argv: { context?: string }): Promise<void> {
  const portalUrl = checkUrl('--portal-url', options.portalUrl);
  if (options.content) contentChoice(options.content);
  const say = (why: string) => process.stderr.write(`${why}\n`);
  const children = new Map<string, { child: ChildProcess; url?: string }>();
  // Sessions that ended (or vanished) while this command watched: their hosts say so instead of waiting for ever.
  const ended = new Map<string, EndedSession>();
  const served = new Map<string, string>();
  const door = await frontDoor({
    host: options.host,
    port: options.port,
    portalUrl,
    route: (host) => {
      const session = sessionOfHost(host);
      return session ? children.get(session)?.url : undefined;
    },
    ended: (host) => {
      const session = sessionOfHost(host);
      return session ? ended.get(session) : undefined;
    },
  });
  say(
    `serving every learner's session at http://<session>.localhost:${new URL(door.url).port}/: start the portal with ` +
      `PORTAL_DEV_SESSION_URL=http://{session}.localhost:${new URL(door.url).port} (Ctrl-C stops)`,
  );
  // A spare child is started ahead, its modules loaded, waiting on stdin for the name of the session it is to
  // serve: a learner's Start then costs no process start.
  type Child = { child: ChildProcess; url?: string };
  let spare: Child | undefined;
  const startChild = (): Child => {
    const args = [
      process.argv[1],
      'sessions',
      'dashboard',
      '--session-from-stdin',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--portal-url',
      portalUrl,
      '--wait',
      String(options.wait),
    ];
    if (options.portalApiUrl) args.push('--portal-api-url', options.portalApiUrl);
    if (options.content) args.push('--content', path.resolve(options.content));
    if (options.kubeconfig) args.push('--kubeconfig', options.kubeconfig);
    if (argv.context) args.push('--context', argv.context);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    const entry: Child = { child };
    const lines = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let end: number;
        while ((end = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          const serving = /^serving session \S+ on (http:\/\/\S+?)\/? /.exec(line);
          if (serving) entry.url = serving[1];
          out.write(`${line}\n`);
        }
      });
    };
    lines(child.stdout!, process.stdout);
    lines(child.stderr!, process.stderr);
    child.once('exit', () => {
      for (const [session, e] of children) if (e === entry) children.delete(session);
      if (spare === entry) spare = undefined;
    });
    return entry;
  };
  const spawnFor = (session: string) => {
    const entry = spare && spare.child.exitCode === null ? spare : startChild();
    spare = undefined;
    children.set(session, entry);
    entry.child.stdin!.end(`${session}\n`);
  };
  const keepSpare = () => {
    if (!spare) spare = startChild();
  };
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      try {
        const client = await connect(options.kubeconfig);
        try {
          while (!stopped) {
            const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', {
              labelSelector: options.portal ? `${Labels.PORTAL}=${options.portal}` : undefined,
            });
            const listed = new Set<string>();
            for (const s of sessions) {
              const name = s.metadata.name;
              const uid = String(s.metadata.uid ?? '');
              listed.add(name);
              if (ENDED_PHASES.has(s.status?.phase ?? '')) {
                if (s.status?.user && ended.get(name)?.uid !== uid)
                  ended.set(name, { session: name, uid, phase: s.status!.phase, reason: s.status?.reason });
                served.delete(name);
                continue;
              }
              if (!s.status?.user) continue;
              // a slot's name comes back for a later session: that one is served again
              if (ended.has(name) && ended.get(name)!.uid !== uid) ended.delete(name);
              if (ended.has(name)) continue;
              served.set(name, uid);
              if (!children.has(name)) spawnFor(name);
            }
            for (const [name, uid] of served) {
              if (!listed.has(name)) {
                ended.set(name, { session: name, uid, phase: 'deleted' });
                served.delete(name);
              }
            }
            keepSpare();
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        } finally {
          await client.close();
        }
      } catch (error) {
        say(`error: ${(error as Error).message} (trying again in 2 s)`);
        door.show({ status: 'failed', error: (error as Error).message, failures: 1, retryAt: new Date(Date.now() + 2000).toISOString() });
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await Promise.all(
      [...children.values(), ...(spare ? [spare] : [])].map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await door.close();
  }
}

/**
 * The most recently created session that a learner has; `--portal` narrows it to one portal. Waits for one as long
 * as it takes (the port stays open, showing the waiting page).
 */
async function nextAllocatedSession(
  client: KubeClient,
  options: SessionDashboardOptions,
  say: (why: string) => void,
  door: FrontDoor,
): Promise<string> {
  let told = false;
  for (;;) {
    const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', {
      labelSelector: options.portal ? `${Labels.PORTAL}=${options.portal}` : undefined,
    });
    const allocated = sessions
      .filter((s) => s.status?.user && !ENDED_PHASES.has(s.status.phase ?? ''))
      .sort((a, b) =>
        String((b.metadata as { creationTimestamp?: string }).creationTimestamp ?? '').localeCompare(
          String((a.metadata as { creationTimestamp?: string }).creationTimestamp ?? ''),
        ),
      );
    if (allocated.length) return allocated[0].metadata.name;
    if (!told) {
      told = true;
      door.show({ status: 'waiting' });
      say(`waiting for a learner's session${options.portal ? ` in portal '${options.portal}'` : ''}: press Start in the portal (Ctrl-C stops)…`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A copy of the developer's kubeconfig (its current context, or --context) whose context is set to the session's
 * namespace, for the learner's shells: `kubectl get pods` there means the session's namespace, as in the pod.
 */
async function sessionKubeconfig(kubeconfig: string | undefined, namespace: string, file: string): Promise<string | undefined> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (kubeconfig) config.loadFromFile(kubeconfig);
  else if (process.env.KUBECONFIG || fs.existsSync(path.join(os.homedir(), '.kube', 'config'))) config.loadFromDefault();
  else return undefined;
  const context = contextChoice() ?? config.getCurrentContext();
  if (!config.getContextObject(context)) return undefined;
  const session = new KubeConfig();
  session.loadFromOptions({
    clusters: config.clusters,
    users: config.users,
    contexts: config.contexts.map((c) => (c.name === context ? { ...c, namespace } : c)),
    currentContext: context,
  });
  fs.writeFileSync(file, session.exportConfig(), { mode: 0o600 });
  return file;
}

/**
 * Serves one session's dashboard until Ctrl-C (returns the signal) or the session ends (returns its phase);
 * `onServing` is called once it answers.
 */
async function serveSession(
  name: string,
  pod: SessionPodView,
  options: Omit<SessionDashboardOptions, 'content'> & { portalApiUrl: string; content?: ContentChoice },
  door: FrontDoor,
  onServing: () => void,
): Promise<string> {
  const { portalUrl, portalApiUrl } = options;
  const { learnerEnvironment, parseConfig, sessionValuesFromEnv, startDashboard } = await import('../../dashboard/index.js');
  let config = parseConfig(JSON.parse(pod.dashboardJson), `session '${name}' ConfigMap ${workshopPodNames(name).configMap}`);
  const contentDir = options.content ? contentFor(options.content, pod.workshop) : undefined;
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
    throw new CliError(
      `workshop '${pod.workshop}': its content ${config.content.git ? 'comes from git, which the dashboard cannot pull yet' : 'is baked into the dashboard image'}: ` +
        'pass --content <workshop folder> (or a folder of workshop folders, such as examples/) to serve it from this machine',
    );
  }
  const configFile = path.join(workDir, 'dashboard.json');
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const variables = sessionValuesFromEnv(pod.env, homeDir);
  // The learner's shells get the pod's environment (never the dashboard's own secrets), plus a kubeconfig for this
  // cluster, since their HOME is a scratch folder: this machine's (the pod's KUBECONFIG names a file that exists
  // only inside the workshop pod), with its context set to the session's namespace.
  const namespace = pod.env.SESSION_NAMESPACE ?? name;
  const { KUBECONFIG: _podKubeconfig, ...podEnv } = learnerEnvironment(pod.env);
  const before = { ...process.env };
  Object.assign(process.env, podEnv);
  const kubeconfig = await sessionKubeconfig(options.kubeconfig, namespace, path.join(workDir, 'kubeconfig'));
  if (kubeconfig) process.env.KUBECONFIG = kubeconfig;
  const restoreEnvironment = () => {
    for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
    Object.assign(process.env, before);
  };

  // The dashboard itself listens on a loopback port of its own, behind the command's port.
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
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
  } catch (error) {
    restoreEnvironment();
    const message = (error as Error).message;
    throw new CliError(
      contentDir || !config.content.image
        ? message
        : `${message} (content ${config.content.image.ref}; or serve the workshop's folder with --content <dir>)`,
    );
  }
  door.forwardTo(dashboard.url, { homeDir, namespace: kubeconfig ? namespace : undefined });
  onServing();
  process.stdout.write(
    `dashboard of session ${name} at ${door.url}/ (LOCAL DEVELOPMENT: its terminals are shells on this machine, in ${homeDir})\n` +
      `content: ${contentDir ?? config.content.image!.ref}; portal: ${portalUrl}\n` +
      `the portal sends learners here when started with PORTAL_DEV_SESSION_URL=${door.url}; Ctrl-C stops\n`,
  );

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
  restoreEnvironment();
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
    .description(
      "LOCAL DEVELOPMENT ONLY: run a session's dashboard as a process on this machine, for a cluster whose pods run no " +
        "containers (the local kwok control plane). It reads what the session's workshop pod would get (its environment, " +
        'CONFIG_PASSWORD, dashboard.json) from the cluster, pulls the content (or serves --content), signs learners in through ' +
        'the portal at --portal-url, and opens terminals as shells on this machine. Start the portal with ' +
        'PORTAL_DEV_SESSION_URL=http://127.0.0.1:<port> so that Start sends the learner here. Waits for a session to be ' +
        'started; with a session name, stops when it ends; without one, then serves the next session. The port stays open: ' +
        'until the dashboard runs it shows a waiting page, and what went wrong if starting it failed (retried). Ctrl-C stops.',
    )
    .argument('[session]', 'the WorkshopSession, e.g. dev-my-lab-s001; without it, the most recently started session, then the next one when it ends')
    .option('--portal <name>', 'without a session name: only sessions of this training portal')
    .option('-p, --port <port>', "port to listen on (not 10080, the pod's port: browsers refuse it as unsafe)", parsePort, 10082)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--portal-url <url>', 'the portal as the browser reaches it', 'http://127.0.0.1:8080')
    .option('--portal-api-url <url>', 'the portal as this process reaches it (default: --portal-url)')
    .option(
      '--content <dir>',
      "serve this workshop folder's instructions instead of the session's published content; " +
        'a folder of workshop folders (such as examples/) serves each session the folder named as its workshop',
    )
    .option(
      '--wait <seconds>',
      'with a session name: how long to wait for it to be created (without one, the command waits for learners until Ctrl-C)',
      parseSeconds,
      600,
    )
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config); also given to the terminals')
    .option(
      '--session-hosts',
      "without a session name: serve every learner's session at once, each at http://<session>.localhost:<port> " +
        '(start the portal with PORTAL_DEV_SESSION_URL=http://{session}.localhost:<port>)',
    )
    .addOption(new Option('--session-from-stdin', 'the session name comes on stdin (the spare children of --session-hosts)').hideHelp())
    .action(async (session: string | undefined, options: SessionDashboardOptions & { sessionHosts?: boolean; sessionFromStdin?: boolean }) => {
      if (options.sessionHosts && session) throw new CliError('--session-hosts serves every session: leave out the session name');
      if (options.sessionFromStdin) {
        void import('../../dashboard/index.js').catch(() => undefined);
        const named = await new Promise<string>((resolve) => {
          let text = '';
          process.stdin.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          process.stdin.once('end', () => resolve(text.trim()));
        });
        if (!named) return undefined;
        return runSessionDashboard(named, options);
      }
      if (options.sessionHosts) return runSessionHosts(options, { context: contextChoice() });
      return runSessionDashboard(session, options);
    });
}
