import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

/** How terminals are laid out beside the instructions. */
export enum TerminalLayout {
  /** One terminal. */
  DEFAULT = 'default',
  /** Two terminals, one above the other (60/40). */
  SPLIT = 'split',
  /** Three terminals (50/25/25). */
  SPLIT_2 = 'split/2',
  /** One terminal below the instructions. */
  LOWER = 'lower',
  /** No terminal panel; terminals open only from actions. */
  NONE = 'none',
}

export interface TerminalProps {
  /**
   * The layout of the terminals.
   * @default TerminalLayout.DEFAULT
   */
  readonly layout?: TerminalLayout;
}

/**
 * Browser terminals in the session dashboard: real shells in the learner's `workshop` container (run by the session
 * agent, under the learner's uid, apart from the dashboard process), connected to xterm.js over a
 * WebSocket. Commands run with the session's tools and its ServiceAccount's access.
 */
export class Terminal extends Capability {
  public readonly name = 'terminal';
  public readonly layout: TerminalLayout;

  constructor(props: TerminalProps = {}) {
    super();
    this.layout = props.layout ?? TerminalLayout.DEFAULT;
  }

  public bind(session: SessionTemplate): void {
    const count = {
      [TerminalLayout.DEFAULT]: 1,
      [TerminalLayout.SPLIT]: 2,
      [TerminalLayout.SPLIT_2]: 3,
      [TerminalLayout.LOWER]: 1,
      [TerminalLayout.NONE]: 0,
    }[this.layout];
    session.setDashboardSetting('terminal', { layout: this.layout, sessions: Array.from({ length: count }, (_, i) => String(i + 1)) });
    if (count > 0) session.addDashboardTab({ name: 'Terminal', url: 'terminal:1' });
  }
}
