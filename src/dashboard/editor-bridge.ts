/**
 * The dashboard's half of the instructions' editor:* actions: `POST /editor/actions/<name>` (the signed-in learner
 * only, JSON arguments) is forwarded to the editor's extension (src/editor-extension) on the pod's loopback with the
 * token the editor container wrote (settings.editor.tokenFile, a volume only these two containers mount). The
 * editor's answer goes back as it is: `{ ok, file, selection }`, or `{ error, message }` naming what was wrong.
 *
 * The editor's extension starts when the learner's browser first opens the editor (VS Code runs extensions per
 * window), so the page opens the Editor tab and this waits, up to `waitMs`, for the listener to answer.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';

import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';

import { isObject } from './config.js';

/** The editor actions the extension carries out (`editor:<name>`). */
export const EDITOR_ACTIONS: readonly string[] = [
  'open-file',
  'select-matching-text',
  'replace-text-selection',
  'append-lines-to-file',
  'insert-lines-before-line',
  'append-lines-after-match',
  'insert-value-into-yaml',
  'execute-command',
];

export interface EditorBridgeSettings {
  /** The extension's port on the loopback. */
  readonly controlPort: number;
  /** The file holding the token the extension checks. */
  readonly tokenFile: string;
  /** @default '127.0.0.1' */
  readonly controlHost?: string;
}

export interface EditorBridgeOptions {
  /** `settings.editor` of dashboard.json; without it, the session has no editor and the route says so. */
  readonly settings: unknown;
  readonly preHandler: preHandlerHookHandler;
  /** How long a request waits for the editor's listener. @default 120000 */
  readonly waitMs?: number;
}

/** settings.editor, checked; undefined when the workshop has no editor. */
export function editorBridgeSettings(value: unknown): EditorBridgeSettings | undefined {
  if (!isObject(value)) return undefined;
  const port = value.controlPort;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    throw new Error(`dashboard settings: editor.controlPort (${JSON.stringify(port)}) must be a port number from 1 to 65535`);
  }
  if (typeof value.tokenFile !== 'string' || !value.tokenFile.startsWith('/')) {
    throw new Error(`dashboard settings: editor.tokenFile (${JSON.stringify(value.tokenFile)}) must be an absolute path`);
  }
  const host = typeof value.controlHost === 'string' ? value.controlHost : undefined;
  return { controlPort: port as number, tokenFile: value.tokenFile, controlHost: host };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** One request to the extension; rejects with a code when nothing listens (yet). */
function forward(settings: EditorBridgeSettings, token: string, name: string, args: unknown): Promise<Answer> {
  const payload = JSON.stringify(args);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: settings.controlHost ?? '127.0.0.1',
        port: settings.controlPort,
        path: `/actions/${name}`,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: 60_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = { error: 'failed', message: `the editor answered ${response.statusCode} without JSON` };
          }
          resolve({ status: response.statusCode ?? 502, body });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('the editor took too long to answer'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end(payload);
  });
}

const WAITABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EMPTY_TOKEN']);

async function readToken(file: string): Promise<string> {
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (!token) throw Object.assign(new Error(`${file} is empty`), { code: 'EMPTY_TOKEN' });
  return token;
}

export function registerEditorBridge(app: FastifyInstance, options: EditorBridgeOptions): void {
  const settings = editorBridgeSettings(options.settings);
  const waitMs = options.waitMs ?? 120_000;
  app.post('/editor/actions/:name', { preHandler: options.preHandler }, async (request: FastifyRequest, reply: FastifyReply) => {
    const name = (request.params as { name: string }).name;
    if (!settings) return reply.code(404).send({ error: 'no_editor', message: 'this workshop has no editor' });
    if (!EDITOR_ACTIONS.includes(name)) {
      return reply.code(404).send({
        error: 'not_found',
        message: `the editor has no action 'editor:${name}' (it has ${EDITOR_ACTIONS.map((n) => `editor:${n}`).join(', ')})`,
      });
    }
    if (!isObject(request.body)) {
      return reply.code(400).send({ error: 'bad_argument', message: `the arguments of editor:${name} must be a JSON object of its fields` });
    }
    const deadline = Date.now() + waitMs;
    let delay = 200;
    for (;;) {
      try {
        const answer = await forward(settings, await readToken(settings.tokenFile), name, request.body);
        return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (!WAITABLE.has(code) || Date.now() + delay > deadline) {
          request.log.warn({ code, message: (error as Error).message }, 'the editor did not take the action');
          return reply.code(503).send({
            error: 'editor_unavailable',
            message: WAITABLE.has(code)
              ? `the editor did not start listening within ${Math.round(waitMs / 1000)} s: open the Editor tab, wait for it to load, and try again`
              : `the editor could not be reached: ${(error as Error).message}`,
          });
        }
        // The editor (its container, or the extension in the learner's window) is still starting.
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(2000, delay * 2);
      }
    }
  });
}
