/**
 * A small Kubernetes client that speaks the API on the wire: server-side apply as `application/apply-patch+yaml`
 * with `fieldValidation=Strict`, so that no field is dropped on the way (client-node's generic object API
 * serializes through typed models and loses fields it does not know). Credentials come from a kubeconfig, read
 * with @kubernetes/client-node.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { Manifest, lookupKind } from '../constructs/index.js';
import { Pacer, Priority } from './pacer.js';

/** The field manager of everything the runtime applies. */
export const FIELD_MANAGER = 'cdk8s-workshops';

/** A failed API request: the HTTP status and the Status object's reason and message. */
export class KubeError extends Error {
  constructor(
    public readonly status: number,
    public readonly reason: string,
    message: string,
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** @default Priority.BACKGROUND */
  readonly priority?: Priority;
}

export interface KubeClientOptions {
  /** Paces requests; @default - no pacing */
  readonly pacer?: Pacer;
  /** Longest time a request is retried before its error is thrown, in milliseconds. @default 60000 */
  readonly retryForMs?: number;
  /** Called after every answer (or failure to get one), e.g. for metrics. */
  readonly onResponse?: (verb: string, status: number) => void;
}

/**
 * Whether an error is worth another try: throttling (429), the server or a proxy failing (5xx), timeouts and
 * dropped connections. Server-side apply's 500 for an object that does not fit the schema is permanent.
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof KubeError)) return false;
  if (error.status === 0 || error.status === 429) return true;
  if (error.status >= 500) return !/failed to create typed patch object|field not declared in schema/.test(error.message);
  return false;
}

export class KubeClient {
  /** A client for the current context of a kubeconfig file (or the default kubeconfig, or in-cluster). */
  public static fromKubeconfig(path?: string): KubeClient {
    const config = new KubeConfig();
    if (path) config.loadFromFile(path);
    else config.loadFromDefault();
    return new KubeClient(config);
  }

  public readonly server: string;
  private connection?: Promise<{ agent: https.Agent | http.Agent; headers: Record<string, string> }>;

