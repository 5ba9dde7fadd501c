import { ApiObject } from 'cdk8s';
import { Capability } from '../capability.js';
import { SessionTemplate, restrictedContainer } from '../session-template.js';

/** The console's port inside the workshop pod. */
export const CONSOLE_PORT = 10083;

export interface ConsoleProps {
  /**
   * The Kubernetes Dashboard image.
   * @default 'kubernetesui/dashboard:v2.7.0'
   */
  readonly image?: string;
  /**
   * Memory of the console container.
   * @default '256Mi'
   */
  readonly memory?: string;
}

/**
 * The Kubernetes Dashboard on the session namespace, signed in as the session's ServiceAccount, in a tab and at
 * `console-<session>`.
 */
export class Console extends Capability {
  public readonly name = 'console';
  constructor(private readonly props: ConsoleProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    if (!session.kubernetesAccess) {
      throw new Error(`${session.node.path}: capability 'console' shows the cluster as the session's ServiceAccount, so it needs kubernetesAccess: true`);
    }
    const memory = this.props.memory ?? '256Mi';
    session.addContainer({
      name: 'console',
      image: this.props.image ?? 'kubernetesui/dashboard:v2.7.0',
      imagePullPolicy: 'IfNotPresent',
      args: [
        `--namespace=${session.vars.sessionNamespace}`,
        `--insecure-port=${CONSOLE_PORT}`,
        '--insecure-bind-address=127.0.0.1',
        '--enable-insecure-login',
        '--enable-skip-login',
        '--disable-settings-authorizer',
        '--port=0',
      ],
      ports: [{ name: 'console', containerPort: CONSOLE_PORT }],
      resources: { requests: { cpu: '25m', memory }, limits: { cpu: '250m', memory } },
      readinessProbe: { tcpSocket: { port: CONSOLE_PORT }, periodSeconds: 10 },
      securityContext: { ...restrictedContainer(), readOnlyRootFilesystem: true },
      volumeMounts: [{ name: 'console-tmp', mountPath: '/tmp' }],
    });
    session.addVolume({ name: 'console-tmp', emptyDir: {} });
    // The dashboard keeps its CSRF key here; it must exist before the dashboard starts.
    new ApiObject(session, 'ConsoleCsrf', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubernetes-dashboard-csrf' },
      type: 'Opaque',
    });
    const route = session.addRoute({ name: 'console', port: CONSOLE_PORT });
    session.addDashboardTab({ name: 'Console', url: route.url });
  }
}
