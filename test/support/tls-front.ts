/**
 * An HTTPS front on loopback standing in for the ingress controller where a test needs https: it terminates TLS
 * with a throw-away certificate for its host names and passes each request (WebSocket upgrades too) to the HTTP
 * server behind that host with `X-Forwarded-Proto: https`, or answers it itself. Chromium reaches the names with
 * `--host-resolver-rules` (see `resolverRules`) and accepts the certificate with `ignoreHTTPSErrors`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { selfSignedCertificate } from './self-signed.js';

/** Where a host's requests go: an `http://127.0.0.1:<port>` server, or a handler that answers them here. */
export type Backend = string | ((request: http.IncomingMessage, response: http.ServerResponse) => void);

export interface TlsFront {
  readonly port: number;
  /** `https://<host>:<port>` */
  origin(host: string): string;
  /** The Chromium switch that sends every host of the front to loopback. */
  readonly resolverRules: string;
  close(): Promise<void>;
}

/** @param hosts every host name the certificate names, with its backend; read at each request, so a backend may be set once it listens */
export async function startTlsFront(hosts: Record<string, Backend | undefined>): Promise<TlsFront> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-front-'));
  const names = Object.keys(hosts);
  const { certFile, keyFile } = selfSignedCertificate(
    dir,
    'front',
    names[0],
    names.map((h) => `DNS:${h}`),
  );
  const backendOf = (request: http.IncomingMessage): Backend | undefined => hosts[(request.headers.host ?? '').replace(/:\d+$/, '')];
  const forwarded = (request: http.IncomingMessage) => ({ ...request.headers, 'x-forwarded-proto': 'https' });

  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (request, response) => {
    const backend = backendOf(request);
    if (!backend) return void response.writeHead(404).end(`no backend for ${request.headers.host}`);
    if (typeof backend === 'function') return backend(request, response);
    const target = new URL(backend);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: forwarded(request) },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => response.headersSent || response.writeHead(502).end(error.message));
    request.pipe(upstream);
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const backend = backendOf(request);
    if (typeof backend !== 'string') return void socket.destroy();
    const target = new URL(backend);
    const upstream = net.connect(Number(target.port), target.hostname, () => {
      const headers = Object.entries(forwarded(request)).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]));
      upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    origin: (host) => `https://${host}:${port}`,
    resolverRules: `--host-resolver-rules=${names.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
