import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

export interface FileServerProps {
  /**
   * The directory learners download from, relative to their home.
   * @default '.'
   */
  readonly directory?: string;
  /**
   * Whether learners may upload files too.
   * @default true
   */
  readonly uploads?: boolean;
  /**
   * Where uploads land, relative to the home directory.
   * @default 'uploads'
   */
  readonly uploadDirectory?: string;
}

/**
 * Downloads of a directory of the learner's home (and uploads into it), served by the session dashboard at
 * `/files/`, to the session's owner or with the session's services password.
 */
export class FileServer extends Capability {
  public readonly name = 'files';
  constructor(private readonly props: FileServerProps = {}) {
    super();
    for (const [field, dir] of [['directory', props.directory], ['uploadDirectory', props.uploadDirectory]] as const) {
      if (dir !== undefined && (dir.startsWith('/') || dir.split('/').includes('..'))) {
        throw new Error(`FileServer: '${field}' (${JSON.stringify(dir)}) must be relative to the home directory and stay inside it`);
      }
    }
  }

  public bind(session: SessionTemplate): void {
    session.setDashboardSetting('files', {
      directory: this.props.directory ?? '.',
      uploads: this.props.uploads ?? true,
      uploadDirectory: this.props.uploadDirectory ?? 'uploads',
    });
    session.addDashboardTab({ name: 'Files', url: '/files/' });
  }
}
