/**
 * The real node of the test cluster (scripts/cluster/node-up.sh): `real-node-1`, a kubelet with containerd, runc,
 * CNI bridge, kube-proxy, CoreDNS and kube-router's NetworkPolicy firewall, beside the kwok nodes.
 *
 * `useRealNode()` takes the integration suite's cluster when it was started with one (global setup with
 * CDK8S_WORKSHOPS_REAL_NODE=1), and otherwise starts a cluster of its own with `up.sh --real-node` in a private
 * state directory, stopped again by `release()`. Needs root; one real node per machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT, type Run, run } from './cli.js';

export const REAL_NODE_NAME = 'real-node-1';
export const REAL_NODE_LABEL = 'cdk8s-workshops.dev/real-node';
/** The image the real-node tests run: `nettest serve|get|resolve|connect|whoami` (scripts/cluster/node/tools). */
export const NETTEST_IMAGE = 'cdk8s-workshops.local/nettest:v1';
/** What a pod needs to run on the real node (the test setup's choice, never the constructs'). */
export const REAL_NODE_PLACEMENT = {
  nodeSelector: { [REAL_NODE_LABEL]: 'true' },
  tolerations: [{ key: REAL_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};

const SCRIPTS = path.join(ROOT, 'scripts', 'cluster');
const PRIVATE_STATE_DIR = '/tmp/cdk8s-workshops-real-node-test';

export interface RealNode {
  readonly stateDir: string;
  readonly kubeconfig: string;
  /** Whether this helper started the cluster (and so stops it). */
  readonly own: boolean;
  /** Seconds each phase of `up.sh --real-node` took, as its log says (empty when the suite's cluster was used). */
  readonly startTimings: Record<string, number>;
  /** Runs the cluster's kubectl with the admin kubeconfig. */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<Run>;
  /** Lets containerd pull from a loopback registry (`127.0.0.1:<port>`) over plain http (node-registry.sh). */
  addRegistry(host: string): Promise<void>;
  /**
   * Pushes an image of the node's containerd (e.g. NETTEST_IMAGE) to `reference` over plain http, then forgets
   * `reference` locally, so that a pod naming it makes containerd fetch it from the registry.
   */
  pushImage(local: string, reference: string): Promise<void>;
  release(): Promise<void>;
}

function envOf(stateDir: string): Record<string, string> {
  const text = fs.readFileSync(path.join(stateDir, 'env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function hasRealNode(stateDir: string | undefined): stateDir is string {
  return !!stateDir && fs.existsSync(path.join(stateDir, '.real-node')) && fs.existsSync(path.join(stateDir, 'node'));
}

async function script(name: string, args: string[]): Promise<string> {
  return (await scriptRun(name, args)).stdout;
}
async function scriptRun(name: string, args: string[]): Promise<Run> {
  const result = await run('bash', [path.join(SCRIPTS, name), ...args], { timeoutMs: 30 * 60_000 });
  if (result.code !== 0) {
    // the script's own ERROR line first: the logs' last lines it prints after it can be longer than the tail kept
    const reason = result.stderr.split('\n').find((l) => l.includes(' ERROR: ')) ?? '';
    throw new Error(`scripts/cluster/${name} ${args.join(' ')} failed (exit code ${result.code}): ${reason.trim()}\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/**
 * The phases' times from the log of `up.sh --real-node`: "control plane up in N s", "[node 3/6 network …] done in N s",
 * "[node build …] done in N s", "real node … up in N s".
 */
export function phaseTimings(log: string): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const line of log.split('\n')) {
    let m = /control plane up in (\d+) s/.exec(line);
    if (m) timings['control plane'] = Number(m[1]);
    m = /\[node (\d+\/\d+ [a-z-]+)[^\]]*\] done in (\d+) s/.exec(line);
    if (m) timings[`node ${m[1]}`] = Number(m[2]);
    m = /real node \S+ up in (\d+) s/.exec(line);
    if (m) timings['node total'] = Number(m[1]);
  }
  return timings;
}

function nodeFor(stateDir: string, own: boolean, startTimings: Record<string, number> = {}): RealNode {
  const env = envOf(stateDir);
  const kubeconfig = env.KUBECONFIG;
  const kubectlBin = path.join(env.KUBE_BIN_DIR, 'kubectl');
  return {
    stateDir,
    kubeconfig,
    own,
    startTimings,
    kubectl: (args, options = {}) => kubectl(kubectlBin, kubeconfig, args, options),
    addRegistry: async (host) => {
      await script('node-registry.sh', [stateDir, host]);
    },
    pushImage: async (local, reference) => {
      const ctr = (...args: string[]) =>
        run('ctr', ['--address', path.join(stateDir, 'node', 'containerd', 'containerd.sock'), '--namespace', 'k8s.io', ...args]);
      for (const args of [
        ['images', 'tag', '--force', local, reference],
        ['images', 'push', '--plain-http', reference],
        ['images', 'rm', reference],
      ]) {
        const result = await ctr(...args);
        if (result.code !== 0) throw new Error(`ctr ${args.join(' ')}: ${result.stderr.trim()}`);
      }
    },
    release: async () => {
      if (own) await script('down.sh', [stateDir]);
    },
  };
}

function kubectl(bin: string, kubeconfig: string, args: string[], options: { input?: string; timeoutMs?: number }): Promise<Run> {
  if (options.input === undefined) {
    return run(bin, ['--kubeconfig', kubeconfig, ...args], { timeoutMs: options.timeoutMs ?? 60_000 });
  }
  // run() has no stdin: hand the input over as a file
  const dir = fs.mkdtempSync('/tmp/real-node-input-');
  const file = path.join(dir, 'input.json');
  fs.writeFileSync(file, options.input);
  return run(bin, ['--kubeconfig', kubeconfig, ...args.map((a) => (a === '-' ? file : a))], { timeoutMs: options.timeoutMs ?? 60_000 }).finally(() =>
    fs.rmSync(dir, { recursive: true, force: true }),
  );
}

/** The suite's cluster if it has the real node, else a private cluster with one (started here). */
export async function useRealNode(): Promise<RealNode> {
  const suite = process.env.CDK8S_WORKSHOPS_TEST_STATE;
  if (hasRealNode(suite)) return nodeFor(suite, false);
  if (process.getuid?.() !== 0) throw new Error('the real node needs root (scripts/cluster/README.md, "Real node")');
  // One real node per machine: test files (jest workers) that need a private one take turns.
  const unlock = await lockPrivateCluster();
  try {
    const out = await scriptRun('up.sh', ['--real-node', PRIVATE_STATE_DIR]);
    const kubeconfig = out.stdout.trim().split('\n').pop()!;
    const node = nodeFor(path.dirname(kubeconfig), true, phaseTimings(out.stderr));
    return { ...node, release: () => node.release().finally(unlock) };
  } catch (error) {
    unlock();
    throw error;
  }
}

const LOCK_FILE = `${PRIVATE_STATE_DIR}.lock`;

/** Waits until no other live process holds LOCK_FILE (a lock left by a dead process is taken over), then holds it. */
async function lockPrivateCluster(timeoutMs = 60 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK_FILE, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim());
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = true;
    } catch {
      // no such process
    }
    if (!alive) fs.rmSync(LOCK_FILE, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`the private real-node cluster is still held by process ${holder} (${LOCK_FILE}) after ${timeoutMs / 60_000} min`);
    else await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Polls `probe` until it returns a truthy value (200 ms apart); the last error is in the timeout's message. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
