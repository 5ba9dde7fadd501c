/**
 * A flaky API server for tests: a plain-HTTP proxy on 127.0.0.1 that forwards to the real kube-apiserver over
 * HTTPS and injects faults into a fraction of the requests, chosen by a seeded random generator so that a run can
 * be reproduced (the sequence of decisions is fixed by the seed; which request meets which decision depends on
 * timing). Faults:
 *
 * - `status500`: answered 500 without reaching the API server;
 * - `status429`: answered 429 with `Retry-After: 1` without reaching the API server;
 * - `dropBefore`: the connection is destroyed before the request is forwarded (nothing happened);
 * - `dropAfter`: the request is forwarded and executed, then the connection is destroyed instead of answering
 *   (the client cannot know whether its write happened);
 * - `watchDrop`: a watch is dropped when it connects;
 * - `watchCut`: a watch that was streaming is cut after 1–6 seconds (the client must reconnect and resume);
 * - `watchGone` (only when `choose` picks it): a watch is answered with an ERROR event 410 Gone (the
 *   resourceVersion is too old: the client must list again), without reaching the API server;
 * - `watchGarbage` (only when `choose` picks it): a line that is not JSON is sent before the watch's own stream.
 *
 * The kind of each fault is taken in turn (the draw decides only whether a request meets one), so that every kind
 * occurs once a few faults have.
 *
 * Requests carry their own credentials (the proxy forwards the Authorization header); the proxy only needs the
 * cluster's CA.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';

export type FaultKind = 'status500' | 'status429' | 'dropBefore' | 'dropAfter' | 'watchDrop' | 'watchCut' | 'watchGone' | 'watchGarbage';

/** The faults of ordinary (non-watch) requests, taken in turn so that each kind occurs once faults occur at all. */
const REQUEST_FAULTS: FaultKind[] = ['status500', 'status429', 'dropBefore', 'dropAfter'];
/** Watches are faulted in turn too, a cut first (so that its reconnection meets the next draw). */
const WATCH_FAULTS: FaultKind[] = ['watchCut', 'watchDrop'];

