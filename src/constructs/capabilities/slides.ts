import { Capability } from '../capability.js';
import type { SessionTemplate } from '../session-template.js';

export interface SlidesProps {
  /**
   * Where the slides are, relative to the workshop content (an `index.html` of reveal.js or any static site).
   * @default 'workshop/slides'
   */
  readonly directory?: string;
}

/** A tab with the presenter's slides, served by the dashboard from the workshop content. */
export class Slides extends Capability {
  public readonly name = 'slides';
  constructor(private readonly props: SlidesProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    session.setDashboardSetting('slides', { directory: this.props.directory ?? 'workshop/slides' });
    session.addDashboardTab({ name: 'Slides', url: '/slides/' });
  }
}
