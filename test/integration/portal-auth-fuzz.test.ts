/**
 * A fuzz pass over everything of portal authentication that takes input: the form fields of sign-in,
 * registration, access code and sign-out, the token and revocation endpoints' parameters, the authorization
 * endpoint's query, and the Authorization and Cookie headers. Random and edge values (empty, huge, control
 * characters, broken percent-encoding, repeated keys, wrong JSON types, wrong content types). Whatever comes in:
 * no 5xx, and no stack trace or internal detail in any answer. Seeded, so a failure can be replayed.
 */
import Fastify, { type FastifyInstance } from 'fastify';

import { registerAuth } from '../../src/portal/auth/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { freePort, Jar, portalClient, preparePortalNamespace } from './portal-auth-support.js';

const PORTAL = 'paf';
const NAMESPACE = `${PORTAL}-ui`;
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 250);
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let client: KubeClient;
let app: FastifyInstance;
let url: string;

/** mulberry32: small, seedable, good enough to pick test inputs. */
function prng(seed: number) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const EDGE_STRINGS = [
  '',
  ' ',
  'a',
  'admin',
  'robot@paf',
  'paf-w-s001',
  '\u0000',
  '\r\n',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '+',
  '&',
  '=',
  '..',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '"\'><img src=x onerror=alert(1)>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '\u202e\u0301\ud83d\ude00',
  '\ud800',
  'é'.repeat(300),
  'x'.repeat(5000),
  'y'.repeat(70_000),
  'a.b.c',
  'AAAA.BBBB.CCCC',
  'Bearer',
  'Basic Og==',
  'http://evil.example/oauth_callback',
  'javascript:alert(1)',
  '//evil.example',
  '/\\evil',
  'password',
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'code',
  'S256',
];

/** Percent-encodes every byte (unlike encodeURIComponent, this takes lone surrogates too). */
const enc = (value: string) => [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

function randomString(): string {
  const r = random();
  if (r < 0.6) return pick(EDGE_STRINGS);
  const length = Math.floor(random() * (r < 0.9 ? 40 : 3000));
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(random() * (random() < 0.8 ? 128 : 0xffff)));
  return s;
}

function randomJsonValue(depth = 0): unknown {
  const r = random();
  if (r < 0.4 || depth > 2) return randomString();
  if (r < 0.5) return Math.floor(random() * 1e9) * (random() < 0.5 ? -1 : 1);
  if (r < 0.6) return null;
  if (r < 0.7) return random() < 0.5;
  if (r < 0.85) return [randomJsonValue(depth + 1), randomJsonValue(depth + 1)];
  return { [randomString().slice(0, 20)]: randomJsonValue(depth + 1), $ne: 1 };
}

const FIELDS: Record<string, string[]> = {
  '/accounts/login/': ['username', 'password', 'next', '_csrf'],
  '/accounts/register/': ['username', 'email', 'password', 'confirm', 'next', '_csrf'],
  '/workshops/access/': ['code', 'next', '_csrf'],
  '/accounts/logout/': ['_csrf'],
  '/oauth2/token/': [
    'grant_type',
    'username',
    'password',
    'client_id',
    'client_secret',
    'code',
    'redirect_uri',
    'refresh_token',
    'code_verifier',
    'scope',
  ],
  '/oauth2/revoke-token/': ['token', 'token_type_hint', 'client_id', 'client_secret'],
};

/** A random body for `path`: form-encoded (sometimes broken), JSON of random types, or another content type. */
function randomBody(path: string, csrf: string): { body: string; contentType: string } {
  const fields = FIELDS[path];
  const r = random();
  if (r < 0.6) {
    const parts: string[] = [];
    for (const name of fields) {
      if (random() < 0.2) continue;
      const value = name === '_csrf' && random() < 0.6 ? csrf : randomString();
      parts.push(`${enc(name)}=${random() < 0.1 ? value : enc(value)}`);
      if (random() < 0.1) parts.push(`${name}=again`);
    }
    if (random() < 0.1) parts.push(`${randomString()}=${randomString()}`);
    return { body: parts.join('&'), contentType: 'application/x-www-form-urlencoded' };
  }
  if (r < 0.85) {
    const body: Record<string, unknown> = {};
    for (const name of fields) if (random() < 0.8) body[name] = name === '_csrf' && random() < 0.5 ? csrf : randomJsonValue();
    return { body: random() < 0.1 ? '{"broken": ' : JSON.stringify(random() < 0.1 ? [body] : body), contentType: 'application/json' };
  }
  return {
    body: randomString(),
    contentType: pick(['text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/x-www-form-urlencoded; charset=latin1', '']),
  };
}

function randomAuthorization(): string | undefined {
  const r = random();
  if (r < 0.3) return undefined;
  if (r < 0.5) return `Bearer ${randomString().replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, '')}`;
  if (r < 0.7) return `Basic ${Buffer.from(`${randomString()}:${randomString()}`).toString('base64')}`;
  if (r < 0.8) return `Basic ${randomString().replace(/[^\x20-\x7e]/g, '')}`;
  return randomString().replace(/[^\x20-\x7e]/g, '');
}

