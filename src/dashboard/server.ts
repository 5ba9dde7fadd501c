/**
 * The session dashboard's HTTP server: wires the learner's page, sign-in, terminals, route proxy, content
 * updates, activity and examiner checks together. Each concern lives in its own file; this one only decides which
 * request goes where, and in which order things start and stop.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

import { loadContent, renderPage } from '../content/index.js';
import { Activity } from './activity.js';
import { AgentError, connectAgent, createLocalAgent, type SessionAgent } from './agent/index.js';
import { serveAgentFile } from './agent-files.js';
import { registerAssets } from './assets.js';
import { DashboardAuth, isTicketPath } from './auth.js';
import { type DashboardConfig, defaultConfig, isObject, readConfig } from './config.js';
import { ContentSync, type ContentSyncOptions } from './content-sync.js';
import { TEST_NAME } from './examiner.js';
import { learnerEnvironment } from './learner-environment.js';
import { renderDashboard, type RenderedInstructions, renderInstructions, sessionEndUrl } from './page.js';
import { PortalClient, PortalError } from './portal-client.js';
import { hostName, RouteProxy } from './proxy.js';
import { registerCapabilityRoutes } from './routes/index.js';
import { uploadSettings } from './routes/uploads.js';
import { serveFile } from './static-files.js';
import { TERMINAL_ID } from './terminals.js';

export interface DashboardOptions {
  /** The session's name: the OAuth2 client id at the portal. */
  readonly sessionName: string;
  /** The portal's origin as the learner's browser reaches it. */
  readonly portalUrl: string;
  /** The portal's API as the dashboard reaches it (inside the cluster). */
  readonly portalApiUrl: string;
  /** The session's CONFIG_PASSWORD: the OAuth2 client secret, and the key the dashboard's cookies are signed with. */
  readonly clientSecret: string;
  /** The workshop content (embedded), or where content pulled from a registry is unpacked. */
  readonly workshopDir: string;
  /** dashboard.json. @default - one terminal and the instructions */
  readonly configFile?: string;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** @default 10080 (0 picks a free port) */
  readonly port?: number;
  /** Values for `{{< param NAME >}}` in the instructions; session_name is always set. */
  readonly variables?: Record<string, string>;
  /** @default $SHELL, else /bin/bash */
  readonly shell?: string;
  /** Where terminals start, and the root of file downloads. @default the user's home directory (the agent's, with agentSocket) */
  readonly homeDir?: string;
  /**
   * The session agent's Unix socket (src/dashboard/agent/): in the workshop pod, the learner's terminals, commands,
   * set-up and files run in the learner's own container, reached there. @default - the agent runs in this process
   */
  readonly agentSocket?: string;
  /**
   * Where content pulled from a registry is unpacked: in the workshop pod, a volume the learner's container reads
   * at the same path. @default workshopDir
   */
  readonly pulledContentDir?: string;
  /** Cookies without `Secure`, for plain-HTTP development and tests. @default false */
  readonly insecureCookies?: boolean;
  /**
   * Origins of other sites that may frame the portal (its frameAncestors): the portal shows this dashboard in its
   * pages, so they may frame it too, and its cookies are then SameSite=None so that they reach it in such a frame.
   * @default - only the portal
   */
  readonly frameAncestors?: readonly string[];
  /** Seconds between checks for newly published content (image content only); 0 turns it off. @default 30 */
  readonly contentPollSeconds?: number;
  /** Pull content over plain HTTP (a local registry). @default false */
  readonly insecureRegistry?: boolean;
  /** Credentials for a private content registry. @default - anonymous */
  readonly registryUsername?: string;
  readonly registryPassword?: string;
  /** Credentials of each content source (SSH keys too), see contentCredentialsFromEnv. @default - the registry's above */
  readonly contentCredentials?: ContentSyncOptions['credentials'];
  /** Least time between two activity reports to the portal. @default 15000 */
  readonly activityIntervalMs?: number;
  /** pino level of the dashboard's log. @default 'info' */
  readonly logLevel?: string;
  /**
   * Run Educates' session set-up (src/dashboard/session-setup.ts: exercises/ into the home, workshop/setup.d/*,
   * the shells' profile) at start and when new content arrives: in the workshop pod, not on a developer's machine.
   * @default false
   */
  readonly sessionSetup?: boolean;
}

