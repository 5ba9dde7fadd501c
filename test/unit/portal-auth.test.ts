/**
 * The pieces of portal authentication that need no cluster: password hashing, signed tokens and their expiry,
 * key rotation, CSRF tokens, rate limiting and the exact messages of registration.
 */
import { randomBytes } from 'node:crypto';
import { KeyRing } from '../../src/portal/auth/keys.js';
import { hashPassword, verifyPassword } from '../../src/portal/auth/passwords.js';
import { checkCsrfToken, csrfTokenFor } from '../../src/portal/auth/csrf.js';
import { RateLimiter } from '../../src/portal/auth/rate-limit.js';
import { validateRegistration } from '../../src/portal/auth/accounts.js';

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
    expect(validateRegistration({ username: 'ada', email: 'ada@example.com', password: 'analytical engine', confirm: 'analytical engine' })).toEqual([]);
  });

  test('every problem is reported at once, naming the field', () => {
    expect(validateRegistration({})).toEqual([
      { field: 'username', message: 'Username is required.' },
      { field: 'email', message: 'Email is required.' },
      { field: 'password', message: 'Password is required.' },
    ]);
    expect(validateRegistration({ username: 'Ada Lovelace', email: 'ada', password: 'short', confirm: 'shorts' })).toEqual([
      { field: 'username', message: 'Username must be 3 to 40 characters: lower case letters, digits, ".", "_" or "-", starting with a letter or digit.' },
      { field: 'email', message: 'Email must be an address such as ada@example.com.' },
      { field: 'password', message: 'Password must have at least 8 characters.' },
      { field: 'confirm', message: 'Confirm password must match the password.' },
    ]);
  });

  test('reserved names, passwords containing the name, wrong types and huge values', () => {
    expect(validateRegistration({ username: 'admin', email: 'a@b.io', password: 'long enough pw', confirm: 'long enough pw' }, ['admin']))
      .toEqual([{ field: 'username', message: 'Username "admin" is taken; choose another.' }]);
    expect(validateRegistration({ username: 'grace', email: 'g@b.io', password: 'grace12345', confirm: 'grace12345' }))
      .toEqual([{ field: 'password', message: 'Password must not contain the username.' }]);
    expect(validateRegistration({ username: ['ada'], email: 5, password: { a: 1 } }).map((e) => e.message))
      .toEqual(['Username is required.', 'Email is required.', 'Password is required.']);
    expect(validateRegistration({ username: 'ada', email: `${'a'.repeat(300)}@example.com`, password: 'p'.repeat(300), confirm: 'p'.repeat(300) }))
      .toEqual([
        { field: 'email', message: 'Email must be an address such as ada@example.com.' },
        { field: 'password', message: 'Password must have at most 256 characters.' },
      ]);
  });
});
