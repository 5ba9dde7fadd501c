/**
 * A small Kubernetes client that speaks the API on the wire: server-side apply as `application/apply-patch+yaml`
 * with `fieldValidation=Strict`, so that no field is dropped on the way (client-node's generic object API
 * serializes through typed models and loses fields it does not know). Credentials come from a kubeconfig, read
 * with @kubernetes/client-node, and are read again as client-go does (see Credentials): a projected
 * ServiceAccount token rotates, an exec plugin's token expires.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';

import { type Cluster, KubeConfig, type User } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

import { lookupKind, type Manifest } from '../constructs/index.js';
import { type Pacer, Priority } from './pacer.js';

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

export interface CredentialOptions {
  /**
   * A file holding the bearer token (a projected ServiceAccount token, kubectl's `tokenFile`); read again every
   * `refreshMs` and after a 401. @default - the kubeconfig's (in-cluster: the ServiceAccount token file)
   */
  readonly tokenFile?: string;
  /** How long a token read from a file (or any credential without an expiry of its own) is used before it is read again, in milliseconds. @default 60000 */
  readonly refreshMs?: number;
}

/** What a request is sent with: headers and TLS material, and a generation number that changes with them. */
interface Resolved {
  readonly headers: Record<string, string>;
  readonly tls: { ca?: Buffer; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean; servername?: string };
  /** The TLS material as a string: a connection pool is kept while it stays the same. */
  readonly tlsKey: string;
  readonly generation: number;
  /** When these credentials are read again (Infinity: never, static ones). */
  readonly staleAt: number;
}

/** An exec plugin's answer (client.authentication.k8s.io ExecCredential). */
interface ExecCredential {
  status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string };
}

/**
 * The credentials of one kubeconfig user, shared by every client made from it (`withOptions`). As client-go does:
 * a token file is read again every minute, an exec plugin runs again shortly before the expiry it gave, and any
 * of them (other auth providers too) is read again at once after the API server answers 401. Concurrent 401s
 * cause one re-read. When a re-read fails, the credentials in hand are kept (the next 401 tries again).
 */
export class Credentials {
  /** How many times the credentials were read (for tests and diagnostics). */
  public reads = 0;
  private pending?: Promise<Resolved>;
  private last?: Resolved;
  private generation = 0;
  private readonly refreshMs: number;

  constructor(
    private readonly config: KubeConfig,
    private readonly options: CredentialOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 60_000;
  }

