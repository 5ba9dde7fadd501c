/**
 * Portal authentication on the real control plane, with two app instances standing in for two replicas of one
 * portal: they share signing keys and accounts through Secrets in the portal namespace, created by the portal's
 * own ServiceAccount (so its Role is proven to be enough). Browsers are played by a small cookie-keeping client.
 */
import Fastify, { FastifyInstance } from 'fastify';
import { KubeClient } from '../../src/runtime/index.js';
import { AuthHandle, AuthOptions, registerAuth } from '../../src/portal/auth/index.js';
import { Jar, freePort, portalClient, preparePortalNamespace } from './portal-auth-support.js';

const PORTAL = 'pa';
const NAMESPACE = `${PORTAL}-ui`;
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let client: KubeClient;
const apps: FastifyInstance[] = [];

interface Replica { url: string; auth: AuthHandle; app: FastifyInstance }

async function replica(options: Partial<AuthOptions> = {}, portalName = PORTAL): Promise<Replica> {
  const port = await freePort();
  const app = Fastify({ logger: false });
  const auth = await registerAuth(app, {
    client, portalName, portalNamespace: NAMESPACE, publicUrl: `http://127.0.0.1:${port}`, secureCookies: false,
    admin: { username: 'admin', password: 'admin-password-1' }, ...options,
  });
  app.get('/private/', { preHandler: auth.requireUser }, async (request) => ({ identity: request.identity }));
  app.get('/staff/', { preHandler: auth.requireStaff }, async (request) => ({ identity: request.identity }));
  app.get('/robot/', { preHandler: auth.requireRobot }, async (request) => ({ identity: request.identity }));
  app.get('/', async (request) => ({ home: true, identity: request.identity }));
  await app.listen({ host: '127.0.0.1', port });
  apps.push(app);
  return { url: `http://127.0.0.1:${port}`, auth, app };
}

let a: Replica;
let b: Replica;

beforeAll(async () => {
  await preparePortalNamespace(admin, PORTAL);
  client = await portalClient(admin, NAMESPACE);
  [a, b] = await Promise.all([replica(), replica()]);
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await client?.close();
  await admin.close();
});

const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

