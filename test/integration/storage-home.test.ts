/**
 * A persistent home on the real node: a workshop with `storage` synthesizes a PersistentVolumeClaim for the
 * `workshop-home` volume; rancher's local-path-provisioner (scripts/storage, run by this test) provisions it on the
 * real node; a file the learner (uid 1001) writes in /home/workshop is still there after the workshop pod is deleted
 * and its Deployment makes a new one; and the volume's directory goes when the claim does.
 *
 * The workshop pod is the synthesized one (volumes, mounts, security context, the learner's container), with the
 * learner's container running home-probe instead of the session dashboard image (rebuilt whenever src/ changes),
 * and only the home volume kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App } from 'cdk8s';

import { type Manifest, resolveWorkshop, substituteVariables, Terminal, Workshop } from '../../src/constructs/index.js';
import { type LocalPath, PROBE_IMAGE, startLocalPath, STORAGE_CLASS } from '../support/local-path.js';
import { waitFor } from '../support/portal-fixture.js';
import { REAL_NODE_PLACEMENT, type RealNode, useRealNode } from '../support/real-node.js';

const NS = 'storage-home-test';
const SESSION = `${NS}-s0001`;
type Json = Record<string, any>;

let node: RealNode;
let localPath: LocalPath | undefined;

async function kubectl(args: string[], input?: object): Promise<string> {
  const result = await node.kubectl(args, input ? { input: JSON.stringify(input) } : {});
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function getJson(args: string[]): Promise<Json | undefined> {
  const result = await node.kubectl([...args, '-o', 'json']);
  return result.code === 0 ? JSON.parse(result.stdout) : undefined;
}

/** The session's home claim and workshop Deployment as synthesized, for one session in NS. */
function synthesized(): { claim: Manifest; deployment: Json } {
  const app = new App();
  const workshop = new Workshop(app, 'home', {
    title: 'Home',
    description: 'A home that stays',
    capabilities: [new Terminal()],
    storage: '64Mi',
    storageClass: STORAGE_CLASS,
  });
  const values = { session_name: SESSION, session_namespace: SESSION, workshop_namespace: NS, service_account: SESSION, environment_name: NS };
  const objects = substituteVariables(resolveWorkshop(workshop).sessionObjects, values);
  const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
  const deployment = objects.find((o) => o.kind === 'Deployment') as Json;
  return { claim, deployment };
}

beforeAll(async () => {
  node = await useRealNode();
  localPath = await startLocalPath(node);
  await kubectl(['apply', '-f', '-'], {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
}, 40 * 60_000);

afterAll(async () => {
  if (node) await node.kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 }).catch(() => undefined);
  await localPath?.stop();
  if (node?.own) await node.release();
}, 5 * 60_000);

test(
  'a file written in the home survives deleting the workshop pod; the volume goes with its claim',
  async () => {
    const { claim, deployment } = synthesized();
    // what the constructs synthesize: the claim, owned by the session, and the home volume on it
    expect(claim.metadata).toEqual(expect.objectContaining({ name: `${SESSION}-home`, namespace: NS }));
    expect(claim.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'WorkshopSession', name: SESSION })]);
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, storageClassName: STORAGE_CLASS });
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'workshop-home', persistentVolumeClaim: { claimName: `${SESSION}-home` } });
    const learner = (pod.containers as Json[]).find((c) =>
      (c.volumeMounts ?? []).some((m: Json) => m.name === 'workshop-home' && m.mountPath === '/home/workshop'),
    )!;
    expect(learner.securityContext.runAsUser).toBe(1001);

    // run it: the learner's container (home-probe in its place) and the home volume only; no session to own them here
    delete claim.metadata.ownerReferences;
    const probe = {
      ...learner,
      image: PROBE_IMAGE,
      imagePullPolicy: 'Never',
      command: ['/home-probe'],
      args: undefined,
      env: [
        { name: 'PROBE_FILE', value: '/home/workshop/probe.txt' },
        { name: 'PROBE_TEXT', value: 'written by the learner' },
      ],
      volumeMounts: learner.volumeMounts.filter((m: Json) => m.name === 'workshop-home'),
      ports: undefined,
      readinessProbe: undefined,
      livenessProbe: undefined,
      startupProbe: undefined,
      envFrom: undefined,
    };
    const run = {
      ...deployment,
      metadata: { name: deployment.metadata.name, namespace: NS, labels: deployment.metadata.labels },
      spec: {
        ...deployment.spec,
        template: {
          metadata: deployment.spec.template.metadata,
          spec: {
            ...pod,
            ...REAL_NODE_PLACEMENT,
            serviceAccountName: undefined,
            automountServiceAccountToken: false,
            containers: [probe],
            initContainers: undefined,
            volumes: pod.volumes.filter((v: Json) => v.name === 'workshop-home'),
          },
        },
      },
    };
    await kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: [claim, JSON.parse(JSON.stringify(run))] });

    const podOf = async (except?: string) => {
      const list = await getJson(['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/name=workshop`]);
      return (list?.items as Json[] | undefined)?.find(
        (p) => p.metadata.name !== except && !p.metadata.deletionTimestamp && p.status?.phase === 'Running',
      );
    };
    const logsOf = async (name: string) => (await node.kubectl(['-n', NS, 'logs', name])).stdout;
    const first = await waitFor('the workshop pod running on its home volume', () => podOf(), 5 * 60_000);
    await waitFor(
      'the learner writing into the home',
      async () => (await logsOf(first.metadata.name)).includes('wrote: written by the learner'),
      60_000,
    );
    const bound = await getJson(['-n', NS, 'get', 'pvc', `${SESSION}-home`]);
    expect(bound!.status.phase).toBe('Bound');
    const volume = await getJson(['get', 'pv', bound!.spec.volumeName]);
    const dir = volume!.spec.hostPath?.path ?? volume!.spec.local?.path;
    expect(dir.startsWith(`${localPath!.root}/`)).toBe(true);
    const file = path.join(dir, 'probe.txt');
    expect(fs.readFileSync(file, 'utf8')).toBe('written by the learner');
    expect(fs.statSync(file).uid).toBe(1001);

    await kubectl(['-n', NS, 'delete', 'pod', first.metadata.name, '--wait=false']);
    const second = await waitFor('a new workshop pod', () => podOf(first.metadata.name), 5 * 60_000);
    await waitFor('the new pod finding the file', async () => (await logsOf(second.metadata.name)).includes('found: written by the learner'), 60_000);

    // the claim goes (with the session, in the portal): the provisioner's helper removes the directory
    await kubectl(['-n', NS, 'delete', 'deployment', run.metadata.name, '--wait=true']);
    await kubectl(['-n', NS, 'delete', 'pvc', `${SESSION}-home`, '--wait=true']);
    await waitFor('the volume directory to be removed', () => !fs.existsSync(dir), 3 * 60_000);
  },
  20 * 60_000,
);
