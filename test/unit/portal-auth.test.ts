/**
 * The pieces of portal authentication that need no cluster: password hashing, signed tokens and their expiry,
 * key rotation, CSRF tokens, rate limiting and the exact messages of registration.
 */
import { randomBytes } from 'node:crypto';

import { validateRegistration } from '../../src/portal/auth/accounts.js';
import { AuthContext } from '../../src/portal/auth/context.js';
import { checkCsrfToken, csrfTokenFor } from '../../src/portal/auth/csrf.js';
import { KeyRing } from '../../src/portal/auth/keys.js';
import { accessCodePage, loginPage, messagePage, registerPage } from '../../src/portal/auth/pages.js';
import { hashPassword, verifyPassword } from '../../src/portal/auth/passwords.js';
import { RateLimiter } from '../../src/portal/auth/rate-limit.js';
import { clientKey, type StoredToken, TokenStore } from '../../src/portal/auth/token-store.js';
import { issueCode, issueTokens, verifyAccess, verifyCode, verifyRefresh } from '../../src/portal/auth/tokens.js';
import { DEFAULT_LOOK, renderPage } from '../../src/portal/web/layout.js';
import { type KubeClient, KubeError } from '../../src/runtime/index.js';

const key = (id: string) => ({ id, secret: randomBytes(32) });
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

describe('passwords', () => {
  test('GIVEN a scrypt hash WHEN the same password is checked THEN it matches, and another does not', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  test('two hashes of one password differ (random salt)', async () => {
    expect(await hashPassword('same password')).not.toEqual(await hashPassword('same password'));
  });

  test('malformed or hostile stored hashes are refused without work', async () => {
    await expect(verifyPassword('x', 'plain')).resolves.toBe(false);
    await expect(verifyPassword('x', 'scrypt$40$8$1$AAAA$AAAA')).resolves.toBe(false);
    await expect(verifyPassword('x', 'bcrypt$15$8$1$AAAA$AAAA')).resolves.toBe(false);
  });
});

describe('signed tokens', () => {
  test('a token verifies for its purpose only, and not once tampered with', () => {
    const ring = new KeyRing([key('k1')]);
    const token = ring.sign('access', { sub: 'ada', exp: inSeconds(60) });
    expect(ring.verify('access', token)).toEqual({ payload: { sub: 'ada', exp: expect.any(Number) } });
    expect(ring.verify('refresh', token)).toEqual({ failure: 'signature' });
    const [body, kid, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'root', exp: inSeconds(60) })).toString('base64url');
    expect(ring.verify('access', `${forged}.${kid}.${sig}`)).toEqual({ failure: 'signature' });
    expect(ring.verify('access', `${body}.${kid}`)).toEqual({ failure: 'malformed' });
    expect(ring.verify('access', 42)).toEqual({ failure: 'malformed' });
    expect(ring.verify('access', 'x'.repeat(10_000))).toEqual({ failure: 'malformed' });
  });

  test('an expired token is refused as expired', () => {
    const ring = new KeyRing([key('k1')]);
    expect(ring.verify('access', ring.sign('access', { exp: inSeconds(-1) }))).toEqual({ failure: 'expired' });
  });

  test('after a rotation the newest key signs and older keys still verify; a dropped key does not', () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const before = new KeyRing([k1]).sign('cookie', { exp: inSeconds(60) });
    const rotated = new KeyRing([k2, k1]);
    expect('payload' in rotated.verify('cookie', before)).toBe(true);
    expect(rotated.sign('cookie', { exp: inSeconds(60) }).split('.')[1]).toBe('k2');
    expect(new KeyRing([k2]).verify('cookie', before)).toEqual({ failure: 'signature' });
  });
});

describe('CSRF tokens', () => {
  test('a token is bound to its session id and to the portal keys', () => {
    const ring = new KeyRing([key('k1')]);
    const token = csrfTokenFor(ring, 'session-a');
    expect(checkCsrfToken(ring, 'session-a', token)).toBe(true);
    expect(checkCsrfToken(ring, 'session-b', token)).toBe(false);
    expect(checkCsrfToken(new KeyRing([key('k1')]), 'session-a', token)).toBe(false);
    expect(checkCsrfToken(ring, undefined, token)).toBe(false);
    expect(checkCsrfToken(ring, 'session-a', '')).toBe(false);
    expect(checkCsrfToken(ring, 'session-a', ['a'])).toBe(false);
    expect(checkCsrfToken(ring, 'session-a', 'not base64url!')).toBe(false);
  });
});

