// hello-web: answers every GET with a greeting naming the session that runs it (GREETING_FROM, set by the example
// to the session's name) and the pod (HOSTNAME), so a learner who scales it sees the replicas take turns.
// /healthz answers "ok". No dependencies: the base image's node runs it.
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
const from = process.env.GREETING_FROM || 'cdk8s-workshops';
const message = process.env.GREETING || 'Hello';

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message} from ${from} (pod ${process.env.HOSTNAME || 'unknown'})\n`);
});
server.listen(port, '0.0.0.0', () => console.log(`hello-web listening on :${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => process.exit(0)));