describe('two replicas', () => {
  test('both replicas start at once and end up with the same key Secret', async () => {
    const secret = await admin.get<{ data: { keys: string } }>('v1', 'Secret', `${PORTAL}-portal-keys`, NAMESPACE);
    const keys = JSON.parse(Buffer.from(secret!.data.keys, 'base64').toString());
    expect(keys).toHaveLength(1);
  });

  test('GIVEN an account registered on replica A WHEN signing in on replica B THEN B knows it, and the cookie works on both', async () => {
    const username = unique('ada');
    const browser = new Jar(a.url);
    const form = await browser.form('/accounts/register/');
    const registered = await browser.post('/accounts/register/', { ...form, username, email: `${username}@example.com`, password: 'analytical engine', confirm: 'analytical engine' });
    expect(registered.status).toBe(303);
    expect(registered.headers.get('location')).toBe('/');
    const secret = await admin.list<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>('v1', 'Secret', { namespace: NAMESPACE, labelSelector: 'training.cdk8s-workshops.dev/component=portal-account' });
    const mine = secret.find((s) => Buffer.from(s.data.username, 'base64').toString() === username)!;
    expect(Buffer.from(mine.data.passwordHash, 'base64').toString()).toMatch(/^scrypt\$/);

    const other = new Jar(b.url);
    const login = await other.form('/accounts/login/');
    const signedIn = await other.post('/accounts/login/', { ...login, username, password: 'analytical engine' });
    expect(signedIn.status).toBe(303);
    expect(await (await other.get('/private/')).json()).toEqual({ identity: { id: username, username, email: `${username}@example.com`, kind: 'registered' } });
    other.base = a.url;
    expect((await other.get('/private/')).status).toBe(200);
  });

  test('the same name registered on both replicas at the same moment: exactly one wins', async () => {
    const username = unique('race');
    const [x, y] = [new Jar(a.url), new Jar(b.url)];
    const [fx, fy] = await Promise.all([x.form('/accounts/register/'), y.form('/accounts/register/')]);
    const body = { username, email: `${username}@example.com`, password: 'same time pw', confirm: 'same time pw' };
    const results = await Promise.all([x.post('/accounts/register/', { ...fx, ...body }), y.post('/accounts/register/', { ...fy, ...body })]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(await loser.text()).toContain(`Username &quot;${username}&quot; is taken; choose another.`);
  });
});

describe('who may pass', () => {
  test('GIVEN nobody signed in WHEN a browser asks for a protected page THEN it is sent to sign in with next; an API client gets 401 JSON', async () => {
    const browser = new Jar(a.url);
    const page = await browser.get('/private/?x=1');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/accounts/login/?next=%2Fprivate%2F%3Fx%3D1');
    const api = await fetch(`${a.url}/private/`);
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer');
    expect(await api.json()).toEqual({ error: 'unauthorized', message: 'sign in, or send an OAuth2 access token in the Authorization: Bearer header' });
  });

  test('after signing in, the browser returns to the page it first asked for', async () => {
    const browser = new Jar(a.url);
    const form = await browser.form('/accounts/login/?next=%2Fstaff%2F');
    expect(form.next).toBe('/staff/');
    const signedIn = await browser.post('/accounts/login/', { ...form, username: 'admin', password: 'admin-password-1' });
    expect(signedIn.headers.get('location')).toBe('/staff/');
    expect(await (await browser.get('/staff/')).json()).toEqual({ identity: { id: 'admin', username: 'admin', kind: 'admin' } });
  });

  test('next pointing elsewhere is replaced by /', async () => {
    const browser = new Jar(a.url);
    for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const form = await browser.form('/accounts/login/');
      const response = await browser.post('/accounts/login/', { ...form, next, username: 'admin', password: 'admin-password-1' });
      expect(response.headers.get('location')).toBe('/');
    }
  });

  test('a learner is not staff: 403 page for the browser, JSON for API clients; nobody but robots passes requireRobot', async () => {
    const browser = await signedUp(a);
    const page = await browser.get('/staff/');
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('This page is for the portal&#39;s administrators.');
    const api = await browser.get('/staff/', { accept: 'application/json' });
    expect(await api.json()).toEqual({ error: 'forbidden', message: 'This page is for the portal\'s administrators.' });
    const robot = await browser.get('/robot/', { accept: 'application/json' });
    expect(robot.status).toBe(403);
    expect(await robot.json()).toEqual({ error: 'forbidden', message: 'only the portal\'s robot clients may use this endpoint' });
  });

  test('wrong passwords and unknown users get the same message', async () => {
    const browser = new Jar(a.url);
    for (const [username, password] of [['admin', 'wrong'], ['nobody-here', 'whatever1'], ['', '']]) {
      const form = await browser.form('/accounts/login/');
      const response = await browser.post('/accounts/login/', { ...form, username, password });
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('The username or password is not right.');
    }
  });

  test('signing out (POST with CSRF) ends the session; the old CSRF token is refused afterwards', async () => {
    const browser = await signedUp(a);
    const form = await browser.form('/accounts/logout/');
    expect((await browser.post('/accounts/logout/', form)).status).toBe(303);
    expect((await browser.get('/private/')).status).toBe(302);
    const again = await browser.post('/accounts/logout/', form);
    expect(again.status).toBe(403);
  });
});

describe('CSRF', () => {
  test('a form without its token, with another session\'s token, or with a made-up one is refused with 403', async () => {
    const browser = new Jar(a.url);
    await browser.form('/accounts/login/');
    const other = new Jar(a.url);
    const otherForm = await other.form('/accounts/login/');
    for (const csrf of [undefined, otherForm._csrf, 'AAAA', 'x'.repeat(5000)]) {
      const response = await browser.post('/accounts/login/', { ...(csrf !== undefined ? { _csrf: csrf } : {}), username: 'admin', password: 'admin-password-1' });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('The form has expired');
    }
    const api = await fetch(`${a.url}/accounts/login/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin' });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: 'csrf_failed', message: expect.stringContaining('without a valid CSRF token') });
  });
});

/** A browser with a fresh account, signed in on `r`. */
export async function signedUp(r: Replica): Promise<Jar> {
  const browser = new Jar(r.url);
  const username = unique('u');
  const form = await browser.form('/accounts/register/');
  const response = await browser.post('/accounts/register/', { ...form, username, email: `${username}@example.com`, password: 'a good password', confirm: 'a good password' });
  if (response.status !== 303) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return browser;
}
