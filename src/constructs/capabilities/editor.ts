import { Capability } from '../capability.js';
import { SessionTemplate, restrictedContainer } from '../session-template.js';

/** The editor's port inside the workshop pod. */
export const EDITOR_PORT = 10085;

export interface EditorProps {
  /**
   * The code-server image.
   * @default 'codercom/code-server:4.96.4'
   */
  readonly image?: string;
  /**
   * Memory of the editor container (request and limit); with the dashboard's 512Mi this makes Educates' 1Gi.
   * @default '512Mi'
   */
  readonly memory?: string;
}

/**
 * VS Code in the browser (code-server) on the learner's home directory, in a tab and at `editor-<session>`.
 */
export class Editor extends Capability {
  public readonly name = 'editor';
  constructor(private readonly props: EditorProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    const memory = this.props.memory ?? '512Mi';
    session.addContainer({
      name: 'editor',
      image: this.props.image ?? 'codercom/code-server:4.96.4',
      imagePullPolicy: 'IfNotPresent',
      args: ['--bind-addr', `127.0.0.1:${EDITOR_PORT}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '/home/workshop'],
      env: [{ name: 'HOME', value: '/home/workshop' }],
      ports: [{ name: 'editor', containerPort: EDITOR_PORT }],
      resources: { requests: { cpu: '50m', memory }, limits: { cpu: '500m', memory } },
      readinessProbe: { tcpSocket: { port: EDITOR_PORT }, periodSeconds: 10 },
      securityContext: restrictedContainer(),
      volumeMounts: [{ name: 'workshop-home', mountPath: '/home/workshop' }],
    });
    const route = session.addRoute({ name: 'editor', port: EDITOR_PORT });
    session.addDashboardTab({ name: 'Editor', url: route.url });
  }
}
