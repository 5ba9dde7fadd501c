/**
 * Attacks on the real portal (issue "Security", items 0, 3, 6–9, 11, 12), each performed as an attacker would and
 * refused: guests reading the admin page, a learner stealing an admin's token through the session's OAuth2
 * client, a session token used elsewhere, the token ConfigMap grown without bound, spoofed X-Forwarded-For
 * escaping the rate limits, the event access code skipped by asking for JSON, a same-site <img> ending a session,
 * a sibling host's cookie taken for the portal's, and /metrics read by anyone.
 */
import { App } from 'cdk8s';

import { synthesize, Terminal, TrainingPortal, Workshop } from '../../src/constructs/index.js';
import { KubeClient, phaseOf } from '../../src/runtime/index.js';
import { applyFixture, type Fixture, waitFor } from '../support/portal-fixture.js';
import { type Answer, HttpClient, robotToken } from '../support/portal-http.js';
import { ADMIN, ROBOT, startTestPortal, type TestPortal } from '../support/portal-server.js';

const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
const DOMAIN = 'workshops.127-0-0-1.test';

/** A portal of one workshop whose sessions have a route of their own, `app-<session>.<domain>`, as authors add them. */
function fixtureOf(portal: string): Fixture {
  const app = new App({ outdir: '/nonexistent' });
  const p = new TrainingPortal(app, portal, {});
  const w = new Workshop(app, 'w', { title: 'Workshop w', description: 'A test workshop', capabilities: [new Terminal()] });
  w.session.addRoute({ name: 'app', port: 8080, service: 'app' });
  p.addWorkshop(w, { capacity: 20, reserved: 1 });
  return { portal, files: synthesize(app), environment: (workshop) => `${portal}-${workshop}` };
}

let open: Fixture;
let coded: Fixture;
/** A guest portal (anonymous registration, public catalog), plain-http cookies, no trusted proxies. */
let guests: TestPortal;
/** An event with an access code, Secure cookies, and the loopback address as its trusted proxy. */
let event: TestPortal;
const ACCESS_CODE = 'event-code-4711';

beforeAll(async () => {
  open = fixtureOf('psec');
  coded = fixtureOf('pcode');
  await applyFixture(client, open);
  await applyFixture(client, coded);
  guests = await startTestPortal(client, open, {
    config: { name: 'psec', title: 'Guests', registration: 'anonymous', catalogVisibility: 'public' },
    rateLimits: { token: { max: 10_000, windowSeconds: 60 } },
    tokenStoreLimits: { perClient: 20, total: 100 },
  });
  event = await startTestPortal(client, coded, {
    config: { name: 'pcode', title: 'Event', registration: 'anonymous', catalogVisibility: 'public', password: ACCESS_CODE },
    secureCookies: true,
    trustedProxies: ['127.0.0.1'],
  });
  await waitFor('a ready reserve on both portals', () =>
    [guests, event].every((t) => t.runtime.state.liveSessions().some((s) => phaseOf(s) === 'Ready')),
  );
}, 120_000);

afterAll(async () => {
  await guests?.stop();
  await event?.stop();
  await client.close();
});

/** A guest of the portal with a session of its own (Educates' anonymous entry). */
async function guestWithSession(t: TestPortal, headers: Record<string, string> = {}): Promise<{ browser: HttpClient; session: string }> {
  const browser = new HttpClient(t.url, { accept: 'text/html', ...headers });
  const created = await browser.get(`/workshops/environment/${t === guests ? open.environment('w') : coded.environment('w')}/create/`);
  expect(created.status).toBe(303);
  const session = /\/workshops\/session\/([^/]+)\//.exec(created.location ?? '')![1];
  return { browser, session };
}

async function signedInAdmin(t: TestPortal): Promise<HttpClient> {
  const admin = new HttpClient(t.url);
  await admin.signIn(ADMIN.username, ADMIN.password);
  return admin;
}

const live = (t: TestPortal, session: string) => {
  const s = t.runtime.session(session);
  return Boolean(s && !['Terminating', 'Terminated'].includes(phaseOf(s)));
};

