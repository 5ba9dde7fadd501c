/**
 * A real OCI registry for tests and benchmarks: Debian's /usr/bin/docker-registry (distribution 2.8) on
 * 127.0.0.1:<free port>, storing into a temp dir, with optional htpasswd authentication. Fails loudly when the
 * binary is missing (scripts/system/install.sh installs it) or when it does not answer in time.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const REGISTRY_BINARY = process.env.CDK8S_WORKSHOPS_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** HTTP Basic authentication with one htpasswd user. @default - anonymous push and pull */
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of references. */
  readonly host: string;
  readonly url: string;
  /** The storage directory (to inspect or corrupt blobs in tests). */
  readonly storageDir: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the registry binds it right after; a clash fails loudly at start). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(`${REGISTRY_BINARY} not found: install the Debian package docker-registry (bash scripts/system/install.sh)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'cdk8s-workshops-registry-'));
  const storageDir = join(dir, 'storage');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (opts.auth) {
    const htpasswd = join(dir, 'htpasswd');
    // distribution reads bcrypt hashes only; bcryptjs writes $2b$, which Go's bcrypt accepts
    await writeFile(htpasswd, `${opts.auth.username}:${bcrypt.hashSync(opts.auth.password, 4)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: cdk8s-workshops-test', `    path: ${htpasswd}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');

  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const url = `http://${host}`;
  try {
    await waitUntilServing(url, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    url,
    storageDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls /v2/ until it answers (200 anonymous, 401 with auth), for at most 15 s. */
async function waitUntilServing(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with code ${child.exitCode}: ${stderr().trim()}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url}/v2/ within 15 s: ${stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
