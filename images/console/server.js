// The Console capability's server (src/constructs/capabilities/console.ts): k9s, a terminal UI for Kubernetes, on
// the session's namespace, as the session's ServiceAccount, shown in the browser with xterm.js. Each WebSocket on
// /pty gets a k9s of its own in a pseudo-terminal; the page (index.html) reconnects on request when it exits.
// It listens on CONSOLE_ADDRESS:CONSOLE_PORT (default 127.0.0.1:10083): the session dashboard's route (with its
// owner check) is the only way in.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const pty = require('@lydell/node-pty');
const { WebSocketServer } = require('ws');

const PORT = Number(process.env.CONSOLE_PORT || 10083);
const ADDRESS = process.env.CONSOLE_ADDRESS || '127.0.0.1';
const NAMESPACE = process.env.CONSOLE_NAMESPACE || '';
const STATE = process.env.CONSOLE_STATE_DIR || '/tmp/console';
const MAX_SESSIONS = 4;
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

function fail(message) {
  console.error(`console: ${message}`);
  process.exit(1);
}
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) fail(`CONSOLE_PORT '${process.env.CONSOLE_PORT}' is not a port (1-65535)`);
if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(NAMESPACE)) fail(`CONSOLE_NAMESPACE '${NAMESPACE}' is not a namespace name (lower-case letters, digits and '-')`);
const host = process.env.KUBERNETES_SERVICE_HOST;
if (!host || !fs.existsSync(`${SA}/token`)) fail(`no in-cluster credentials (KUBERNETES_SERVICE_HOST and ${SA}/token): the pod needs its ServiceAccount token`);

// k9s wants a kubeconfig with a context: one for the pod's ServiceAccount (the token file is re-read as it rotates).
fs.mkdirSync(STATE, { recursive: true });
const kubeconfig = path.join(STATE, 'kubeconfig');
const server = `https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT || 443}`;
fs.writeFileSync(kubeconfig, [
  'apiVersion: v1', 'kind: Config',
  `clusters: [{name: cluster, cluster: {server: "${server}", certificate-authority: ${SA}/ca.crt}}]`,
  `users: [{name: session, user: {tokenFile: ${SA}/token}}]`,
  `contexts: [{name: session, context: {cluster: cluster, user: session, namespace: ${NAMESPACE}}}]`,
  'current-context: session', '',
].join('\n'), { mode: 0o600 });

// USER too: the pod's uid has no /etc/passwd entry, and k9s (built without cgo) then finds its user in $USER and
// $HOME, or exits at once ("user: Current requires cgo or $USER set in environment").
const env = {
  PATH: process.env.PATH, TERM: 'xterm-256color', COLORTERM: 'truecolor', LANG: 'C.UTF-8',
  HOME: STATE, USER: process.env.USER || 'console', KUBECONFIG: kubeconfig,
  XDG_CONFIG_HOME: path.join(STATE, 'config'), XDG_DATA_HOME: path.join(STATE, 'data'),
  XDG_STATE_HOME: path.join(STATE, 'state'), XDG_CACHE_HOME: path.join(STATE, 'cache'),
};
// No look-up of k9s's latest release on github.com from a learner's pod (k9s does one at each start otherwise).
const k9sConfig = path.join(env.XDG_CONFIG_HOME, 'k9s', 'config.yaml');
if (!fs.existsSync(k9sConfig)) {
  fs.mkdirSync(path.dirname(k9sConfig), { recursive: true });
  fs.writeFileSync(k9sConfig, 'k9s:\n  skipLatestRevCheck: true\n');
}
const command = ['k9s', '--namespace', NAMESPACE, '--logoless', '--command', 'pods'];

const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/xterm.js': ['node_modules/@xterm/xterm/lib/xterm.js', 'text/javascript'],
  '/xterm.css': ['node_modules/@xterm/xterm/css/xterm.css', 'text/css'],
  '/addon-fit.js': ['node_modules/@xterm/addon-fit/lib/addon-fit.js', 'text/javascript'],
};
const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url || '/', 'http://console');
  if (url.pathname === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  const file = req.method === 'GET' ? files[url.pathname] : undefined;
  if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  fs.createReadStream(path.join(__dirname, file[0])).pipe(res);
});

let sessions = 0;
const wss = new WebSocketServer({ server: httpServer, path: '/pty', maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  if (sessions >= MAX_SESSIONS) return void ws.close(1013, `at most ${MAX_SESSIONS} consoles at once`);
  const size = new URL(req.url || '/', 'http://console').searchParams;
  const dim = (v, d) => Math.min(Math.max(Number(v) || d, 10), 500);
  let term;
  try {
    term = pty.spawn(command[0], command.slice(1), { name: 'xterm-256color', cols: dim(size.get('cols'), 120), rows: dim(size.get('rows'), 32), cwd: STATE, env });
  } catch (error) {
    return void ws.close(1011, `k9s did not start: ${error.message}`.slice(0, 120));
  }
  sessions++;
  term.onData((data) => ws.readyState === ws.OPEN && ws.send(data));
  term.onExit(({ exitCode }) => {
    sessions--;
    if (ws.readyState === ws.OPEN) ws.close(1000, `k9s exited (${exitCode})`);
  });
  // input as text; {"resize":[cols,rows]} as JSON
  ws.on('message', (data, binary) => {
    const text = data.toString('utf8');
    if (!binary && text.startsWith('{"resize"')) {
      try {
        const [cols, rows] = JSON.parse(text).resize;
        return void term.resize(dim(cols, 120), dim(rows, 32));
      } catch {
        return undefined;
      }
    }
    term.write(text);
  });
  ws.on('close', () => term.kill());
});

httpServer.listen(PORT, ADDRESS, () => console.log(`console: k9s on namespace ${NAMESPACE} at http://${ADDRESS}:${PORT}/`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