describe('rate limiting', () => {
  test('GIVEN max 3 per 10 s WHEN a fourth request comes THEN it is refused with the seconds left, and the next window admits again', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.hit('ip:ada', 3, 10).allowed).toBe(true);
    now += 4_000;
    expect(limiter.hit('ip:ada', 3, 10)).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(limiter.hit('ip:bob', 3, 10).allowed).toBe(true);
    now += 6_000;
    expect(limiter.hit('ip:ada', 3, 10).allowed).toBe(true);
  });

  test('finished windows are swept, so memory stays bounded', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 1000; i++) limiter.hit(`client-${i}`, 1, 1);
    now += 120_000;
    limiter.hit('late', 1, 1);
    expect(limiter.size).toBe(1);
  });
});

describe('registration', () => {
  test('a valid form has no errors', () => {
    expect(validateRegistration({ username: 'ada', email: 'ada@example.com', password: 'analytical engine', confirm: 'analytical engine' })).toEqual(
      [],
    );
  });

  test('every problem is reported at once, naming the field', () => {
    expect(validateRegistration({})).toEqual([
      { field: 'username', message: 'Username is required.' },
      { field: 'email', message: 'Email is required.' },
      { field: 'password', message: 'Password is required.' },
    ]);
    expect(validateRegistration({ username: 'Ada Lovelace', email: 'ada', password: 'short', confirm: 'shorts' })).toEqual([
      {
        field: 'username',
        message: 'Username must be 3 to 40 characters: lower case letters, digits, ".", "_" or "-", starting with a letter or digit.',
      },
      { field: 'email', message: 'Email must be an address such as ada@example.com.' },
      { field: 'password', message: 'Password must have at least 8 characters.' },
      { field: 'confirm', message: 'Confirm password must match the password.' },
    ]);
  });

  test('reserved names, passwords containing the name, wrong types and huge values', () => {
    expect(validateRegistration({ username: 'admin', email: 'a@b.io', password: 'long enough pw', confirm: 'long enough pw' }, ['admin'])).toEqual([
      { field: 'username', message: 'Username "admin" is taken; choose another.' },
    ]);
    expect(validateRegistration({ username: 'grace', email: 'g@b.io', password: 'grace12345', confirm: 'grace12345' })).toEqual([
      { field: 'password', message: 'Password must not contain the username.' },
    ]);
    expect(validateRegistration({ username: ['ada'], email: 5, password: { a: 1 } }).map((e) => e.message)).toEqual([
      'Username is required.',
      'Email is required.',
      'Password is required.',
    ]);
    expect(
      validateRegistration({ username: 'ada', email: `${'a'.repeat(300)}@example.com`, password: 'p'.repeat(300), confirm: 'p'.repeat(300) }),
    ).toEqual([
      { field: 'email', message: 'Email must be an address such as ada@example.com.' },
      { field: 'password', message: 'Password must have at most 256 characters.' },
    ]);
  });
});

describe('OAuth2 tokens', () => {
  const ring = new KeyRing([key('k1')]);
  const ada = { id: 'ada', username: 'ada', kind: 'registered' as const };

  test('issued like Educates: 10 h Bearer tokens of scope user:info, with a refresh token only when asked', () => {
    const withRefresh = issueTokens(ring, ada, 'robot', true);
    expect(withRefresh).toEqual({
      access_token: expect.any(String),
      expires_in: 36000,
      token_type: 'Bearer',
      scope: 'user:info',
      refresh_token: expect.any(String),
    });
    expect(issueTokens(ring, ada, 'robot', false)).not.toHaveProperty('refresh_token');
    const access = verifyAccess(ring, withRefresh.access_token);
    expect(access).toEqual({
      payload: {
        jti: expect.any(String),
        fam: expect.any(String),
        cid: 'robot',
        sub: ada,
        scope: 'user:info',
        exp: expect.any(Number),
        iat: expect.any(Number),
      },
    });
    const refresh = verifyRefresh(ring, withRefresh.refresh_token);
    expect('payload' in refresh && 'payload' in access && refresh.payload.fam === access.payload.fam).toBe(true);
  });

  test('each kind of value is refused where another kind is expected', () => {
    const tokens = issueTokens(ring, ada, 'robot', true);
    const code = issueCode(ring, ada, 's1', 'http://x/oauth_callback');
    expect(verifyRefresh(ring, tokens.access_token)).toEqual({ failure: 'signature' });
    expect(verifyAccess(ring, tokens.refresh_token)).toEqual({ failure: 'signature' });
    expect(verifyAccess(ring, code)).toEqual({ failure: 'signature' });
    expect(verifyCode(ring, tokens.access_token)).toEqual({ failure: 'signature' });
  });

  test("only the identity's own fields go into a token", () => {
    const sneaky = { ...ada, isAdmin: true, password: 'x' } as unknown as typeof ada;
    const claims = verifyAccess(ring, issueTokens(ring, sneaky, 'robot', false).access_token);
    expect('payload' in claims && claims.payload.sub).toEqual(ada);
  });

  test('codes expire after 60 s, access tokens after 10 h', () => {
    const code = issueCode(ring, ada, 's1', 'http://x/oauth_callback');
    const access = issueTokens(ring, ada, 'robot', false).access_token;
    const realNow = Date.now;
    const now = realNow();
    const at = (ms: number) => {
      Date.now = () => now + ms;
    };
    try {
      at(59_000);
      expect('payload' in verifyCode(ring, code)).toBe(true);
      at(61_000);
      expect(verifyCode(ring, code)).toEqual({ failure: 'expired' });
      at(35_990_000);
      expect('payload' in verifyAccess(ring, access)).toBe(true);
      at(36_001_000);
      expect(verifyAccess(ring, access)).toEqual({ failure: 'expired' });
    } finally {
      Date.now = realNow;
    }
  });
});

