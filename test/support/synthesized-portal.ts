/**
 * Runs the portal process (src/apps/portal.ts) exactly as a TrainingPortal's synthesized Deployment configures it:
 * its container env, with `secretKeyRef`s read from the Secrets in the cluster (as the kubelet would) and the
 * portal ConfigMap's files written where the Deployment mounts them. Only what a pod gets from its surroundings is
 * replaced: where it listens, the browser-facing URL, and the kubeconfig.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Manifest } from '../../src/constructs/index.js';
import type { KubeClient } from '../../src/runtime/index.js';
import { waitFor } from './portal-fixture.js';

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } };

export interface RunningPortal {
  readonly url: string;
  /** The env the process got (secret values included: for assertions only). */
  readonly env: Record<string, string>;
  /** What the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function runSynthesizedPortal(client: KubeClient, objects: Manifest[], port: number): Promise<RunningPortal> {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'training-portal')! as unknown as Manifest & {
    spec: {
      template: {
        spec: {
          containers: Array<{ env: EnvVar[]; volumeMounts: Array<{ name: string; mountPath: string }> }>;
          volumes: Array<{ name: string; configMap?: { name: string } }>;
        };
      };
    };
  };
  const namespace = deployment.metadata.namespace!;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-portal-'));
  // the ConfigMap volume: its keys become files under the mount path
  const mounts = new Map<string, string>();
  for (const volume of pod.volumes.filter((v) => v.configMap)) {
    const configMap = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name && o.metadata.namespace === namespace,
    ) as Manifest & { data: Record<string, string> };
    const mount = container.volumeMounts.find((m) => m.name === volume.name)!;
    const local = path.join(dir, volume.name);
    fs.mkdirSync(local);
    for (const [key, value] of Object.entries(configMap.data)) fs.writeFileSync(path.join(local, key), value);
    mounts.set(mount.mountPath, local);
  }
  const local = (value: string) => {
    for (const [mountPath, dirPath] of mounts) if (value.startsWith(`${mountPath}/`)) return dirPath + value.slice(mountPath.length);
    return value;
  };
  const env: Record<string, string> = {};
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = local(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const secret = await client.get<{ data?: Record<string, string> }>('v1', 'Secret', name, namespace);
      if (secret?.data?.[key] === undefined) throw new Error(`Secret ${namespace}/${name} has no key '${key}' for ${e.name}`);
      env[e.name] = Buffer.from(secret.data[key], 'base64').toString('utf8');
    } else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = `${deployment.metadata.name}-test`;
  }
  Object.assign(env, {
    HOST: '127.0.0.1',
    PORT: String(port),
    PORTAL_URL: `http://127.0.0.1:${port}`,
    SECURE_COOKIES: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });

  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/apps/portal.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the portal process to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`the portal exited (${child.exitCode}): ${output}`);
        return (await fetch(`${url}/readyz`).catch(() => undefined))?.ok;
      },
      60_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    env,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
