/**
 * The portal's signing keys, shared by every replica through one Secret (`<portal>-portal-keys`), so that a cookie or
 * token signed by one replica verifies on any other. The Secret holds a list, newest first: the newest signs, all
 * verify, so a rotation (a new key put in front) never signs anyone out; old keys drop off the end.
 *
 * Everything the portal signs (cookies, access and refresh tokens, authorization codes, CSRF tokens) is bound to a
 * purpose, so that a value made for one use is refused for another.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { Labels, MANAGED_BY } from '../../constructs/index.js';
import { type KubeClient, KubeError } from '../../runtime/index.js';

export interface SigningKey {
  readonly id: string;
  readonly secret: Buffer;
}

export type VerifyFailure = 'malformed' | 'signature' | 'expired';

/** The key list as stored in the Secret. */
interface StoredKey {
  id: string;
  key: string;
  created: string;
}

const MAX_TOKEN_LENGTH = 8192;

export class KeyRing {
  private keys: SigningKey[];

  constructor(
    keys: SigningKey[],
    private readonly reloader?: () => Promise<SigningKey[]>,
  ) {
    if (!keys.length) throw new Error('a key ring needs at least one key');
    this.keys = keys;
  }

  /** The key ids, newest first. */
  public get ids(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** HMAC of `data` for `purpose` under a key (the newest unless given). */
  public mac(purpose: string, data: string, key: SigningKey = this.keys[0]): Buffer {
    return createHmac('sha256', key.secret).update(`${purpose}\u0000${data}`).digest();
  }

  /** Whether `mac` is the HMAC of `data` under any key. */
  public checkMac(purpose: string, data: string, mac: Buffer): boolean {
    let ok = false;
    // every key is tried, so that the time taken does not say which one matched
    for (const key of this.keys) ok = safeEqual(this.mac(purpose, data, key), mac) || ok;
    return ok;
  }

  /** A compact signed token: base64url(JSON payload) "." key id "." base64url(HMAC). `exp` is in seconds. */
  public sign(purpose: string, payload: Record<string, unknown> & { exp: number }): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const key = this.keys[0];
    return `${body}.${key.id}.${this.mac(purpose, `${body}.${key.id}`, key).toString('base64url')}`;
  }

  /** The payload of a token this ring signed for `purpose`, or why it is refused. */
  public verify<T extends { exp: number }>(purpose: string, token: unknown): { payload: T } | { failure: VerifyFailure } {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { failure: 'malformed' };
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return { failure: 'malformed' };
    const [body, kid, sig] = parts;
    const key = this.keys.find((k) => k.id === kid);
    if (!key) return { failure: 'signature' };
    if (!safeEqual(this.mac(purpose, `${body}.${kid}`, key), Buffer.from(sig, 'base64url'))) return { failure: 'signature' };
    let payload: T;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    } catch {
      return { failure: 'malformed' };
    }
    if (typeof payload !== 'object' || payload === null || typeof payload.exp !== 'number') return { failure: 'malformed' };
    if (payload.exp * 1000 <= Date.now()) return { failure: 'expired' };
    return { payload };
  }

  /** Re-reads the key list (after a rotation elsewhere). */
  public async reload(): Promise<void> {
    if (!this.reloader) return;
    const keys = await this.reloader();
    if (keys.length) this.keys = keys;
  }

  private lastReload = 0;

  /**
   * Before verifying a token signed with a key this replica does not know (a replica started after a rotation
   * signs with the new key), re-reads the list; at most once per 10 s, so that made-up key ids cannot make the
   * portal hammer the API server.
   */
  public async ensureKeyOf(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return;
    const kid = token.split('.')[1];
    if (!kid || this.keys.some((k) => k.id === kid) || Date.now() - this.lastReload < 10_000) return;
    this.lastReload = Date.now();
    await this.reload().catch(() => undefined);
  }
}

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Compares secrets in constant time whatever their lengths (by comparing their hashes). */
export function secretEquals(a: string, b: string): boolean {
  const hash = (s: string) => createHash('sha256').update(s).digest();
  return safeEqual(hash(a), hash(b));
}

export function keysSecretName(portal: string): string {
  return `${portal}-portal-keys`;
}

function newKey(): StoredKey {
  return { id: randomBytes(6).toString('base64url'), key: randomBytes(32).toString('base64'), created: new Date().toISOString() };
}

function parseKeys(secret: { data?: Record<string, string> } | undefined): SigningKey[] {
  const raw = secret?.data?.keys;
  if (!raw) return [];
  const stored = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as StoredKey[];
  return stored.map((k) => ({ id: k.id, secret: Buffer.from(k.key, 'base64') }));
}

function keysData(keys: StoredKey[]): Record<string, string> {
  return { keys: Buffer.from(JSON.stringify(keys)).toString('base64') };
}

/**
 * The portal's key ring: read from the Secret, or created with a first key by whichever replica comes first (the
 * others get 409 and read the winner's).
 */
export async function loadKeyRing(client: KubeClient, namespace: string, portal: string): Promise<KeyRing> {
  const name = keysSecretName(portal);
  const read = async () => parseKeys(await client.get<{ data?: Record<string, string> }>('v1', 'Secret', name, namespace));
  let keys = await read();
  if (!keys.length) {
    try {
      await client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: portal, [Labels.COMPONENT]: 'portal' } },
        type: 'Opaque',
        data: keysData([newKey()]),
      });
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409)) throw error;
    }
    keys = await read();
  }
  if (!keys.length) throw new Error(`Secret ${namespace}/${name} has no 'keys': delete it and the portal creates a new one`);
  return new KeyRing(keys, read);
}

/**
 * Puts a new signing key in front of the list, keeping the `keep` newest; every replica picks it up when it next
 * sees a token signed with it (or at its next reload). Cookies signed with a dropped key sign their holders out.
 */
export async function rotateKeys(client: KubeClient, namespace: string, portal: string, keep = 3): Promise<string> {
  const name = keysSecretName(portal);
  for (let attempt = 0; attempt < 5; attempt++) {
    const secret = await client.get<{ metadata: { resourceVersion?: string }; data?: Record<string, string> }>('v1', 'Secret', name, namespace);
    if (!secret) throw new Error(`Secret ${namespace}/${name} does not exist: start the portal once first`);
    const stored = JSON.parse(Buffer.from(secret.data?.keys ?? 'W10=', 'base64').toString('utf8')) as StoredKey[];
    const fresh = newKey();
    try {
      await client.request('PUT', client.pathFor('v1', 'Secret', name, namespace), {
        body: { ...secret, data: keysData([fresh, ...stored].slice(0, Math.max(1, keep))) },
      });
      return fresh.id;
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409)) throw error;
    }
  }
  throw new Error(`Secret ${namespace}/${name} kept changing; try again`);
}
