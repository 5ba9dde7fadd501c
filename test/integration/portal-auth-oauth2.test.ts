/**
 * The portal's OAuth2 server on the real control plane, across two replicas sharing their keys and the token
 * ConfigMap: robots' password and client-credentials grants, refresh, revocation, the session dashboards'
 * authorization-code flow (CONTRACTS.md), and every refusal with its exact RFC 6749 error.
 */
import Fastify, { type FastifyInstance } from 'fastify';

import { type AuthOptions, type Identity, registerAuth } from '../../src/portal/auth/index.js';
import { KubeClient } from '../../src/runtime/index.js';
import { waitFor } from '../support/portal-fixture.js';
import { freePort, Jar, portalClient, preparePortalNamespace } from './portal-auth-support.js';

const PORTAL = 'pao';
const NAMESPACE = `${PORTAL}-ui`;
const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let client: KubeClient;
const apps: FastifyInstance[] = [];

const ROBOT = { clientId: 'robot-client', clientSecret: 'robot-client-secret', username: 'robot@pao', password: 'robot-password' };
const OTHER_ROBOT = { clientId: 'other-robot', clientSecret: 'other-secret', username: 'other@pao', password: 'other-password' };
const DASHBOARD = 'http://127.0.0.1:9';
/** The sessions the portal knows, as PORTAL-APP's runtime would answer for them. */
const SESSIONS: Record<string, { owner: string; secret: string; origins: string[] }> = {
  'pao-w-s001': {
    owner: 'owner1',
    secret: 'config-password-1',
    origins: ['http://pao-w-s001.workshops.test', 'http://editor-pao-w-s001.workshops.test:80/'],
  },
};
const OWNER: Identity = { id: 'owner1', username: 'owner1', kind: 'registered' };

const options: Partial<AuthOptions> = {
  robots: [ROBOT, OTHER_ROBOT],
  devDashboardOrigins: [DASHBOARD],
  sessionAccess: (session, identity) => {
    const s = SESSIONS[session];
    if (!s) return 'unknown';
    return identity.kind === 'admin' ? 'staff' : identity.id === s.owner ? 'owner' : 'denied';
  },
  sessionOrigins: (session) => SESSIONS[session]?.origins,
  sessionClientSecret: (session) => SESSIONS[session]?.secret,
};

interface Replica {
  url: string;
  app: FastifyInstance;
}
let a: Replica;
let b: Replica;

async function replica(): Promise<Replica> {
  const port = await freePort();
  const app = Fastify({ logger: false });
  const auth = await registerAuth(app, {
    client,
    portalName: PORTAL,
    portalNamespace: NAMESPACE,
    publicUrl: `http://127.0.0.1:${port}`,
    secureCookies: false,
    admin: { username: 'admin', password: 'admin-password-1' },
    ...options,
  });
  app.get('/api/me/', { preHandler: auth.requireUser }, async (request) => ({ identity: request.identity, token: auth.tokenOf(request) }));
  app.get('/api/robot/', { preHandler: auth.requireRobot }, async (request) => ({ identity: request.identity }));
  // what a session dashboard calls with the token it got through the authorization-code flow
  app.get('/workshops/session/:session/authorize/', { preHandler: auth.requireUser }, async (request) => ({
    identity: request.identity,
    token: auth.tokenOf(request),
  }));
  app.post('/test/sign-in-as/', async (request, reply) => {
    // stands in for whatever signed the learner in (registration, OIDC): the portal's own signIn
    auth.signIn(request, reply, request.body as Identity);
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port });
  apps.push(app);
  return { url: `http://127.0.0.1:${port}`, app };
}

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

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function token(r: Replica, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${r.url}/oauth2/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
}

const robotToken = (r: Replica) =>
  token(
    r,
    { grant_type: 'password', username: ROBOT.username, password: ROBOT.password },
    { authorization: basic(ROBOT.clientId, ROBOT.clientSecret) },
  );
