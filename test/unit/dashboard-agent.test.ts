/**
 * The session agent (src/dashboard/agent/): the same interface in-process and over its Unix socket, as the
 * dashboard uses it in the workshop pod. Real shells, a real PTY, real files in a scratch home.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';

import { WebSocket, WebSocketServer } from 'ws';

import type { AgentServer } from '../../src/dashboard/agent/index.js';
import { AgentError, connectAgent, createLocalAgent, serveAgent, type SessionAgent } from '../../src/dashboard/agent/index.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let home: string;
let local: SessionAgent;
let server: AgentServer;
let remote: SessionAgent;

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
}

async function refusal(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected the agent to refuse');
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
  home = path.join(dir, 'home');
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(dir, 'content/workshop/examiner/tests'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'content/workshop/examiner/tests/has-notes'), '#!/bin/sh\ntest -f "$HOME/notes.txt" && echo "found $1"\n', {
    mode: 0o755,
  });
  fs.writeFileSync(path.join(dir, 'outside.txt'), "not the learner's");
  local = createLocalAgent({
    homeDir: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hi', CONFIG_PASSWORD_NOT_HERE: '' },
    shell: '/bin/sh',
  });
  server = await serveAgent(local, path.join(dir, 'agent.sock'));
  remote = await connectAgent({ socketPath: server.socketPath, homeDir: home }, 5_000);
});

afterAll(async () => {
  await remote?.close();
  await local?.close();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['in-process', () => local],
  ['over the socket', () => remote],
])('the agent %s', (_how, agent: () => SessionAgent) => {
  test('runs a command as the learner in the home, with her environment, input and exit code', async () => {
    const result = await agent().exec({
      command: ['sh', '-c', 'read line; echo "$GREETING $line in $(pwd)"; exit 3'],
      input: 'there\n',
      env: { EXTRA: '1' },
    });
    expect(result).toEqual({ exitCode: 3, output: `hi there in ${home}\n`, timedOut: false });
  });

  test('stops a command that runs too long, with its children', async () => {
    const result = await agent().exec({ command: ['sh', '-c', 'sleep 30 & sleep 30'], timeoutSeconds: 1 });
    expect(result).toMatchObject({ exitCode: null, timedOut: true });
  });

  test('writes, lists, reads and removes files of the home, as the learner', async () => {
    const written = await agent().writeFile('notes/today.txt', Buffer.from('remember'), { mode: 0o600 });
    expect(written).toMatchObject({ path: 'notes/today.txt', name: 'today.txt', type: 'file', size: 8, mode: 0o600 });
    expect(fs.statSync(path.join(home, 'notes/today.txt')).uid).toBe(process.getuid!());
    await agent().writeFile('notes/stream.txt', Readable.from([Buffer.from('a'), Buffer.from('b')]));
    expect(await text(await agent().readFile('notes/stream.txt'))).toBe('ab');
    expect((await agent().list('notes')).map((e) => e.name)).toEqual(['stream.txt', 'today.txt']);
    expect((await refusal(agent().writeFile('notes/today.txt', Buffer.from('x'), { overwrite: false }))).code).toBe('exists');
    await agent().remove('notes');
    expect(await agent().stat('notes')).toBeNull();
    expect((await refusal(agent().readFile('notes/today.txt'))).code).toBe('not_found');
  });

  test('keeps to the home: .., absolute paths elsewhere and links out of it are refused', async () => {
    for (const attempt of ['../outside.txt', path.join(dir, 'outside.txt'), '/etc/passwd']) {
      expect((await refusal(agent().readFile(attempt))).code).toBe('outside_home');
      expect((await refusal(agent().writeFile(attempt, Buffer.from('x')))).code).toBe('outside_home');
    }
    fs.symlinkSync(dir, path.join(home, 'up'));
    fs.symlinkSync(path.join(dir, 'outside.txt'), path.join(home, 'link.txt'));
    try {
      expect((await refusal(agent().readFile('up/outside.txt'))).code).toBe('outside_home');
      expect((await refusal(agent().readFile('link.txt'))).code).toBe('outside_home');
      expect((await refusal(agent().writeFile('up/planted.txt', Buffer.from('x')))).code).toBe('outside_home');
      expect(fs.existsSync(path.join(dir, 'planted.txt'))).toBe(false);
    } finally {
      fs.rmSync(path.join(home, 'up'));
      fs.rmSync(path.join(home, 'link.txt'));
    }
  });

  test('runs an examiner test from the content in the home; an unknown test is not_found', async () => {
    await agent().writeFile('notes.txt', Buffer.from('x'));
    const result = await agent().runTest({ contentDir: path.join(dir, 'content'), name: 'has-notes', args: ['them'] });
    expect(result).toEqual({ success: true, output: 'found them\n', timedOut: false });
    expect((await refusal(agent().runTest({ contentDir: path.join(dir, 'content'), name: 'nope' }))).code).toBe('not_found');
    expect((await refusal(agent().runTest({ contentDir: path.join(dir, 'content'), name: '../x' }))).code).toBe('bad_request');
  });

  test("connects a browser's terminal to a shell in the home", async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.on('listening', resolve));
    wss.on('connection', (ws) => void agent().attachTerminal('t1', ws));
    const browser = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    let out = '';
    browser.on('message', (data) => (out += String(data)));
    await new Promise((resolve) => browser.on('open', resolve));
    browser.send(JSON.stringify({ type: 'input', data: 'echo "term $GREETING $((6*7))"\n' }));
    await waitFor("the shell's answer 'term hi 42'", () => out.includes('term hi 42'), { timeoutMs: 15_000, everyMs: 20 });
    browser.close();
    await new Promise((resolve) => wss.close(resolve));
  });
});

test('a bad terminal id is closed with 1008, through the socket too', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.on('listening', resolve));
  wss.on('connection', (ws) => void remote.attachTerminal('no/slashes', ws));
  const browser = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const [code] = await new Promise<[number]>((resolve) => browser.on('close', (c) => resolve([c])));
  expect(code).toBe(1008);
  await new Promise((resolve) => wss.close(resolve));
});

test('the transport answers bad requests with the field and what is allowed', async () => {
  const post = (urlPath: string, body: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath: server.socketPath, method: 'POST', path: urlPath }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c)).on('end', () => resolve({ status: res.statusCode!, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
  expect(await post('/exec', '{"command":[]}')).toEqual({
    status: 400,
    body: expect.stringContaining("'command' ([]) must be a non-empty list of strings"),
  });
  expect(await post('/exec', 'not json')).toMatchObject({ status: 400, body: expect.stringContaining('not JSON') });
  expect(await post('/nothing', '')).toMatchObject({ status: 404 });
});

test("a hostile program on the agent's socket: the client passes on only known error codes and bounded messages", async () => {
  const socketPath = path.join(dir, 'hostile.sock');
  const hostile = http.createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('{"status":"ok"}');
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: '__proto__', message: 'x'.repeat(10_000) }));
  });
  await new Promise<void>((resolve) => hostile.listen(socketPath, resolve));
  try {
    const fake = await connectAgent({ socketPath, homeDir: home }, 1_000);
    const error = await refusal(fake.exec({ command: ['true'] }));
    expect(error.code).toBe('unavailable');
    expect(error.status).toBe(503);
    expect(error.message.length).toBeLessThanOrEqual(2000);
    await fake.close();
  } finally {
    await new Promise((resolve) => hostile.close(resolve));
  }
});
