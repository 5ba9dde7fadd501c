/**
 * rancher's local-path-provisioner for the real node (scripts/storage/build.sh): run here, out of the cluster, with
 * the admin kubeconfig; its helper pods run volume-helper on the real node and make each volume a directory below a
 * root on this machine (the real node's kubelet runs here too). `stop()` removes what it made: the StorageClass, its
 * namespace, the process and the root directory.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { ROOT } from './cli.js';
import type { RealNode } from './real-node.js';

const exec = promisify(execFile);

export const STORAGE_CLASS = 'local-path';
export const HELPER_IMAGE = 'cdk8s-workshops.local/volume-helper:v1';
export const PROBE_IMAGE = 'cdk8s-workshops.local/home-probe:v1';
const NAMESPACE = 'local-path-storage';

export interface LocalPath {
  /** Where the volumes are, on this machine. */
  readonly root: string;
  /** The provisioner's output so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Builds (a cache hit when nothing changed), imports the images into the node's containerd and starts the provisioner. */
export async function startLocalPath(node: RealNode): Promise<LocalPath> {
  const { stdout } = await exec('bash', [path.join(ROOT, 'scripts/storage/build.sh')], { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 });
  const built = stdout.trim().split('\n').pop()!;
  const socket = path.join(node.stateDir, 'node', 'containerd', 'containerd.sock');
  for (const image of ['volume-helper.tar', 'home-probe.tar']) {
    await exec('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', path.join(built, image)]);
  }
  const root = fs.mkdtempSync('/tmp/cdk8s-workshops-local-path-');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-path-config-'));
  fs.writeFileSync(
    path.join(work, 'config.json'),
    JSON.stringify({
      nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [root] }],
      setupCommand: '/volume-helper',
      teardownCommand: '/volume-helper',
    }),
  );
  fs.writeFileSync(
    path.join(work, 'helper-pod.yaml'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'helper-pod' },
      spec: { containers: [{ name: 'helper-pod', image: HELPER_IMAGE, imagePullPolicy: 'Never' }] },
    }),
  );
  const apply = (object: object) =>
    node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) }).then((r) => {
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
    });
  // the helper pods mount the root with hostPath: a privileged namespace of their own
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
  await apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'local-path-helper', namespace: NAMESPACE },
    automountServiceAccountToken: false,
  });
  await apply({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE_CLASS },
    provisioner: 'rancher.io/local-path',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
  });
  let output = '';
  const child: ChildProcess = spawn(
    path.join(built, 'local-path-provisioner'),
    [
      '--debug',
      'start',
      '--kubeconfig',
      node.kubeconfig,
      '--namespace',
      NAMESPACE,
      '--config',
      path.join(work, 'config.json'),
      '--helper-pod-file',
      path.join(work, 'helper-pod.yaml'),
      '--provisioner-name',
      'rancher.io/local-path',
      '--service-account-name',
      'local-path-helper',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    root,
    log: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await node.kubectl(['delete', 'storageclass', STORAGE_CLASS, '--ignore-not-found']);
      await node.kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=false']);
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
