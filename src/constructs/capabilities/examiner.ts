import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

export interface ExaminerProps {
  /**
   * Where the tests are, relative to the workshop content: executables whose exit code 0 means the check passed.
   * @default 'workshop/examiner/tests'
   */
  readonly testsDirectory?: string;
  /**
   * Longest a test may run, in seconds.
   * @default 15
   */
  readonly timeoutSeconds?: number;
}

/**
 * Checks of the learner's work that instructions can run ("did you create the Deployment?"): the dashboard runs a
 * named test from the workshop content and shows whether it passed.
 */
export class Examiner extends Capability {
  public readonly name = 'examiner';
  constructor(private readonly props: ExaminerProps = {}) {
    super();
    const timeout = props.timeoutSeconds;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 600)) {
      throw new Error(`Examiner: 'timeoutSeconds' (${timeout}) must be a whole number from 1 to 600`);
    }
  }

  public bind(session: SessionTemplate): void {
    session.setDashboardSetting('examiner', {
      testsDirectory: this.props.testsDirectory ?? 'workshop/examiner/tests',
      timeoutSeconds: this.props.timeoutSeconds ?? 15,
    });
  }
}
