import { App, AppProps } from 'cdk8s';
import { synthesize, writeFiles } from './synthesizer.js';

/**
 * The app to put workshops and portals in. `synth()` writes the project's layout (a folder per portal and per
 * environment, ready for Argo CD) into the output directory instead of cdk8s' file per chart.
 */
export class WorkshopApp extends App {
  constructor(props: AppProps = {}) {
    super(props);
  }

  public synth(): void {
    writeFiles(this.outdir, synthesize(this));
  }
}