const me = (r: Replica, accessToken: string) => fetch(`${r.url}/api/me/`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('robots', () => {
  test('password grant with HTTP Basic client credentials answers like Educates, and the token works on the other replica', async () => {
    const issued = await robotToken(a);
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body).toEqual({
      access_token: expect.any(String),
      expires_in: 36000,
      token_type: 'Bearer',
      scope: 'user:info',
      refresh_token: expect.any(String),
    });
    const onB = await fetch(`${b.url}/api/robot/`, { headers: { authorization: `Bearer ${issued.body.access_token}` } });
    expect(await onB.json()).toEqual({ identity: { id: 'robot@pao', username: 'robot@pao', kind: 'robot' } });
  });

  test('client credentials in the body work too; client_credentials grant gives no refresh token', async () => {
    const body = await token(b, {
      grant_type: 'password',
      username: ROBOT.username,
      password: ROBOT.password,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(body.status).toBe(200);
    const cc = await token(a, { grant_type: 'client_credentials', client_id: ROBOT.clientId, client_secret: ROBOT.clientSecret });
    expect(cc.body).toEqual({ access_token: expect.any(String), expires_in: 36000, token_type: 'Bearer', scope: 'user:info' });
    expect(await (await me(b, cc.body.access_token)).json()).toEqual({
      identity: { id: 'robot@pao', username: 'robot@pao', kind: 'robot' },
      token: { clientId: 'robot-client', scope: 'user:info' },
    });
  });

  test("the admin may get a token with the robot client; a learner's token is refused by requireRobot", async () => {
    const issued = await token(
      a,
      { grant_type: 'password', username: 'admin', password: 'admin-password-1' },
      { authorization: basic(ROBOT.clientId, ROBOT.clientSecret) },
    );
    expect(issued.status).toBe(200);
    const robotOnly = await fetch(`${a.url}/api/robot/`, { headers: { authorization: `Bearer ${issued.body.access_token}` } });
    expect(robotOnly.status).toBe(403);
  });

  test('refresh on the other replica rotates the refresh token; using the old one again revokes the whole grant', async () => {
    const first = await robotToken(a);
    const refreshed = await token(b, {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(refreshed.body).toEqual({
      access_token: expect.any(String),
      expires_in: 36000,
      token_type: 'Bearer',
      scope: 'user:info',
      refresh_token: expect.any(String),
    });
    expect(refreshed.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await me(a, refreshed.body.access_token)).status).toBe(200);
    const replay = await token(a, {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(replay).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'The refresh token was already used; every token of its grant is now revoked.' },
    });
    await waitFor(
      'the grant revoked on both replicas',
      async () => (await me(a, refreshed.body.access_token)).status === 401 && (await me(b, refreshed.body.access_token)).status === 401,
      10_000,
    );
    const again = await token(b, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'The refresh token was revoked.' });
  });

  test('an access token revoked on one replica is refused on the other', async () => {
    const issued = await robotToken(a);
    expect((await me(b, issued.body.access_token)).status).toBe(200);
    const revoke = await fetch(`${a.url}/oauth2/revoke-token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(ROBOT.clientId, ROBOT.clientSecret) },
      body: new URLSearchParams({ token: issued.body.access_token }).toString(),
    });
    expect(revoke.status).toBe(200);
    const refused = await waitFor(
      'the revocation to reach replica B',
      async () => {
        const response = await me(b, issued.body.access_token);
        return response.status === 401 ? response : undefined;
      },
      10_000,
    );
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await refused.json()).toEqual({ error: 'unauthorized', message: 'the access token was revoked' });
    // the refresh token of the same grant still works: only the access token was revoked
    const refreshed = await token(b, {
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(refreshed.status).toBe(200);
  });

  test('revoking a refresh token ends its grant: access and refresh tokens are refused everywhere', async () => {
    const issued = await robotToken(b);
    await fetch(`${b.url}/oauth2/revoke-token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: issued.body.refresh_token, client_id: ROBOT.clientId, client_secret: ROBOT.clientSecret }).toString(),
    });
    const refused = await token(a, {
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
      client_id: ROBOT.clientId,
      client_secret: ROBOT.clientSecret,
    });
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'The refresh token was revoked.' });
    await waitFor('the access token of the grant refused', async () => (await me(a, issued.body.access_token)).status === 401, 10_000);
  });
});

