/**
 * The session agent's transport, server side: HTTP/1.1 (and WebSockets for terminals) on a Unix socket, in front
 * of a local agent. It runs in the learner's container; the dashboard's client is ./client.ts. Routes:
 *
 *   GET  /healthz                      {"status":"ok"}
 *   POST /exec        AgentExecRequest  → AgentExecResult
 *   POST /examiner    AgentTestRequest  → AgentTestResult
 *   POST /setup       {contentDir}      → AgentSetupResult
 *   GET  /stat?path=                    → AgentFileInfo | null
 *   GET  /list?path=                    → AgentFileInfo[]
 *   GET  /files?path=                   → the file's bytes
 *   PUT  /files?path=&mode=&overwrite=&mkdirs=   body: the bytes → AgentFileInfo
 *   DELETE /files?path=                 → 204
 *   POST /mkdir?path=                   → AgentFileInfo
 *   GET  /terminal/<id>  (WebSocket)    the browser's terminal protocol (src/dashboard/terminals.ts)
 *
 * Errors are `{"error": <AgentErrorCode>, "message": …}` with AGENT_ERROR_STATUS. There is no authentication: the
 * socket is reachable only from the pod's containers, and the learner, who could reach it, is who the agent
 * works for.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { WebSocketServer } from 'ws';

import { AgentError, type SessionAgent } from './api.js';

/** Largest JSON request body. */
const MAX_JSON = 1024 * 1024;

export interface AgentServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

/** Serves `agent` on the Unix socket `socketPath` (replacing a stale socket file), readable by the socket's group. */
export async function serveAgent(agent: SessionAgent, socketPath: string, log?: { warn(obj: object, msg: string): void }): Promise<AgentServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  fs.rmSync(socketPath, { force: true });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const server = http.createServer((req, res) => {
    handle(agent, req, res).catch((error) => {
      const known = error instanceof AgentError;
      if (!known) log?.warn({ url: req.url, message: (error as Error).message }, 'the agent failed to answer');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, known ? error.status : 500, { error: known ? error.code : 'internal', message: (error as Error).message });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const match = /^\/terminal\/([^/?]*)$/.exec(req.url ?? '');
    if (!match) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void agent.attachTerminal(decodeURIComponent(match[1]), ws));
  });
  await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).on('error', reject));
  // the dashboard runs under another uid but in the pod's fsGroup: it connects through the group
  fs.chmodSync(socketPath, 0o660);
  return {
    socketPath,
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(agent: SessionAgent, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const route = `${req.method} ${url.pathname}`;
  const file = () => {
    const value = url.searchParams.get('path');
    if (value === null) throw new AgentError('bad_request', `${route}: the query parameter 'path' is missing`);
    return value;
  };
  switch (route) {
    case 'GET /healthz':
      return send(res, 200, { status: 'ok' });
    case 'POST /exec':
      return send(res, 200, await agent.exec(await json(req)));
    case 'POST /examiner':
      return send(res, 200, await agent.runTest(await json(req)));
    case 'POST /setup':
      return send(res, 200, await agent.sessionSetup((await json<{ contentDir: string }>(req)).contentDir));
    case 'GET /stat':
      return send(res, 200, await agent.stat(file()));
    case 'GET /list':
      return send(res, 200, await agent.list(file()));
    case 'GET /files': {
      const stream = await agent.readFile(file());
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return;
    }
    case 'PUT /files': {
      const mode = url.searchParams.get('mode');
      const flag = (name: string) => {
        const value = url.searchParams.get(name);
        if (value === null) return undefined;
        if (value !== 'true' && value !== 'false') throw new AgentError('bad_request', `${route}: '${name}' (${value}) must be true or false`);
        return value === 'true';
      };
      return send(
        res,
        201,
        await agent.writeFile(file(), req, {
          mode: mode === null ? undefined : parseInt(mode, 8),
          overwrite: flag('overwrite'),
          mkdirs: flag('mkdirs'),
        }),
      );
    }
    case 'DELETE /files':
      await agent.remove(file());
      res.writeHead(204).end();
      return;
    case 'POST /mkdir':
      return send(res, 200, await agent.mkdir(file()));
    default:
      return send(res, 404, { error: 'not_found', message: `the agent has no route '${route}'` });
  }
}

async function json<T = any>(req: http.IncomingMessage): Promise<T> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON) throw new AgentError('too_large', `the request body is larger than ${MAX_JSON} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new AgentError('bad_request', `the request body is not JSON: ${(error as Error).message}`);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