  public get(): Promise<Resolved> {
    if (this.last && performance.now() < this.last.staleAt) return Promise.resolve(this.last);
    this.pending ??= this.read()
      .then(
        (resolved) => (this.last = resolved),
        (error: unknown) => {
          if (!this.last) throw error;
          // keep the credentials in hand; read again a little later
          this.last = { ...this.last, staleAt: performance.now() + Math.min(this.refreshMs, 5_000) };
          return this.last;
        },
      )
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The credentials of this generation were refused (401): the next get() reads them again (once for many callers). */
  public invalidate(generation: number): void {
    if (this.last?.generation === generation && !this.pending) this.last = { ...this.last, staleAt: 0 };
  }

  private async read(): Promise<Resolved> {
    this.reads++;
    const cluster = this.config.getCurrentCluster();
    const user = this.config.getCurrentUser();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const tls: Resolved['tls'] = {
      ca: fileOrData(cluster.caFile, cluster.caData),
      cert: fileOrData(user?.certFile, user?.certData),
      key: fileOrData(user?.keyFile, user?.keyData),
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    };
    const headers: Record<string, string> = {};
    let staleAt = performance.now() + this.refreshMs;
    const tokenFile = this.options.tokenFile ?? (user?.authProvider?.config?.tokenFile as string | undefined);
    if (user?.exec) {
      const credential = await runExecPlugin(user, cluster);
      const status = credential.status ?? {};
      if (status.token) headers.Authorization = `Bearer ${status.token}`;
      if (status.clientCertificateData) tls.cert = status.clientCertificateData;
      if (status.clientKeyData) tls.key = status.clientKeyData;
      const expires = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : NaN;
      // no expiry given: used until the API server refuses it (as client-go does)
      staleAt = Number.isFinite(expires) ? performance.now() + Math.max(0, expires - Date.now() - 5_000) : Infinity;
    } else if (tokenFile) {
      const token = readFileSync(tokenFile, 'utf8').trim();
      if (!token) throw new Error(`the token file ${tokenFile} is empty`);
      headers.Authorization = `Bearer ${token}`;
    } else {
      // a static token, basic auth, or another auth provider (which keeps its own cache): as client-node applies it
      const options: https.RequestOptions = {};
      await this.config.applyToHTTPSOptions(options);
      for (const [key, value] of Object.entries(options.headers ?? {})) if (typeof value === 'string') headers[key] = value;
      if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      if (!user?.authProvider) staleAt = Infinity;
    }
    if (user?.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    const tlsKey = JSON.stringify([
      tls.ca?.toString('base64'),
      String(tls.cert ?? ''),
      String(tls.key ?? ''),
      tls.rejectUnauthorized,
      tls.servername,
    ]);
    return { headers, tls, tlsKey, staleAt, generation: ++this.generation };
  }
}

function fileOrData(file?: string | null, data?: string | null): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** Runs a kubeconfig user's exec plugin (the client.authentication.k8s.io protocol) and parses its ExecCredential. */
function runExecPlugin(user: User, cluster: Cluster): Promise<ExecCredential> {
  const exec = user.exec as {
    command: string;
    args?: string[];
    env?: Array<{ name: string; value: string }>;
    apiVersion?: string;
    provideClusterInfo?: boolean;
  };
  if (!exec.command) throw new Error(`the kubeconfig user ${user.name} has an exec plugin without a command`);
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              'insecure-skip-tls-verify': cluster.skipTLSVerify,
              ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
            },
          }
        : {}),
    },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const { name, value } of exec.env ?? []) env[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the exec plugin ${exec.command} of kubeconfig user ${user.name} could not run: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(
          new Error(`the exec plugin ${exec.command} of kubeconfig user ${user.name} exited with ${signal ?? code}: ${err.trim().slice(0, 500)}`),
        );
        return;
      }
      try {
        resolve(JSON.parse(out) as ExecCredential);
      } catch {
        reject(new Error(`the exec plugin ${exec.command} of kubeconfig user ${user.name} printed no ExecCredential JSON: ${out.slice(0, 200)}`));
      }
    });
  });
}

/** kubectl's `tokenFile` of the current user of a kubeconfig file (client-node does not read that field). */
function tokenFileOf(path: string, config: KubeConfig): string | undefined {
  try {
    const raw = parseYaml(readFileSync(path, 'utf8')) as { users?: Array<{ name?: string; user?: { tokenFile?: string } }> };
    const name = config.getCurrentUser()?.name;
    const file = raw.users?.find((u) => u.name === name)?.user?.tokenFile;
    if (!file) return undefined;
    return file.startsWith('/') ? file : `${path.replace(/[^/]*$/, '')}${file}`;
  } catch {
    return undefined;
  }
}

/**
 * Requests (not watches) go over HTTP/2 connections per cluster and TLS material, shared by every client of one
 * kubeconfig (`withOptions`), as client-go multiplexes its requests: a burst of a hundred learners' writes travels on
 * connections already open, instead of opening (TCP, then TLS) a connection for each request in flight. One
 * connection carries everything while it is not busy; past BUSY_STREAMS requests in flight on each, another is
 * opened, up to MAX_CONNECTIONS, and a request takes the least busy: one connection's frames are read and written
 * in turn by the API server, so a burst on one waits on itself (measured in bench:sessions, figure 2). Off for
 * plain-http servers and with DISABLE_HTTP2 set (client-go's switch); a server that does not negotiate h2 is spoken
 * to over HTTP/1.1 from then on.
 */
