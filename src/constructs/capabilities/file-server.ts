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
  /**
   * The largest file a learner may upload: bytes, or a size such as '10Mi' (Ki, Mi, Gi). A larger upload is refused
   * with a message naming this limit, and leaves nothing behind.
   * @default '100Mi'
   */
  readonly maxUploadSize?: string | number;
  /**
   * Most files in one upload (`files:upload-files`).
   * @default 100
   */
  readonly maxUploadFiles?: number;
}

const UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** Bytes of a size given as a number of bytes or '<n>Ki|Mi|Gi'; an error naming the field otherwise. */
export function sizeInBytes(field: string, value: string | number): number {
  const match = typeof value === 'string' ? /^([0-9]+)(Ki|Mi|Gi)?$/.exec(value) : null;
  const bytes = typeof value === 'number' ? value : match ? Number(match[1]) * UNITS[match[2] ?? ''] : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new Error(
      `FileServer: '${field}' (${JSON.stringify(value)}) must be a whole number of bytes of at least 1, or a size such as '10Mi' (Ki, Mi, Gi)`,
    );
  }
  return bytes;
}

/**
 * Downloads of a directory of the learner's home (and uploads into it), served by the session dashboard at
 * `/files/`, to the session's owner or with the session's services password. Uploads (the `files:upload-file`
 * and `files:upload-files` actions, `POST /upload/file|files`) land in `uploadDirectory`, written as the learner;
 * paths that leave it (`..`, absolute, through a symbolic link) are refused (src/dashboard/routes/uploads.ts).
 */
export class FileServer extends Capability {
  public readonly name = 'files';
  constructor(private readonly props: FileServerProps = {}) {
    super();
    for (const [field, dir] of [
      ['directory', props.directory],
      ['uploadDirectory', props.uploadDirectory],
    ] as const) {
      if (dir !== undefined && (dir.startsWith('/') || dir.split('/').includes('..'))) {
        throw new Error(`FileServer: '${field}' (${JSON.stringify(dir)}) must be relative to the home directory and stay inside it`);
      }
    }
    if (props.maxUploadSize !== undefined) sizeInBytes('maxUploadSize', props.maxUploadSize);
    if (props.maxUploadFiles !== undefined && (!Number.isInteger(props.maxUploadFiles) || props.maxUploadFiles < 1)) {
      throw new Error(`FileServer: 'maxUploadFiles' (${JSON.stringify(props.maxUploadFiles)}) must be a whole number of at least 1`);
    }
  }

  public bind(session: SessionTemplate): void {
    session.setDashboardSetting('files', {
      directory: this.props.directory ?? '.',
      uploads: this.props.uploads ?? true,
      uploadDirectory: this.props.uploadDirectory ?? 'uploads',
      ...(this.props.maxUploadSize !== undefined ? { maxUploadBytes: sizeInBytes('maxUploadSize', this.props.maxUploadSize) } : {}),
      ...(this.props.maxUploadFiles !== undefined ? { maxUploadFiles: this.props.maxUploadFiles } : {}),
    });
    session.addDashboardTab({ name: 'Files', url: '/files/' });
  }
}
