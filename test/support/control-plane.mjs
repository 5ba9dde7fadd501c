// Starts and stops the local Kubernetes control plane of scripts/cluster
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, all
// on 127.0.0.1) for integration tests; meant for jest globalSetup/globalTeardown.
// The first start builds the binaries from Go modules (several minutes, cached
// afterwards); its progress is shown on stderr.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
const DEFAULT_STATE_DIR = '/tmp/cdk8s-workshops-cluster';
/** scripts/cluster, found from CDK8S_WORKSHOPS_CLUSTER_SCRIPTS or upwards from the cwd. */
function clusterScriptsDir() {
    const fromEnv = process.env.CDK8S_WORKSHOPS_CLUSTER_SCRIPTS;
    if (fromEnv)
        return fromEnv;
    let dir = process.cwd();
    for (;;) {
        const candidate = `${dir}/scripts/cluster`;
        if (existsSync(`${candidate}/up.sh`))
            return candidate;
        const parent = dir.replace(/\/[^/]*$/, '') || '/';
        if (parent === dir)
            break;
        dir = parent;
    }
    throw new Error(`scripts/cluster/up.sh not found above ${process.cwd()}`);
}
/** Runs a script with bash; stderr is inherited, stdout is collected and returned. */
function runScript(script, args) {
    return new Promise((resolve, reject) => {
        const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => {
            stdout += chunk;
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
            if (code === 0)
                resolve(stdout);
            else
                reject(new Error(`${script} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`));
        });
    });
}
/** The first `key: value` of the kubeconfig written by up.sh. */
function kubeconfigField(text, key, path) {
    const match = new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text);
    if (!match)
        throw new Error(`no ${key} in ${path}`);
    return match[1].replace(/^["']|["']$/g, '');
}
export async function startControlPlane(stateDir = DEFAULT_STATE_DIR) {
    const scripts = clusterScriptsDir();
    const out = await runScript(`${scripts}/up.sh`, [stateDir]);
    const lines = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const kubeconfigPath = lines[lines.length - 1];
    if (!kubeconfigPath || !existsSync(kubeconfigPath)) {
        throw new Error(`up.sh did not print an existing kubeconfig path (stdout: ${JSON.stringify(out)})`);
    }
    const text = readFileSync(kubeconfigPath, 'utf8');
    return {
        kubeconfigPath,
        server: kubeconfigField(text, 'server', kubeconfigPath),
        token: kubeconfigField(text, 'token', kubeconfigPath),
        stateDir: kubeconfigPath.replace(/\/kubeconfig$/, ''),
    };
}
export async function stopControlPlane(cp) {
    await runScript(`${clusterScriptsDir()}/down.sh`, [cp.stateDir]);
}
