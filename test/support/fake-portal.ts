/**
 * A test double of the portal's side of the portal ↔ dashboard contract (CONTRACTS.md: /oauth2/authorize/,
 * /oauth2/token/, /workshops/session/<s>/{authorize,activity,schedule,extend}/), for dashboard tests while the
 * real portal is not available. It behaves like the contract says, including its refusals, and records what the
 * dashboard told it. Signing in is a cookie set by GET /login?user=<id>.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePortalSession {
  readonly name: string;
  readonly owner: string;
  readonly configPassword: string;
  /**
   * Development origins of the session's dashboard (as the portal's devSessionUrl and devDashboardOrigins), such
   * as http://127.0.0.1:<port>. As the real portal (src/portal/auth/oauth2.ts, issue 10 item 3), redirect_uri may
   * be only on these or on the session's own host `<session>.<ingress domain>` (any port here: tests run the
   * "ingress" on a free port); a listed origin on another host of the ingress domain (a route's) is refused.
   */
  readonly origins: string[];
}

/** What the portal's schedule says of a session (its defaults: running, extendable, 30 minutes left). */
export interface FakeSchedule {
  /** Educates' session status: STARTING, WAITING, RUNNING… @default 'running' */
  readonly status?: string;
  /** Whether the rules allow extending it now; when false, extend answers `extended: false`. @default true */
  readonly extendable?: boolean;
  /** Sets the expiry this many seconds from now. */
  readonly expiresInSeconds?: number;
}

export interface FakePortal {
  readonly url: string;
  /** Activity reports received per session. */
  readonly activity: Map<string, number>;
  /** Extensions granted per session. */
  readonly extensions: Map<string, number>;
  /** Sessions ended through the portal's "End this session?" page. */
  readonly ended: Set<string>;
  addSession(session: FakePortalSession): void;
  setSchedule(session: string, schedule: FakeSchedule): void;
  close(): Promise<void>;
}

export interface FakePortalOptions {
  /** Users who are portal staff: they may open every session. */
  readonly staff?: string[];
  /** The ingress domain of the sessions' hosts. @default 'workshops.test' (tests map it to loopback) */
  readonly ingressDomain?: string;
}

