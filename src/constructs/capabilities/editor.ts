import { Capability } from '../capability.js';
import { projectImage } from '../images.js';
import { restrictedContainer, type SessionTemplate } from '../session-template.js';

/** The editor's port inside the workshop pod. */
export const EDITOR_PORT = 10085;
/**
 * The port of the editor's action listener (src/editor-extension) on the pod's loopback: the dashboard forwards
 * the instructions' editor:* actions there, with the token of {@link EDITOR_TOKEN_FILE}.
 */
export const EDITOR_CONTROL_PORT = 10086;
/** Where the editor container writes the token of its action listener; only it and the dashboard mount it. */
export const EDITOR_CONTROL_DIR = '/var/run/editor-control';
export const EDITOR_TOKEN_FILE = `${EDITOR_CONTROL_DIR}/token`;

export interface EditorProps {
  /**
   * The editor image: code-server with this project's extension for the instructions' editor actions
   * (images/editor). Another code-server image runs too, but the editor:* actions other than opening the tab
   * then answer that the editor does not listen.
   * @default - `<registry>/cdk8s-workshops/editor:<version>`, the registry from `WorkshopApp`'s `imageRegistry`
   *   (ghcr.io when none is set)
   */
  readonly image?: string;
  /**
   * Memory of the editor container (request and limit); with the dashboard's 512Mi this makes Educates' 1Gi.
   * @default '512Mi'
   */
  readonly memory?: string;
}

/**
 * VS Code in the browser (code-server) on the learner's home directory, in a tab and at `editor-<session>`, running
 * as the learner (uid 1001) on the `workshop-home` volume. The instructions' editor:* actions (open a file, select
 * or replace text, add lines, add to YAML, run an editor command) go from the dashboard to the editor's extension.
 */
export class Editor extends Capability {
  public readonly name = 'editor';
  constructor(private readonly props: EditorProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    const memory = this.props.memory ?? '512Mi';
    session.addVolume({ name: 'editor-control', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    session.addContainer({
      name: 'editor',
      image: this.props.image ?? projectImage(session, 'editor'),
      imagePullPolicy: 'IfNotPresent',
      // code-server's own sign-in is off: the dashboard signs the learner in before it proxies the editor's host;
      // its port proxy is off, so nothing reaches the action listener's port through the editor's route.
      args: [
        '--bind-addr',
        `127.0.0.1:${EDITOR_PORT}`,
        '--auth',
        'none',
        '--disable-proxy',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '/home/workshop',
      ],
      env: [
        { name: 'HOME', value: '/home/workshop' },
        { name: 'CDK8S_EDITOR_CONTROL_PORT', value: String(EDITOR_CONTROL_PORT) },
        { name: 'CDK8S_EDITOR_TOKEN_FILE', value: EDITOR_TOKEN_FILE },
      ],
      ports: [{ name: 'editor', containerPort: EDITOR_PORT }],
      resources: { requests: { cpu: '50m', memory }, limits: { cpu: '500m', memory } },
      // No readiness probe: the pod's readiness routes the learner's whole session (the dashboard's host), and an
      // editor that stops must not take it along. The image's start script starts code-server again; meanwhile the
      // Editor tab says that nothing listens on its port, and the dashboard's editor actions wait for it.
      securityContext: restrictedContainer(), // the learner's uid and group, as the dashboard's shells
      volumeMounts: [
        { name: 'workshop-home', mountPath: '/home/workshop' },
        { name: 'editor-control', mountPath: EDITOR_CONTROL_DIR },
      ],
    });
    session.addDashboardMount({ name: 'editor-control', mountPath: EDITOR_CONTROL_DIR, readOnly: true });
    session.setDashboardSetting('editor', { controlPort: EDITOR_CONTROL_PORT, tokenFile: EDITOR_TOKEN_FILE });
    const route = session.addRoute({ name: 'editor', port: EDITOR_PORT });
    session.addDashboardTab({ name: 'Editor', url: route.url });
  }
}
