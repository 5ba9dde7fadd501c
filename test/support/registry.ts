/**
 * A real OCI registry for tests and benchmarks: Debian's /usr/bin/docker-registry (distribution 2.8) on
 * 127.0.0.1:<free port>, storing into a temp dir, with optional authentication: htpasswd (the registry answers
 * `WWW-Authenticate: Basic`) or Docker's token protocol (it answers `WWW-Authenticate: Bearer realm=…`, and a small
 * token service started here issues RS256 JWTs signed with a throw-away certificate made by openssl). Fails loudly
 * when the binary is missing (scripts/system/install.sh installs it) or when it does not answer in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import bcrypt from 'bcryptjs';

import { selfSignedCertificate } from './self-signed.js';

export const REGISTRY_BINARY = process.env.CDK8S_WORKSHOPS_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** One user who may push and pull. @default - anonymous push and pull */
  readonly auth?: { readonly username: string; readonly password: string };
  /**
   * How the registry asks for the credentials: 'basic' (htpasswd) or 'token' (a Bearer challenge naming the token
   * service started alongside; the token service checks the user with HTTP Basic).
   * @default 'basic'
   */
  readonly scheme?: 'basic' | 'token';
  /** Serve HTTPS with a throw-away self-signed certificate for 127.0.0.1 (see `caFile`). @default false */
  readonly tls?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of references. */
  readonly host: string;
  readonly url: string;
  /** The storage directory (to inspect or corrupt blobs in tests). */
  readonly storageDir: string;
  /** The certificate the registry serves when started with `tls` (to trust it: NODE_EXTRA_CA_CERTS). */
  readonly caFile?: string;
  /** Token requests the token service answered (scheme 'token'): their scope and whether they were granted. */
  readonly tokenRequests: Array<{ scope: string; granted: boolean }>;
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
  const tokenRequests: Array<{ scope: string; granted: boolean }> = [];
  let tokenServer: Server | undefined;
  if (opts.auth && opts.scheme === 'token') {
    const service = 'cdk8s-workshops-test';
    const issuer = 'cdk8s-workshops-test-issuer';
    const { certPath, sign } = await tokenSigner(dir);
    const auth = opts.auth;
    tokenServer = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://token');
      const scope = url.searchParams.get('scope') ?? '';
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      const granted = req.headers.authorization === expected && url.searchParams.get('service') === service;
      tokenRequests.push({ scope, granted });
      if (!granted) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'wrong credentials' }));
        return;
      }
      const [type, name, actions] = scope.split(':');
      const now = Math.floor(Date.now() / 1000);
      const token = sign({
        iss: issuer,
        sub: auth.username,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: type === 'repository' ? [{ type, name, actions: (actions ?? '').split(',').filter(Boolean) }] : [],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    });
    await new Promise<void>((resolve, reject) => tokenServer!.listen(0, '127.0.0.1', resolve).on('error', reject));
    const tokenPort = (tokenServer.address() as AddressInfo).port;
    lines.push(
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${certPath}`,
    );
  } else if (opts.auth) {
    const htpasswd = join(dir, 'htpasswd');
    // distribution reads bcrypt hashes only; bcryptjs writes $2b$, which Go's bcrypt accepts
    await writeFile(htpasswd, `${opts.auth.username}:${bcrypt.hashSync(opts.auth.password, 4)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: cdk8s-workshops-test', `    path: ${htpasswd}`);
  }
  let caFile: string | undefined;
  if (opts.tls) {
    const { certFile, keyFile } = selfSignedCertificate(dir, 'tls', '127.0.0.1', ['IP:127.0.0.1']);
    caFile = certFile;
    lines.splice(lines.indexOf('http:') + 3, 0, '  tls:', `    certificate: ${caFile}`, `    key: ${keyFile}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');

  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  try {
    // a TLS registry answers plain HTTP with 400, which is enough to know it is serving
    await waitUntilServing(`http://${host}`, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    tokenServer?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    url,
    storageDir,
    caFile,
    tokenRequests,
    async stop() {
      tokenServer?.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls /v2/ until it answers (200 anonymous, 401 with auth, 400 from a TLS port), for at most 15 s. */
async function waitUntilServing(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with code ${child.exitCode}: ${stderr().trim()}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200 || res.status === 401 || res.status === 400) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url}/v2/ within 15 s: ${stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A throw-away RSA key and self-signed certificate (openssl) for the token service. distribution 2.8 verifies a
 * token's signature with the certificate chain in its `x5c` header, anchored in `rootcertbundle`.
 */
async function tokenSigner(dir: string): Promise<{ certPath: string; sign(claims: object): string }> {
  const { certFile: certPath, keyFile: keyPath } = selfSignedCertificate(dir, 'token', 'cdk8s-workshops-test-token-issuer');
  const key = await readFile(keyPath, 'utf8');
  const der = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
  return {
    certPath,
    sign(claims: object): string {
      const signingInput = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }))}.${b64url(JSON.stringify(claims))}`;
      return `${signingInput}.${createSign('RSA-SHA256').update(signingInput).sign(key).toString('base64url')}`;
    },
  };
}