export interface Dashboard {
  readonly url: string;
  /** The learner's side: terminals, commands, home-directory files (src/dashboard/agent/api.ts). */
  readonly agent: SessionAgent;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  required(options, ['sessionName', 'portalUrl', 'portalApiUrl', 'clientSecret', 'workshopDir']);
  const config: DashboardConfig = options.configFile ? await readConfig(options.configFile) : defaultConfig();
  const sessionName = options.sessionName;
  // {{< baseurl >}} in the instructions points at workshop/static, which the dashboard serves below this path.
  const variables = { baseurl: '/workshop/static', ...options.variables, session_name: sessionName };

  const portal = new PortalClient(options.portalApiUrl, sessionName, options.clientSecret);
  const auth = new DashboardAuth({
    sessionName,
    portalUrl: options.portalUrl,
    clientSecret: options.clientSecret,
    portal,
    secureCookies: !options.insecureCookies,
    framedByOtherSites: (options.frameAncestors ?? []).length > 0,
    routes: config.routes,
  });

  const proxy = new RouteProxy({
    routes: config.routes,
    isSignedIn: (request) => auth.learnerFromHeaders(request.headers) !== null,
    privateCookie: (name) => name.startsWith(`dashboard-${sessionName}`),
  });

  const upgrades = new EventEmitter();
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
    trustProxy: true,
    // A dashboard stops when its session ends: requests still open (a proxied stream, a long poll) end with it.
    forceCloseConnections: true,
    // Route traffic streams straight through to its application, before fastify reads any body.
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (!proxy.handle(req, res)) handler(req, res);
      });
      server.on('upgrade', (req, socket, head) => {
        if (!proxy.upgrade(req, socket, head)) upgrades.emit('upgrade', req, socket, head);
      });
      return server;
    },
  });
  const log = app.log;

  const activity = new Activity({
    intervalMs: options.activityIntervalMs,
    report: async () => {
      try {
        await portal.reportActivity();
      } catch (error) {
        log.warn({ status: (error as PortalError).status, message: (error as Error).message }, 'cannot report activity to the portal');
      }
    },
  });

  // The learner's side: in the pod, a process in the learner's own container; here, when there is none.
  const agent: SessionAgent = options.agentSocket
    ? await connectAgent({ socketPath: options.agentSocket, homeDir: options.homeDir, onInput: () => activity.touch() })
    : createLocalAgent({
        homeDir: options.homeDir ?? os.homedir(),
        // The learner's shells see the session's environment, except the dashboard's own secrets.
        env: learnerEnvironment(process.env),
        shell: options.shell ?? process.env.SHELL ?? '/bin/bash',
        onInput: () => activity.touch(),
        log,
      });

  const pulled = Boolean(config.content.image || config.content.git || config.content.http || config.content.sources?.length);
  const sync = new ContentSync({
    source: config.content,
    workshopDir: pulled && options.pulledContentDir ? options.pulledContentDir : options.workshopDir,
    pollSeconds: options.contentPollSeconds,
    insecureRegistry: options.insecureRegistry,
    registryUsername: options.registryUsername,
    registryPassword: options.registryPassword,
    credentials: options.contentCredentials,
    log,
  });
  try {
    await sync.start();
  } catch (error) {
    await agent.close();
    throw error;
  }
  let content = await loadContent(sync.dir);
  if (options.sessionSetup) {
    const setUp = (dir: string) =>
      agent.sessionSetup(dir).catch((error) => log.warn({ message: (error as Error).message }, 'the session set-up failed'));
    await setUp(sync.dir);
    sync.on('change', (dir) => void setUp(dir));
  }
  const listeners = new Set<http.ServerResponse>();
  sync.on('change', (dir) => {
    loadContent(dir)
      .then((loaded) => {
        content = loaded;
        for (const res of listeners) res.write(`event: content\ndata: ${JSON.stringify({ pages: loaded.pages.length })}\n\n`);
      })
      .catch((error) => log.warn({ message: (error as Error).message }, 'cannot read the updated workshop content'));
  });

  await auth.register(app);
  await app.register(fastifyWebsocket, { options: { server: upgrades as unknown as http.Server, maxPayload: 1024 * 1024 } });
  registerAssets(app);
  const learner = { preHandler: auth.requireLearner };
  const portalOnly = { preHandler: auth.requirePortal };

  // A route's own host that reached the dashboard: the learner is not signed in there yet (else it was proxied), and
  // is sent to the session's own host to sign in, coming back with a ticket for /oauth_ticket (see auth.ts).
  app.addHook('onRequest', async (request, reply) => {
    if (!proxy.isRouteHost(request.headers.host) || isTicketPath(request.url) || request.url.startsWith('/assets/')) return;
    await auth.requireLearner(request, reply);
    if (!reply.sent) await reply.code(404).send({ error: 'not_found', message: 'nothing is served here' });
  });

  // Probes and the portal's polling come every few seconds: logging each would drown the learner's requests.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  // --- for the portal (and `workshops update`), with the session's CONFIG_PASSWORD
  app.get('/session/activity', { ...portalOnly, logLevel: 'warn' }, async () => activity.snapshot());
  app.post('/workshop/update', portalOnly, async (_request, reply) => {
    try {
      const updated = await sync.update();
      return { updated, digest: sync.contentDigest ?? null };
    } catch (error) {
      return reply.code(502).send({ error: 'update_failed', message: (error as Error).message });
    }
  });

  // --- the learner's page
  const instructions = async (pagePath: string): Promise<RenderedInstructions | null> => {
    const current = content;
    if (!current.pages.length) {
      return { path: '', title: config.workshop.title, html: '<p>This workshop has no instructions yet.</p>' };
    }
    const page = pagePath ? current.pages.find((p) => p.path === pagePath) : current.pages[0];
    if (!page) return null;
    const rendered = await renderPage(current, page.path, variables);
    return { path: page.path, title: rendered.title, html: rendered.html, prev: rendered.prev, next: rendered.next };
  };
  const showPage = async (request: FastifyRequest, reply: FastifyReply, pagePath: string) => {
    const page = await instructions(pagePath);
    if (!page) return reply.redirect('/', 302);
    activity.viewed();
    return (
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        // The portal shows the dashboard in a frame of its own; no other site may frame it (clickjacking), but those
        // allowed to frame the portal (every ancestor of a frame must be allowed).
        .header(
          'content-security-policy',
          `frame-ancestors ${["'self'", new URL(options.portalUrl).origin, ...(options.frameAncestors ?? [])].join(' ')}`,
        )
        .send(
          renderDashboard({
            config,
            sessionName,
            portalUrl: options.portalUrl,
            instructions: page,
            pages: content.pages,
            sections: content.sections,
            requestHost: hostName(request.headers.host),
          }),
        )
    );
  };
  app.get('/', learner, (request, reply) => showPage(request, reply, ''));
  app.get('/page/*', learner, (request, reply) => showPage(request, reply, pageParam(request)));
  app.get('/workshop/pages/*', learner, async (request, reply) => {
    const page = await instructions(pageParam(request));
    if (!page) return reply.code(404).send({ error: 'not_found', message: `the workshop has no page '${pageParam(request)}'` });
    return {
      path: page.path,
      title: page.title,
      article: renderInstructions(page, { contents: content, endUrl: sessionEndUrl(options.portalUrl, sessionName) }),
    };
  });
  app.get('/events', learner, (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    listeners.add(res);
    // Proxies close quiet connections: a comment now and then keeps the stream open.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      listeners.delete(res);
    });
  });

  // --- terminals
  app.get('/terminal/session/:id', { websocket: true, preHandler: auth.requireLearner }, (socket, request) => {
    const id = (request.params as { id: string }).id;
    if (!TERMINAL_ID.test(id)) return socket.close(1008, 'terminal session ids are 1 to 32 letters, digits, - or _');
    void agent.attachTerminal(id, socket);
  });

  // --- the session, on the learner's behalf
  app.get('/session/whoami', learner, async (request) => ({
    user: request.learner!.user,
    owner: request.learner!.owner,
    staff: request.learner!.staff,
  }));
  app.post('/session/view', learner, async () => {
    activity.viewed();
    return { ok: true };
  });
  // Extending changes the session: a POST, so that a link or an image elsewhere cannot do it.
  for (const what of ['schedule', 'extend'] as const) {
    app.route({
      method: what === 'extend' ? 'POST' : 'GET',
      url: `/session/${what}`,
      preHandler: auth.requireLearner,
      handler: async (request, reply) => {
        try {
          return await portal[what](request.learner!.token);
        } catch (error) {
          const status = error instanceof PortalError && error.status >= 400 && error.status < 500 ? error.status : 502;
          return reply.code(status).send({ error: what === 'extend' ? 'extend_failed' : 'schedule_unavailable', message: (error as Error).message });
        }
      },
    });
  }

  // --- examiner checks
  const examiner = isObject(config.settings.examiner) ? config.settings.examiner : {};
  app.post('/examiner/test/:name', learner, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    if (!TEST_NAME.test(name))
      return reply.code(400).send({ error: 'bad_request', message: `test name '${name}' must be letters, digits, '.', '-' or '_'` });
    const body = (isObject(request.body) ? request.body : {}) as { args?: unknown; timeout?: unknown };
    const args = Array.isArray(body.args) ? body.args.map(String) : [];
    const timeout = typeof body.timeout === 'number' && body.timeout > 0 ? body.timeout : undefined;
    activity.touch();
    try {
      // the agent's answer is the learner's own: only these three fields, of these types, go back to the page
      const result = await agent.runTest({
        contentDir: sync.dir,
        name,
        args,
        testsDirectory: typeof examiner.testsDirectory === 'string' ? examiner.testsDirectory : undefined,
        timeoutSeconds: typeof examiner.timeoutSeconds === 'number' ? examiner.timeoutSeconds : undefined,
        requestedTimeoutSeconds: timeout,
      });
      return { success: result.success === true, output: String(result.output ?? ''), timedOut: result.timedOut === true };
    } catch (error) {
      const status = error instanceof AgentError && error.code === 'not_found' ? 404 : 502;
      return reply.code(status).send({ error: status === 404 ? 'not_found' : 'agent_failed', message: (error as Error).message });
    }
  });

  // --- files: downloads from the home directory, slides and static files of the content
  const files = isObject(config.settings.files) ? config.settings.files : null;
  if (files || config.capabilities.includes('files')) {
    // read by the agent, as the learner: the dashboard's own files are never reachable through a link in the home
    const root = typeof files?.directory === 'string' ? files.directory : '.';
    // with FileServer uploads, each listing has an upload form (the Files tab's)
    const uploads = uploadSettings(config);
    app.get('/files/*', learner, (request, reply) =>
      serveAgentFile(reply, agent, root, encodedWildcard(request, '/files/'), { prefix: '/files/', uploads }),
    );
  }
  const slides = isObject(config.settings.slides) ? config.settings.slides : null;
  if (slides || config.capabilities.includes('slides')) {
    const dir = typeof slides?.directory === 'string' ? slides.directory : 'workshop/slides';
    app.get('/slides/*', learner, (request, reply) =>
      serveFile(reply, path.join(sync.dir, dir), encodedWildcard(request, '/slides/'), { prefix: '/slides/' }),
    );
  }
  app.get('/workshop/static/*', learner, (request, reply) =>
    serveFile(reply, path.join(sync.dir, 'workshop/static'), encodedWildcard(request, '/workshop/static/'), { prefix: '/workshop/static/' }),
  );
  // --- uploads, the git server, the registry's Docker config, the page's analytics events (src/dashboard/routes/)
  await registerCapabilityRoutes(app, {
    config,
    sessionName,
    agent,
    log,
    requireLearner: auth.requireLearner,
    portalApiUrl: options.portalApiUrl,
    clientSecret: options.clientSecret,
    touch: () => activity.touch(),
  });

  // Reached only when the learner is not signed in (signed-in requests to known routes never get here).
  app.all('/proxy/*', learner, async (request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `the session has no route '${wildcard(request).split('/')[0]}'` }),
  );

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message = status >= 500 ? 'the dashboard failed to answer; see its log' : (error as Error).message;
    void reply.code(status).send({ error: status >= 500 ? 'internal' : 'bad_request', message });
  });

  let address: string;
  try {
    address = await app.listen({ host: options.host ?? '0.0.0.0', port: options.port ?? 10080 });
  } catch (error) {
    // A port in use, say: nothing may keep running behind a dashboard that never started.
    activity.stop();
    sync.stop();
    await agent.close();
    proxy.close();
    await app.close().catch(() => undefined);
    throw error;
  }
  log.info({ session: sessionName, workshop: config.workshop.name, content: sync.dir }, 'dashboard ready');
  return {
    url: address.replace('://0.0.0.0', '://127.0.0.1'),
    agent,
    async close() {
      activity.stop();
      sync.stop();
      await agent.close();
      for (const res of listeners) res.end();
      listeners.clear();
      proxy.close();
      await app.close();
    },
  };
}

function pageParam(request: FastifyRequest): string {
  return decodeURIComponent(wildcard(request)).replace(/\/+$/, '');
}

/**
 * The request's path after `prefix`, still percent-encoded: serveFile decodes it once, itself (fastify's `*` param
 * is decoded already, and a second decoding would misread names with a '%' in them).
 */
function encodedWildcard(request: FastifyRequest, prefix: string): string {
  const pathname = request.url.split('?')[0];
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) : encodeURI(wildcard(request));
}

function wildcard(request: FastifyRequest): string {
  return (request.params as { '*': string })['*'] ?? '';
}

function required(options: DashboardOptions, fields: Array<keyof DashboardOptions>): void {
  for (const field of fields) {
    if (typeof options[field] !== 'string' || !options[field]) {
      throw new Error(`startDashboard: '${field}' (${JSON.stringify(options[field])}) must be a non-empty string`);
    }
  }
}
