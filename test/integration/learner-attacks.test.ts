/**
 * Issue 10 from the learner's seat in a real workshop pod: dist/ applied to the cluster with the real node
 * (test/support/real-cluster.ts, as real-journey.test.ts does), a session of `labs-container-builds` (the `admin`
 * session role, the Docker capability) started by the runtime, and every attack run where the learner runs
 * things: in the `workshop` container, through the session agent's socket (what the dashboard's terminals,
 * terminal:execute actions and examiner tests use), under the learner's uid. Each attack first shows that it would
 * find what it looks for where that is (the dashboard's container, read as the admin).
 *
 * Run it with the real node: CDK8S_WORKSHOPS_REAL_NODE=1 (needs root; scripts/cluster/README.md), or on its own,
 * when it starts a private real node through the node lock.
 */
import * as crypto from 'node:crypto';

import { type Run, workshops } from '../support/cli.js';
import { distObjects, type RealCluster, realDist, startRealCluster } from '../support/real-cluster.js';
import { REAL_NODE_NAME } from '../support/real-node.js';

const ENVIRONMENT = 'labs-container-builds';
const CONTENT_REPOSITORY = 'cdk8s-workshops/container-builds-files:1.0.0';
const DOMAIN = 'workshops.127-0-0-1.test';
const SESSION = `${ENVIRONMENT}-s001`;
/** A namespace laid out as another learner's session, with a Secret in it. */
const OTHER_SESSION = `${ENVIRONMENT}-s999`;
const DASHBOARD_PORT = 10080;

type Json = Record<string, any>;
let cluster: RealCluster;
let pod: Json;

/** `kubectl exec` as the admin into one container of the session's workshop pod (as that container's user). */
async function execIn(container: 'dashboard' | 'workshop', command: string[]): Promise<Run> {
  return cluster.node.kubectl(['-n', ENVIRONMENT, 'exec', pod.metadata.name, '-c', container, '--', ...command], { timeoutMs: 120_000 });
}

/**
 * What the learner's side runs: a POST to the session agent's /exec on its socket, from inside the `workshop`
 * container; the command is a child of the agent, as the learner's shells and examiner tests are.
 */
const AGENT_EXEC = `const http=require('http');const body=Buffer.from(process.argv[1],'base64');
const req=http.request({socketPath:process.env.WORKSHOP_AGENT_SOCKET,method:'POST',path:'/exec',headers:{'content-length':body.length}},(res)=>{
let d='';res.setEncoding('utf8');res.on('data',(c)=>d+=c);res.on('end',()=>{process.stdout.write(d);process.exitCode=res.statusCode===200?0:1;});});
req.on('error',(e)=>{console.error(e.message);process.exitCode=2;});req.end(body);`;

async function asLearner(command: string[], env: Record<string, string> = {}, input?: string): Promise<{ exitCode: number | null; output: string }> {
  const request = Buffer.from(JSON.stringify({ command, env, input, timeoutSeconds: 120 })).toString('base64');
  const result = await execIn('workshop', ['node', '-e', AGENT_EXEC, request]);
  if (result.code !== 0) throw new Error(`the session agent did not run ${JSON.stringify(command)}: ${result.stderr.trim()} ${result.stdout.trim()}`);
  return JSON.parse(result.stdout);
}

/** kubectl as the learner, in her container, with her kubeconfig (the session ServiceAccount). */
async function learnerKubectl(args: string[], input?: string): Promise<{ exitCode: number | null; output: string }> {
  return asLearner(['kubectl', ...args], {}, input);
}

/**
 * Reads every /proc/<pid>/environ and /proc/<pid>/cmdline it may, and reports which of `targets` (name → sha256
 * of a value) appear in them, whole or as the value of a NAME=value entry, plus the variable names, the uids
 * and the command lines of the processes it sees. Only hashes go in, so the scan's own command line holds no secret.
 */
