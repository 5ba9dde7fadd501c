import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import {
  Budget,
  Console,
  ContentSource,
  Difficulty,
  Editor,
  Examiner,
  RequestParameter,
  Terminal,
  TerminalLayout,
  Workshop,
} from '../../src/index.js';

/**
 * Kubernetes Fundamentals: each learner gets a namespace with a medium budget, split terminals, the console and
 * an editor, and their own copy of a small web application reachable at `hello-<session>`.
 */
export function kubernetesFundamentals(scope: Construct, name = 'k8s-fundamentals'): Workshop {
  const workshop = new Workshop(scope, name, {
    title: 'Kubernetes Fundamentals',
    description: 'Deploy, expose, scale and debug an application on Kubernetes, in a namespace of your own.',
    difficulty: Difficulty.BEGINNER,
    duration: Duration.minutes(60),
    tags: ['kubernetes', 'deployments', 'services'],
    labels: { track: 'platform' },
    vendor: 'cdk8s-workshops',
    authors: ['The cdk8s-workshops team'],
    version: '1.0.0',
    content: ContentSource.image('ghcr.io/cdk8s-workshops/k8s-fundamentals-files:1.0.0'),
    budget: Budget.MEDIUM,
    capabilities: [new Terminal({ layout: TerminalLayout.SPLIT }), new Console(), new Editor(), new Examiner()],
    environmentAccess: true,
    requestParameters: [RequestParameter.generated('WORKSHOP_PASSWORD', '[A-Z0-9]{8}')],
  });

  // Shared by every session: the greeting the sample application serves.
  new kplus.ConfigMap(workshop.environment, 'greeting', {
    metadata: { name: 'greeting' },
    data: { message: 'Hello from the shared workshop environment' },
  });

  // Per session: a small web application the instructions scale, expose and inspect.
  const session = workshop.session;
  const hello = new kplus.Deployment(session, 'hello', {
    metadata: { name: 'hello' },
    replicas: 1,
    securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
    containers: [
      {
        name: 'hello',
        image: 'ghcr.io/cdk8s-workshops/hello-web:1.0.0',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        portNumber: 8080,
        envVariables: { GREETING_FROM: kplus.EnvValue.fromValue(session.vars.sessionName) },
        resources: {
          cpu: { request: kplus.Cpu.millis(25), limit: kplus.Cpu.millis(250) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
        securityContext: {
          ensureNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: [kplus.Capability.ALL] },
          seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        },
      },
    ],
  });
  const service = hello.exposeViaService({ name: 'hello', ports: [{ port: 80, targetPort: 8080 }] });
  new kplus.Ingress(session, 'hello-ingress', {
    metadata: { name: 'hello' },
    rules: [
      {
        host: session.vars.hostFor('hello'),
        path: '/',
        pathType: kplus.HttpIngressPathType.PREFIX,
        backend: kplus.IngressBackend.fromService(service, { port: 80 }),
      },
    ],
  });
  session.addDashboardTab({ name: 'Hello app', url: `${session.vars.ingressProtocol}://${session.vars.hostFor('hello')}/` });
  return workshop;
}
