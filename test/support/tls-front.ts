/**
 * An HTTPS front on loopback standing in for the ingress controller where a test needs https: it terminates TLS
 * with a throw-away certificate for its host names and passes each request (WebSocket upgrades too) to the HTTP
 * server behind that host with `X-Forwarded-Proto: https` (through http-proxy-3, as the dashboard's routes), or
 * answers it itself. Chromium reaches the names with `--host-resolver-rules` (see `resolverRules`) and accepts
 * the certificate with `ignoreHTTPSErrors`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { createProxyServer } from 'http-proxy-3';

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
  // the Host header passes as the browser sent it; the backend learns the request came over https
  const proxy = createProxyServer({ ws: true, headers: { 'x-forwarded-proto': 'https' } });
  proxy.on('error', (error, _request, answer) => {
    if (!(answer instanceof http.ServerResponse)) return void answer.destroy();
    if (!answer.headersSent) answer.writeHead(502);
    answer.end(error.message);
  });

  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (request, response) => {
    const backend = backendOf(request);
    if (!backend) return void response.writeHead(404).end(`no backend for ${request.headers.host}`);
    if (typeof backend === 'function') return backend(request, response);
    proxy.web(request, response, { target: backend });
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const backend = backendOf(request);
    if (typeof backend !== 'string') return void socket.destroy();
    proxy.ws(request, socket, head, { target: backend });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    origin: (host) => `https://${host}:${port}`,
    resolverRules: `--host-resolver-rules=${names.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
    async close() {
      server.closeAllConnections();
      proxy.close();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