describe('token store error paths', () => {
  /** An API server stand-in for the paths a real one rarely takes: conflicts and outages. */
  function fakeClient(behaviour: { conflicts?: number; down?: boolean }) {
    let data: Record<string, string> = {};
    let version = 1;
    let conflicts = behaviour.conflicts ?? 0;
    const client = {
      down: behaviour.down ?? false,
      pathFor: () => '/api/v1/namespaces/p-ui/configmaps/p-portal-tokens',
      get: async () => {
        if (client.down) throw new KubeError(0, 'ConnectionError', 'GET: connect ECONNREFUSED');
        return {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'p-portal-tokens', namespace: 'p-ui', resourceVersion: String(version) },
          data: { ...data },
        };
      },
      create: async () => ({}),
      request: async (_method: string, _path: string, options: { body: { metadata: { resourceVersion: string }; data: Record<string, string> } }) => {
        if (client.down) throw new KubeError(0, 'ConnectionError', 'PUT: connect ECONNREFUSED');
        if (conflicts > 0 || options.body.metadata.resourceVersion !== String(version)) {
          conflicts--;
          version++;
          throw new KubeError(409, 'Conflict', 'the object has been modified');
        }
        data = options.body.data;
        version++;
        return { ...options.body, metadata: { ...options.body.metadata, resourceVersion: String(version) } };
      },
    };
    return client;
  }
  const later = () => Date.now() / 1000 + 60;
  const token = (jti: string, extra: Partial<StoredToken> = {}): StoredToken & { fam: string } => ({
    cid: 'client-a',
    jti,
    fam: `fam-${jti}`,
    exp: later(),
    iat: Date.now(),
    ...extra,
  });

  test('a write that loses races is retried, and a single-use value is used once only', async () => {
    const client = fakeClient({ conflicts: 3 });
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0);
    await expect(store.useCode(token('c1'))).resolves.toBe(true);
    await expect(store.useCode(token('c1'))).resolves.toBe(false);
    // the same id of another client is another value
    await expect(store.useCode(token('c1', { cid: 'client-b' }))).resolves.toBe(true);
  });

  test('expired entries are pruned at the next write', async () => {
    const client = fakeClient({});
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0);
    await store.revokeAccess(token('old', { exp: Date.now() / 1000 - 1 }));
    await store.revokeAccess(token('new'));
    expect(Object.keys((await client.get()).data)).toEqual([`revoked.${clientKey('client-a')}.new`]);
  });

  test('with the API server down, Bearer checks use the last list read; fresh checks and a replica that never read fail', async () => {
    const client = fakeClient({});
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0);
    await store.revokeAccess(token('r1'));
    client.down = true;
    await expect(store.isRevoked(token('r1'))).resolves.toBe(true);
    await expect(store.isRevoked(token('r2'))).resolves.toBe(false);
    await expect(store.isRevoked(token('r1'), true)).rejects.toThrow('ECONNREFUSED');
    const newcomer = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0);
    await expect(newcomer.isRevoked(token('r1'))).rejects.toThrow('ECONNREFUSED');
  });

  test('a grant refreshed many times takes one entry; a refresh token used twice revokes its grant', async () => {
    const client = fakeClient({});
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0);
    for (let gen = 0; gen < 50; gen++) await expect(store.useRefresh(token(`j${gen}`, { fam: 'g', gen }))).resolves.toBe('ok');
    expect(Object.keys((await client.get()).data)).toEqual([`refresh.${clientKey('client-a')}.g`]);
    await expect(store.useRefresh(token('j10', { fam: 'g', gen: 10 }))).resolves.toBe('used');
    await expect(store.useRefresh(token('j50', { fam: 'g', gen: 50 }))).resolves.toBe('revoked');
    await expect(store.isRevoked(token('a', { fam: 'g' }))).resolves.toBe(true);
  });

  test("past its cap a client's entries fold into one that voids everything it was issued before, and nothing comes back", async () => {
    const client = fakeClient({});
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0, { perClient: 5, total: 8 });
    const first = token('code-0', { iat: Date.now() - 5 });
    await store.useCode(first);
    for (let i = 1; i <= 20; i++) await store.useCode(token(`code-${i}`, { iat: Date.now() - 1 }));
    await store.useCode(token('other', { cid: 'client-b' }));
    const keys = Object.keys((await client.get()).data);
    expect(keys.length).toBeLessThanOrEqual(8);
    expect(keys.filter((k) => k.includes(clientKey('client-a'))).length).toBeLessThanOrEqual(6);
    await expect(store.useCode(first)).resolves.toBe(false);
    await expect(store.isRevoked(token('older', { iat: Date.now() - 10_000 }))).resolves.toBe(true);
    await expect(store.isRevoked(token('newer', { iat: Date.now() + 1 }))).resolves.toBe(false);
    // other clients are not touched while the whole is under its cap
    await expect(store.useCode(token('other', { cid: 'client-b' }))).resolves.toBe(false);
    await expect(store.isRevoked(token('b-older', { cid: 'client-b', iat: Date.now() - 10_000 }))).resolves.toBe(false);
  });

  test('past the total cap the biggest clients fold first', async () => {
    const client = fakeClient({});
    const store = new TokenStore(client as unknown as KubeClient, 'p-ui', 'p', 0, { perClient: 10, total: 12 });
    for (let i = 0; i < 9; i++) await store.revokeAccess(token(`a${i}`, { cid: 'big' }));
    for (let i = 0; i < 3; i++) await store.revokeAccess(token(`b${i}`, { cid: 'small' }));
    await store.revokeAccess(token('c0', { cid: 'third' }));
    const keys = Object.keys((await client.get()).data);
    expect(keys.length).toBeLessThanOrEqual(12);
    expect(keys).toContain(`client.${clientKey('big')}`);
    expect(keys.filter((k) => k.includes(clientKey('small'))).length).toBe(3);
  });

  test('limits that cannot work are refused', () => {
    expect(() => new TokenStore({} as KubeClient, 'p-ui', 'p', 0, { perClient: 100, total: 10 })).toThrow(
      'token store limits: perClient (100) must be at least 2 and total (10) at least perClient',
    );
  });
});