describe('refusals of the token endpoint', () => {
  const robotBasic = { authorization: basic(ROBOT.clientId, ROBOT.clientSecret) };
  test.each([
    ['no grant_type', {}, robotBasic, 400, 'invalid_request', "The 'grant_type' parameter is required."],
    [
      'unknown grant_type',
      { grant_type: 'implicit' },
      robotBasic,
      400,
      'unsupported_grant_type',
      "The grant_type 'implicit' is not supported: use password, client_credentials, authorization_code or refresh_token.",
    ],
    [
      'no client credentials',
      { grant_type: 'password', username: 'x', password: 'y' },
      {},
      401,
      'invalid_client',
      'Client authentication failed: send client_id and client_secret.',
    ],
    [
      'wrong client secret',
      { grant_type: 'client_credentials' },
      { authorization: basic(ROBOT.clientId, 'nope') },
      401,
      'invalid_client',
      'Client authentication failed.',
    ],
    [
      'unknown client',
      { grant_type: 'client_credentials', client_id: 'who', client_secret: 'x' },
      {},
      401,
      'invalid_client',
      'Client authentication failed.',
    ],
    [
      'malformed Basic header',
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}` },
      401,
      'invalid_client',
      'Client authentication failed: the Authorization header is malformed.',
    ],
    [
      'credentials twice',
      { grant_type: 'client_credentials', client_secret: 'x' },
      robotBasic,
      400,
      'invalid_request',
      'Send the client credentials once: in the Authorization header or in the body, not both.',
    ],
    [
      'wrong robot password',
      { grant_type: 'password', username: ROBOT.username, password: 'guess' },
      robotBasic,
      400,
      'invalid_grant',
      'Invalid credentials given.',
    ],
    [
      "a learner's user name",
      { grant_type: 'password', username: 'owner1', password: 'guess' },
      robotBasic,
      400,
      'invalid_grant',
      'Invalid credentials given.',
    ],
    [
      'missing password',
      { grant_type: 'password', username: ROBOT.username },
      robotBasic,
      400,
      'invalid_request',
      "The 'password' parameter is required.",
    ],
    [
      'a session client asking for the password grant',
      { grant_type: 'password', username: 'a', password: 'b' },
      { authorization: basic('pao-w-s001', 'config-password-1') },
      400,
      'unauthorized_client',
      'This client may not use the password grant.',
    ],
    [
      'a robot asking for the authorization_code grant',
      { grant_type: 'authorization_code', code: 'x' },
      robotBasic,
      400,
      'unauthorized_client',
      'This client may not use the authorization_code grant.',
    ],
    [
      'a made-up refresh token',
      { grant_type: 'refresh_token', refresh_token: 'abc.def.ghi' },
      robotBasic,
      400,
      'invalid_grant',
      'The refresh token is not valid.',
    ],
    [
      'an access token as refresh token',
      { grant_type: 'refresh_token', refresh_token: 'ACCESS' },
      robotBasic,
      400,
      'invalid_grant',
      'The refresh token is not valid.',
    ],
  ])('%s', async (_name, form, headers, status, error, description) => {
    const body: Record<string, string> = { ...form };
    if (body.refresh_token === 'ACCESS') body.refresh_token = (await robotToken(a)).body.access_token;
    const response = await token(a, body, headers);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error, error_description: description });
    if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Basic realm="oauth2"');
  });

  test('a parameter given twice is refused', async () => {
    const response = await fetch(`${a.url}/oauth2/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...robotBasic },
      body: 'grant_type=password&grant_type=client_credentials',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: "The 'grant_type' parameter must be given once, as text." });
  });

  test('a refresh token of another client is refused; a session client may not refresh at all', async () => {
    const issued = await robotToken(a);
    const response = await token(
      a,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token },
      { authorization: basic('pao-w-s001', 'config-password-1') },
    );
    expect(response.body).toEqual({ error: 'unauthorized_client', error_description: 'This client may not use the refresh_token grant.' });
    const other = await token(
      a,
      { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token },
      { authorization: basic(OTHER_ROBOT.clientId, OTHER_ROBOT.clientSecret) },
    );
    expect(other.body).toEqual({ error: 'invalid_grant', error_description: 'The refresh token was issued to another client.' });
  });

  test('Bearer tokens that are made up, tampered with or of the wrong kind give 401 with the reason', async () => {
    const issued = await robotToken(a);
    for (const bad of ['nonsense', `${issued.body.access_token}x`, issued.body.refresh_token]) {
      const response = await me(a, bad);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized', message: 'the access token is not valid' });
    }
  });
});