export async function startFakePortal(options: FakePortalOptions = {}): Promise<FakePortal> {
  const ingressDomain = (options.ingressDomain ?? 'workshops.test').toLowerCase();
  const sessions = new Map<string, FakePortalSession & { expires: number; status: string; extendable: boolean }>();
  const ended = new Set<string>();
  const codes = new Map<string, { session: string; user: string; redirectUri: string; expires: number }>();
  const tokens = new Map<string, string>(); // token -> user
  const activity = new Map<string, number>();
  const extensions = new Map<string, number>();
  const staff = new Set(options.staff ?? []);

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://portal');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const html = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>${text}</title></head><body><h1>${text}</h1></body></html>`);
    };
    const user = /(?:^|;\s*)fake-portal-user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

    if (url.pathname === '/login') {
      const who = url.searchParams.get('user');
      res.writeHead(302, {
        'set-cookie': `fake-portal-user=${encodeURIComponent(who ?? '')}; Path=/; HttpOnly; SameSite=Lax`,
        location: url.searchParams.get('next') ?? '/',
      });
      res.end();
      return;
    }
    if (url.pathname === '/oauth2/authorize/') {
      const session = sessions.get(url.searchParams.get('client_id') ?? '');
      if (!session) return html(404, 'No such session');
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (!isDashboardCallback(redirectUri, session, ingressDomain)) {
        return html(400, `The address ${redirectUri.split('?')[0]} is not one of this session's dashboards`);
      }
      if (!user) {
        res.writeHead(302, { location: `/accounts/login/?next=${encodeURIComponent(req.url ?? '/')}` });
        res.end();
        return;
      }
      if (decodeURIComponent(user) !== session.owner && !staff.has(decodeURIComponent(user)))
        return html(403, 'This session belongs to someone else');
      const code = randomBytes(16).toString('hex');
      codes.set(code, { session: session.name, user: decodeURIComponent(user), redirectUri, expires: Date.now() + 60_000 });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/accounts/login/') return html(200, 'Sign in to the workshop portal');
    if (url.pathname === '/oauth2/token/' && req.method === 'POST') {
      const form = new URLSearchParams(await body(req));
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const session = sessions.get(form.get('client_id') ?? '');
      if (!code || code.expires < Date.now() || code.redirectUri !== form.get('redirect_uri') || !session || code.session !== session.name) {
        return json(400, { error: 'invalid_grant', message: 'the code is unknown, used, expired, or for another redirect_uri' });
      }
      if (form.get('client_secret') !== session.configPassword) return json(401, { error: 'invalid_client', message: 'wrong client secret' });
      const token = randomBytes(16).toString('hex');
      tokens.set(token, code.user);
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 36000, scope: 'user:info' });
    }
    // The portal's own page that ends a session (the dashboard's End session and Finish workshop go there).
    const end = /^\/workshops\/session\/([^/]+)\/delete\/$/.exec(url.pathname);
    if (end) {
      const session = sessions.get(decodeURIComponent(end[1]));
      if (!session) return html(404, 'No such session');
      if (req.method === 'POST') {
        ended.add(session.name);
        res.writeHead(303, { location: '/workshops/catalog/?notification=session-deleted' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>End session</title></head><body><h1>End this session?</h1><form method="post"><button type="submit">End session</button></form></body></html>`,
      );
      return;
    }
    if (url.pathname === '/workshops/catalog/') return html(200, 'Workshops');
    const match = /^\/workshops\/session\/([^/]+)\/(authorize|activity|schedule|extend)\/$/.exec(url.pathname);
    if (match) {
      const session = sessions.get(decodeURIComponent(match[1]));
      if (!session) return json(404, { error: 'not_found', message: 'no such session' });
      if (match[2] === 'activity') {
        const basic = `Basic ${Buffer.from(`${session.name}:${session.configPassword}`).toString('base64')}`;
        if (req.method !== 'POST' || req.headers.authorization !== basic)
          return json(401, { error: 'unauthenticated', message: 'Basic <session>:<CONFIG_PASSWORD> needed' });
        activity.set(session.name, (activity.get(session.name) ?? 0) + 1);
        return json(200, { phase: 'Active', expires: new Date(session.expires).toISOString() });
      }
      const who = bearer ? tokens.get(bearer) : undefined;
      if (!who) return json(401, { error: 'unauthenticated', message: 'a Bearer token is needed' });
      if (who !== session.owner && !staff.has(who)) return json(403, { error: 'forbidden', message: 'not the owner of this session' });
      if (match[2] === 'authorize') return json(200, { owner: session.owner, user: who, staff: staff.has(who) });
      // as the portal: an extension outside the last minutes is answered 200 with extended: false and why
      const extending = match[2] === 'extend';
      if (extending && session.extendable) {
        session.expires += 15 * 60_000;
        extensions.set(session.name, (extensions.get(session.name) ?? 0) + 1);
      }
      const countdown = Math.round((session.expires - Date.now()) / 1000);
      return json(200, {
        status: session.status,
        started: new Date().toISOString(),
        expires: new Date(session.expires).toISOString(),
        expiring: false,
        countdown,
        extendable: session.extendable,
        ...(extending
          ? { extended: session.extendable, ...(session.extendable ? {} : { message: 'the session can be extended only in its last minutes' }) }
          : {}),
      });
    }
    html(404, 'Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    activity,
    extensions,
    ended,
    addSession(session) {
      sessions.set(session.name, { ...session, expires: Date.now() + 30 * 60_000, status: 'running', extendable: true });
    },
    setSchedule(name, schedule) {
      const session = sessions.get(name);
      if (!session) throw new Error(`the fake portal has no session '${name}'`);
      if (schedule.status !== undefined) session.status = schedule.status;
      if (schedule.extendable !== undefined) session.extendable = schedule.extendable;
      if (schedule.expiresInSeconds !== undefined) session.expires = Date.now() + schedule.expiresInSeconds * 1000;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What the real portal accepts as redirect_uri: `/oauth_callback` (no query, fragment or user info) on the session's
 * own host or one of its development origins; never on another host of the ingress domain, such as a route's
 * `<name>-<session>.<domain>`, whose Ingress may send the code to what the learner runs.
 */
function isDashboardCallback(redirectUri: string, session: FakePortalSession, ingressDomain: string): boolean {
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return false;
  }
  if (
    !['http:', 'https:'].includes(target.protocol) ||
    target.pathname !== '/oauth_callback' ||
    target.search ||
    target.hash ||
    target.username ||
    target.password
  )
    return false;
  const host = target.hostname.toLowerCase();
  if (host === `${session.name}.${ingressDomain}`) return true;
  const elsewhereInDomain = host === ingressDomain || host.endsWith(`.${ingressDomain}`);
  return (
    !elsewhereInDomain &&
    session.origins.some((origin) => {
      try {
        return new URL(origin).origin === target.origin;
      } catch {
        return false;
      }
    })
  );
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
