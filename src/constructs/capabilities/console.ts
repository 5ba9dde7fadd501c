import { Capability } from '../capability.js';
import { projectImage } from '../images.js';
import { restrictedContainer, type SessionTemplate } from '../session-template.js';

/** The console's port inside the workshop pod. */
export const CONSOLE_PORT = 10083;
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ConsoleProps {
  /**
   * The console image: the project's `cdk8s-workshops/console` (images/console: k9s in a web terminal), from the
   * app's `imageRegistry`. Another image must serve the console over http on `CONSOLE_ADDRESS:CONSOLE_PORT` and
   * show `CONSOLE_NAMESPACE` with the pod's ServiceAccount token.
   * @default the project's console image
   */
  readonly image?: string;
  /**
   * Memory of the console container.
   * @default '256Mi'
   */
  readonly memory?: string;
}

/**
 * A Kubernetes console on the session namespace, acting as the session's ServiceAccount, in the dashboard's Console
 * tab and at `console-<session>` (behind the dashboard's owner check). The project's image runs k9s, a terminal UI
 * for Kubernetes, in a web terminal (the Kubernetes Dashboard cannot be built from the registries this project
 * uses: images/console/Dockerfile says why). The ServiceAccount token is mounted into the console's container only.
 */
export class Console extends Capability {
  public readonly name = 'console';
  constructor(private readonly props: ConsoleProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    if (!session.kubernetesAccess) {
      throw new Error(
        `${session.node.path}: capability 'console' shows the cluster as the session's ServiceAccount, so it needs kubernetesAccess: true`,
      );
    }
    const memory = this.props.memory ?? '256Mi';
    session.addContainer({
      name: 'console',
      image: this.props.image ?? projectImage(session, 'console'),
      imagePullPolicy: 'IfNotPresent',
      env: [
        { name: 'CONSOLE_NAMESPACE', value: session.vars.sessionNamespace },
        { name: 'CONSOLE_ADDRESS', value: '127.0.0.1' },
        { name: 'CONSOLE_PORT', value: String(CONSOLE_PORT) },
        { name: 'CONSOLE_STATE_DIR', value: '/tmp/console' },
      ],
      ports: [{ name: 'console', containerPort: CONSOLE_PORT }],
      resources: { requests: { cpu: '25m', memory }, limits: { cpu: '500m', memory } },
      // it listens on the pod's loopback only, which the kubelet's tcp/http probes (to the pod IP) cannot reach
      readinessProbe: {
        exec: {
          command: [
            'node',
            '-e',
            `require('http').get('http://127.0.0.1:${CONSOLE_PORT}/healthz', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`,
          ],
        },
        periodSeconds: 10,
        timeoutSeconds: 5,
      },
      securityContext: { ...restrictedContainer(), readOnlyRootFilesystem: true },
      volumeMounts: [
        { name: 'console-tmp', mountPath: '/tmp' },
        { name: 'console-token', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
      ],
    });
    session.addVolume({ name: 'console-tmp', emptyDir: { sizeLimit: '64Mi' } });
    // the session ServiceAccount's token, for this container alone (what the ServiceAccount admission would mount)
    session.addVolume({
      name: 'console-token',
      projected: {
        defaultMode: 0o444,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    });
    const route = session.addRoute({ name: 'console', port: CONSOLE_PORT });
    session.addDashboardTab({ name: 'Console', url: route.url });
  }
}
