/**
 * What must be known to every replica about tokens that are otherwise stateless: which were revoked, and which
 * single-use values (authorization codes, refresh tokens) were already used. One ConfigMap,
 * `<portal>-portal-tokens`, holds them as `<kind>.<client>.<id>` → `<expiry seconds>[:<detail>]`, where `<client>`
 * is a short hash of the OAuth2 client id; the ids are random and say nothing, so a ConfigMap (not a Secret) is
 * enough.
 *
 * Bounded, because every client can add entries (refreshing, exchanging codes, revoking its own tokens) and a
 * ConfigMap larger than 1 MiB cannot be written any more, which would stop every code exchange of the portal:
 * - entries are dropped once expired, and every write prunes;
 * - a grant's refresh tokens take one entry together (`refresh.<client>.<grant>` → the last generation used),
 *   however often it is refreshed;
 * - past `perClient` live entries, a client's entries are folded into one, `client.<client>` → the moment before
 *   which everything issued to that client is void (so nothing revoked or used comes back, at the price of the
 *   client's other older tokens: it signs in again);
 * - past `total` entries, the clients with the most entries are folded first.
 *
 * Using a value once is an optimistic-concurrency update (the write carries the resourceVersion it was computed
 * from), so when two replicas redeem the same code at the same moment exactly one write succeeds; the other sees
 * the conflict, re-reads, and finds the code used. Checks of Bearer tokens on ordinary requests read a copy that
 * is at most `cacheMs` old, so a revocation reaches every replica within that time; the token endpoint always
 * reads fresh.
 */
import { createHash } from 'node:crypto';

import { Labels, MANAGED_BY } from '../../constructs/index.js';
import { type KubeClient, KubeError } from '../../runtime/index.js';

export interface TokenStoreLimits {
  /** Live entries one client may have before they are folded into one. @default 500 */
  readonly perClient?: number;
  /** Live entries in all (an entry is about 45 bytes). @default 10000 */
  readonly total?: number;
}

/** What the store needs of a token or code: its client, id, grant, expiry and when it was issued. */
export interface StoredToken {
  readonly cid: string;
  readonly jti: string;
  readonly exp: number;
  readonly fam?: string;
  /** Issued at, in ms since the epoch (absent on tokens from before it was recorded: they count as very old). */
  readonly iat?: number;
  /** The refresh token's place in its grant's rotation (0 for the first). */
  readonly gen?: number;
}

interface TokensConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

type Data = Record<string, string>;

/** 11 characters of base64url (66 bits): short, and unguessable enough that nobody aims at another client's key. */
export function clientKey(clientId: string): string {
  return createHash('sha256').update(clientId).digest('base64url').slice(0, 11);
}

const expiryOf = (value: string | undefined) => Number(value?.split(':')[0] ?? 0);
const detailOf = (value: string | undefined) => Number(value?.split(':')[1] ?? -1);

export class TokenStore {
  private cached?: { at: number; data: Data };
  private reading?: Promise<TokensConfigMap>;
  private readonly perClient: number;
  private readonly total: number;