describe('0: staff routes on a guest portal', () => {
  test('every /admin/* route, asked without a cookie as a page or as anything, is refused: no guest is made, nothing is shown or done', async () => {
    const { session } = await guestWithSession(guests);
    const staffRoutes = guests.portal.routes.filter((r) => r.url.startsWith('/admin'));
    expect(staffRoutes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /admin/', 'POST /admin/sessions/:session/terminate/', 'POST /admin/sessions/:session/extend/']),
    );
    for (const route of staffRoutes) {
      for (const accept of ['text/html', '*/*', 'application/json']) {
        const path = route.url.replace(':session', session);
        const answer = await new HttpClient(guests.url).request(route.method, path, {
          headers: { accept },
          ...(route.method === 'POST' ? { body: { _csrf: 'x' } } : {}),
        });
        const what = `${route.method} ${path} (${accept})`;
        expect([what, [302, 303, 401].includes(answer.status)]).toEqual([what, true]);
        if (answer.status !== 401) expect([what, answer.location]).toEqual([what, expect.stringMatching(/^\/accounts\/login\//)]);
        expect([what, answer.headers.getSetCookie()]).toEqual([what, []]);
        expect(answer.text).not.toContain('Administration');
        expect(answer.text).not.toContain(session);
      }
    }
    expect(live(guests, session)).toBe(true);
  });

  test('a guest who has signed in (cookie) gets a 403 on every staff route', async () => {
    const { browser, session } = await guestWithSession(guests);
    for (const accept of ['text/html', '*/*']) {
      expect((await browser.get('/admin/', { accept })).status).toBe(403);
      const csrf = await browser.csrf(`/workshops/session/${session}/delete/`);
      expect((await browser.request('POST', `/admin/sessions/${session}/terminate/`, { body: { _csrf: csrf }, headers: { accept } })).status).toBe(
        403,
      );
    }
    expect(live(guests, session)).toBe(true);
  });
});

describe("3: the session's OAuth2 client", () => {
  test("the blueprint has a route host the learner controls, and authorize will not send an admin's code there", async () => {
    const environment = guests.runtime.state.environment(open.environment('w'))!;
    const hosts = environment.spec.session.objects
      .filter((o) => o.kind === 'Ingress')
      .flatMap((o) => ((o as { spec?: { rules?: Array<{ host?: string }> } }).spec?.rules ?? []).map((r) => r.host));
    expect(hosts).toContain(`app-$(session_name).${DOMAIN}`);

    const { session } = await guestWithSession(guests);
    const admin = await signedInAdmin(guests);
    for (const target of [
      `http://app-${session}.${DOMAIN}/oauth_callback`,
      `http://evil-${session}.${DOMAIN}/oauth_callback`,
      `https://${session}.${DOMAIN}.evil.example/oauth_callback`,
    ]) {
      const bounced = await admin.get(
        `/oauth2/authorize/?${new URLSearchParams({ response_type: 'code', client_id: session, redirect_uri: target, state: 's' })}`,
        { accept: 'text/html' },
      );
      expect([target, bounced.status, bounced.location]).toEqual([target, 400, null]);
      expect(bounced.text).toContain('is not one of this session&#39;s dashboards.');
    }
  });

  test("a code from the dashboard's own host, swapped by the learner who knows CONFIG_PASSWORD, gives a token good only for that session's dashboard calls, and no refresh token", async () => {
    const { session } = await guestWithSession(guests);
    const other = (await guestWithSession(guests)).session;
    const admin = await signedInAdmin(guests);
    const callback = `http://${session}.${DOMAIN}/oauth_callback`;
    const authorized = await admin.get(
      `/oauth2/authorize/?${new URLSearchParams({ response_type: 'code', client_id: session, redirect_uri: callback, state: 's' })}`,
      { accept: 'text/html' },
    );
    expect(authorized.status).toBe(302);
    const code = new URL(authorized.location!).searchParams.get('code')!;
    const password = (await guests.runtime.secretsFor(session))!.config_password;
    const exchanged = await fetch(`${guests.url}/oauth2/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callback,
        client_id: session,
        client_secret: password,
      }).toString(),
    });
    const tokens = (await exchanged.json()) as Record<string, string>;
    expect(exchanged.status).toBe(200);
    expect(tokens.refresh_token).toBeUndefined();
    const bearer = new HttpClient(guests.url, { authorization: `Bearer ${tokens.access_token}` });

    // what the dashboard does with it
    expect((await bearer.get(`/workshops/session/${session}/authorize/`, { accept: 'application/json' })).json()).toEqual({
      owner: expect.any(String),
      user: ADMIN.username,
      staff: true,
    });
    expect((await bearer.get(`/workshops/session/${session}/schedule/`, { accept: 'application/json' })).status).toBe(200);
    // what an admin's token would open anywhere else
    const elsewhere: Array<[string, string]> = [
      ['GET', '/admin/'],
      ['GET', `/runtime/sessions/${other}`],
      ['GET', '/metrics'],
      ['GET', `/workshops/session/${other}/config/`],
      ['GET', `/workshops/session/${other}/authorize/`],
      ['GET', `/workshops/session/${session}/config/`],
      ['GET', `/workshops/session/${session}/terminate/`],
      ['GET', `/workshops/session/${other}/terminate/`],
      ['POST', `/runtime/sessions/${other}/terminate`],
    ];
    for (const [method, path] of elsewhere) {
      for (const accept of ['application/json', 'text/html']) {
        const answer = await bearer.request(method, path, { headers: { accept } });
        expect([method, path, accept, answer.status]).toEqual([method, path, accept, accept === 'text/html' && answer.status === 302 ? 302 : 401]);
      }
    }
    expect((await bearer.get('/admin/', { accept: 'application/json' })).json().message).toBe(
      `the access token was issued to the dashboard of session ${session}: it is good only for that session's sign-in, schedule and extension`,
    );
    // the public catalog answers as to anyone: no sessions, which only robots see
    expect(
      (await bearer.get('/workshops/catalog/environments/?sessions=true', { accept: 'application/json' })).json().environments[0].sessions,
    ).toBeUndefined();
    expect(live(guests, other)).toBe(true);
    expect(live(guests, session)).toBe(true);

    // nor does the learner get the session's client secret from the portal, even for their own session
    const learner = await guestWithSession(guests);
    const config = await learner.browser.get(`/workshops/session/${learner.session}/config/`, { accept: 'application/json' });
    expect([config.status, config.json()]).toEqual([
      403,
      { error: 'forbidden', message: "the session's config password is for the portal's staff and robots only" },
    ]);

    // a session client may not refresh (old refresh tokens from before included)
    const refresh = await fetch(`${guests.url}/oauth2/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x.y.z', client_id: session, client_secret: password }).toString(),
    });
    expect(await refresh.json()).toEqual({ error: 'unauthorized_client', error_description: 'This client may not use the refresh_token grant.' });
  });
});

describe('6: the revoked/used-token ConfigMap', () => {
  const entries = async () => {
    const map = await client.get<{ data?: Record<string, string> }>('v1', 'ConfigMap', 'psec-portal-tokens', 'psec-ui');
    return map?.data ?? {};
  };
  const form = (fields: Record<string, string>) =>
    fetch(`${guests.url}/oauth2/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: ROBOT.clientId, client_secret: ROBOT.clientSecret, ...fields }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
  const passwordGrant = () => form({ grant_type: 'password', username: ROBOT.username, password: ROBOT.password });

  test('many refreshes and grants of one client keep it bounded; replays stay refused; code exchanges keep working', async () => {
    const first = await passwordGrant();
    let current = first.body.refresh_token;
    for (let i = 0; i < 60; i++) {
      const next = await form({ grant_type: 'refresh_token', refresh_token: current });
      expect(next.status).toBe(200);
      current = next.body.refresh_token;
    }
    // one grant refreshed 60 times: one entry
    expect(Object.keys(await entries()).length).toBeLessThanOrEqual(3);
    // 60 grants refreshed once each: the client's entries fold at 20
    const replays: string[] = [];
    for (let i = 0; i < 60; i++) {
      const grant = await passwordGrant();
      replays.push(grant.body.refresh_token);
      expect((await form({ grant_type: 'refresh_token', refresh_token: grant.body.refresh_token })).status).toBe(200);
    }
    const data = await entries();
    expect(Object.keys(data).length).toBeLessThanOrEqual(22);
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(3000);
    // nothing used comes back: the first grant's used refresh token, and every early grant's, are still refused
    for (const used of [first.body.refresh_token, replays[0], replays[30]]) {
      expect((await form({ grant_type: 'refresh_token', refresh_token: used })).body.error).toBe('invalid_grant');
    }
    // past the fold, the client's older tokens are void (it signs in again); a fresh grant works, and so does a
    // session dashboard's code exchange
    const fresh = await passwordGrant();
    expect((await form({ grant_type: 'refresh_token', refresh_token: fresh.body.refresh_token })).status).toBe(200);
    const { session, browser } = await guestWithSession(guests);
    const callback = `http://${session}.${DOMAIN}/oauth_callback`;
    const authorized = await browser.get(
      `/oauth2/authorize/?${new URLSearchParams({ response_type: 'code', client_id: session, redirect_uri: callback })}`,
    );
    expect(authorized.status).toBe(302);
    const exchanged = await fetch(`${guests.url}/oauth2/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: new URL(authorized.location!).searchParams.get('code')!,
        redirect_uri: callback,
        client_id: session,
        client_secret: (await guests.runtime.secretsFor(session))!.config_password,
      }).toString(),
    });
    expect(exchanged.status).toBe(200);
  });
});

describe('7: rate limits and X-Forwarded-For', () => {
  async function signInAttempts(t: TestPortal, forwardedFor: (i: number) => string | undefined, count: number): Promise<number[]> {
    const browser = new HttpClient(t.url);
    const _csrf = await browser.csrf('/accounts/login/');
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const xff = forwardedFor(i);
      const answer = await browser.request('POST', '/accounts/login/', {
        body: { _csrf, username: 'victim-admin', password: `guess-${i}` },
        headers: { accept: 'text/html', ...(xff ? { 'x-forwarded-for': xff } : {}) },
      });
      statuses.push(answer.status);
    }
    return statuses;
  }

  test('without trusted proxies, a new X-Forwarded-For at every guess does not escape the limit (10 a minute)', async () => {
    const statuses = await signInAttempts(guests, (i) => `198.51.100.${i + 1}`, 12);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  test('behind a trusted proxy, the client is the rightmost untrusted address: entries the client prepends change nothing', async () => {
    const statuses = await signInAttempts(event, (i) => `198.51.100.${i + 1}, 203.0.113.7`, 12);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // another client behind the same proxy has its own count
    expect(await signInAttempts(event, () => '203.0.113.8', 1)).toEqual([401]);
  });
});

describe('8: the event access code', () => {
  test('nothing it protects answers without it, whatever the Accept header; a token holder and, after the code, the visitor get in', async () => {
    const env = coded.environment('w');
    const allocated = () => event.runtime.state.sessionsOf(env).filter((s) => s.status?.user).length;
    const before = allocated();
    const attempts: Array<[string, string]> = [
      ['GET', `/workshops/environment/${env}/create/`],
      ['POST', `/workshops/environment/${env}/`],
      ['GET', '/workshops/catalog/environments/'],
      ['GET', '/workshops/catalog/workshops/'],
      ['GET', '/workshops/catalog/'],
      ['GET', '/'],
      ['POST', '/accounts/register/'],
      ['GET', '/accounts/create/'],
      ['GET', `/workshops/environment/${env}/`],
      ['GET', `/oauth2/authorize/?response_type=code&client_id=${env}-s001&redirect_uri=x`],
    ];
    for (const [method, path] of attempts) {
      for (const accept of ['*/*', 'application/json', '']) {
        const stranger = new HttpClient(event.url);
        const answer = await stranger.request(method, path, {
          headers: accept ? { accept } : {},
          ...(method === 'POST' ? { body: { username: 'x', password: 'y' } } : {}),
        });
        expect([method, path, accept, answer.status]).toEqual([method, path, accept, 403]);
        expect(answer.json()).toEqual({ error: 'access_code_required', message: expect.stringContaining('/workshops/access/') });
      }
      const page = await new HttpClient(event.url).request(method, path, { headers: { accept: 'text/html' } });
      expect([method, path, page.status, page.location]).toEqual([
        method,
        path,
        method === 'GET' ? 302 : 303,
        expect.stringMatching(/^\/workshops\/access\//),
      ]);
    }
    expect(allocated()).toBe(before);

    // a robot's token is proof enough
    const token = await robotToken(event.url, ROBOT);
    expect(
      (await new HttpClient(event.url, { authorization: `Bearer ${token}` }).get('/workshops/catalog/environments/', { accept: '*/*' })).status,
    ).toBe(200);
    // with the code, the visitor starts a session asking for anything
    const visitor = new HttpClient(event.url);
    const _csrf = await visitor.csrf('/workshops/access/');
    expect(
      (await visitor.request('POST', '/workshops/access/', { body: { _csrf, code: ACCESS_CODE }, headers: { accept: 'text/html' } })).status,
    ).toBe(303);
    const created = await visitor.get(`/workshops/environment/${env}/create/`, { accept: '*/*' });
    expect(created.status).toBe(303);
    expect(allocated()).toBe(before + 1);
  });
});

describe('9: GETs that act on a session', () => {
  test("the owner's cookie cannot end or extend the session through a GET, same-site or not (an <img> on a learner's app)", async () => {
    const { browser, session } = await guestWithSession(guests);
    await waitFor('the session Ready', () => ['Ready', 'Active'].includes(phaseOf(guests.runtime.session(session)!)));
    const expires = guests.runtime.session(session)!.status?.expiresAt;
    const shapes: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'image', accept: 'image/avif,image/webp,*/*' },
      { accept: '*/*' },
      { accept: 'application/json' },
    ];
    for (const headers of shapes) {
      for (const action of ['terminate', 'extend']) {
        const answer = await browser.get(`/workshops/session/${session}/${action}/`, headers);
        expect([action, headers, answer.status]).toEqual([action, headers, 403]);
        expect(answer.json().message).toBe(
          `GET /workshops/session/${session}/${action}/ acts on the session, so it needs an OAuth2 access token in the Authorization: Bearer header; in a browser use the session page's buttons`,
        );
      }
    }
    expect(live(guests, session)).toBe(true);
    expect(guests.runtime.session(session)!.status?.expiresAt).toBe(expires);
    // reading is still fine with the cookie; the portal's own form (POST + CSRF) ends it
    expect((await browser.get(`/workshops/session/${session}/schedule/`, { accept: 'application/json' })).status).toBe(200);
    const _csrf = await browser.csrf(`/workshops/session/${session}/delete/`);
    expect(
      (await browser.request('POST', `/workshops/session/${session}/delete/`, { body: { _csrf }, headers: { accept: 'text/html' } })).status,
    ).toBe(303);
    await waitFor('the session ending', () => !live(guests, session));
  });

  test("a robot's Bearer GET (Educates' shape) still acts", async () => {
    const { session } = await guestWithSession(guests);
    const answer = await new HttpClient(guests.url, { authorization: `Bearer ${await robotToken(guests.url, ROBOT)}` }).get(
      `/workshops/session/${session}/terminate/`,
      { accept: 'application/json' },
    );
    expect(answer.status).toBe(200);
    await waitFor('the session ending', () => !live(guests, session));
  });
});

describe('11: cookies over https', () => {
  const attributes = (answer: Answer, name: string) => answer.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

  test('the session cookie is __Host- prefixed (Secure, Path=/, no Domain); a bare-named cookie a sibling host plants is not read', async () => {
    const attacker = new HttpClient(event.url);
    const page = await attacker.get('/workshops/access/', { accept: 'text/html' });
    const cookie = attributes(page, '__Host-pcode-session')!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/domain=/i);
    // the attacker enters the code and plants its own signed session under the bare name, as a Domain cookie of a
    // sibling host would arrive: the portal does not take it for its own
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    await attacker.request('POST', '/workshops/access/', { body: { _csrf, code: ACCESS_CODE }, headers: { accept: 'text/html' } });
    const value = attacker
      .cookieHeader()
      .split('; ')
      .find((c) => c.startsWith('__Host-pcode-session='))!
      .split('=')
      .slice(1)
      .join('=');
    expect((await attacker.get('/workshops/catalog/workshops/', { accept: 'application/json' })).status).toBe(200);
    const victim = await fetch(`${event.url}/workshops/catalog/workshops/`, {
      headers: { accept: 'application/json', cookie: `pcode-session=${value}` },
    });
    expect(victim.status).toBe(403);
  });

  test('over plain http the cookie keeps its bare name and is not Secure', async () => {
    const answer = await new HttpClient(guests.url).get('/accounts/login/', { accept: 'text/html' });
    const cookie = attributes(answer, 'psec-session')!;
    expect(cookie).toBeDefined();
    expect(cookie).not.toMatch(/Secure/);
  });
});

describe('12: /metrics', () => {
  test('is for the staff and robots only', async () => {
    expect((await fetch(`${guests.url}/metrics`)).status).toBe(401);
    const { browser } = await guestWithSession(guests);
    expect((await browser.get('/metrics', { accept: '*/*' })).status).toBe(403);
    const scraped = await fetch(`${guests.url}/metrics`, { headers: { authorization: `Bearer ${await robotToken(guests.url, ROBOT)}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE');
    expect((await (await signedInAdmin(guests)).get('/metrics', { accept: '*/*' })).status).toBe(200);
  });
});