describe('the session dashboard flow', () => {
  const SESSION = 'pao-w-s001';
  const callback = `${DASHBOARD}/oauth_callback`;
  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `/oauth2/authorize/?${new URLSearchParams({ response_type: 'code', client_id: SESSION, redirect_uri: callback, state: 'st-123', ...extra })}`;

  async function signedIn(r: Replica, identity: Identity): Promise<Jar> {
    const jar = new Jar(r.url);
    await jar.send('/test/sign-in-as/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(identity) });
    return jar;
  }

  async function codeFor(jar: Jar, extra: Record<string, string> = {}): Promise<string> {
    const response = await jar.get(authorizeUrl(extra));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(callback);
    expect(location.searchParams.get('state')).toBe('st-123');
    return location.searchParams.get('code')!;
  }

  const exchange = (r: Replica, code: string, extra: Record<string, string> = {}) =>
    token(r, { grant_type: 'authorization_code', code, redirect_uri: callback, client_id: SESSION, client_secret: 'config-password-1', ...extra });

  test("GIVEN the owner signed in WHEN the dashboard sends them to authorize THEN a code comes back, which the other replica exchanges for the owner's token, good for that session's dashboard calls only", async () => {
    const code = await codeFor(await signedIn(a, OWNER));
    const issued = await exchange(b, code);
    expect(issued.body).toEqual({ access_token: expect.any(String), expires_in: 36000, token_type: 'Bearer', scope: 'user:info' });
    const own = await fetch(`${a.url}/workshops/session/${SESSION}/authorize/`, { headers: { authorization: `Bearer ${issued.body.access_token}` } });
    expect(await own.json()).toEqual({ identity: OWNER, token: { clientId: SESSION, scope: 'user:info' } });
    const elsewhere = await me(a, issued.body.access_token);
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.json()).toEqual({
      error: 'unauthorized',
      message: `the access token was issued to the dashboard of session ${SESSION}: it is good only for that session's sign-in, schedule and extension`,
    });
    // used once on B, refused on A
    expect((await exchange(a, code)).body).toEqual({ error: 'invalid_grant', error_description: 'The authorization code was already used.' });
  });

  test('one code redeemed on both replicas at the same moment: exactly one gets a token', async () => {
    const code = await codeFor(await signedIn(a, OWNER));
    const results = await Promise.all([exchange(a, code), exchange(b, code), exchange(a, code), exchange(b, code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
  });

  test('the admin is staff and gets a code too; another learner gets a 403 page', async () => {
    expect(await codeFor(await signedIn(b, { id: 'admin', username: 'admin', kind: 'admin' }))).toBeTruthy();
    const stranger = await signedIn(a, { id: 'someone', username: 'someone', kind: 'registered' });
    const response = await stranger.get(authorizeUrl());
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('This workshop session belongs to someone else.');
  });

  test('nobody signed in: sent to sign in, with the authorize URL as next', async () => {
    const response = await new Jar(a.url).get(authorizeUrl());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/accounts/login/?next=${encodeURIComponent(authorizeUrl())}`);
  });

  test('a session origin is accepted as redirect_uri; other addresses, unknown sessions and broken requests are refused without redirecting', async () => {
    const jar = await signedIn(a, OWNER);
    const ok = await jar.get(authorizeUrl({ redirect_uri: 'http://editor-pao-w-s001.workshops.test/oauth_callback' }));
    expect(ok.status).toBe(302);
    const cases: Array<[Record<string, string>, number, string]> = [
      [
        { redirect_uri: 'http://evil.example/oauth_callback' },
        400,
        'The address http://evil.example/oauth_callback is not one of this session&#39;s dashboards.',
      ],
      [{ redirect_uri: `${DASHBOARD}/elsewhere` }, 400, 'is not one of this session&#39;s dashboards.'],
      [{ redirect_uri: 'not a url' }, 400, 'redirect_uri must be the session&#39;s /oauth_callback address.'],
      [{ client_id: 'pao-w-s999' }, 404, 'This workshop session does not exist or has ended.'],
      [{ client_id: '../etc' }, 400, 'client_id must be the name of a session.'],
      [{ response_type: 'token' }, 400, 'response_type must be code.'],
    ];
    for (const [extra, status, text] of cases) {
      const response = await jar.get(authorizeUrl(extra));
      expect([extra, response.status]).toEqual([extra, status]);
      expect(await response.text()).toContain(text);
    }
  });

  test("exchange refusals: wrong session secret, another session's code, wrong redirect_uri, PKCE", async () => {
    const jar = await signedIn(a, OWNER);
    expect((await exchange(a, await codeFor(jar), { client_secret: 'wrong' })).body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    expect((await exchange(a, await codeFor(jar), { redirect_uri: 'http://pao-w-s001.workshops.test/oauth_callback' })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The redirect_uri does not match the one of the authorization request.',
    });
    expect((await exchange(a, 'made.up.code')).body).toEqual({ error: 'invalid_grant', error_description: 'The authorization code is not valid.' });
    const verifier = 'a-very-long-code-verifier-with-enough-entropy-0123456789';
    const challenge = (await import('node:crypto')).createHash('sha256').update(verifier).digest('base64url');
    const pkceCode = await codeFor(jar, { code_challenge: challenge, code_challenge_method: 'S256' });
    expect((await exchange(a, pkceCode, { code_verifier: 'wrong' })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The code_verifier does not match the code_challenge.',
    });
    expect((await exchange(a, pkceCode, { code_verifier: verifier })).status).toBe(200);
  });
});