const SCANNER = `const fs=require('fs'),crypto=require('crypto');const targets=JSON.parse(process.argv[1]);
const h=(s)=>crypto.createHash('sha256').update(s).digest('hex');const found=new Set(),names=new Set(),uids=new Set(),cmds=[];let readable=0;
for(const pid of fs.readdirSync('/proc').filter((p)=>/^[0-9]+$/.test(p))){
for(const f of ['environ','cmdline']){let t;try{t=fs.readFileSync('/proc/'+pid+'/'+f,'utf8');readable++;}catch{continue;}
for(const tok of t.split('\\0')){const i=tok.indexOf('=');for(const v of [tok,i>=0?tok.slice(i+1):tok])for(const [n,d] of Object.entries(targets))if(h(v)===d)found.add(n);
if(f==='environ'&&i>0)names.add(tok.slice(0,i));}}
try{uids.add(/Uid:\\s+([0-9]+)/.exec(fs.readFileSync('/proc/'+pid+'/status','utf8'))[1]);cmds.push(fs.readFileSync('/proc/'+pid+'/cmdline','utf8').split('\\0').join(' ').trim());}catch{}}
console.log(JSON.stringify({readable,found:[...found].sort(),names:[...names].sort(),uids:[...uids].sort(),cmds}));`;

interface Scan {
  readable: number;
  found: string[];
  names: string[];
  uids: string[];
  cmds: string[];
}
const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

let secrets: { CONFIG_PASSWORD: string; SERVICES_PASSWORD: string };

beforeAll(async () => {
  cluster = await startRealCluster();
  const published = await workshops(['publish', 'examples/container-builds', '--image', `${cluster.registry.host}/${CONTENT_REPOSITORY}`]);
  if (published.code !== 0) throw new Error(`workshops publish examples/container-builds: ${published.stderr.trim()}`);
  const objects = realDist(distObjects(), {
    registry: cluster.registry.host,
    activeEnvironments: [ENVIRONMENT],
    content: { [ENVIRONMENT]: `${cluster.podRegistry}/${CONTENT_REPOSITORY}` },
    images: {
      'docker:27.5.1-dind': `${cluster.registry.host}/cdk8s-workshops/docker-daemon:0.1.0`,
      'registry:2.8.3': `${cluster.registry.host}/cdk8s-workshops/registry:0.1.0`,
    },
  });
  await cluster.applyDist(objects);
  // another learner's session namespace, as the admin lays one out, with a Secret of hers
  await cluster.apply([
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: OTHER_SESSION,
        labels: { 'training.cdk8s-workshops.dev/component': 'session', 'training.cdk8s-workshops.dev/session.name': OTHER_SESSION },
      },
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hers', namespace: OTHER_SESSION }, stringData: { password: 'not-yours' } },
  ]);

  const selector = `app.kubernetes.io/name=workshop,training.cdk8s-workshops.dev/session.name=${SESSION}`;
  [pod] = await cluster.podsReady(`the workshop pod of ${SESSION} to be Ready`, ENVIRONMENT, selector, 15 * 60_000);
  const secret = await cluster.getJson('-n', ENVIRONMENT, 'get', 'secret', `${SESSION}-session`);
  const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
  secrets = { CONFIG_PASSWORD: decode(secret.data.CONFIG_PASSWORD), SERVICES_PASSWORD: decode(secret.data.SERVICES_PASSWORD) };
}, 60 * 60_000);

afterAll(async () => {
  if (!cluster) return;
  console.log(`learner-attacks timings (s): ${JSON.stringify(cluster.timings)}`);
  if (!cluster.node.own) {
    await cluster.node.kubectl(['delete', '--wait=false', '--ignore-not-found', 'workshopenvironments.training.cdk8s-workshops.dev', '--all']);
    await cluster.node.kubectl([
      'delete',
      '--wait=false',
      '--ignore-not-found',
      'namespace',
      'labs-ui',
      'labs-k8s-fundamentals',
      'labs-hello-terminal',
      ENVIRONMENT,
      OTHER_SESSION,
    ]);
  }
  await cluster.release();
}, 10 * 60_000);

