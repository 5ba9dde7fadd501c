/**
 * What must be known to every replica about tokens that are otherwise stateless: which were revoked, and which
 * single-use values (authorization codes, refresh tokens) were already used. One ConfigMap,
 * `<portal>-portal-tokens`, holds them as `<kind>.<id>` → expiry (seconds), pruned as entries expire; the ids are
 * random and say nothing, so a ConfigMap (not a Secret) is enough.
 *
 * Using a value once is an optimistic-concurrency update (the write carries the resourceVersion it was computed
 * from), so when two replicas redeem the same code at the same moment exactly one write succeeds; the other sees
 * the conflict, re-reads, and finds the code used. Checks of Bearer tokens on ordinary requests read a copy that
 * is at most `cacheMs` old, so a revocation reaches every replica within that time; the token endpoint always
 * reads fresh.
 *
 * Size: an entry is about 40 bytes, so the 1 MiB object limit allows some 20,000 live entries (revocations live as
 * long as the token they revoke: 10 h for access tokens, 30 days for refresh-token families).
 */
import { Labels, MANAGED_BY } from '../../constructs/index.js';
import { KubeClient, KubeError } from '../../runtime/index.js';

export type EntryKind = 'revoked' | 'family' | 'code' | 'refresh';

interface TokensConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

export class TokenStore {
  private cached?: { at: number; data: Record<string, string> };
  private reading?: Promise<TokensConfigMap>;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly portal: string,
    private readonly cacheMs = 2000,
  ) {}

  public get name(): string {
    return `${this.portal}-portal-tokens`;
  }

  /** Whether any of the entries is recorded (revoked token, revoked family). `fresh` skips the cache. */
  public async has(entries: Array<[EntryKind, string]>, fresh = false): Promise<boolean> {
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
    data ??= {};
    const now = Date.now() / 1000;
    return entries.some(([kind, id]) => Number(data[`${kind}.${id}`] ?? 0) > now);
  }

  /**
   * Records entries, each kept until its expiry. With `once`, fails (returns false) if any is already recorded:
   * the single use of a code or refresh token, decided by the API server across replicas.
   */
  public async record(entries: Array<[EntryKind, string, number]>, once = false): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.read();
      const now = Date.now() / 1000;
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(current.data ?? {})) if (Number(value) > now) data[key] = value;
      if (once && entries.some(([kind, id]) => data[`${kind}.${id}`] !== undefined)) return false;
      for (const [kind, id, exp] of entries) data[`${kind}.${id}`] = String(Math.ceil(exp));
      try {
        const written = await this.client.request<TokensConfigMap>('PUT', this.client.pathFor('v1', 'ConfigMap', this.name, this.namespace), {
          body: { ...current, data },
        });
        this.cached = { at: Date.now(), data: written.data ?? {} };
        return true;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 409)) throw error;
        // another replica wrote first: read again and decide again
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new Error(`ConfigMap ${this.namespace}/${this.name} kept changing; try again`);
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
              metadata: { name: this.name, namespace: this.namespace, labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: this.portal, [Labels.COMPONENT]: 'portal' } },
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
