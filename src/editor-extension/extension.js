// @ts-check
/**
 * The editor side of the instructions' editor:* actions: a VS Code extension, built into the editor image
 * (images/editor), that listens on the pod's loopback (CDK8S_EDITOR_CONTROL_PORT, 10086) and does what the session
 * dashboard forwards: open a file, select text, edit a file in the editor (so the learner sees the change and can
 * undo it) and save it, or run an editor command.
 *
 * Only a request that carries the token in CDK8S_EDITOR_TOKEN_FILE is answered. The container's start script
 * writes that file, in a volume that only the dashboard and the editor containers mount; code-server runs with
 * --disable-proxy, so the port cannot be reached through the editor's own route either.
 *
 *   POST /actions/<name>   JSON arguments of editor:<name> -> 200 { ok, file, selection } | 4xx { error, message }
 *   GET  /state            the active editor's file, selection and selected text (for checks and tests)
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const actions = require('./actions.js');

const MAX_BODY = 1024 * 1024;

/** @type {vscode.OutputChannel | undefined} */
let output;
/** @param {string} message */
function log(message) {
  output?.appendLine(`[${new Date().toISOString()}] ${message}`);
}

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  output = vscode.window.createOutputChannel('Workshop actions');
  const tokenFile = process.env.CDK8S_EDITOR_TOKEN_FILE;
  const port = Number(process.env.CDK8S_EDITOR_CONTROL_PORT || 10086);
  if (!tokenFile) {
    log('CDK8S_EDITOR_TOKEN_FILE is not set: the instructions cannot drive this editor');
    return;
  }
  /** @type {http.Server | undefined} */
  let server;
  /** @type {NodeJS.Timeout | undefined} */
  let retry;
  let stopped = false;
  // Each browser window of the editor has its own extension host: the first one serves, the others wait for the
  // port and take over when that window goes.
  const listen = () => {
    const candidate = http.createServer((req, res) => {
      serve(req, res, tokenFile).catch((error) => reply(res, 500, { error: 'failed', message: String(error && error.message) }));
    });
    candidate.on('error', (error) => {
      if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EADDRINUSE' && !stopped) {
        retry = setTimeout(listen, 1000);
      } else {
        log(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
      }
    });
    candidate.listen(port, '127.0.0.1', () => {
      server = candidate;
      log(`listening on 127.0.0.1:${port}`);
    });
  };
  listen();
  context.subscriptions.push(output, {
    dispose() {
      stopped = true;
      clearTimeout(retry);
      server?.close();
    },
  });
}

function deactivate() {}

/**
 * @param {http.ServerResponse} res @param {number} status @param {unknown} body
 */