test('the workshop pod: the learner in container workshop (uid 1001), the dashboard in its own (uid 1002), no shared process namespace, the token only with the learner', async () => {
  expect(pod.spec.nodeName).toBe(REAL_NODE_NAME);
  expect(pod.spec.shareProcessNamespace).toBeFalsy();
  const containers = Object.fromEntries((pod.spec.containers as Json[]).map((c) => [c.name, c]));
  expect(Object.keys(containers).sort()).toEqual(['dashboard', 'docker', 'workshop']);
  expect((await execIn('workshop', ['id', '-u'])).stdout.trim()).toBe('1001');
  expect((await execIn('dashboard', ['id', '-u'])).stdout.trim()).toBe('1002');
  // the session Secret (CONFIG_PASSWORD, SERVICES_PASSWORD) reaches the dashboard's container only
  expect(JSON.stringify(containers.dashboard.envFrom)).toContain(`${SESSION}-session`);
  expect(JSON.stringify(containers.workshop)).not.toContain(`${SESSION}-session`);

  const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';
  expect((await execIn('workshop', ['test', '-s', token])).code).toBe(0);
  const absent = await execIn('dashboard', ['ls', '/var/run/secrets/kubernetes.io/serviceaccount']);
  expect(absent.code).not.toBe(0);
  expect(absent.stderr).toMatch(/No such file or directory/);
  // the learner's kubectl is the session's ServiceAccount
  const whoami = await learnerKubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  expect(whoami).toMatchObject({ exitCode: 0, output: `system:serviceaccount:${ENVIRONMENT}:${SESSION}` });
});

test("from the learner's side, no /proc/*/environ or /proc/*/cmdline holds CONFIG_PASSWORD or SERVICES_PASSWORD; the same scan finds them in the dashboard's container", async () => {
  const canary = crypto.randomBytes(16).toString('hex');
  const targets = JSON.stringify({
    canary: sha256(canary),
    CONFIG_PASSWORD: sha256(secrets.CONFIG_PASSWORD),
    SERVICES_PASSWORD: sha256(secrets.SERVICES_PASSWORD),
  });

  // where the secrets are: the dashboard process, read by the admin with the dashboard's own uid
  const there = await execIn('dashboard', ['node', '-e', SCANNER, targets]);
  expect(there.code).toBe(0);
  const dashboardScan = JSON.parse(there.stdout) as Scan;
  expect(dashboardScan.found).toEqual(expect.arrayContaining(['CONFIG_PASSWORD', 'SERVICES_PASSWORD']));
  expect(dashboardScan.cmds.some((c) => c.includes('apps/dashboard.js'))).toBe(true);

  // the learner: the scan runs under the agent, as her terminals do, with a canary in its own environment
  const result = await asLearner(['node', '-e', SCANNER, targets], { CANARY: canary });
  expect(result.exitCode).toBe(0);
  const scan = JSON.parse(result.output) as Scan;
  console.log(`learner's scan: ${scan.readable} /proc files read, uids ${scan.uids.join(',')}, processes: ${scan.cmds.join(' | ')}`);
  expect(scan.found).toEqual(['canary']);
  expect(scan.readable).toBeGreaterThan(2);
  for (const name of ['CONFIG_PASSWORD', 'SERVICES_PASSWORD', 'CONTENT_REGISTRY_USERNAME', 'CONTENT_REGISTRY_PASSWORD'])
    expect(scan.names).not.toContain(name);
  // she sees her own processes only: no dashboard, no other uid
  expect(scan.uids).toEqual(['1001']);
  expect(scan.cmds.some((c) => c.includes('apps/dashboard.js'))).toBe(false);
  expect(scan.cmds.some((c) => c.includes('apps/session-agent.js'))).toBe(true);
  // nor any file of her container: the Secret is neither mounted nor in the kubeconfig
  // (the needle is in the grep's own environment only, and /proc is not searched)
  const grep = await asLearner(['bash', '-c', 'grep -rlsF -e "$NEEDLE" /home /opt/workshop /var/run /run /tmp /etc 2>/dev/null | head -5; true'], {
    NEEDLE: secrets.CONFIG_PASSWORD,
  });
  expect(grep.output.trim()).toBe('');
});

