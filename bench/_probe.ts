import { App, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Budget, Console, Editor, Terminal, TerminalLayout, TrainingPortal, Workshop, synthesize } from '../src/index.js';
const app = new App({ outdir: '/tmp/probe' });
const portal = new TrainingPortal(app, 'bench', { maximumSessions: 10000 });
const w = new Workshop(app, 'w0001', { title: 't', description: 'd', budget: Budget.MEDIUM, capabilities: [new Terminal({ layout: TerminalLayout.SPLIT }), new Console(), new Editor()] });
new kplus.ConfigMap(w.environment, 'greeting', { metadata: { name: 'greeting' }, data: { message: 'hi' } });
const s = w.session;
const hello = new kplus.Deployment(s, 'hello', { metadata: { name: 'hello' }, replicas: 1, securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
  containers: [{ name: 'hello', image: 'x:1', portNumber: 8080, envVariables: { GREETING_FROM: kplus.EnvValue.fromValue(s.vars.sessionName) },
  resources: { cpu: { request: kplus.Cpu.millis(25), limit: kplus.Cpu.millis(250) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
  securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: [kplus.Capability.ALL] }, seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT } } }] });
const svc = hello.exposeViaService({ name: 'hello', ports: [{ port: 80, targetPort: 8080 }] });
new kplus.Ingress(s, 'hello-ingress', { metadata: { name: 'hello' }, rules: [{ host: s.vars.hostFor('hello'), path: '/', pathType: kplus.HttpIngressPathType.PREFIX, backend: kplus.IngressBackend.fromService(svc, { port: 80 }) }] });
portal.addWorkshop(w, { capacity: 10, reserved: 1 });
const files = synthesize(app);
for (const f of files) console.log(f.path, f.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(' '));
const env = files.find((f) => f.path.endsWith('environment.k8s.yaml'))!.objects.find((o) => o.kind === 'WorkshopEnvironment')!;
console.log(JSON.stringify((env.spec as any).session, null, 1));