describe('pages and redirects', () => {
  const ctx = new AuthContext(
    { client: {} as KubeClient, portalName: 'p', portalNamespace: 'p-ui', publicUrl: 'http://p' },
    new KeyRing([key('k1')]),
  );

  test('next is kept only when it is a path of this site', () => {
    expect(ctx.safeNext('/workshops/catalog/?a=1')).toBe('/workshops/catalog/?a=1');
    for (const bad of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'evil',
      '',
      undefined,
      42,
      ['/x'],
      '/\u0000x',
      `/${'x'.repeat(3000)}`,
    ]) {
      expect(ctx.safeNext(bad)).toBe('/');
    }
    expect(ctx.withNext('/accounts/login/', '/private/?x=1')).toBe('/accounts/login/?next=%2Fprivate%2F%3Fx%3D1');
    expect(ctx.withNext('/accounts/login/', `/${'x'.repeat(3000)}`)).toBe('/accounts/login/');
  });

  test('values from the request are escaped in every page', () => {
    const hostile = '"><script>alert(1)</script>';
    const html = [
      loginPage({ canRegister: true, next: hostile, username: hostile, error: hostile, oidcName: hostile }),
      registerPage({ next: hostile, values: { username: hostile, email: hostile }, errors: [{ field: 'username', message: hostile }] }),
      accessCodePage({ next: hostile, error: hostile }),
      messagePage({ title: hostile, message: hostile, link: { href: hostile, text: hostile } }),
    ]
      .map((page) => renderPage(page, DEFAULT_LOOK))
      .join('\n');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('a registration error is tied to its field for screen readers', () => {
    const html = renderPage(registerPage({ errors: [{ field: 'email', message: 'Email is required.' }] }), DEFAULT_LOOK).toString();
    expect(html).toContain(
      '<input id="f-email" name="email" type="email" autocomplete="email" required value="" aria-invalid="true" aria-describedby="f-email-error">',
    );
    expect(html).toContain('<span class="field-error" id="f-email-error">Email is required.</span>');
  });
});