test('the learner can neither signal the dashboard nor take its port', async () => {
  const restarts = async () =>
    ((await cluster.getJson('-n', ENVIRONMENT, 'get', 'pod', pod.metadata.name)).status.containerStatuses as Json[]).find(
      (c) => c.name === 'dashboard',
    )!.restartCount as number;
  const before = await restarts();
  // pid 1 of her process namespace is her own agent (the kernel ignores SIGKILL to it from inside); every other
  // process she may signal is hers
  const kill = await asLearner([
    'bash',
    '-c',
    'kill -9 1; echo "kill 1: $?"; for p in /proc/[0-9]*; do s=$(stat -c %u "$p"); [ "$s" != 1001 ] && echo "foreign $p $s"; done; true',
  ]);
  expect(kill.output).not.toContain('foreign');
  // her port attempts, on every address of the pod: the dashboard holds 10080 under another uid (no SO_REUSEPORT across uids)
  const bind = `const net=require('net');const hosts=['0.0.0.0','127.0.0.1','::',process.argv[1]];let left=hosts.length;const out={};
for(const h of hosts){const s=net.createServer();s.once('error',(e)=>{out[h]=e.code;if(!--left)console.log(JSON.stringify(out));});
s.listen(${DASHBOARD_PORT},h,()=>{out[h]='LISTENING';s.close();if(!--left)console.log(JSON.stringify(out));});}`;
  const bound = await asLearner(['node', '-e', bind, pod.status.podIP]);
  const outcome = JSON.parse(bound.output) as Record<string, string>;
  console.log(`the learner's binds of port ${DASHBOARD_PORT}: ${JSON.stringify(outcome)}`);
  expect(Object.values(outcome)).not.toContain('LISTENING');
  for (const host of ['0.0.0.0', '127.0.0.1', pod.status.podIP]) expect(outcome[host]).toBe('EADDRINUSE');
  // the dashboard still answers, unrestarted
  const health = await execIn('workshop', ['curl', '-sS', `http://127.0.0.1:${DASHBOARD_PORT}/healthz`]);
  expect(health.stdout).toContain('"ok"');
  expect(await restarts()).toBe(before);
});

test("the learner's own terminal runs in her container: a shell through the agent's terminal socket is uid 1001 with her home", async () => {
  const terminal = `const WebSocket=require('/opt/dashboard/node_modules/ws');
const ws=new WebSocket('ws+unix://'+process.env.WORKSHOP_AGENT_SOCKET+':/terminal/attacks');let out='';
ws.on('open',()=>ws.send(JSON.stringify({type:'input',data:'echo "uid=$(id -u) home=$HOME"; echo DONE-$((6*7))\\n'})));
ws.on('message',(d)=>{out+=d;if(out.includes('DONE-42')){console.log(out);process.exit(0);}});setTimeout(()=>{console.log(out);process.exit(1);},30000);`;
  const shell = await execIn('workshop', ['node', '-e', terminal]);
  expect(shell.code).toBe(0);
  expect(shell.stdout).toContain('uid=1001 home=/home/workshop');
});