class Http2Connections {
  /** True when requests go over HTTP/1.1 (the keep-alive agent) instead. */
  public unsupported: boolean;
  private open: Http2Connection[] = [];

  constructor(
    server: string,
    private readonly limits: { readonly maxConnections: number; readonly busyStreams: number } = { maxConnections: 8, busyStreams: 1 },
  ) {
    this.unsupported = !server.startsWith('https:') || ['1', 'true'].includes((process.env.DISABLE_HTTP2 ?? '').toLowerCase());
  }

  /** The least busy connection for this TLS material, a new one if every one is busy (or none is usable). */
  public session(server: string, resolved: Resolved): Http2Connection {
    // made with other TLS material (a rotated client certificate): streams under way finish, new ones go to new ones
    for (const entry of this.open.filter((e) => e.tlsKey !== resolved.tlsKey)) entry.session.close();
    this.open = this.open.filter((e) => e.tlsKey === resolved.tlsKey && !e.session.closed && !e.session.destroyed);
    let least: Http2Connection | undefined;
    for (const entry of this.open) if (!least || entry.streams < least.streams) least = entry;
    if (least && (least.streams < this.limits.busyStreams || this.open.length >= this.limits.maxConnections)) return least;
    return this.connect(server, resolved);
  }

  private connect(server: string, resolved: Resolved): Http2Connection {
    const { ca, cert, key, rejectUnauthorized, servername } = resolved.tls;
    const session = http2.connect(server, { ca, cert, key, rejectUnauthorized, servername });
    const entry: Http2Connection = { session, tlsKey: resolved.tlsKey, streams: 0 };
    // a failure of the connection reaches each stream under way, which reports it (and is retried)
    session.on('error', () => undefined);
    session.once('connect', (_session, socket) => {
      if ((socket as { alpnProtocol?: string | false }).alpnProtocol !== 'h2') {
        this.unsupported = true;
        session.destroy();
      }
    });
    const forget = () => {
      this.open = this.open.filter((e) => e !== entry);
    };
    session.once('goaway', forget);
    session.once('close', forget);
    // an idle connection does not keep the process alive; one with requests under way does (see begin/end)
    session.unref();
    this.open.push(entry);
    return entry;
  }

  public begin(entry: Http2Connection): void {
    if (entry.streams++ === 0 && !entry.session.destroyed) entry.session.ref();
  }

  public end(entry: Http2Connection): void {
    if (--entry.streams === 0 && !entry.session.destroyed) entry.session.unref();
  }

  /** Closes the connections once their requests under way are answered. */
  public close(): void {
    for (const entry of this.open) entry.session.close();
    this.open = [];
  }
}

interface Http2Connection {
  readonly session: http2.ClientHttp2Session;
  readonly tlsKey: string;
  /** Requests in flight on it. */
  streams: number;
}