  /** `lifetimeOf(clientId)`: the longest any token of that client lives, in seconds (how long a fold must last). */
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly portal: string,
    private readonly cacheMs = 2000,
    limits: TokenStoreLimits = {},
    private readonly lifetimeOf: (clientId: string) => number = () => 30 * 86_400,
  ) {
    this.perClient = limits.perClient ?? 500;
    this.total = limits.total ?? 10_000;
    if (!(this.perClient >= 2 && this.total >= this.perClient)) {
      throw new Error(`token store limits: perClient (${this.perClient}) must be at least 2 and total (${this.total}) at least perClient`);
    }
  }

  public get name(): string {
    return `${this.portal}-portal-tokens`;
  }

  /** Whether the access token was revoked, or its grant, or everything of its client issued before it. */
  public async isRevoked(token: StoredToken, fresh = false): Promise<boolean> {
    let data = this.cached?.data;
    if (fresh || !this.cached || Date.now() - this.cached.at > this.cacheMs) {
      try {
        data = (await this.read()).data ?? {};
      } catch (error) {
        // the API server is unreachable: a replica that read the list before keeps using it (a revocation made
        // meanwhile waits for the API server), one that never did refuses every token
        if (fresh || !data) throw error;
      }
    }
    const live = (key: string) => expiryOf(data![key]) > Date.now() / 1000;
    const ck = clientKey(token.cid);
    return (
      live(`revoked.${ck}.${token.jti}`) ||
      (token.fam !== undefined && live(`family.${ck}.${token.fam}`)) ||
      this.folded(data!, token) ||
      // entries written before they carried the client
      live(`revoked.${token.jti}`) ||
      (token.fam !== undefined && live(`family.${token.fam}`))
    );
  }

  /** Records the use of an authorization code; false if it was used before (or is void). */
  public async useCode(code: StoredToken): Promise<boolean> {
    return this.mutate((data) => {
      const key = `code.${clientKey(code.cid)}.${code.jti}`;
      if (data[key] !== undefined || this.folded(data, code)) return false;
      data[key] = String(Math.ceil(code.exp));
      return true;
    }, code.cid);
  }

  /**
   * Records the use of a refresh token. 'used' when it was used before: a copy is about, so its whole grant is
   * revoked in the same write (RFC 6819 §5.2.2.3); 'revoked' when its grant (or its client's older tokens) was.
   */
  public async useRefresh(token: StoredToken & { fam: string }): Promise<'ok' | 'used' | 'revoked'> {
    return this.mutate((data, now) => {
      const ck = clientKey(token.cid);
      const live = (key: string) => expiryOf(data[key]) > now;
      if (live(`family.${ck}.${token.fam}`) || live(`family.${token.fam}`) || this.folded(data, token)) return 'revoked';
      const key = `refresh.${ck}.${token.fam}`;
      const generation = token.gen ?? 0;
      if ((data[key] !== undefined && detailOf(data[key]) >= generation) || live(`refresh.${token.jti}`)) {
        data[`family.${ck}.${token.fam}`] = String(Math.ceil(now + this.lifetimeOf(token.cid)));
        delete data[key];
        return 'used';
      }
      data[key] = `${Math.ceil(Math.max(token.exp, expiryOf(data[key])))}:${generation}`;
      return 'ok';
    }, token.cid);
  }

  /** Revokes one access token until it expires. */
  public async revokeAccess(token: StoredToken): Promise<void> {
    await this.mutate((data) => {
      data[`revoked.${clientKey(token.cid)}.${token.jti}`] = String(Math.ceil(token.exp));
    }, token.cid);
  }

  /** Revokes every token of a grant, until the last one it may have issued has expired. */
  public async revokeFamily(token: StoredToken & { fam: string }): Promise<void> {
    await this.mutate((data, now) => {
      const ck = clientKey(token.cid);
      data[`family.${ck}.${token.fam}`] = String(Math.ceil(now + this.lifetimeOf(token.cid)));
      delete data[`refresh.${ck}.${token.fam}`];
    }, token.cid);
  }

  /** Whether everything of the token's client issued before some moment, this token included, is void. */
  private folded(data: Data, token: StoredToken): boolean {
    const value = data[`client.${clientKey(token.cid)}`];
    return expiryOf(value) > Date.now() / 1000 && (token.iat ?? 0) < detailOf(value);
  }

  /**
   * Applies `change` to the live entries and writes them with the resourceVersion they were read at, again
   * after a conflict; a change that returns false writes nothing. The limits are enforced on every write.
   */
  private async mutate<T>(change: (data: Data, nowSeconds: number) => T, clientId: string): Promise<T> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.read();
      const nowMs = Date.now();
      const data: Data = {};
      for (const [key, value] of Object.entries(current.data ?? {})) if (expiryOf(value) > nowMs / 1000) data[key] = value;
      const result = change(data, nowMs / 1000);
      if (result === false) return result;
      this.enforceLimits(data, nowMs, clientId);
      try {
        const written = await this.client.request<TokensConfigMap>('PUT', this.client.pathFor('v1', 'ConfigMap', this.name, this.namespace), {
          body: { ...current, data },
        });
        this.cached = { at: Date.now(), data: written.data ?? {} };
        return result;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 409)) throw error;
        // another replica wrote first: read again and decide again
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new Error(`ConfigMap ${this.namespace}/${this.name} kept changing; try again`);
  }

  /** Folds the writing client past its cap, then the biggest clients while the whole is past its cap. */
  private enforceLimits(data: Data, nowMs: number, clientId: string): void {
    const byClient = new Map<string, string[]>();
    for (const key of Object.keys(data)) {
      const parts = key.split('.');
      if (parts.length !== 3) continue;
      byClient.set(parts[1], [...(byClient.get(parts[1]) ?? []), key]);
    }
    const fold = (ck: string, lifetimeSeconds: number) => {
      let until = Math.ceil(nowMs / 1000 + lifetimeSeconds);
      for (const key of byClient.get(ck) ?? []) {
        until = Math.max(until, expiryOf(data[key]));
        delete data[key];
      }
      byClient.delete(ck);
      data[`client.${ck}`] = `${until}:${nowMs}`;
    };
    const own = clientKey(clientId);
    if ((byClient.get(own)?.length ?? 0) > this.perClient) fold(own, this.lifetimeOf(clientId));
    let count = Object.keys(data).length;
    if (count <= this.total) return;
    // other clients' lifetimes are unknown here (only a hash is stored): the longest any token has
    const longest = 30 * 86_400;
    for (const [ck, keys] of [...byClient].sort((x, y) => y[1].length - x[1].length)) {
      if (count <= this.total) break;
      count -= keys.length - (data[`client.${ck}`] === undefined ? 1 : 0);
      fold(ck, ck === own ? this.lifetimeOf(clientId) : longest);
    }
  }

  /** The ConfigMap, created empty by whichever replica needs it first (the others get 409 and read it). */
  private async read(): Promise<TokensConfigMap> {
    // concurrent readers share one request
    this.reading ??= (async () => {
      try {
        let map = await this.client.get<TokensConfigMap>('v1', 'ConfigMap', this.name, this.namespace);
        if (!map) {
          try {
            map = await this.client.create<TokensConfigMap>({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: {
                name: this.name,
                namespace: this.namespace,
                labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: this.portal, [Labels.COMPONENT]: 'portal' },
              },
              data: {},
            });
          } catch (error) {
            if (!(error instanceof KubeError && error.status === 409)) throw error;
            map = await this.client.get<TokensConfigMap>('v1', 'ConfigMap', this.name, this.namespace);
          }
        }
        if (!map) throw new Error(`ConfigMap ${this.namespace}/${this.name} vanished`);
        this.cached = { at: Date.now(), data: map.data ?? {} };
        return map;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