function reply(res, status, body) {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Whether the request carries the token (compared in constant time). @param {http.IncomingMessage} req @param {string} tokenFile */
function authorized(req, tokenFile) {
  let token;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch {
    return false;
  }
  const header = String(req.headers.authorization || '');
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (!token || !given) return false;
  const digest = (/** @type {string} */ text) => crypto.createHash('sha256').update(text).digest();
  return crypto.timingSafeEqual(digest(token), digest(given));
}

/** @param {http.IncomingMessage} req @returns {Promise<string>} */
function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new actions.ActionError(413, 'too_large', `the arguments must be at most ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string} tokenFile */
async function serve(req, res, tokenFile) {
  if (!authorized(req, tokenFile)) {
    reply(res, 401, { error: 'unauthorized', message: 'this editor takes actions from its session dashboard only' });
    return;
  }
  const url = new URL(req.url || '/', 'http://editor');
  if (req.method === 'GET' && url.pathname === '/state') {
    reply(res, 200, state());
    return;
  }
  const m = /^\/actions\/([a-z-]+)$/.exec(url.pathname);
  if (!m || req.method !== 'POST') {
    reply(res, 404, { error: 'not_found', message: `nothing is served at ${req.method} ${url.pathname}` });
    return;
  }
  if (!/^application\/json\b/.test(String(req.headers['content-type'] || ''))) {
    reply(res, 415, { error: 'unsupported_media_type', message: 'the arguments must be JSON (content-type: application/json)' });
    return;
  }
  try {
    const body = await readBody(req);
    /** @type {unknown} */
    let args;
    try {
      args = JSON.parse(body || '{}');
    } catch {
      throw new actions.ActionError(400, 'bad_request', 'the arguments are not valid JSON');
    }
    const result = await run(m[1], actions.checkArgs(m[1], args));
    log(`editor:${m[1]} done`);
    reply(res, 200, { ok: true, ...result });
  } catch (error) {
    if (error instanceof actions.ActionError) {
      log(`editor:${m[1]} refused: ${error.message}`);
      reply(res, error.status, { error: error.code, message: error.message });
    } else {
      const message = String((error && /** @type {Error} */ (error).message) || error);
      log(`editor:${m[1]} failed: ${message}`);
      reply(res, 500, { error: 'failed', message });
    }
  }
}

const home = () => process.env.HOME || os.homedir();

/** @param {vscode.TextEditor | undefined} editor */
function describeSelection(editor) {
  if (!editor) return undefined;
  const s = editor.selection;
  return {
    start: { line: s.start.line + 1, character: s.start.character },
    end: { line: s.end.line + 1, character: s.end.character },
    text: editor.document.getText(s),
  };
}

function state() {
  const editor = vscode.window.activeTextEditor;
  return {
    file: editor?.document.uri.fsPath ?? null,
    dirty: editor?.document.isDirty ?? false,
    selection: describeSelection(editor) ?? null,
    visible: vscode.window.visibleTextEditors.map((e) => e.document.uri.fsPath),
  };
}

/** The file an action names, which must exist as a file. @param {Record<string, any>} args */
function existingFile(args) {
  const file = actions.resolveFile(args.file, home());
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new actions.ActionError(404, 'not_found', `the file ${args.file} does not exist${file !== args.file ? ` (${file})` : ''}`);
  }
  if (!stat.isFile()) throw new actions.ActionError(400, 'bad_argument', `${args.file} is a directory, not a file`);
  return file;
}

/** Opens the file in the editor, in front, and returns its editor. @param {string} file */
async function show(file) {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  return vscode.window.showTextDocument(document, { preview: false, preserveFocus: false });
}

/** @param {vscode.TextEditor} editor @param {vscode.Range} range */
function select(editor, range) {
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/**
 * Changes the file in the editor: only the part that changes is replaced (one undo step), then saved and selected.
 * @param {string} file @param {(text: string) => string} change
 */
async function edit(file, change) {
  const editor = await show(file);
  const document = editor.document;
  // a file the learner changed on disk (in a terminal, or by an earlier action) while it was open and unchanged here:
  // take the disk's version first, or the save below would refuse to overwrite a newer file
  if (!document.isDirty) await vscode.commands.executeCommand('workbench.action.files.revert');
  const old = document.getText();
  const neu = change(old);
  const range = actions.changedRange(old, neu);
  if (neu !== old) {
    const work = new vscode.WorkspaceEdit();
    work.replace(document.uri, new vscode.Range(document.positionAt(range.start), document.positionAt(range.oldEnd)), neu.slice(range.start, range.newEnd));
    if (!(await vscode.workspace.applyEdit(work))) throw new Error(`the editor did not apply the change to ${file}`);
  }
  if (!(await document.save()) && document.isDirty) throw new Error(`the editor could not save ${file}`);
  select(editor, new vscode.Range(document.positionAt(range.start), document.positionAt(range.newEnd)));
  return { file, selection: describeSelection(editor) };
}

/** @param {string} name @param {Record<string, any>} args */
async function run(name, args) {
  switch (name) {
    case 'open-file': {
      const editor = await show(existingFile(args));
      if (args.line !== undefined) {
        const line = Math.min(args.line, editor.document.lineCount) - 1;
        select(editor, new vscode.Range(line, 0, line, 0));
      }
      return { file: editor.document.uri.fsPath, selection: describeSelection(editor) };
    }
    case 'select-matching-text': {
      const editor = await show(existingFile(args));
      const match = actions.findMatch(editor.document.getText(), args);
      select(editor, new vscode.Range(editor.document.positionAt(match.start), editor.document.positionAt(match.end)));
      return { file: editor.document.uri.fsPath, selection: describeSelection(editor) };
    }
    case 'replace-text-selection': {
      const file = existingFile(args);
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file) ?? (await show(file));
      const selection = editor.selection;
      if (selection.isEmpty) {
        throw new actions.ActionError(409, 'nothing_selected', `nothing is selected in ${args.file}: select the text to replace first (editor:select-matching-text)`);
      }
      await vscode.window.showTextDocument(editor.document, { preview: false, viewColumn: editor.viewColumn });
      const start = editor.document.offsetAt(selection.start);
      if (!(await editor.edit((builder) => builder.replace(selection, args.text)))) throw new Error(`the editor did not replace the selection in ${args.file}`);
      await editor.document.save();
      select(editor, new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(start + args.text.length)));
      return { file, selection: describeSelection(editor) };
    }
    case 'append-lines-to-file': {
      // Educates creates the file when it is not there: authors use this to create new files.
      const file = actions.resolveFile(args.file, home());
      if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, '', { flag: 'wx' });
      }
      return edit(existingFile(args), (text) => actions.appendLines(text, args.text));
    }
    case 'insert-lines-before-line':
      return edit(existingFile(args), (text) => actions.insertLinesBeforeLine(text, args.line, args.text, args.file));
    case 'append-lines-after-match':
      return edit(existingFile(args), (text) => actions.appendLinesAfterMatch(text, args.match, args.text, args.file));
    case 'insert-value-into-yaml':
      return edit(existingFile(args), (text) => actions.insertValueIntoYaml(text, args.path, args.value, args.file));
    case 'execute-command': {
      const known = await vscode.commands.getCommands(false);
      if (!known.includes(args.command)) throw new actions.ActionError(404, 'not_found', `the editor has no command '${args.command}'`);
      const result = await vscode.commands.executeCommand(args.command, ...(args.args ?? []));
      let value = null;
      try {
        value = result === undefined ? null : JSON.parse(JSON.stringify(result));
      } catch {
        value = null;
      }
      return { command: args.command, result: value };
    }
    default:
      throw new actions.ActionError(404, 'not_found', `the editor has no action 'editor:${name}'`);
  }
}

module.exports = { activate, deactivate };
