/**
 * The portal's REST API on the real control plane: Educates' paths and shapes, every error path (400, 401, 403,
 * 404, 429, 503), request parameters reaching the session's request Secret, the activation link, the OpenAPI
 * document against the server both ways with real responses validated by its schemas, and a fuzz pass.
 */
import * as http from 'node:http';

import Ajv2020 from 'ajv/dist/2020.js';

import { RequestParameter } from '../../src/constructs/index.js';
import { openApiDocument } from '../../src/portal/openapi.js';
import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, seconds, synthPortal, waitFor } from '../support/portal-fixture.js';
import { type Answer, HttpClient, robotToken } from '../support/portal-http.js';
import { ADMIN, ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
let fixture: Fixture;
let t: TestPortal;
let robot: HttpClient;
let token: string;
const events: Array<{
  portal: Record<string, unknown>;
  event: { name: string; session: string | null; user: string | null; data: Record<string, unknown> };
}> = [];
let webhook: http.Server;
let webhookUrl: string;

// the OpenAPI document's schemas, for validating real answers
const doc = openApiDocument();
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'openapi', components: doc.components } as object);
const validated = new Set<string>();

/** Checks a JSON answer against the document's schema for the operation and status. */
function conforms(method: string, template: string, answer: Answer) {
  const operation = (doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>)[
    template
  ]?.[method.toLowerCase()];
  expect(operation).toBeDefined();
  const response = operation.responses[String(answer.status)];
  if (!response) throw new Error(`${method} ${template}: status ${answer.status} is not documented (${answer.text.slice(0, 200)})`);
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return;
  const resolved = JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"openapi#/components'));
  const validate = ajv.compile(resolved);
  const ok = validate(answer.json());
  if (!ok) throw new Error(`${method} ${template} ${answer.status}: ${ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 500)}`);
  validated.add(`${method} ${template} ${answer.status}`);
}

const api = (path: string, headers: Record<string, string> = {}) => fetchAnswer('GET', path, { authorization: `Bearer ${token}`, ...headers });

async function fetchAnswer(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(t.url + path, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text), location: response.headers.get('location') };
}