const STACK = /\n\s+at |node_modules|\/work\/|TypeError|ReferenceError|SyntaxError: Unexpected|KubeError|ECONNREFUSED/;

beforeAll(async () => {
  await preparePortalNamespace(admin, PORTAL);
  client = await portalClient(admin, NAMESPACE);
  const port = await freePort();
  app = Fastify({ logger: false });
  await registerAuth(app, {
    client,
    portalName: PORTAL,
    portalNamespace: NAMESPACE,
    publicUrl: `http://127.0.0.1:${port}`,
    secureCookies: false,
    admin: { username: 'admin', password: 'admin-password-1' },
    accessCode: 'fuzzy',
    registration: 'one-step',
    robots: [{ clientId: 'robot', clientSecret: 'robot-secret', username: 'robot@paf', password: 'robot-password' }],
    devDashboardOrigins: ['http://127.0.0.1:9'],
    sessionAccess: (session) => (session === 'paf-w-s001' ? 'owner' : 'unknown'),
    sessionOrigins: (session) => (session === 'paf-w-s001' ? ['http://paf-w-s001.workshops.test'] : undefined),
    sessionClientSecret: (session) => (session === 'paf-w-s001' ? 'config-password' : undefined),
    // high limits, so that the fuzzer reaches the handlers rather than the limiter
    rateLimits: {
      signIn: { max: 10_000, windowSeconds: 60 },
      registration: { max: 10_000, windowSeconds: 60 },
      accessCode: { max: 10_000, windowSeconds: 60 },
      token: { max: 10_000, windowSeconds: 60 },
    },
  });
  url = await app.listen({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await app?.close();
  await client?.close();
  await admin.close();
});

function check(what: string, status: number, body: string) {
  if (status >= 500 || STACK.test(body)) throw new Error(`${what} → ${status}: ${body.slice(0, 500)} (seed ${SEED})`);
}

test(`${ROUNDS} random POSTs to every form and OAuth2 endpoint: no 5xx, no stack traces`, async () => {
  const jar = new Jar(url);
  const csrf = (await jar.form('/accounts/login/'))._csrf;
  const statuses = new Map<number, number>();
  for (let i = 0; i < ROUNDS; i++) {
    const path = pick(Object.keys(FIELDS));
    const { body, contentType } = randomBody(path, csrf);
    const headers: Record<string, string> = { accept: pick(['text/html', 'application/json', '*/*', '']) };
    if (contentType) headers['content-type'] = contentType;
    const authorization = randomAuthorization();
    if (authorization && path.startsWith('/oauth2/')) headers.authorization = authorization;
    const response = await jar.send(path, { method: 'POST', headers, body });
    const text = await response.text();
    check(`POST ${path} ${JSON.stringify(body).slice(0, 200)}`, response.status, text);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  }
  // the fuzzer got past parsing into the handlers: refusals of several kinds, not only 415s
  expect([...statuses.keys()].filter((s) => [400, 401, 403].includes(s)).length).toBeGreaterThanOrEqual(3);
});

test(`${ROUNDS} random GETs of the authorization endpoint and the pages, with random headers and cookies`, async () => {
  const paths = [
    '/oauth2/authorize/',
    '/accounts/login/',
    '/accounts/register/',
    '/workshops/access/',
    '/accounts/oidc/login/',
    '/accounts/oidc/callback/',
    '/accounts/logout/',
  ];
  const params = [
    'response_type',
    'client_id',
    'redirect_uri',
    'state',
    'code_challenge',
    'code_challenge_method',
    'next',
    'password',
    'redirect_url',
    'code',
    'error',
  ];
  for (let i = 0; i < ROUNDS; i++) {
    const path = pick(paths);
    const query = params
      .filter(() => random() < 0.5)
      .map((p) => `${p}=${random() < 0.15 ? randomString().replace(/[#\s]/g, '') : enc(randomString())}`);
    const headers: Record<string, string> = { accept: pick(['text/html', 'application/json']) };
    const authorization = randomAuthorization();
    if (authorization) headers.authorization = authorization;
    if (random() < 0.3)
      headers.cookie = `${PORTAL}-session=${randomString()
        .replace(/[^\x21-\x7e]/g, '')
        .replace(/;/g, '')}`;
    let response: Response;
    try {
      response = await fetch(`${url}${path}?${query.join('&')}`, { headers, redirect: 'manual' });
    } catch (error) {
      // fetch itself refused to send a header value (not the server's doing)
      if (/header|ByteString|Invalid/i.test((error as Error).message)) continue;
      throw error;
    }
    check(`GET ${path}?${query.join('&').slice(0, 200)}`, response.status, await response.text());
  }
});