describe('kubectl as the learner, from her container', () => {
  const refused = (result: { exitCode: number | null; output: string }, pattern: RegExp) => {
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(pattern);
  };
  const manifest = (object: Json) => JSON.stringify(object);
  const podManifest = (name: string, spec: Json) =>
    manifest({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: SESSION },
      spec: { containers: [{ name: 'main', image: 'busybox', resources: { limits: { cpu: '50m', memory: '32Mi' } } }], ...spec },
    });

  test("refused: other sessions' Secrets, the environment namespace's, the portal's", async () => {
    refused(await learnerKubectl(['get', 'secrets', '-n', OTHER_SESSION]), /Forbidden.*secrets is forbidden/);
    refused(await learnerKubectl(['get', 'secret', `${SESSION}-session`, '-n', ENVIRONMENT]), /Forbidden/);
    refused(await learnerKubectl(['get', 'secrets', '-n', 'labs-ui']), /Forbidden/);
  });

  test('refused: a privileged pod and a hostPath pod in her own namespace', async () => {
    const privileged = podManifest('priv', {
      containers: [{ name: 'main', image: 'busybox', securityContext: { privileged: true }, resources: { limits: { cpu: '50m', memory: '32Mi' } } }],
    });
    refused(await learnerKubectl(['apply', '--dry-run=server', '-f', '-'], privileged), /forbidden|violates PodSecurity|privileged/i);
    const hostPath = podManifest('host', { volumes: [{ name: 'root', hostPath: { path: '/' } }] });
    refused(await learnerKubectl(['apply', '--dry-run=server', '-f', '-'], hostPath), /hostPath|host-path-volumes/);
  });

  test('refused: an Ingress on another host, a NodePort Service', async () => {
    const ingress = manifest({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'steal', namespace: SESSION },
      spec: {
        rules: [
          {
            host: `labs-ui.${DOMAIN}`,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
          },
        ],
      },
    });
    refused(await learnerKubectl(['apply', '--dry-run=server', '-f', '-'], ingress), /cdk8s-workshops \[ingress-hosts\]/);
    const nodePort = manifest({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np', namespace: SESSION },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    refused(await learnerKubectl(['apply', '--dry-run=server', '-f', '-'], nodePort), /node-port-services|nodeports/);
  });

  test("refused: her own namespace's labels, quota and NetworkPolicy", async () => {
    refused(await learnerKubectl(['label', 'namespace', SESSION, 'pod-security.kubernetes.io/enforce=privileged', '--overwrite']), /Forbidden/);
    refused(
      await learnerKubectl(['patch', 'resourcequota', 'object-counts', '-n', SESSION, '--type=merge', '-p', '{"spec":{"hard":{"pods":"1000"}}}']),
      /Forbidden/,
    );
    refused(await learnerKubectl(['delete', 'resourcequota', '--all', '-n', SESSION]), /Forbidden/);
    const policies = await learnerKubectl(['get', 'networkpolicies', '-n', SESSION, '-o', 'name']);
    expect(policies.exitCode).toBe(0);
    expect(policies.output.trim()).not.toBe('');
    refused(await learnerKubectl(['delete', '-n', SESSION, policies.output.trim().split('\n')[0]]), /Forbidden/);
    const open = manifest({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'open', namespace: SESSION },
      spec: { podSelector: {}, ingress: [{}] },
    });
    refused(await learnerKubectl(['apply', '-f', '-'], open), /Forbidden/);
  });

  test('allowed: a Deployment, a Service and an Ingress on her own host', async () => {
    const host = `web-${SESSION}.${DOMAIN}`;
    const objects = manifest({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: SESSION },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '50m', memory: '32Mi' } } }] },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: SESSION },
          spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
        },
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'web', namespace: SESSION },
          spec: {
            rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
          },
        },
      ],
    });
    const created = await learnerKubectl(['apply', '-f', '-'], objects);
    expect(created).toMatchObject({ exitCode: 0 });
    expect(created.output).toMatch(/deployment.apps\/web created/);
    expect(created.output).toMatch(/service\/web created/);
    expect(created.output).toMatch(/ingress.networking.k8s.io\/web created/);
    expect((await cluster.getJson('-n', SESSION, 'get', 'ingress', 'web')).spec.rules[0].host).toBe(host);
    expect(await learnerKubectl(['delete', '-f', '-', '--wait=false'], objects)).toMatchObject({ exitCode: 0 });
  });
});
