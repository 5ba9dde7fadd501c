import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import { Capability } from '../capability.js';
import { projectImage } from '../images.js';
import { Labels } from '../names.js';
import { restrictedContainer, type SessionTemplate } from '../session-template.js';

export interface ImageRegistryProps {
  /**
   * The registry image.
   * @default 'registry:2.8.3'
   */
  readonly image?: string;
  /**
   * Memory of the registry.
   * @default '768Mi'
   */
  readonly memory?: string;
  /**
   * Space for images (an emptyDir size limit).
   * @default '5Gi'
   */
  readonly storage?: string;
}

/**
 * A private OCI registry per session at `registry-<session>`, with generated credentials: the learner's terminals
 * get them as `REGISTRY_*` variables and `~/.docker/config.json` (written by the dashboard at start through the
 * session agent, src/dashboard/routes/registry-config.ts), and the session namespace gets them as a
 * `kubernetes.io/dockerconfigjson` Secret named `registry-credentials`, which the namespace's `default`
 * ServiceAccount uses to pull images.
 */
export class ImageRegistry extends Capability {
  public readonly name = 'registry';
  constructor(private readonly props: ImageRegistryProps = {}) {
    super();
  }

  public bind(session: SessionTemplate): void {
    const scope = new Construct(session, 'Registry');
    const memory = k8s.Quantity.fromString(this.props.memory ?? '768Mi');
    const labels = { 'app.kubernetes.io/name': 'registry', [Labels.SESSION]: session.vars.sessionName };

    new k8s.KubeSecret(scope, 'Htpasswd', {
      metadata: { name: 'registry-htpasswd' },
      type: 'Opaque',
      stringData: { htpasswd: session.vars.registryHtpasswd },
    });
    new k8s.KubeSecret(scope, 'Credentials', {
      metadata: { name: 'registry-credentials' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': `{"auths":{"${session.vars.registryHost}":{"auth":"${session.vars.registryAuthToken}"}}}` },
    });
    // Pods of the namespace's default ServiceAccount pull from the session's registry without further setup.
    new k8s.KubeServiceAccount(scope, 'DefaultServiceAccount', {
      metadata: { name: 'default' },
      imagePullSecrets: [{ name: 'registry-credentials' }],
    });
    new k8s.KubeDeployment(scope, 'Deployment', {
      metadata: { name: 'registry', labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 1000 },
            containers: [
              {
                name: 'registry',
                image: this.props.image ?? projectImage(scope, 'registry', 'registry:2.8.3'),
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'registry', containerPort: 5000 }],
                env: [
                  { name: 'REGISTRY_AUTH', value: 'htpasswd' },
                  { name: 'REGISTRY_AUTH_HTPASSWD_REALM', value: 'Workshop session registry' },
                  { name: 'REGISTRY_AUTH_HTPASSWD_PATH', value: '/auth/htpasswd' },
                  { name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('25m'), memory },
                  limits: { cpu: k8s.Quantity.fromString('500m'), memory },
                },
                readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(5000) }, periodSeconds: 5 },
                securityContext: { ...restrictedContainer(), runAsUser: 1000, runAsGroup: 1000 },
                volumeMounts: [
                  { name: 'auth', mountPath: '/auth', readOnly: true },
                  { name: 'data', mountPath: '/var/lib/registry' },
                ],
              },
            ],
            volumes: [
              { name: 'auth', secret: { secretName: 'registry-htpasswd' } },
              { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString(this.props.storage ?? '5Gi') } },
            ],
          },
        },
      },
    });
    new k8s.KubeService(scope, 'Service', {
      metadata: { name: 'registry' },
      spec: { selector: labels, ports: [{ name: 'registry', port: 5000, targetPort: k8s.IntOrString.fromNumber(5000) }] },
    });
    // The registry checks its own credentials, so the dashboard's owner check stays out of the way.
    session.addRoute({ name: 'registry', port: 5000, service: 'registry', authenticated: false });
    session.setDashboardSetting('registry', { secret: 'registry-credentials' });
    session.addEnv('REGISTRY_HOST', session.vars.registryHost);
    session.addEnv('REGISTRY_USERNAME', session.vars.registryUsername);
    session.addEnv('REGISTRY_PASSWORD', session.vars.registryPassword);
    session.addEnv('REGISTRY_AUTH_TOKEN', session.vars.registryAuthToken);
    session.addEnv('REGISTRY_SECRET', 'registry-credentials');
  }
}