export interface FaultProxyOptions {
  /** The kubeconfig of the real cluster. @default process.env.KUBECONFIG */
  readonly kubeconfigPath?: string;
  /** @default 1 */
  readonly seed?: number;
  /** Share of ordinary requests that meet a fault. @default 0.05 */
  readonly rate?: number;
  /** Share of watch connections that meet a fault (dropped at connect, or cut later). @default 0.5 */
  readonly watchRate?: number;
  /**
   * A fault chosen by the test for a given request (e.g. to hit one kind of write deterministically); `undefined`
   * leaves the choice to the random draw. Counted like the random faults.
   */
  readonly choose?: (request: { method: string; path: string; watch: boolean }) => FaultKind | undefined;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** A kubeconfig that reaches the cluster through the proxy, with the same credentials. */
  readonly kubeconfigPath: string;
  /** Faults injected so far, per kind (those `choose` picked included). */
  readonly faults: Record<FaultKind, number>;
  /** How many of them `choose` picked. */
  readonly chosen: { count: number };
  /** Requests seen so far (watches included). */
  readonly requests: { total: number; watches: number; byMethod: Record<string, number> };
  /** Faults are injected only while enabled. */
  enabled: boolean;
  close(): Promise<void>;
}

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardHeaders(headers: http.IncomingHttpHeaders, host: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
  out.host = host;
  return out;
}

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const source = options.kubeconfigPath ?? process.env.KUBECONFIG;
  if (!source) throw new Error('fault proxy: no kubeconfig (set KUBECONFIG)');
  const config = new KubeConfig();
  config.loadFromFile(source);
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster || !user?.token) throw new Error(`fault proxy: ${source} has no current cluster with a token user`);
  const tlsOptions: https.RequestOptions = {};
  await config.applyToHTTPSOptions(tlsOptions);
  const upstream = new URL(cluster.server);
  const agent = new https.Agent({ keepAlive: true, ca: tlsOptions.ca, rejectUnauthorized: tlsOptions.rejectUnauthorized ?? true });

  // separate sequences for requests and watches, so that each is fixed by the seed whatever their interleaving
  const random = seededRandom(options.seed ?? 1);
  const watchRandom = seededRandom((options.seed ?? 1) ^ 0x5bd1e995);
  const rate = options.rate ?? 0.05;
  const watchRate = options.watchRate ?? 0.5;
  const faults: Record<FaultKind, number> = {
    status500: 0,
    status429: 0,
    dropBefore: 0,
    dropAfter: 0,
    watchDrop: 0,
    watchCut: 0,
    watchGone: 0,
    watchGarbage: 0,
  };
  const requests = { total: 0, watches: 0, byMethod: {} as Record<string, number> };
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let nextFault = 0;
  let nextWatchFault = 0;

  const proxy: FaultProxy = {
    url: '',
    kubeconfigPath: '',
    faults,
    chosen: { count: 0 },
    requests,
    enabled: true,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };

  const count = (kind: FaultKind) => {
    faults[kind]++;
  };

  const server = http.createServer((req, res) => {
    requests.total++;
    requests.byMethod[req.method ?? '?'] = (requests.byMethod[req.method ?? '?'] ?? 0) + 1;
    const url = new URL(req.url ?? '/', 'http://proxy');
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    if (watch) requests.watches++;

    // Draws are made whether or not faults are enabled, so that the sequence of decisions does not depend on when
    // faults were switched on.
    const draw = watch ? watchRandom() : random();
    const cutAfterMs = watch ? 1000 + Math.floor(watchRandom() * 5000) : 0;
    let fault: FaultKind | undefined;
    if (watch) {
      if (draw < watchRate) fault = WATCH_FAULTS[nextWatchFault++ % WATCH_FAULTS.length];
    } else if (draw < rate) {
      fault = REQUEST_FAULTS[nextFault++ % REQUEST_FAULTS.length];
    }
    const chosen = proxy.enabled ? options.choose?.({ method: req.method ?? 'GET', path: url.pathname, watch }) : undefined;
    if (chosen) {
      fault = chosen;
      proxy.chosen.count++;
    }
    if (!proxy.enabled) fault = undefined;

    if (fault === 'status500' || fault === 'status429') {
      count(fault);
      req.resume();
      const code = fault === 'status500' ? 500 : 429;
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code,
        reason: code === 500 ? 'InternalError' : 'TooManyRequests',
        message: code === 500 ? 'fault proxy: injected internal error' : 'fault proxy: injected throttling',
      });
      res.writeHead(code, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        ...(code === 429 ? { 'Retry-After': '1' } : {}),
      });
      res.end(body);
      return;
    }
    if (fault === 'watchGone') {
      count(fault);
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'fault proxy: too old resource version' } })}\n`,
      );
      return;
    }
    if (fault === 'dropBefore' || fault === 'watchDrop') {
      count(fault);
      req.socket.destroy();
      return;
    }

    const forwarded = https.request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers, upstream.host),
        agent,
      },
      (upstreamResponse) => {
        if (fault === 'dropAfter') {
          // let the API server finish (the change is made), then lose the answer
          upstreamResponse.resume();
          upstreamResponse.on('end', () => {
            count('dropAfter');
            req.socket.destroy();
          });
          return;
        }
        const headers: http.OutgoingHttpHeaders = {};
        for (const [key, value] of Object.entries(upstreamResponse.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
        res.writeHead(upstreamResponse.statusCode ?? 502, headers);
        if (watch) res.flushHeaders();
        if (fault === 'watchGarbage' && (upstreamResponse.statusCode ?? 0) < 300) {
          count(fault);
          res.write('{"type":"MODIFIED","object":{"metadata":\n');
        }
        upstreamResponse.pipe(res);
        upstreamResponse.on('error', () => res.destroy());
        if (fault === 'watchCut' && (upstreamResponse.statusCode ?? 0) < 300) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (res.writableFinished || res.destroyed) return;
            count('watchCut');
            req.socket.destroy();
            forwarded.destroy();
          }, cutAfterMs);
          timers.add(timer);
          res.on('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
          });
        }
      },
    );
    forwarded.on('error', (error) => {
      if (!res.headersSent) {
        const body = JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: 502,
          reason: 'BadGateway',
          message: `fault proxy: ${error.message}`,
        });
        res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.destroy();
      }
    });
    // the client went away (a watch stopped, or a dropped connection): stop the upstream request too
    res.on('close', () => {
      if (!res.writableFinished) forwarded.destroy();
    });
    req.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-proxy-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  // JSON is YAML: client-node reads it as a kubeconfig
  fs.writeFileSync(
    kubeconfigPath,
    JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fault-proxy', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'fault-proxy', user: { token: user.token } }],
        contexts: [{ name: 'fault-proxy', context: { cluster: 'fault-proxy', user: 'fault-proxy', namespace: 'default' } }],
        'current-context': 'fault-proxy',
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );

  Object.assign(proxy, { url, kubeconfigPath });
  const close = proxy.close;
  proxy.close = async () => {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return proxy;
}
