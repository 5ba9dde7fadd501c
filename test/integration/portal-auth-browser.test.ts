/**
 * Signing in as a learner does it, in real Chromium against a portal app on the control plane: registering,
 * signing out and in, being sent to sign in first, the event access code, guests, and OpenID Connect through the
 * real pages of a real provider (npm oidc-provider).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';

import { Labels } from '../../src/constructs/index.js';
import { html } from '../../src/content/html.js';
import { type AuthOptions, registerAuth } from '../../src/portal/auth/index.js';
import { csrfField } from '../../src/portal/web/layout.js';
import { KubeClient } from '../../src/runtime/index.js';
import { launchBrowser } from '../support/browser.js';
import { startOidcProvider, type TestProvider } from '../support/oidc-provider.js';
import { freePort, portalClient, preparePortalNamespace } from './portal-auth-support.js';

const NAMESPACE = 'pab-ui';
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let client: KubeClient;
let browser: Browser;
let provider: TestProvider;
const apps: FastifyInstance[] = [];

async function portal(portalName: string, options: Partial<AuthOptions> = {}, port?: number): Promise<string> {
  port ??= await freePort();
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
  app.get('/', async (request, reply) =>
    reply.type('text/html').send(html`<h1>Catalog</h1><p id="who">${request.identity?.id ?? 'nobody'}</p>`.toString()),
  );
  app.get('/private/', { preHandler: auth.requireUser }, async (request, reply) =>
    reply.type('text/html').send(
      html`<h1>Private</h1><p id="who">${request.identity!.id}</p><p id="kind">${request.identity!.kind}</p>
<form method="post" action="/accounts/logout/">${csrfField(auth.csrfToken(request))}<button id="sign-out" type="submit">Sign out</button></form>`.toString(),
    ),
  );
  await app.listen({ host: '127.0.0.1', port });
  apps.push(app);
  return `http://127.0.0.1:${port}`;
}

let plain: string;
let sso: string;
const firstSignIns: string[] = [];

beforeAll(async () => {
  await preparePortalNamespace(admin, 'pab');
  client = await portalClient(admin, NAMESPACE);
  const ssoPort = await freePort();
  provider = await startOidcProvider({
    redirectUris: [`http://127.0.0.1:${ssoPort}/accounts/oidc/callback/`],
    users: [{ login: 'grace', name: 'Grace Hopper', email: 'grace@example.com' }],
  });
  plain = await portal('pab');
  sso = await portal(
    'pab',
    {
      oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, name: 'Test SSO' },
      onFirstSignIn: (identity) => firstSignIns.push(identity.id),
    },
    ssoPort,
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(apps.map((app) => app.close()));
  await provider?.close();
  await client?.close();
  await admin.close();
});

async function fresh(): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

const whoIs = async (page: Page) => page.textContent('#who');

test('a learner registers, signs out and signs in again; an unauthenticated visit goes to sign in and comes back', async () => {
  const page = await fresh();
  const username = `ada${Date.now().toString(36)}`;
  await page.goto(`${plain}/private/`);
  expect(new URL(page.url()).pathname).toBe('/accounts/login/');
  await page.click('text=Register');
  expect(new URL(page.url()).pathname).toBe('/accounts/register/');

  // first with mistakes: the page names each field
  await page.fill('#f-username', username);
  await page.fill('#f-email', 'not-an-email');
  await page.fill('#f-password', 'short');
  await page.fill('#f-confirm', 'short');
  await page.click('main button[type=submit]');
  expect(await page.textContent('#f-email-error')).toBe('Email must be an address such as ada@example.com.');
  expect(await page.textContent('#f-password-error')).toBe('Password must have at least 8 characters.');
  expect(await page.inputValue('#f-username')).toBe(username);

  await page.fill('#f-email', `${username}@example.com`);
  await page.fill('#f-password', 'analytical engine');
  await page.fill('#f-confirm', 'analytical engine');
  await page.click('main button[type=submit]');
  expect(new URL(page.url()).pathname).toBe('/private/');
  expect(await whoIs(page)).toBe(username);

  await page.click('#sign-out');
  expect(new URL(page.url()).pathname).toBe('/');
  expect(await whoIs(page)).toBe('nobody');

  await page.goto(`${plain}/private/`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', 'wrong password');
  await page.click('main button[type=submit]');
  expect(await page.textContent('[role=alert]')).toBe('The username or password is not right.');
  await page.fill('#f-password', 'analytical engine');
  await page.click('main button[type=submit]');
  expect(new URL(page.url()).pathname).toBe('/private/');
  expect(await whoIs(page)).toBe(username);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'pab-session')!;
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  await page.context().close();
});

async function signInWithSso(): Promise<Page> {
  const page = await fresh();
  await page.goto(`${sso}/private/`);
  await page.click('text=Sign in with Test SSO');
  expect(page.url().startsWith(provider.issuer)).toBe(true);
  await page.fill('input[name=login]', 'grace');
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  if (page.url().startsWith(provider.issuer)) await page.click('button[type=submit]'); // consent
  await page.waitForURL(`${sso}/private/`);
  return page;
}

test("OpenID Connect: sign in through the provider's own login and consent pages", async () => {
  const page = await signInWithSso();
  expect(await whoIs(page)).toBe(`oidc:${new URL(provider.issuer).host}:grace`);
  expect(await page.textContent('#kind')).toBe('oidc');
  await page.context().close();
});

test('OpenID Connect: the first sign-in of an identity is reported once (User/Create), a later one not again', async () => {
  const id = `oidc:${new URL(provider.issuer).host}:grace`;
  // the first sign-in may have been the test above: either way, exactly one report for this identity so far
  if (!firstSignIns.includes(id)) await (await signInWithSso()).context().close();
  expect(firstSignIns.filter((s) => s === id)).toHaveLength(1);
  await (await signInWithSso()).context().close();
  expect(firstSignIns.filter((s) => s === id)).toHaveLength(1);
  // the record every replica sees, made with the portal's own ServiceAccount: the identity, nothing secret
  const records = await admin.list<{ data?: Record<string, string> }>('v1', 'ConfigMap', {
    namespace: NAMESPACE,
    labelSelector: `${Labels.COMPONENT}=portal-user`,
  });
  expect(records.map((r) => r.data?.id)).toContain(id);
  expect(Object.keys(records.find((r) => r.data?.id === id)!.data!).sort()).toEqual(['firstSignIn', 'id']);
});

test('OpenID Connect: a learner who cancels at the provider comes back to a page that says so, still signed out', async () => {
  const page = await fresh();
  await page.goto(`${sso}/accounts/login/`);
  await page.click('text=Sign in with Test SSO');
  await page.click('text=[ Cancel ]');
  await page.waitForURL((url) => url.toString().startsWith(`${sso}/accounts/oidc/callback/`));
  expect(await page.textContent('h1')).toBe('Signing in with Test SSO failed');
  expect(await page.textContent('main')).toContain('Test SSO did not sign you in: End-User aborted interaction');
  await page.goto(`${sso}/`);
  expect(await whoIs(page)).toBe('nobody');
  await page.context().close();
});

test('OpenID Connect: a callback without the sign-in started here is refused with a readable page', async () => {
  const page = await fresh();
  const response = await page.goto(`${sso}/accounts/oidc/callback/?code=abc&state=xyz`);
  expect(response!.status()).toBe(400);
  expect(await page.textContent('main')).toContain('The sign-in took longer than 10 minutes, or was started in another browser.');
  await page.context().close();
});

test('the event access code: every page leads to it until it is entered; a wrong code says so', async () => {
  const gated = await portal('pab', { accessCode: 'event-2026' });
  const page = await fresh();
  await page.goto(`${gated}/private/`);
  expect(new URL(page.url()).pathname).toBe('/workshops/access/');
  await page.fill('#f-code', 'guess');
  await page.click('main button[type=submit]');
  expect(await page.textContent('[role=alert]')).toBe('The access code is not right.');
  await page.fill('#f-code', 'event-2026');
  await page.click('main button[type=submit]');
  // through the gate, on to signing in, and back where the learner started
  expect(new URL(page.url()).pathname).toBe('/accounts/login/');
  expect(new URL(page.url()).searchParams.get('next')).toBe('/private/');
  await page.fill('#f-username', 'admin');
  await page.fill('#f-password', 'admin-password-1');
  await page.click('main button[type=submit]');
  expect(await whoIs(page)).toBe('admin');
  await page.context().close();
});

test('anonymous portals give every new browser a guest identity', async () => {
  const guests = await portal('pab', { registration: 'anonymous' });
  const first = await fresh();
  await first.goto(`${guests}/private/`);
  const id = await whoIs(first);
  expect(id).toMatch(/^anon@pab:[0-9a-f-]{36}$/);
  await first.reload();
  expect(await whoIs(first)).toBe(id);
  const second = await fresh();
  await second.goto(`${guests}/private/`);
  expect(await whoIs(second)).not.toBe(id);
  await second.goto(`${guests}/accounts/register/`);
  expect(await second.textContent('main')).toContain('This portal needs no account');
  await first.context().close();
  await second.context().close();
});

test('registration disabled: learners cannot register or sign in, the admin can', async () => {
  const closed = await portal('pab', { registration: 'disabled' });
  const page = await fresh();
  await page.goto(`${closed}/private/`);
  expect(await page.locator('text=Register').count()).toBe(0);
  await page.fill('#f-username', 'someone');
  await page.fill('#f-password', 'some password');
  await page.click('main button[type=submit]');
  expect(await page.textContent('[role=alert]')).toBe('Only the administrator can sign in to this portal.');
  await page.fill('#f-username', 'admin');
  await page.fill('#f-password', 'admin-password-1');
  await page.click('main button[type=submit]');
  expect(await whoIs(page)).toBe('admin');
  await page.context().close();
});
