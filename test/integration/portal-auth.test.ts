/**
 * Portal authentication on the real control plane, with two app instances standing in for two replicas of one
 * portal: they share signing keys and accounts through Secrets in the portal namespace, created by the portal's
 * own ServiceAccount (so its Role is proven to be enough). Browsers are played by a small cookie-keeping client.
 */
import Fastify, { type FastifyInstance } from 'fastify';

import { type AuthHandle, type AuthOptions, registerAuth } from '../../src/portal/auth/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { freePort, Jar, portalClient, preparePortalNamespace } from './portal-auth-support.js';

const PORTAL = 'pa';
const NAMESPACE = `${PORTAL}-ui`;
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let client: KubeClient;
const apps: FastifyInstance[] = [];

interface Replica {
  url: string;
  auth: AuthHandle;
  app: FastifyInstance;
}

async function replica(options: Partial<AuthOptions> = {}, portalName = PORTAL): Promise<Replica> {
  const port = await freePort();
  const app = Fastify({ logger: false });
  const auth = await registerAuth(app, {
    client,
    portalName,
    portalNamespace: NAMESPACE,
    publicUrl: `http://127.0.0.1:${port}`,
    secureCookies: false,
    admin: { username: 'admin', password: 'admin-password-1' },
    ...options,
  });
  app.get('/private/', { preHandler: auth.requireUser }, async (request) => ({ identity: request.identity }));
  app.post('/private/', { preHandler: [auth.requireUser, auth.verifyCsrf] }, async (request) => ({ posted: true, identity: request.identity }));
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
    const registered = await browser.post('/accounts/register/', {
      ...form,
      username,
      email: `${username}@example.com`,
      password: 'analytical engine',
      confirm: 'analytical engine',
    });
    expect(registered.status).toBe(303);
    expect(registered.headers.get('location')).toBe('/');
    const secret = await admin.list<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>('v1', 'Secret', {
      namespace: NAMESPACE,
      labelSelector: 'training.cdk8s-workshops.dev/component=portal-account',
    });
    const mine = secret.find((s) => Buffer.from(s.data.username, 'base64').toString() === username)!;
    expect(Buffer.from(mine.data.passwordHash, 'base64').toString()).toMatch(/^scrypt\$/);

    const other = new Jar(b.url);
    const login = await other.form('/accounts/login/');
    const signedIn = await other.post('/accounts/login/', { ...login, username, password: 'analytical engine' });
    expect(signedIn.status).toBe(303);
    expect(await (await other.get('/private/')).json()).toEqual({
      identity: { id: username, username, email: `${username}@example.com`, kind: 'registered' },
    });
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
    expect(await api.json()).toEqual({
      error: 'unauthorized',
      message: 'sign in, or send an OAuth2 access token in the Authorization: Bearer header',
    });
  });

  test('a form sent after the session ended goes to sign in (303) without next; signed in, the same form passes', async () => {
    const browser = new Jar(a.url);
    const form = await browser.form('/accounts/login/');
    const response = await browser.post('/private/', form);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/accounts/login/');
    await browser.post('/accounts/login/', { ...form, username: 'admin', password: 'admin-password-1' });
    const signedIn = await browser.form('/accounts/logout/');
    const posted = await browser.post('/private/', signedIn, { accept: 'application/json' });
    expect(await posted.json()).toEqual({ posted: true, identity: { id: 'admin', username: 'admin', kind: 'admin' } });
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
    expect(await api.json()).toEqual({ error: 'forbidden', message: "This page is for the portal's administrators." });
    const robot = await browser.get('/robot/', { accept: 'application/json' });
    expect(robot.status).toBe(403);
    expect(await robot.json()).toEqual({ error: 'forbidden', message: "only the portal's robot clients may use this endpoint" });
  });

  test('wrong passwords and unknown users get the same message', async () => {
    const browser = new Jar(a.url);
    for (const [username, password] of [
      ['admin', 'wrong'],
      ['nobody-here', 'whatever1'],
      ['', ''],
    ]) {
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
  test("a form without its token, with another session's token, or with a made-up one is refused with 403", async () => {
    const browser = new Jar(a.url);
    await browser.form('/accounts/login/');
    const other = new Jar(a.url);
    const otherForm = await other.form('/accounts/login/');
    for (const csrf of [undefined, otherForm._csrf, 'AAAA', 'x'.repeat(5000)]) {
      const response = await browser.post('/accounts/login/', {
        ...(csrf !== undefined ? { _csrf: csrf } : {}),
        username: 'admin',
        password: 'admin-password-1',
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('The form has expired');
    }
    const api = await fetch(`${a.url}/accounts/login/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=admin',
    });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: 'csrf_failed', message: expect.stringContaining('without a valid CSRF token') });
  });
});

/** A browser with a fresh account, signed in on `r`. */
export async function signedUp(r: Replica): Promise<Jar> {
  const browser = new Jar(r.url);
  const username = unique('u');
  const form = await browser.form('/accounts/register/');
  const response = await browser.post('/accounts/register/', {
    ...form,
    username,
    email: `${username}@example.com`,
    password: 'a good password',
    confirm: 'a good password',
  });
  if (response.status !== 303) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return browser;
}

describe('rate limits', () => {
  test('sign-in attempts beyond the limit get 429 with Retry-After: a page for browsers, JSON for API clients', async () => {
    const limited = await replica({ rateLimits: { signIn: { max: 3, windowSeconds: 30 } } });
    const browser = new Jar(limited.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const form = await browser.form('/accounts/login/');
      statuses.push((await browser.post('/accounts/login/', { ...form, username: 'admin', password: `guess-${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const form = await browser.form('/accounts/login/');
    const page = await browser.post('/accounts/login/', { ...form, username: 'admin', password: 'admin-password-1' });
    expect(page.status).toBe(429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(page.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect(await page.text()).toMatch(/Too many sign-in attempts from your address\. Try again in \d+ seconds?\./);
    const api = await browser.post('/accounts/login/', { ...form, username: 'admin', password: 'x' }, { accept: 'application/json' });
    expect(api.status).toBe(429);
    expect(await api.json()).toEqual({
      error: 'too_many_requests',
      message: expect.stringMatching(/^Too many sign-in attempts from your address\. Try again in \d+ seconds?\.$/),
    });
    // another user name from the same address still has its own attempts
    expect((await browser.post('/accounts/login/', { ...form, username: 'someone-else', password: 'x' })).status).toBe(401);
  });

  test('a room of learners behind one address registers and signs in within a minute without being limited', async () => {
    const room = await replica();
    const results = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const browser = await signedUp(room);
        const { identity } = (await (await browser.get('/private/', { accept: 'application/json' })).json()) as { identity: { username: string } };
        const logout = await browser.form('/accounts/logout/');
        await browser.post('/accounts/logout/', logout);
        const login = await browser.form('/accounts/login/');
        const mistyped = (await browser.post('/accounts/login/', { ...login, username: identity.username, password: 'a typo password' })).status;
        const again = await browser.form('/accounts/login/');
        return [mistyped, (await browser.post('/accounts/login/', { ...again, username: identity.username, password: 'a good password' })).status];
      }),
    );
    expect(results).toEqual(Array(12).fill([401, 303]));
  });

  test('the token endpoint is limited per address and client', async () => {
    const limited = await replica({ rateLimits: { token: { max: 2, windowSeconds: 30 } } });
    const post = () =>
      fetch(`${limited.url}/oauth2/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=c1&client_secret=x',
      });
    expect([(await post()).status, (await post()).status]).toEqual([401, 401]);
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('access code', () => {
  test('the code in the link (?password=&redirect_url=) opens the gate; requests without a token asking for JSON are gated too', async () => {
    const gated = await replica({ accessCode: 'open sesame' });
    const browser = new Jar(gated.url);
    expect((await browser.get('/')).headers.get('location')).toBe('/workshops/access/');
    const api = await fetch(`${gated.url}/`);
    expect(api.status).toBe(403);
    expect(((await api.json()) as { error: string }).error).toBe('access_code_required');
    const wrong = await browser.get('/workshops/access/?password=nope&redirect_url=%2Fprivate%2F');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('The access code is not right.');
    const right = await browser.get('/workshops/access/?password=open%20sesame&redirect_url=%2Fprivate%2F');
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/private/');
    expect((await browser.get('/')).status).toBe(200);
    // the flag survives signing in and out
    const login = await browser.form('/accounts/login/');
    await browser.post('/accounts/login/', { ...login, username: 'admin', password: 'admin-password-1' });
    const logout = await browser.form('/accounts/logout/');
    await browser.post('/accounts/logout/', logout);
    expect((await browser.get('/')).status).toBe(200);
  });

  test('an empty code is asked for by name', async () => {
    const gated = await replica({ accessCode: 'open sesame' });
    const browser = new Jar(gated.url);
    const form = await browser.form('/workshops/access/');
    const response = await browser.post('/workshops/access/', { ...form, code: '' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Access code is required.');
  });
});

describe('key rotation', () => {
  test('GIVEN a rotated key WHEN a replica started afterwards signs with it THEN the older replicas accept its cookies, and cookies from before still work', async () => {
    const { rotateKeys } = await import('../../src/portal/auth/index.js');
    const before = await signedUp(a);
    const newKey = await rotateKeys(client, NAMESPACE, PORTAL);
    const c = await replica();
    const after = await signedUp(c);
    const cookie = after.cookies.get(`${PORTAL}-session`)!;
    expect(cookie.split('.')[1]).toBe(newKey);
    for (const r of [a, b, c]) {
      after.base = r.url;
      before.base = r.url;
      expect([r.url, (await after.get('/private/')).status]).toEqual([r.url, 200]);
      expect([r.url, (await before.get('/private/')).status]).toEqual([r.url, 200]);
    }
  });
});

describe('odds and ends', () => {
  test('cookies are Secure and __Host- prefixed unless turned off for plain http', async () => {
    const secure = await replica({ secureCookies: true });
    const response = await new Jar(secure.url).get('/accounts/login/');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`__Host-${PORTAL}-session=`))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/domain=/i);
    const plain = (await new Jar(a.url).get('/accounts/login/')).headers.getSetCookie().find((c) => c.startsWith(`${PORTAL}-session=`))!;
    expect(plain).not.toMatch(/Secure/);
  });

  test('robots cannot sign in to the pages, even with the right password', async () => {
    const withRobot = await replica({ robots: [{ clientId: 'c', clientSecret: 's', username: 'robot', password: 'robot-password' }] });
    const browser = new Jar(withRobot.url);
    const form = await browser.form('/accounts/login/');
    const response = await browser.post('/accounts/login/', { ...form, username: 'robot', password: 'robot-password' });
    expect(response.status).toBe(401);
    const register = await browser.form('/accounts/register/');
    const taken = await browser.post('/accounts/register/', {
      ...register,
      username: 'robot',
      email: 'r@example.com',
      password: 'some password',
      confirm: 'some password',
    });
    expect(await taken.text()).toContain('Username &quot;robot&quot; is taken; choose another.');
  });

  test('a user name typed in capitals signs in to the lower-case account', async () => {
    const browser = await signedUp(a);
    const username = String(((await (await browser.get('/private/', { accept: 'application/json' })).json()) as any).identity.username);
    const other = new Jar(b.url);
    const form = await other.form('/accounts/login/');
    expect((await other.post('/accounts/login/', { ...form, username: username.toUpperCase(), password: 'a good password' })).status).toBe(303);
  });

  test('/accounts/create/ makes a guest on guest portals only', async () => {
    const guests = await replica({ registration: 'anonymous' });
    const browser = new Jar(guests.url);
    const created = await browser.get('/accounts/create/?next=%2Fprivate%2F');
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/private/');
    expect(((await (await browser.get('/private/', { accept: 'application/json' })).json()) as any).identity.kind).toBe('anonymous');
    expect((await new Jar(a.url).get('/accounts/create/')).status).toBe(404);
  });

  test('OpenID Connect with the provider unreachable: a 503 page that offers the password instead', async () => {
    const port = await freePort();
    const sso = await replica({ oidc: { issuer: `http://127.0.0.1:${port}`, clientId: 'x', clientSecret: 'y', name: 'Company SSO' } });
    const response = await new Jar(sso.url).get('/accounts/oidc/login/');
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('Company SSO cannot be reached right now. Try again in a minute, or sign in with a password.');
  });
});
