import { App, type AppProps } from 'cdk8s';

import { argoCdFiles, type ArgoCdOptions } from './argocd.js';
import { checkImageRegistry, IMAGE_REGISTRY_CONTEXT } from './images.js';
import { synthesize, writeFiles } from './synthesizer.js';

/** Options of a `WorkshopApp`: cdk8s' own, plus the opt-in Argo CD output. */
export interface WorkshopAppProps extends AppProps {
  /** Also write `argocd/` (an app-of-apps, its AppProject and health checks) for Argo CD to sync dist/ from git. */
  readonly argocd?: ArgoCdOptions;
  /**
   * The registry every image this project builds is pulled from (the portal, the session dashboard, and the Docker
   * and ImageRegistry capabilities' daemons), e.g. `registry.example.com/workshops` after
   * `workshops images push --registry registry.example.com/workshops`. An image set on a construct still wins.
   * @default - the portal and dashboard from ghcr.io, the capabilities' upstream images from Docker Hub
   */
  readonly imageRegistry?: string;
}

/**
 * The app to put workshops and portals in. `synth()` writes the project's layout (a folder per portal and per
 * environment, ready for Argo CD) into the output directory instead of cdk8s' file per chart.
 */
export class WorkshopApp extends App {
  private readonly argocd?: ArgoCdOptions;

  constructor(props: WorkshopAppProps = {}) {
    super(props);
    this.argocd = props.argocd;
    if (props.imageRegistry !== undefined) this.node.setContext(IMAGE_REGISTRY_CONTEXT, checkImageRegistry(props.imageRegistry));
  }

  public synth(): void {
    const files = synthesize(this);
    writeFiles(this.outdir, this.argocd ? [...files, ...argoCdFiles(files, this.argocd)] : files);
  }
}
