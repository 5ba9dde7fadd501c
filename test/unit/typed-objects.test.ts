/**
 * The constructs build their objects with cdk8s-plus-28's typed L1 classes, whose toJson() keeps only the fields it
 * knows and spells some differently (downwardApi, hostIp, nonResourceUrLs). These tests check that what an author or
 * a capability writes in our JSON shapes reaches the manifest exactly as written, which the snapshots cannot show for
 * fields no shipped capability uses.
 */
import { describe, expect, test } from '@jest/globals';
import { App } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';

import {
  Capability,
  k8sPolicyRule,
  type Manifest,
  resolveWorkshop,
  SecurityPolicy,
  type SessionTemplate,
  Workshop,
  type WorkshopContainer,
  type WorkshopVolume,
} from '../../src/constructs/index.js';

const EVERY_FIELD: WorkshopContainer = {
  name: 'every-field',
  image: 'example.test/every:1',
  imagePullPolicy: 'Always',
  command: ['sh'],
  args: ['-c', 'sleep infinity'],
  workingDir: '/work',
  env: [
    { name: 'PLAIN', value: 'a' },
    { name: 'FROM_CONFIG_MAP', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } },
    { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    { name: 'FROM_FIELD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'FROM_RESOURCE', valueFrom: { resourceFieldRef: { containerName: 'every-field', resource: 'limits.memory', divisor: '1Mi' } } },
    { name: 'FROM_RESOURCE_NUMBER', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: 1 } } },
  ],
  envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm', optional: false } }, { secretRef: { name: 's' } }],
  ports: [{ containerPort: 9000, name: 'metrics', protocol: 'UDP', hostPort: 9000, hostIP: '127.0.0.1' }],
  resources: { requests: { cpu: 0.5, memory: '64Mi', 'ephemeral-storage': '1Gi' }, limits: { cpu: 1, memory: 1073741824 } },
  volumeMounts: [
    { name: 'secret', mountPath: '/secret', subPath: 'x', readOnly: true, mountPropagation: 'None' },
    { name: 'claim', mountPath: '/claim', subPathExpr: 'sub' },
  ],
  livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 1, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 3 },
  readinessProbe: { httpGet: { path: '/', port: 'metrics', host: 'h', scheme: 'HTTPS', httpHeaders: [{ name: 'X', value: 'y' }] } },
  startupProbe: { tcpSocket: { port: 9000, host: 'h' }, periodSeconds: 3, terminationGracePeriodSeconds: 5 },
  lifecycle: { postStart: { exec: { command: ['a'] } }, preStop: { httpGet: { port: 80 } } },
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    privileged: false,
    procMount: 'Default',
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1001,
    runAsGroup: 1001,
    seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
    seLinuxOptions: { user: 'u', role: 'r', type: 't', level: 'l' },
  },
  stdin: true,
  tty: true,
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'FallbackToLogsOnError',
};

const EVERY_VOLUME: WorkshopVolume[] = [
  { name: 'secret', secret: { secretName: 's', items: [{ key: 'k', path: 'p', mode: 0o400 }], defaultMode: 0o440, optional: true } },
  { name: 'claim', persistentVolumeClaim: { claimName: 'c', readOnly: true } },
  { name: 'config', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }], defaultMode: 0o644, optional: false } },
  {
    name: 'projected',
    projected: {
      defaultMode: 0o400,
      sources: [
        { secret: { name: 's', items: [{ key: 'a', path: 'b' }], optional: true } },
        { serviceAccountToken: { path: 't', audience: 'aud', expirationSeconds: 600 } },
        { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
    },
  },
  { name: 'downward', downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }], defaultMode: 0o444 } },
  {
    name: 'ephemeral',
    ephemeral: {
      volumeClaimTemplate: {
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast', volumeMode: 'Filesystem' },
      },
    },
  },
  { name: 'csi', csi: { driver: 'd', readOnly: true, volumeAttributes: { a: 'b' } } },
  { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: 1048576 } },
];

class EveryField extends Capability {
  public readonly name = 'every-field';
  public bind(session: SessionTemplate) {
    session.addContainer(EVERY_FIELD);
    session.addContainer({ name: 'grpc', image: 'example.test/grpc:1', readinessProbe: { grpc: { port: 9090, service: 's' } } });
    for (const volume of EVERY_VOLUME) session.addVolume(volume);
  }
}

function workshopPod(): { containers: WorkshopContainer[]; volumes: WorkshopVolume[] } {
  const app = new App();
  const workshop = new Workshop(app, 'w', {
    title: 'T',
    description: 'D',
    environmentSecurityPolicy: SecurityPolicy.PRIVILEGED,
    capabilities: [new EveryField()],
  });
  const deployment = resolveWorkshop(workshop).sessionObjects.find(
    (o: Manifest) => o.kind === 'Deployment' && o.metadata.name === '$(session_name)',
  )!;
  return (deployment.spec as { template: { spec: { containers: WorkshopContainer[]; volumes: WorkshopVolume[] } } }).template.spec;
}

describe('typed L1 objects', () => {
  test("every field of a capability's container reaches the workshop pod as written (quantities, named ports, hostIP, divisors)", () => {
    // GIVEN a capability whose container sets every field of our container shape
    // WHEN the workshop is resolved
    const { containers } = workshopPod();
    // THEN the rendered container is the one given, and the gRPC probe too
    expect(containers.find((c) => c.name === 'every-field')).toEqual(EVERY_FIELD);
    expect(containers.find((c) => c.name === 'grpc')).toEqual({
      name: 'grpc',
      image: 'example.test/grpc:1',
      readinessProbe: { grpc: { port: 9090, service: 's' } },
    });
  });

  test('every kind of volume reaches the workshop pod as written (downwardAPI, ephemeral claims, size limits)', () => {
    const { volumes } = workshopPod();
    const names = new Set(EVERY_VOLUME.map((v) => v.name));
    expect(volumes.filter((v) => names.has(v.name))).toEqual(EVERY_VOLUME);
  });

  test("a rule's nonResourceURLs survive the typed ClusterRole", () => {
    const rule = { nonResourceURLs: ['/healthz', '/version'], verbs: ['get'] };
    expect(k8s.KubeClusterRole.manifest({ metadata: { name: 'r' }, rules: [k8sPolicyRule(rule)] }).rules).toEqual([rule]);
  });
});
