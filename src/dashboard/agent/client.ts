/**
 * The session agent as the dashboard reaches it in the workshop pod: the transport of ./server.ts over the Unix
 * socket the `dashboard` and `workshop` containers share. Whatever comes back is the learner's (it may be the
 * learner's own program on the socket): the dashboard passes it on to the learner, never acts on it.
 */
import * as http from 'node:http';
import { Readable } from 'node:stream';

import { WebSocket } from 'ws';

import { TERMINAL_ID } from '../terminals.js';
import {
  AGENT_ERROR_STATUS,
  AgentError,
  type AgentErrorCode,
  type AgentExecRequest,
  type AgentExecResult,
  type AgentFileInfo,
  type AgentSetupResult,
  type AgentTestRequest,
  type AgentTestResult,
  type AgentWriteOptions,
  type SessionAgent,
} from './api.js';

export interface RemoteAgentOptions {
  /** The agent's Unix socket. */
  readonly socketPath: string;
  /** The learner's home in the learner's container. @default '/home/workshop' */
  readonly homeDir?: string;
  /** Called whenever the learner types in a terminal (the dashboard's activity). */
  readonly onInput?: () => void;
}

/** Connects to the agent at `socketPath`, waiting up to `waitMs` for it to answer (the two containers start together). */
export async function connectAgent(options: RemoteAgentOptions, waitMs = 60_000): Promise<SessionAgent> {
  const agent = new RemoteAgent(options);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await agent.health();
      return agent;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the session agent does not answer on ${options.socketPath}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

class RemoteAgent implements SessionAgent {
  public readonly homeDir: string;
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly options: RemoteAgentOptions) {
    this.homeDir = options.homeDir ?? '/home/workshop';
  }

  public async health(): Promise<void> {
    await this.json('GET', '/healthz');
  }

  public async attachTerminal(id: string, browser: WebSocket): Promise<void> {
    if (!TERMINAL_ID.test(id)) return browser.close(1008, 'terminal session ids are 1 to 32 letters, digits, - or _');
    const agent = new WebSocket(`ws+unix://${this.options.socketPath}:/terminal/${encodeURIComponent(id)}`, { maxPayload: 1024 * 1024 });
    this.sockets.add(agent);
    const pending: string[] = [];
    browser.on('message', (raw, isBinary) => {
      const text = isBinary ? raw.toString() : String(raw);
      if (this.options.onInput && text.includes('"input"')) {
        try {
          if (JSON.parse(text).type === 'input') this.options.onInput();
        } catch {
          // not a terminal message: the agent ignores it too
        }
      }
      if (agent.readyState === WebSocket.OPEN) agent.send(text);
      else if (agent.readyState === WebSocket.CONNECTING && pending.length < 1000) pending.push(text);
    });
    agent.on('open', () => {
      for (const text of pending.splice(0)) agent.send(text);
    });
    agent.on('message', (raw, isBinary) => {
      if (browser.readyState === WebSocket.OPEN) browser.send(isBinary ? raw.toString() : String(raw));
    });
    agent.on('close', (code, reason) => {
      this.sockets.delete(agent);
      // a close code the agent chose (1013 too many, 1008 bad id, 1001 stopping) goes on; others become 1011
      const passOn = code === 1013 || code === 1008 || code === 1001;
      if (browser.readyState === WebSocket.OPEN)
        browser.close(passOn ? code : 1011, passOn ? reason.toString() : 'the session agent closed the terminal');
    });
    agent.on('error', () => {
      if (browser.readyState === WebSocket.OPEN) browser.close(1011, 'the session agent is not reachable');
    });
    browser.on('close', () => agent.close());
  }

  public exec(request: AgentExecRequest): Promise<AgentExecResult> {
    return this.json('POST', '/exec', request);
  }

  public runTest(request: AgentTestRequest): Promise<AgentTestResult> {
    return this.json('POST', '/examiner', request);
  }

  public sessionSetup(contentDir: string): Promise<AgentSetupResult> {
    return this.json('POST', '/setup', { contentDir });
  }

  public stat(file: string): Promise<AgentFileInfo | null> {
    return this.json('GET', `/stat?path=${encodeURIComponent(file)}`);
  }

  public list(dir: string): Promise<AgentFileInfo[]> {
    return this.json('GET', `/list?path=${encodeURIComponent(dir)}`);
  }

  public async readFile(file: string): Promise<Readable> {
    const res = await this.request('GET', `/files?path=${encodeURIComponent(file)}`);
    if (res.statusCode !== 200) throw await errorOf(res);
    return res;
  }

  public async writeFile(file: string, data: Uint8Array | Readable, options: AgentWriteOptions = {}): Promise<AgentFileInfo> {
    const query = new URLSearchParams({ path: file });
    if (options.mode !== undefined) query.set('mode', options.mode.toString(8));
    if (options.overwrite !== undefined) query.set('overwrite', String(options.overwrite));
    if (options.mkdirs !== undefined) query.set('mkdirs', String(options.mkdirs));
    const res = await this.request('PUT', `/files?${query}`, data instanceof Readable ? data : Buffer.from(data));
    if (res.statusCode !== 201) throw await errorOf(res);
    return JSON.parse(await text(res));
  }

  public mkdir(dir: string): Promise<AgentFileInfo> {
    return this.json('POST', `/mkdir?path=${encodeURIComponent(dir)}`);
  }

  public async remove(file: string): Promise<void> {
    const res = await this.request('DELETE', `/files?path=${encodeURIComponent(file)}`);
    if (res.statusCode !== 204) throw await errorOf(res);
    res.resume();
  }

  public async close(): Promise<void> {
    for (const ws of this.sockets) ws.close(1001, 'the dashboard is stopping');
    this.sockets.clear();
  }

  private async json<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await this.request(method, urlPath, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    if (res.statusCode! >= 300) throw await errorOf(res);
    return JSON.parse(await text(res));
  }

  private request(method: string, urlPath: string, body?: Buffer | Readable): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.options.socketPath, method, path: urlPath, headers: body instanceof Buffer ? { 'content-length': body.length } : {} },
        resolve,
      );
      req.on('error', (error) =>
        reject(new AgentError('unavailable', `the session agent on ${this.options.socketPath} is not reachable: ${error.message}`)),
      );
      if (body instanceof Readable) {
        body.on('error', (error) => req.destroy(error));
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }
}

async function text(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function errorOf(res: http.IncomingMessage): Promise<AgentError> {
  const body = await text(res);
  try {
    const parsed = JSON.parse(body) as { error: AgentErrorCode; message: string };
    // the learner's words: only a code the dashboard knows, and a string message
    const code = Object.hasOwn(AGENT_ERROR_STATUS, parsed.error) ? parsed.error : 'unavailable';
    return new AgentError(code, String(parsed.message).slice(0, 2000));
  } catch {
    return new AgentError('unavailable', `the session agent answered ${res.statusCode}: ${body.slice(0, 200)}`);
  }
}