beforeAll(async () => {
  webhook = http.createServer((request, response) => {
    let data = '';
    request.on('data', (c) => (data += c));
    request.on('end', () => {
      try {
        events.push(JSON.parse(data));
      } catch {
        /* not JSON: ignored */
      }
      response.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/hook`;

  fixture = synthPortal('papi', [
    {
      name: 'pool',
      capacity: 4,
      reserved: 1,
      expires: seconds(60),
      overtime: seconds(30),
      deadline: seconds(120),
      parameters: [RequestParameter.fixed('GREETING', 'hello'), RequestParameter.fixed('COLOUR', 'blue')],
    },
    { name: 'single', capacity: 1, initial: 0, reserved: 0 },
  ]);
  await applyFixture(client, fixture);
  t = await startTestPortal(client, fixture, { analyticsWebhook: webhookUrl, sessionRequestLimit: { max: 40, windowSeconds: 60 } });
  token = await robotToken(t.url, ROBOT);
  robot = new HttpClient(t.url, { authorization: `Bearer ${token}` });
  await waitFor('a ready reserve of pool', () =>
    t.runtime.state.sessionsOf(fixture.environment('pool')).some((s) => phaseOf(s) === 'Ready' && !s.status?.user),
  );
});

afterAll(async () => {
  await t?.stop();
  await client.close();
  await new Promise((r) => webhook?.close(r));
});

describe('catalog API', () => {
  test('environments: Educates shape with pool counts; sessions only for robots', async () => {
    const answer = await api('/workshops/catalog/environments/?sessions=true');
    expect(answer.status).toBe(200);
    conforms('GET', '/workshops/catalog/environments/', answer);
    const body = answer.json();
    expect(body.portal).toMatchObject({ name: 'papi', generation: 1, sessions: { maximum: 0 } });
    expect(body.portal.uid).toMatch(/^[0-9a-f-]{36}$/);
    const pool = body.environments.find((e: { name: string }) => e.name === 'papi-pool');
    expect(pool).toMatchObject({ state: 'RUNNING', capacity: 4, reserved: 1, duration: 60, workshop: { name: 'pool', title: 'Workshop pool' } });
    expect(pool.sessions.some((s: { state: string }) => s.state === 'WAITING')).toBe(true);
  });

  test('filters: name, labels[…], state; a bad state is a 400 naming the field', async () => {
    expect((await api('/workshops/catalog/environments/?name=single')).json().environments.map((e: { name: string }) => e.name)).toEqual([
      'papi-single',
    ]);
    expect((await api('/workshops/catalog/environments/?labels[nope]=x')).json().environments).toEqual([]);
    expect((await api('/workshops/catalog/environments/?state=stopped')).json().environments).toEqual([]);
    const bad = await api('/workshops/catalog/environments/?state=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: 'bad-request', message: expect.stringContaining("'state'") });
    conforms('GET', '/workshops/catalog/environments/', bad);
  });

  test('workshops: each with its environment', async () => {
    const answer = await api('/workshops/catalog/workshops/');
    conforms('GET', '/workshops/catalog/workshops/', answer);
    expect(answer.json().workshops.map((w: { name: string; environment: { name: string } }) => [w.name, w.environment.name])).toEqual([
      ['pool', 'papi-pool'],
      ['single', 'papi-single'],
    ]);
  });

  test('a private catalog needs a token or a sign-in (401)', async () => {
    const answer = await fetchAnswer('GET', '/workshops/catalog/environments/');
    expect(answer.status).toBe(401);
    conforms('GET', '/workshops/catalog/environments/', answer);
    conforms('GET', '/workshops/catalog/workshops/', await fetchAnswer('GET', '/workshops/catalog/workshops/'));
  });
});

describe('session requests', () => {
  let requested: { name: string; url: string; user: string };

  test('request/ allocates for a learner, with parameters that reach the request Secret', async () => {
    const answer = await robot.request(
      'POST',
      `/workshops/environment/${fixture.environment('pool')}/request/?index_url=${encodeURIComponent('https://lms.example.com/course')}&user=learner-1&email=l1@example.com&first_name=Lee&timeout=120&analytics_url=${encodeURIComponent(`${webhookUrl}?per-session`)}`,
      {
        json: {
          parameters: [
            { name: 'GREETING', value: 'bonjour' },
            { name: 'UNDECLARED', value: 'x' },
          ],
        },
      },
    );
    expect(answer.status).toBe(200);
    conforms('POST', '/workshops/environment/{env}/request/', answer);
    requested = answer.json();
    expect(requested).toMatchObject({
      user: 'learner-1',
      workshop: 'pool',
      environment: 'papi-pool',
      namespace: requested.name,
      session: requested.name,
    });
    expect(requested.url).toMatch(
      new RegExp(`^/workshops/session/${requested.name}/activate/\\?token=[A-Za-z0-9_-]{32}&index_url=https%3A%2F%2Flms.example.com%2Fcourse$`),
    );
    const secret = await waitFor('the request Secret', () =>
      client.get<{ data: Record<string, string> }>('v1', 'Secret', 'workshop-request', requested.name),
    );
    const values = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(values).toEqual({ username: 'learner-1', GREETING: 'bonjour', COLOUR: 'blue' });
    // the token itself is nowhere in the cluster, only its hash
    const session = t.runtime.session(requested.name)!;
    expect(JSON.stringify(session)).not.toContain(new URL(requested.url, 'http://x').searchParams.get('token'));
  });

  test('the same learner asking again gets the same session, with a new link', async () => {
    const again = await api(`/workshops/environment/${fixture.environment('pool')}/request/?index_url=https://lms.example.com/&user=learner-1`);
    expect(again.status).toBe(200);
    expect(again.json().name).toBe(requested.name);
    expect(again.json().url).not.toBe(requested.url);
    // the old link no longer opens it
    const old = await fetchAnswer('GET', requested.url, { accept: 'text/html' });
    expect(old.status).toBe(303);
    expect(old.location).toBe('https://lms.example.com/course?notification=session-invalid');
    // a crafted link cannot make the portal send a browser to another site
    const elsewhere = `&index_url=${encodeURIComponent('https://elsewhere.example/')}`;
    expect((await fetchAnswer('GET', `${requested.url.replace(/&index_url=[^&]*/, '')}${elsewhere}`, { accept: 'text/html' })).status).toBe(403);
    expect((await fetchAnswer('GET', `/workshops/session/papi-nope-s001/activate/?token=x${elsewhere}`, { accept: 'text/html' })).status).toBe(403);
    requested = again.json();
  });

  test('the activation link signs the browser in as the learner and opens the session', async () => {
    const browser = new HttpClient(t.url, { accept: 'text/html' });
    const activated = await browser.get(requested.url);
    expect(activated.status).toBe(303);
    expect(activated.location).toBe(`/workshops/session/${requested.name}/?enter=1`);
    await waitFor('activated', () => t.runtime.session(requested.name)?.status?.activatedAt);
    expect(t.runtime.session(requested.name)!.status!.activationTokenHash).toBeUndefined();
    // signed in as learner-1: the session API answers for its owner
    const schedule = await browser.get(`/workshops/session/${requested.name}/schedule/`, { accept: 'application/json' });
    expect(schedule.status).toBe(200);
    conforms('GET', '/workshops/session/{session}/schedule/', schedule);
    expect(schedule.json()).toMatchObject({ status: 'RUNNING', expiring: true, extendable: true });
    // a link followed from another site carries the cookie, but may not act on the session
    const crossSite = await browser.get(`/workshops/session/${requested.name}/terminate/`, {
      accept: 'application/json',
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json()).toEqual({
      error: 'forbidden',
      message: 'a page of another site cannot act on a session: use the portal, or an OAuth2 access token',
    });
    expect(t.runtime.session(requested.name)!.status!.phase).not.toBe('Terminating');
    // single use
    expect((await new HttpClient(t.url).get(requested.url)).status).toBe(303);
  });

  test('status/ and user/<u>/sessions/ (robots)', async () => {
    const status = await api(`/workshops/environment/${fixture.environment('pool')}/status/?sessions=true`);
    conforms('GET', '/workshops/environment/{env}/status/', status);
    expect(status.json().sessions.find((s: { name: string }) => s.name === requested.name)).toMatchObject({ user: 'learner-1', state: 'RUNNING' });
    const mine = await api('/workshops/user/learner-1/sessions/');
    conforms('GET', '/workshops/user/{user}/sessions/', mine);
    expect(mine.json()).toMatchObject({
      user: 'learner-1',
      sessions: [{ name: requested.name, workshop: 'pool', environment: 'papi-pool', namespace: requested.name }],
    });
    const none = await api('/workshops/user/nobody/sessions/');
    expect(none.json()).toEqual({ user: 'nobody', sessions: [] });
    const missing = await api('/workshops/environment/papi-nope/status/');
    expect(missing.status).toBe(404);
    conforms('GET', '/workshops/environment/{env}/status/', missing);
  });

  test('session API for the robot: schedule, extend, config, authorize, event, terminate', async () => {
    const base = `/workshops/session/${requested.name}`;
    const extended = await api(`${base}/extend/`);
    conforms('GET', '/workshops/session/{session}/extend/', extended);
    expect(extended.json()).toMatchObject({ extended: true, status: 'RUNNING' });
    expect(Date.parse(extended.json().expires)).toBe(Date.parse(t.runtime.session(requested.name)!.status!.deadlineAt!));
    const again = await api(`${base}/extend/`);
    expect(again.json()).toMatchObject({ extended: false, message: expect.stringContaining('deadline') });
    const config = await api(`${base}/config/`);
    conforms('GET', '/workshops/session/{session}/config/', config);
    const secrets = await t.runtime.secretsFor(requested.name);
    expect(config.json()).toEqual({ url: `http://${requested.name}.workshops.127-0-0-1.test`, password: secrets!.config_password });
    const authorize = await api(`${base}/authorize/`);
    conforms('GET', '/workshops/session/{session}/authorize/', authorize);
    expect(authorize.json()).toEqual({ owner: 'learner-1', user: 'robot@educates', staff: false });

    // the dashboard: Basic <session>:<CONFIG_PASSWORD>
    const basic = `Basic ${Buffer.from(`${requested.name}:${secrets!.config_password}`).toString('base64')}`;
    const activity = await fetchAnswer('POST', `${base}/activity/`, { authorization: basic });
    expect(activity.status).toBe(200);
    conforms('POST', '/workshops/session/{session}/activity/', activity);
    expect(activity.json().phase).toBe('Active');
    const wrong = await fetchAnswer('POST', `${base}/activity/`, {
      authorization: `Basic ${Buffer.from(`${requested.name}:nope`).toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
    conforms('POST', '/workshops/session/{session}/activity/', wrong);
    conforms('POST', '/workshops/session/{session}/activity/', await fetchAnswer('POST', `${base}/activity/`));

    const event = await fetchAnswer(
      'POST',
      `${base}/event/`,
      { authorization: basic, 'content-type': 'application/json' },
      JSON.stringify({ event: { name: 'Workshop/View', data: { page: '01-intro' } } }),
    );
    expect(event.status).toBe(200);
    conforms('POST', '/workshops/session/{session}/event/', event);
    const badEvent = await fetchAnswer(
      'POST',
      `${base}/event/`,
      { authorization: basic, 'content-type': 'application/json' },
      JSON.stringify({ event: { data: 1 } }),
    );
    expect(badEvent.status).toBe(400);
    conforms('POST', '/workshops/session/{session}/event/', badEvent);
    await waitFor('the dashboard event at both webhooks', () => events.filter((e) => e.event.name === 'Workshop/View').length === 2);
    expect(events.find((e) => e.event.name === 'Workshop/View')).toMatchObject({
      portal: { name: 'papi', generation: 1 },
      event: { session: requested.name, user: 'learner-1', data: { page: '01-intro' } },
    });

    const ended = await api(`${base}/terminate/`);
    expect(ended.status).toBe(200);
    conforms('GET', '/workshops/session/{session}/terminate/', ended);
    await waitFor(
      'Terminating',
      () =>
        phaseOf(t.runtime.session(requested.name) ?? ({ status: { phase: 'Terminating' } } as never)) === 'Terminating' ||
        !t.runtime.session(requested.name),
    );
    await waitFor('Session/Started, Extended and Terminate events', () =>
      ['Session/Started', 'Session/Extended', 'Session/Terminate'].every((name) =>
        events.some((e) => e.event.name === name && e.event.session === requested.name),
      ),
    );
  });

  test("a reserve cannot be terminated (400), an unknown session is 404, another learner's is 403", async () => {
    const reserve = await waitFor('a reserve', () =>
      t.runtime.state.sessionsOf(fixture.environment('pool')).find((s) => phaseOf(s) === 'Ready' && !s.status?.user),
    );
    const refused = await api(`/workshops/session/${reserve.metadata.name}/terminate/`);
    expect(refused.status).toBe(400);
    conforms('GET', '/workshops/session/{session}/terminate/', refused);
    const unknown = await api('/workshops/session/papi-pool-s999/schedule/');
    expect(unknown.status).toBe(404);
    conforms('GET', '/workshops/session/{session}/schedule/', unknown);

    // learner-2 (through the API) and learner-3 (a registered account) in separate browsers
    const two = (await api(`/workshops/environment/${fixture.environment('pool')}/request/?index_url=https://x.example/&user=learner-2`)).json();
    const b2 = new HttpClient(t.url, { accept: 'text/html' });
    expect((await b2.get(two.url)).status).toBe(303);
    const b3 = new HttpClient(t.url);
    const registered = await b3.request('POST', '/accounts/register/', {
      body: {
        _csrf: await b3.csrf('/accounts/register/'),
        username: 'learner3',
        password: 'a-long-password-3',
        confirm: 'a-long-password-3',
        email: 'l3@example.com',
      },
      headers: { accept: 'text/html' },
    });
    expect([302, 303]).toContain(registered.status);
    for (const op of ['schedule', 'extend', 'config', 'authorize', 'terminate']) {
      const answer = await b3.get(`/workshops/session/${two.name}/${op}/`, { accept: 'application/json' });
      expect([op, answer.status]).toEqual([op, 403]);
      conforms('GET', `/workshops/session/{session}/${op}/`, answer);
    }
    const page = await b3.get(`/workshops/session/${two.name}/`, { accept: 'text/html' });
    expect(page.status).toBe(403);
    expect(page.text).toContain('Not your session');
    // and no token at all: 401
    for (const op of ['schedule', 'extend', 'config', 'authorize', 'terminate']) {
      const answer = await fetchAnswer('GET', `/workshops/session/${two.name}/${op}/`);
      expect([op, answer.status]).toEqual([op, 401]);
      conforms('GET', `/workshops/session/{session}/${op}/`, answer);
    }
  });
});

describe('errors of request/', () => {
  const env = () => fixture.environment('single');
  const request = (query: string, headers: Record<string, string> = {}) =>
    fetchAnswer('GET', `/workshops/environment/${env()}/request/?${query}`, { authorization: `Bearer ${token}`, ...headers });

  test('400 for each malformed parameter, naming it', async () => {
    const cases: Array<[string, string]> = [
      ['', "'index_url' is required"],
      ['index_url=ftp://x', "'index_url'"],
      ['index_url=https://x.example/&email=nope', "'email'"],
      ['index_url=https://x.example/&timeout=-3', "'timeout'"],
      ['index_url=https://x.example/&timeout=abc', "'timeout'"],
      ['index_url=https://x.example/&user=educates', 'staff or robot'],
      ['index_url=https://x.example/&user=robot@educates', 'staff or robot'],
      ['index_url=https://x.example/&user=a%20b', "'user'"],
      ['index_url=https://x.example/&session=Not_A_Name', "'session'"],
      ['index_url=https://x.example/&analytics_url=javascript:alert(1)', "'analytics_url'"],
      [`index_url=https://x.example/&first_name=${'x'.repeat(151)}`, "'first_name'"],
    ];
    for (const [query, message] of cases) {
      const answer = await request(query);
      expect([query, answer.status]).toEqual([query, 400]);
      expect(answer.json().message).toContain(message);
      conforms('GET', '/workshops/environment/{env}/request/', answer);
    }
    const badBody = await fetchAnswer(
      'POST',
      `/workshops/environment/${env()}/request/?index_url=https://x.example/`,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({ parameters: [{ name: '1bad', value: 'x' }] }),
    );
    expect(badBody.status).toBe(400);
    expect(badBody.json().message).toContain("'parameters[0].name'");
    const notJson = await fetchAnswer(
      'POST',
      `/workshops/environment/${env()}/request/?index_url=https://x.example/`,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      '{"parameters": [',
    );
    expect(notJson.status).toBe(400);
    conforms('POST', '/workshops/environment/{env}/request/', notJson);
  });

  test('401 without a token, 403 for a non-robot and for an unknown environment', async () => {
    const none = await fetchAnswer('GET', `/workshops/environment/${env()}/request/?index_url=https://x.example/`);
    expect(none.status).toBe(401);
    conforms('GET', '/workshops/environment/{env}/request/', none);
    const admin = new HttpClient(t.url);
    await admin.signIn(ADMIN.username, ADMIN.password);
    const staff = await admin.get(`/workshops/environment/${env()}/request/?index_url=https://x.example/`, { accept: 'application/json' });
    expect(staff.status).toBe(403);
    conforms('GET', '/workshops/environment/{env}/request/', staff);
    const unknown = await fetchAnswer('GET', '/workshops/environment/papi-nope/request/?index_url=https://x.example/', {
      authorization: `Bearer ${token}`,
    });
    expect(unknown.status).toBe(403);
    conforms('GET', '/workshops/environment/{env}/request/', unknown);
    for (const path of [`/workshops/environment/${env()}/status/`, '/workshops/user/x/sessions/']) {
      const answer = await admin.get(path, { accept: 'application/json' });
      expect([path, answer.status]).toEqual([path, 403]);
      const anonymous = await fetchAnswer('GET', path);
      expect([path, anonymous.status]).toEqual([path, 401]);
      conforms('GET', path.startsWith('/workshops/user') ? '/workshops/user/{user}/sessions/' : '/workshops/environment/{env}/status/', anonymous);
    }
  });

  test('503 when the environment is full, and for session= that does not exist', async () => {
    const first = await request('index_url=https://x.example/&user=full-1');
    expect(first.status).toBe(200);
    const second = await request('index_url=https://x.example/&user=full-2');
    expect(second.status).toBe(503);
    expect(second.json().error).toBe('No session available');
    conforms('GET', '/workshops/environment/{env}/request/', second);
    const named = await request(`index_url=https://x.example/&user=full-3&session=${first.json().name}`);
    expect(named.status).toBe(503);
    // a learner pressing Start on the full workshop goes back to the catalog with Educates' notification
    const learner = new HttpClient(t.url);
    const registered = await learner.request('POST', '/accounts/register/', {
      body: {
        _csrf: await learner.csrf('/accounts/register/'),
        username: 'learner-full',
        password: 'a-long-password-f',
        confirm: 'a-long-password-f',
        email: 'f@example.com',
      },
      headers: { accept: 'text/html' },
    });
    expect([302, 303]).toContain(registered.status);
    const start = await learner.submit(`/workshops/environment/${env()}/`);
    expect(start.status).toBe(303);
    expect(start.location).toBe('/workshops/catalog/?notification=session-unavailable');
    const catalog = await learner.get(start.location!, { accept: 'text/html' });
    expect(catalog.text).toContain('No session of that workshop is available right now');
  });

  test('429 beyond the session request limit', async () => {
    let last: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      last = await request('index_url=https://x.example/&user=full-1');
      if (last.status === 429) break;
    }
    expect(last!.status).toBe(429);
    expect(last!.json().error).toBeTruthy();
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    conforms('GET', '/workshops/environment/{env}/request/', last!);
  });
});

describe('OpenAPI document', () => {
  test("is served, and every documented operation is a route and every route (but PORTAL-AUTH's account pages) is documented", async () => {
    const served = await fetchAnswer('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.json().openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations as object)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const routes = new Set(t.portal.routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    const undocumented = [...routes].filter((r) => !documented.has(r) && !/ \/(accounts|workshops\/access)\//.test(r));
    const missing = [...documented].filter((d) => !routes.has(d));
    expect({ undocumented, missing }).toEqual({ undocumented: [], missing: [] });
  });

  test('the schemas compile, and the answers above were validated with them', () => {
    for (const name of Object.keys(doc.components.schemas)) ajv.compile({ $ref: `openapi#/components/schemas/${name}` });
    expect(validated.size).toBeGreaterThan(25);
  });
});

describe('fuzz', () => {
  test('odd parameters, paths, bodies and form fields never produce a 5xx or a stack trace', async () => {
    const odd = [
      '',
      ' ',
      '%00',
      '%ZZ',
      '../../etc/passwd',
      '<script>alert(1)</script>',
      'x'.repeat(3000),
      '😀',
      '{"a":1}',
      '[]',
      'null',
      '-1',
      '1e309',
      '%27%22',
      'a%0d%0aSet-Cookie:x=y',
    ];
    const env = fixture.environment('single');
    const paths = [
      '/workshops/catalog/environments/?state=%s&sessions=%s&name=%s&labels[%s]=%s',
      '/workshops/catalog/workshops/?x=%s',
      `/workshops/environment/${env}/request/?index_url=%s&user=%s&email=%s&timeout=%s&session=%s&first_name=%s`,
      `/workshops/environment/%s/request/?index_url=https://x.example/`,
      `/workshops/environment/%s/status/?sessions=%s`,
      '/workshops/user/%s/sessions/',
      '/workshops/session/%s/schedule/',
      '/workshops/session/%s/extend/',
      '/workshops/session/%s/terminate/',
      '/workshops/session/%s/config/',
      '/workshops/session/%s/authorize/',
      '/workshops/session/%s/',
      '/workshops/session/%s/activate/?token=%s&index_url=%s',
      '/workshops/session/%s/progress/',
      '/workshops/catalog/?notification=%s',
      '/runtime/sessions/%s',
      '/static/%s',
      '/admin/?notice=%s',
    ];
    const admin = new HttpClient(t.url);
    await admin.signIn(ADMIN.username, ADMIN.password);
    const problems: string[] = [];
    const check = (what: string, answer: Answer) => {
      if (answer.status >= 500 || /\bat [\w.<>]+ \(|node:internal|\.ts:\d+|\.js:\d+:\d+/.test(answer.text))
        problems.push(`${what} → ${answer.status} ${answer.text.slice(0, 120)}`);
    };
    for (const template of paths) {
      for (const value of odd) {
        const path = template.replace(/%s/g, value);
        for (const headers of [
          { authorization: `Bearer ${token}` },
          {},
          { authorization: 'Bearer garbage' },
          { authorization: 'Basic !!!' },
        ] as Array<Record<string, string>>) {
          check(`GET ${path.slice(0, 100)}`, await fetchAnswer('GET', path, headers).catch((e) => ({ status: 599, text: String(e) }) as Answer));
        }
        check(`admin GET ${path.slice(0, 100)}`, await admin.get(path, { accept: 'text/html' }));
      }
    }
    const bodies = [
      '',
      '{',
      '[]',
      'null',
      '"x"',
      '{"parameters": "x"}',
      '{"parameters": [null, 1, {"name": {}, "value": []}]}',
      '{"event": {"name": "x/y", "data": [1]}}',
      'a=b&a=c',
      'x'.repeat(300_000),
    ];
    const posts = [
      `/workshops/environment/${env}/request/?index_url=https://x.example/`,
      '/workshops/session/papi-pool-s001/event/',
      '/workshops/session/papi-pool-s001/activity/',
      '/runtime/allocate',
      `/workshops/environment/${env}/`,
      '/workshops/session/papi-pool-s001/delete/',
      '/workshops/session/papi-pool-s001/extend/',
      '/admin/sessions/papi-pool-s001/terminate/',
      '/oauth2/token/',
    ];
    for (const path of posts) {
      for (const body of bodies) {
        for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
          check(
            `POST ${path} ${type} ${body.slice(0, 40)}`,
            await fetchAnswer('POST', path, { authorization: `Bearer ${token}`, 'content-type': type }, body),
          );
          check(
            `admin POST ${path} ${type} ${body.slice(0, 40)}`,
            await admin.request('POST', path, { body, headers: { 'content-type': type, accept: 'text/html' } }),
          );
        }
      }
    }
    // form fields of the admin's forms with odd values (a valid CSRF token)
    for (const value of odd) {
      check(
        `admin form ${value.slice(0, 20)}`,
        await admin.submit(`/admin/sessions/${encodeURIComponent(value) || 'x'}/extend/`, { notification: value }, '/admin/'),
      );
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