  constructor(private readonly config: KubeConfig, private readonly options: KubeClientOptions = {}) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
  }

  /** The same cluster and credentials with other options (pacing, retries, metrics). */
  public withOptions(options: KubeClientOptions): KubeClient {
    return new KubeClient(this.config, options);
  }

  /**
   * Sends a request, paced and retried with exponential backoff (honouring Retry-After) while the error is
   * retryable; returns the parsed JSON body, or throws KubeError.
   */
  public async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const deadline = Date.now() + (this.options.retryForMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const once = () => this.requestOnce<T>(method, path, options);
        return await (this.options.pacer ? this.options.pacer.run(options.priority ?? Priority.BACKGROUND, once) : once());
      } catch (error) {
        if (!isRetryable(error) || Date.now() >= deadline) throw error;
        const backoff = Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        const retryAfter = (error as KubeError).retryAfterSeconds;
        const wait = Math.min(retryAfter !== undefined ? retryAfter * 1000 : backoff, Math.max(0, deadline - Date.now()));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** Opens a watch and returns the response stream of JSON lines (not paced, not retried: the caller reconnects). */
  public async stream(path: string, query: Record<string, string | number | boolean | undefined>): Promise<http.IncomingMessage> {
    const { agent, headers } = await this.connect();
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', agent, headers: { ...headers, Accept: 'application/json' } }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeError(res.statusCode ?? 0, res.statusMessage ?? 'Error', `watch ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`)));
          return;
        }
        resolve(res);
      });
      req.on('error', (error) => reject(new KubeError(0, 'ConnectionError', `watch ${path}: ${error.message}`)));
      req.end();
    });
  }

  private async requestOnce<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const { agent, headers } = await this.connect();
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(url, {
        method,
        agent,
        headers: {
          ...headers,
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
        timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          this.options.onResponse?.(method, status);
          if (status >= 200 && status < 300) {
            resolve((text ? JSON.parse(text) : undefined) as T);
            return;
          }
          let reason = res.statusMessage ?? 'Error';
          let message = text;
          try {
            const parsed = JSON.parse(text) as { reason?: string; message?: string };
            reason = parsed.reason ?? reason;
            message = parsed.message ?? text;
          } catch {
            // not a Status object: keep the raw text
          }
          const retryAfter = Number(res.headers['retry-after']);
          reject(new KubeError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`, Number.isFinite(retryAfter) ? retryAfter : undefined));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new KubeError(0, 'Timeout', `${method} ${path}: no answer within 30s`)));
      req.on('error', (error) => {
        this.options.onResponse?.(method, 0);
        reject(error instanceof KubeError ? error : new KubeError(0, 'ConnectionError', `${method} ${path}: ${error.message}`));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** The REST path of an object (or of its collection when `name` is omitted). */
  public pathFor(apiVersion: string, kind: string, name?: string, namespace?: string): string {
    const info = lookupKind(apiVersion, kind);
    if (!info) throw new Error(`unknown kind ${kind} (${apiVersion}): register it with registerKind()`);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Server-side apply of one object, strictly validated; returns the object as stored. */
  public apply(object: Manifest, options: { fieldManager?: string; force?: boolean; dryRun?: boolean; priority?: Priority } = {}): Promise<Manifest> {
    const path = this.pathFor(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
    return this.request<Manifest>('PATCH', path, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: options.fieldManager ?? FIELD_MANAGER,
        force: options.force ?? true,
        fieldValidation: 'Strict',
        dryRun: options.dryRun ? 'All' : undefined,
      },
      priority: options.priority,
    });
  }

  /** Reads one object; undefined when it does not exist. */
  public async get<T = Manifest>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', this.pathFor(apiVersion, kind, name, namespace));
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The REST path of a kind's collection: in one namespace, or across all of them when `namespace` is omitted. */
  public collectionPath(apiVersion: string, kind: string, namespace?: string): string {
    const all = lookupKind(apiVersion, kind)?.namespaced && !namespace;
    return all ? this.pathFor(apiVersion, kind).replace('/namespaces/default', '') : this.pathFor(apiVersion, kind, undefined, namespace);
  }

  /** Lists objects of a kind, optionally in one namespace and by label selector. */
  public async list<T = Manifest>(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string } = {}): Promise<T[]> {
    const path = this.collectionPath(apiVersion, kind, options.namespace);
    const result = await this.request<{ items: T[] }>('GET', path, { query: { labelSelector: options.labelSelector } });
    return result.items;
  }

  /** Creates an object (POST); throws KubeError 409 when it exists. */
  public create<T = Manifest>(object: Manifest, options: { priority?: Priority } = {}): Promise<T> {
    return this.request<T>('POST', this.pathFor(object.apiVersion, object.kind, undefined, object.metadata.namespace), { body: object, priority: options.priority });
  }

  /** Deletes an object with background propagation; true when it existed. */
  public async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.request('DELETE', this.pathFor(apiVersion, kind, name, namespace), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return false;
      throw error;
    }
  }

  /** Closes idle connections, so that a process can exit. */
  public async close(): Promise<void> {
    if (this.connection) (await this.connection).agent.destroy();
    this.connection = undefined;
  }

  private connect() {
    if (!this.connection) {
      this.connection = (async () => {
        const options: https.RequestOptions = {};
        await this.config.applyToHTTPSOptions(options);
        const agentOptions = { keepAlive: true, maxSockets: 64 };
        const agent = this.server.startsWith('https:')
          ? new https.Agent({ ...agentOptions, ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized })
          : new http.Agent(agentOptions);
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(options.headers ?? {})) if (typeof value === 'string') headers[key] = value;
        if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
        return { agent, headers };
      })();
    }
    return this.connection;
  }
}
