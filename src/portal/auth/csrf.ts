/**
 * CSRF protection by synchronizer token: every form carries a token derived (HMAC with the portal keys) from the
 * random id of the browser's cookie session. Another site can make the browser send the cookie (well, SameSite=Lax
 * already stops cross-site POSTs in current browsers: this is the second line) but cannot read the page to learn
 * the token. Deriving rather than storing it keeps the portal stateless: any replica checks any token.
 */
import type { KeyRing } from './keys.js';

const PURPOSE = 'csrf';

export function csrfTokenFor(keys: KeyRing, sid: string): string {
  return keys.mac(PURPOSE, sid).toString('base64url');
}

/** Whether `token` belongs to the session `sid` (under any current key). */
export function checkCsrfToken(keys: KeyRing, sid: string | undefined, token: unknown): boolean {
  if (!sid || typeof token !== 'string' || token.length === 0 || token.length > 128 || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
  return keys.checkMac(PURPOSE, sid, Buffer.from(token, 'base64url'));
}