/** One set of HTTP/2 connections per set of credentials: the clients that share credentials share them too. */
const http2Connections = new WeakMap<Credentials, Http2Connections>();

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
  public static fromKubeconfig(path?: string, credentialOptions: CredentialOptions = {}): KubeClient {
    const config = new KubeConfig();
    if (path) config.loadFromFile(path);
    else config.loadFromDefault();
    const file = path ?? process.env.KUBECONFIG?.split(':')[0];
    const tokenFile = credentialOptions.tokenFile ?? (file ? tokenFileOf(file, config) : undefined);
    return new KubeClient(config, {}, new Credentials(config, { ...credentialOptions, tokenFile }));
  }

  public readonly server: string;
  /** The pool of connections, made again only when the TLS material changes (a rotated client certificate). */
  private agent?: { agent: https.Agent | http.Agent; tlsKey: string };
  /** Connection pools made so far (for tests: a rotated token keeps the pool). */
  public pools = 0;
  public readonly credentials: Credentials;
  private readonly http2: Http2Connections;

  constructor(
    private readonly config: KubeConfig,
    private readonly options: KubeClientOptions = {},
    credentials?: Credentials,
  ) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
    this.credentials = credentials ?? new Credentials(config);
    let connections = http2Connections.get(this.credentials);
    if (!connections) http2Connections.set(this.credentials, (connections = new Http2Connections(this.server)));
    this.http2 = connections;
  }

  /** The same cluster and credentials (shared, read again together) with other options (pacing, retries, metrics). */
  public withOptions(options: KubeClientOptions): KubeClient {
    return new KubeClient(this.config, options, this.credentials);
  }

  /**
   * Sends a request, paced and retried with exponential backoff (honouring Retry-After) while the error is
   * retryable; returns the parsed JSON body, or throws KubeError.
   */
  public async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const deadline = Date.now() + (this.options.retryForMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const once = () => this.authenticated((connection) => this.requestOnce<T>(method, path, options, connection));
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

  /**
   * Runs one attempt with the current credentials; when the API server answers 401, reads the credentials again
   * (a rotated token file, an expired exec token) and, if they changed, tries once more.
   */
  private async authenticated<T>(attempt: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await attempt(connection);
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 401)) throw error;
      this.credentials.invalidate(connection.generation);
      const again = await this.connect();
      if (again.generation === connection.generation) throw error;
      return attempt(again);
    }
  }

  /** Opens a watch and returns the response stream of JSON lines (not paced, not retried: the caller reconnects). */
  public stream(path: string, query: Record<string, string | number | boolean | undefined>): Promise<http.IncomingMessage> {
    return this.authenticated((connection) => this.streamOnce(path, query, connection));
  }

  private async streamOnce(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    { agent, headers }: Connection,
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', agent, headers: { ...headers, Accept: 'application/json' } }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            reject(
              new KubeError(
                res.statusCode ?? 0,
                res.statusMessage ?? 'Error',
                `watch ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`,
              ),
            ),
          );
          return;
        }
        resolve(res);
      });
      req.on('error', (error) => reject(new KubeError(0, 'ConnectionError', `watch ${path}: ${error.message}`)));
      req.end();
    });
  }

  private async requestOnce<T>(method: string, path: string, options: RequestOptions, connection: Connection): Promise<T> {
    const { agent, headers } = connection;
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (!this.http2.unsupported) return this.requestOverHttp2<T>(method, path, url, body, options, connection);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          agent,
          headers: {
            ...headers,
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
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
            const retryAfter = Number(res.headers['retry-after']);
            reject(answerError(method, path, status, res.statusMessage ?? 'Error', text, Number.isFinite(retryAfter) ? retryAfter : undefined));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new KubeError(0, 'Timeout', `${method} ${path}: no answer within 30s`)));
      req.on('error', (error) => {
        this.options.onResponse?.(method, 0);
        reject(error instanceof KubeError ? error : new KubeError(0, 'ConnectionError', `${method} ${path}: ${error.message}`));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** One request as a stream of the shared HTTP/2 connection; answers and failures as over HTTP/1.1. */
  private requestOverHttp2<T>(
    method: string,
    path: string,
    url: URL,
    body: string | undefined,
    options: RequestOptions,
    connection: Connection,
  ): Promise<T> {
    const entry = this.http2.session(this.server, connection.resolved);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': method,
      ':path': `${url.pathname}${url.search}`,
      accept: 'application/json',
    };
    for (const [name, value] of Object.entries(connection.headers)) headers[name.toLowerCase()] = value;
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: KubeError) => {
        if (settled) return;
        settled = true;
        this.options.onResponse?.(method, 0);
        reject(error);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = entry.session.request(headers, { endStream: body === undefined });
      } catch (error) {
        fail(new KubeError(0, 'ConnectionError', `${method} ${path}: ${(error as Error).message}`));
        return;
      }
      this.http2.begin(entry);
      // the stream counts as in flight until its answer is complete (its 'close' comes a turn later, when the
      // caller may already have sent the next request, which would then find the connection busy)
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.http2.end(entry);
      };
      let status = 0;
      let retryAfter: number | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (answer) => {
        status = Number(answer[':status'] ?? 0);
        const after = Number(answer['retry-after']);
        retryAfter = answer['retry-after'] !== undefined && Number.isFinite(after) ? after : undefined;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        release();
        if (settled) return;
        settled = true;
        const text = Buffer.concat(chunks).toString('utf8');
        this.options.onResponse?.(method, status);
        if (status >= 200 && status < 300) {
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch (error) {
            reject(new KubeError(0, 'ConnectionError', `${method} ${path}: the answer is not JSON (${(error as Error).message})`));
          }
          return;
        }
        reject(answerError(method, path, status, http.STATUS_CODES[status] ?? 'Error', text, retryAfter));
      });
      stream.setTimeout(30_000, () => {
        fail(new KubeError(0, 'Timeout', `${method} ${path}: no answer within 30s`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.on('error', (error) => fail(new KubeError(0, 'ConnectionError', `${method} ${path}: ${error.message}`)));
      stream.on('close', () => {
        release();
        fail(new KubeError(0, 'ConnectionError', `${method} ${path}: the stream closed before the answer was complete`));
      });
      if (body !== undefined) stream.end(body);
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
  public async get<T = Manifest>(apiVersion: string, kind: string, name: string, namespace?: string, priority?: Priority): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', this.pathFor(apiVersion, kind, name, namespace), { priority });
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
    return this.request<T>('POST', this.pathFor(object.apiVersion, object.kind, undefined, object.metadata.namespace), {
      body: object,
      priority: options.priority,
    });
  }

  /** Deletes an object with background propagation; true when it existed. */
  public async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.request('DELETE', this.pathFor(apiVersion, kind, name, namespace), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return false;
      throw error;
    }
  }

  /** Closes idle connections, so that a process can exit (the shared HTTP/2 one once its requests are answered). */
  public async close(): Promise<void> {
    this.agent?.agent.destroy();
    this.agent = undefined;
    this.http2.close();
  }

  /** The credentials in force and the pool of connections, kept while the TLS material stays the same. */
  private async connect(): Promise<Connection> {
    const resolved = await this.credentials.get();
    if (!this.agent || this.agent.tlsKey !== resolved.tlsKey) {
      const old = this.agent?.agent;
      // room for the paced lane, the learners' lane (see Pacer) and the watches
      const agentOptions = { keepAlive: true, maxSockets: 128 };
      const { ca, cert, key, rejectUnauthorized, servername } = resolved.tls;
      const agent = this.server.startsWith('https:')
        ? new https.Agent({ ...agentOptions, ca, cert, key, rejectUnauthorized, servername })
        : new http.Agent(agentOptions);
      this.agent = { agent, tlsKey: resolved.tlsKey };
      this.pools++;
      // connections made with the old client certificate: idle ones close now, busy ones (watches) when they end
      if (old) {
        for (const sockets of Object.values(old.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
      }
    }
    return { agent: this.agent.agent, headers: resolved.headers, generation: resolved.generation, resolved };
  }
}

interface Connection {
  readonly agent: https.Agent | http.Agent;
  readonly headers: Record<string, string>;
  readonly generation: number;
  readonly resolved: Resolved;
}

/** The KubeError of an answer that is not a success: the Status object's reason and message when there is one. */
function answerError(method: string, path: string, status: number, statusText: string, text: string, retryAfter?: number): KubeError {
  let reason = statusText;
  let message = text;
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? reason;
    message = parsed.message ?? text;
  } catch {
    // not a Status object: keep the raw text
  }
  return new KubeError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`, retryAfter);
}
