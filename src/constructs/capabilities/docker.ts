import { Capability } from '../capability.js';
import { projectImage } from '../images.js';
import { SecurityPolicy } from '../security-policy.js';
import type { SessionTemplate } from '../session-template.js';

export interface DockerProps {
  /**
   * The docker-in-docker image.
   * @default 'docker:27.5.1-dind'
   */
  readonly image?: string;
  /**
   * Memory of the Docker daemon.
   * @default '768Mi'
   */
  readonly memory?: string;
  /**
   * Space for images and containers (an emptyDir size limit).
   * @default '5Gi'
   */
  readonly storage?: string;
  /**
   * MTU of the daemon's networks (lower than the pod network's).
   * @default 1400
   */
  readonly mtu?: number;
}

/**
 * A Docker daemon for the session (docker-in-docker) whose socket the learner's terminals use. The daemon runs
 * privileged as a sidecar of the workshop pod, in the environment namespace, which must therefore enforce the
 * `privileged` security policy (`environmentSecurityPolicy`); learners cannot create pods there, and their own
 * namespaces stay at `baseline` or stricter.
 */
export class Docker extends Capability {
  public readonly name = 'docker';
  public readonly requiredPolicy = SecurityPolicy.PRIVILEGED;

  constructor(private readonly props: DockerProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    const memory = this.props.memory ?? '768Mi';
    session.addContainer({
      name: 'docker',
      image: this.props.image ?? projectImage(session, 'docker-daemon', 'docker:27.5.1-dind'),
      imagePullPolicy: 'IfNotPresent',
      // The session's own registry (ImageRegistry) is reached through the ingress, which may serve plain http:
      // the daemon tries https first and falls back to http for that one host only.
      args: [
        'dockerd',
        '--host=unix:///var/run/docker/docker.sock',
        `--mtu=${this.props.mtu ?? 1400}`,
        '--group=1001',
        `--insecure-registry=${session.vars.registryHost}`,
      ],
      env: [{ name: 'DOCKER_TLS_CERTDIR', value: '' }],
      resources: { requests: { cpu: '50m', memory }, limits: { cpu: '1', memory } },
      securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false },
      volumeMounts: [
        { name: 'docker-socket', mountPath: '/var/run/docker' },
        { name: 'docker-data', mountPath: '/var/lib/docker' },
      ],
    });
    session.addVolume({ name: 'docker-socket', emptyDir: {} });
    session.addVolume({ name: 'docker-data', emptyDir: { sizeLimit: this.props.storage ?? '5Gi' } });
    session.addLearnerMount({ name: 'docker-socket', mountPath: '/var/run/docker', readOnly: true });
    session.addEnv('DOCKER_HOST', 'unix:///var/run/docker/docker.sock');
  }
}
