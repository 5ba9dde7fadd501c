/**
 * The images, built for real without a Docker daemon (scripts/images/build.sh: mmdebstrap + Node from npm, then
 * buildah on images/*\/Dockerfile; a cache hit when nothing changed), pushed to a loopback registry
 * (scripts/images/push.sh, Debian's docker-registry), read back through the registry API as a node would pull
 * them, and run with podman (runc, cgroupfs) from what was pulled: the portal under its read-only root file system
 * answers /readyz, the dashboard carries node, kubectl of the cluster's minor version, git and the docker CLI and
 * runs Educates' session set-up, hello-web answers its greeting, and the Docker and ImageRegistry capabilities'
 * images (Debian's dockerd and docker-registry) serve the dashboard's docker CLI and a push with credentials.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { KubeClient } from '../../src/runtime/index.js';
import { workshops } from '../support/cli.js';
import { buildAndPushImages } from '../support/images.js';
import { applyFixture, synthPortal, waitFor } from '../support/portal-fixture.js';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.js';

const exec = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CACHE = process.env.CDK8S_WORKSHOPS_CACHE ?? path.join(os.homedir(), '.cache/cdk8s-workshops');
// The project's own container storage (scripts/images/common.sh writes these files).
const CONTAINERS_ENV = {
  CONTAINERS_STORAGE_CONF: path.join(CACHE, 'containers/storage.conf'),
  CONTAINERS_CONF: path.join(CACHE, 'containers/containers.conf'),
};
const TAG = `test-${process.pid}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

let registry: TestRegistry;
let pushed: Map<string, string>;
let scratch: string;
const containers: string[] = [];
const client = KubeClient.fromKubeconfig(process.env.KUBECONFIG);

async function podman(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec('podman', args, { env: { ...process.env, ...CONTAINERS_ENV }, maxBuffer: 16 * 1024 * 1024 });
}

/** `podman run --rm` of a pulled image (host network unless `extra` says otherwise): what the command printed. */
async function runIn(image: string, command: string[], extra: string[] = []): Promise<string> {
  const network = extra.some((a) => a.startsWith('--network=')) ? [] : ['--network=host'];
  return (await podman(['run', '--rm', ...network, ...extra, image, ...command])).stdout;
}

/** Starts a container in the background (removed in afterAll); host network unless `args` says otherwise. */
async function start(name: string, image: string, args: string[], command: string[] = []): Promise<void> {
  const full = `images-test-${process.pid}-${name}`;
  containers.push(full);
  const network = args.some((a) => a.startsWith('--network=')) ? [] : ['--network=host'];
  await podman(['run', '-d', '--name', full, ...network, ...args, image, ...command]);
}

/** Waits for a container's HTTP endpoint to answer 200; on time-out the error carries the container's log. */
async function waitAnswering(container: string, url: string, timeoutMs: number): Promise<void> {
  await waitContainer(container, `to answer ${url}`, async () => (await answers(url))?.status === 200, timeoutMs);
}

/** Waits for a condition on a container; on time-out the error carries the container's log. */
async function waitContainer(container: string, what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const full = `images-test-${process.pid}-${container}`;
  try {
    await waitFor(`${container} ${what}`, probe, timeoutMs);
  } catch (error) {
    const logs = await podman(['logs', '--tail', '40', full]).catch((e: Error) => ({ stdout: '', stderr: e.message }));
    throw new Error(`${(error as Error).message}\n--- podman logs ${full}:\n${logs.stdout}${logs.stderr}`);
  }
}

async function answers(url: string): Promise<Response | undefined> {
  try {
    return await fetch(url, { redirect: 'manual' });
  } catch {
    return undefined;
  }
}

async function registryJson(url: string, accept: string): Promise<{ body: any; type: string | null }> {
  const res = await fetch(url, { headers: { accept } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return { body: await res.json(), type: res.headers.get('content-type') };
}

/** The image's manifest and config as the registry serves them to a puller. */
async function inspect(repository: string, tag: string): Promise<{ manifest: any; type: string | null; config: any }> {
  const { body: manifest, type } = await registryJson(`${registry.url}/v2/${repository}/manifests/${tag}`, `${OCI_MANIFEST}, ${DOCKER_MANIFEST}`);
  const { body: config } = await registryJson(`${registry.url}/v2/${repository}/blobs/${manifest.config.digest}`, '*/*');
  return { manifest, type, config };
}

/** The test cluster's kubeconfig (certificates inline), readable by the images' unprivileged users. */
function readableKubeconfig(): string {
  const copy = path.join(scratch, 'kubeconfig');
  if (!fs.existsSync(copy)) fs.writeFileSync(copy, fs.readFileSync(process.env.KUBECONFIG!), { mode: 0o644 });
  return copy;
}

const image = (repository: string, tag = TAG) => `${registry.host}/cdk8s-workshops/${repository}:${tag}`;

beforeAll(async () => {
  registry = await startRegistry();
  const started = Date.now();
  const images = await buildAndPushImages(registry.host, TAG);
  process.stderr.write(`[images-build test] build.sh and push.sh took ${Math.round((Date.now() - started) / 1000)}s\n`);
  pushed = images.digests;
  expect(pushed.get(image('portal'))).toBe(pushed.get(images.portal));
  for (const ref of pushed.keys()) expect([ref, pushed.get(ref)]).toEqual([ref, expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
  // everything below runs what a node pulls from the registry, not what the build left in storage
  for (const ref of pushed.keys()) await podman(['pull', '--quiet', '--tls-verify=false', ref]);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'images-build-'));
  fs.chmodSync(scratch, 0o755);
}, 60 * 60_000);

afterAll(async () => {
  for (const name of containers) await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
  if (pushed) await podman(['rmi', '-f', ...pushed.keys()]).catch(() => undefined);
  await registry?.stop();
  await client.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe('what the registry serves', () => {
  test('a second build with the same inputs is a cache hit that builds nothing', async () => {
    const started = Date.now();
    const log = await new Promise<string>((resolve, reject) => {
      execFile('bash', [path.join(ROOT, 'scripts/images/build.sh')], { cwd: ROOT }, (error, _out, err) => (error ? reject(error) : resolve(err)));
    });
    process.stderr.write(`[images-build test] warm build.sh took ${Math.round((Date.now() - started) / 1000)}s\n`);
    for (const name of ['base', 'portal', 'dashboard', 'hello-web', 'docker-daemon', 'registry'])
      expect(log).toMatch(new RegExp(`\\] ${name}: cached \\(`));
    expect(log).not.toMatch(/image: started/);
  });

  test('OCI manifests whose layers and config the registry has, which containerd pulls', async () => {
    for (const ref of pushed.keys()) {
      const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref)!;
      const { manifest, type, config } = await inspect(repository, tag);
      expect([ref, type]).toEqual([ref, OCI_MANIFEST]);
      expect(manifest.schemaVersion).toBe(2);
      expect(config.os).toBe('linux');
      expect(config.architecture).toBe('amd64');
      expect(config.rootfs.diff_ids).toHaveLength(manifest.layers.length);
      for (const layer of manifest.layers) {
        expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
        const head = await fetch(`${registry.url}/v2/${repository}/blobs/${layer.digest}`, { method: 'HEAD' });
        expect([layer.digest, head.status]).toEqual([layer.digest, 200]);
      }
    }
  });

  test('the portal runs node lib/apps/portal.js in /app as 1001, on 8080, labelled with its version and inputs', async () => {
    const { config } = await inspect('cdk8s-workshops/training-portal', TAG);
    expect(config.config).toMatchObject({
      User: '1001:1001',
      WorkingDir: '/app',
      Cmd: ['node', 'lib/apps/portal.js'],
      ExposedPorts: { '8080/tcp': {} },
    });
    expect(config.config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PORT=8080']));
    expect(config.config.Labels).toMatchObject({ 'org.opencontainers.image.version': '0.1.0' });
    expect(config.config.Labels['dev.cdk8s-workshops.inputs']).toMatch(/^[0-9a-f]{12}$/);
    // the contract's name for the portal is the same image
    expect(pushed.get(image('portal'))).toBe(pushed.get(image('training-portal')));
  });

  test("the dashboard runs node lib/apps/dashboard.js as the workshop user on the session template's port", async () => {
    const { config } = await inspect('cdk8s-workshops/session-dashboard', TAG);
    expect(config.config).toMatchObject({
      User: '1001:1001',
      WorkingDir: '/opt/dashboard',
      Cmd: ['node', 'lib/apps/dashboard.js'],
      ExposedPorts: { '10080/tcp': {} },
    });
    expect(config.config.Env).toEqual(expect.arrayContaining(['HOME=/home/workshop', 'SHELL=/bin/bash', 'WORKSHOP_DIR=/opt/workshop/content']));
  });

  test('hello-web runs as 65532 on 8080 at the tag the example names', async () => {
    const { config } = await inspect('cdk8s-workshops/hello-web', '1.0.0');
    expect(config.config).toMatchObject({ User: '65532:65532', Cmd: ['node', '/app/server.js'], ExposedPorts: { '8080/tcp': {} } });
    const example = fs.readFileSync(path.join(ROOT, 'examples/k8s-fundamentals/workshop.ts'), 'utf8');
    expect(example).toContain("'ghcr.io/cdk8s-workshops/hello-web:1.0.0'");
  });
});

describe('the images run (podman, runc)', () => {
  test("the dashboard image has node 20, kubectl of the cluster's minor version, git and the docker CLI", async () => {
    const dashboard = image('session-dashboard');
    expect(await runIn(dashboard, ['node', '--version'])).toMatch(/^v20\./);
    expect(await runIn(dashboard, ['git', '--version'])).toMatch(/^git version 2\./);
    expect(await runIn(dashboard, ['docker', '--version'])).toMatch(/^Docker version 20\.10\./);
    expect(await runIn(dashboard, ['id'])).toMatch(/^uid=1001\(workshop\) gid=1001\(workshop\)/);
    // kubectl in the image talks to the test cluster: its client minor is the server's
    const out = await runIn(
      dashboard,
      ['kubectl', '--kubeconfig', '/tmp/kubeconfig', 'version', '-o', 'json'],
      ['-v', `${readableKubeconfig()}:/tmp/kubeconfig:ro`],
    );
    const versions = JSON.parse(out) as { clientVersion: { major: string; minor: string }; serverVersion: { major: string; minor: string } };
    expect(versions.clientVersion.major).toBe(versions.serverVersion.major);
    expect(versions.clientVersion.minor).toBe(versions.serverVersion.minor);
  });

  test("no image carries the build machine's extra certificate authorities (they are mounted for the build only)", async () => {
    const extra = fs.existsSync('/usr/local/share/ca-certificates')
      ? fs.readdirSync('/usr/local/share/ca-certificates').filter((f) => f.endsWith('.crt'))
      : [];
    const bundle = await runIn(image('session-dashboard'), ['cat', '/etc/ssl/certs/ca-certificates.crt']);
    expect(bundle).toContain('BEGIN CERTIFICATE');
    for (const file of extra) {
      const pem = fs
        .readFileSync(path.join('/usr/local/share/ca-certificates', file), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('-----'));
      expect([file, bundle.includes(pem.slice(0, 3).join('\n'))]).toEqual([file, false]);
    }
  });

  test('the dashboard process starts, runs setup.d, copies the exercises and gives every shell the workshop profile', async () => {
    const content = path.join(scratch, 'content');
    const home = path.join(scratch, 'home');
    const files: Record<string, [string, number]> = {
      'workshop/content/_index.md': ['---\ntitle: Start\n---\n\nHello.\n', 0o644],
      // not executable on purpose: unpacked content loses the bit; the set-up runs it with bash
      'workshop/setup.d/10-env.sh': [
        'echo "SETUP_GREETING=set up for $SESSION_NAME" >> "$WORKSHOP_ENV"\nkubectl version --client -o json > "$HOME/kubectl.json"\n',
        0o644,
      ],
      'workshop/profile': ['export FROM_PROFILE=profiled\n', 0o644],
      'exercises/README.md': ['# Exercises\n', 0o644],
    };
    for (const [file, [text, mode]] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(content, file)), { recursive: true, mode: 0o755 });
      fs.writeFileSync(path.join(content, file), text, { mode });
    }
    fs.mkdirSync(home);
    fs.chownSync(home, 1001, 1001);
    const port = await freePort();
    await start('dashboard', image('session-dashboard'), [
      '-v',
      `${content}:/opt/workshop/content:ro`,
      '-v',
      `${home}:/home/workshop`,
      '-e',
      'SESSION_NAME=imgtest-w1-s001',
      '-e',
      'PORTAL_API_URL=http://127.0.0.1:9',
      '-e',
      'PORTAL_URL=http://portal.example',
      '-e',
      'CONFIG_PASSWORD=image-test-password',
      '-e',
      `DASHBOARD_PORT=${port}`,
      '-e',
      'INGRESS_PROTOCOL=http',
      '-e',
      'HOST=127.0.0.1',
    ]);
    await waitAnswering('dashboard', `http://127.0.0.1:${port}/healthz`, 120_000);
    const page = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^http:\/\/portal\.example\/oauth2\/authorize\/\?response_type=code&client_id=imgtest-w1-s001&/);

    // the set-up ran before the dashboard answered
    expect(fs.readFileSync(path.join(home, 'exercises/README.md'), 'utf8')).toBe('# Exercises\n');
    expect(JSON.parse(fs.readFileSync(path.join(home, 'kubectl.json'), 'utf8')).clientVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    const name = containers[containers.length - 1];
    const shell = await podman(['exec', name, 'bash', '-ic', 'echo "$SETUP_GREETING|$FROM_PROFILE"']);
    expect(shell.stdout.trim()).toBe('set up for imgtest-w1-s001|profiled');
  });

  test('the portal image serves /readyz on a read-only root file system, as the TrainingPortal Deployment runs it', async () => {
    const fixture = synthPortal('imgbuild', [{ name: 'one', capacity: 1, initial: 0, reserved: 0 }]);
    // What the portal process reads at start: the CRDs and its own namespace (the environments are other tests' concern).
    await applyFixture(client, {
      ...fixture,
      files: fixture.files.map((f) => ({
        path: f.path,
        objects: f.objects.filter(
          (o) =>
            o.kind === 'CustomResourceDefinition' ||
            o.metadata.namespace === 'imgbuild-ui' ||
            (o.kind === 'Namespace' && o.metadata.name === 'imgbuild-ui'),
        ),
      })),
    });
    const configMap = fixture.files.flatMap((f) => f.objects).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'training-portal')!;
    const config = path.join(scratch, 'portal.json');
    fs.writeFileSync(config, (configMap as unknown as { data: Record<string, string> }).data['portal.json'], { mode: 0o644 });
    const port = await freePort();
    await start('portal', image('training-portal'), [
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-v',
      `${readableKubeconfig()}:/etc/portal/kubeconfig:ro`,
      '-v',
      `${config}:/etc/portal/portal.json:ro`,
      '-e',
      'KUBECONFIG=/etc/portal/kubeconfig',
      '-e',
      'PORTAL_NAME=imgbuild',
      '-e',
      'PORTAL_CONFIG=/etc/portal/portal.json',
      '-e',
      `PORTAL_URL=http://127.0.0.1:${port}`,
      '-e',
      'SECURE_COOKIES=false',
      '-e',
      'ADMIN_PASSWORD=image-build-admin',
      '-e',
      'HOST=127.0.0.1',
      '-e',
      `PORT=${port}`,
      '-e',
      'LOG_LEVEL=error',
    ]);
    await waitAnswering('portal', `http://127.0.0.1:${port}/readyz`, 120_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const openapi = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    expect(((await openapi.json()) as { paths: object }).paths).toHaveProperty(['/workshops/catalog/environments/']);
  });

  test('hello-web answers with the session it was started for, read-only, as 65532', async () => {
    const port = await freePort();
    await start('hello-web', image('hello-web', '1.0.0'), ['--read-only', '-e', 'GREETING_FROM=imgtest-w1-s001', '-e', `PORT=${port}`]);
    await waitAnswering('hello-web', `http://127.0.0.1:${port}/healthz`, 60_000);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toMatch(/^Hello from imgtest-w1-s001 \(pod /);
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' })).status).toBe(405);
  });
});

describe("the capabilities' images", () => {
  test("the docker daemon image serves the dashboard's docker CLI through the socket group 1001, which builds an image", async () => {
    // privileged like the Docker capability's sidecar, without a network (no bridge or iptables rule on this machine)
    const socket = fs.mkdtempSync(path.join(scratch, 'docker-socket-'));
    const data = fs.mkdtempSync(path.join(scratch, 'docker-data-'));
    fs.chmodSync(socket, 0o755); // the learner (1001) reaches the socket, whose group dockerd sets to 1001
    await start(
      'docker-daemon',
      image('docker-daemon'),
      ['--network=none', '--privileged', '-v', `${socket}:/var/run/docker`, '-v', `${data}:/var/lib/docker`],
      ['dockerd', '--host=unix:///var/run/docker/docker.sock', '--mtu=1400', '--group=1001'],
    ); // the Docker capability's arguments
    await waitContainer('docker-daemon', 'to make its socket', () => fs.existsSync(path.join(socket, 'docker.sock')), 60_000);
    const learner = ['--network=none', '-v', `${socket}:/var/run/docker:ro`, '-e', 'DOCKER_HOST=unix:///var/run/docker/docker.sock'];
    let answer = '';
    await waitContainer(
      'docker-daemon',
      'to answer the docker CLI',
      async () => {
        answer = await runIn(image('session-dashboard'), ['docker', 'version', '--format', '{{.Server.Version}}'], learner).catch(
          (e: Error) => e.message,
        );
        return answer.startsWith('20.10.');
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- the docker CLI's last answer: ${answer}`);
    });
    const built = await runIn(
      image('session-dashboard'),
      [
        'bash',
        '-c',
        'mkdir /tmp/b && cd /tmp/b && echo hi > hello.txt && printf "FROM scratch\\nCOPY hello.txt /\\n" > Dockerfile && DOCKER_BUILDKIT=0 docker build -q -t learner/hello:1 . >/dev/null && docker image ls --format "{{.Repository}}:{{.Tag}}"',
      ],
      learner,
    );
    expect(built.trim()).toBe('learner/hello:1');
  });

  test("the registry image asks for the capability's htpasswd credentials and takes a push with them", async () => {
    const auth = fs.mkdtempSync(path.join(scratch, 'registry-auth-'));
    fs.chmodSync(auth, 0o755);
    const bcrypt = (await import('bcryptjs')).default;
    fs.writeFileSync(path.join(auth, 'htpasswd'), `learner:${bcrypt.hashSync('s3cret-pw', 4)}\n`, { mode: 0o644 });
    const storage = fs.mkdtempSync(path.join(scratch, 'registry-data-'));
    fs.chownSync(storage, 1000, 1000); // the emptyDir the capability mounts, writable by the registry's user
    const port = await freePort();
    await start('registry', image('registry'), [
      '--read-only',
      '-v',
      `${storage}:/var/lib/registry`,
      '-v',
      `${auth}:/auth:ro`,
      '-e',
      'REGISTRY_AUTH=htpasswd',
      '-e',
      'REGISTRY_AUTH_HTPASSWD_REALM=Workshop session registry',
      '-e',
      'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd',
      '-e',
      'REGISTRY_STORAGE_DELETE_ENABLED=true',
      '-e',
      `REGISTRY_HTTP_ADDR=127.0.0.1:${port}`,
    ]);
    await waitFor('the session registry to answer', async () => (await answers(`http://127.0.0.1:${port}/v2/`))?.status === 401, 60_000);
    const basic = `Basic ${Buffer.from('learner:s3cret-pw').toString('base64')}`;
    expect((await fetch(`http://127.0.0.1:${port}/v2/`, { headers: { authorization: basic } })).status).toBe(200);
    expect(
      (await fetch(`http://127.0.0.1:${port}/v2/`, { headers: { authorization: `Basic ${Buffer.from('learner:wrong').toString('base64')}` } }))
        .status,
    ).toBe(401);
    await exec('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--dest-creds',
      'learner:s3cret-pw',
      `docker://${image('hello-web', '1.0.0')}`,
      `docker://127.0.0.1:${port}/learner/hello-web:1`,
    ]);
    const tags = await fetch(`http://127.0.0.1:${port}/v2/learner/hello-web/tags/list`, { headers: { authorization: basic } });
    expect(await tags.json()).toEqual({ name: 'learner/hello-web', tags: ['1'] });
  });
});

describe('workshops images', () => {
  test('build and push are subcommands; a bad registry or image name is a usage error naming it', async () => {
    const help = await workshops(['images', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('build');
    expect(help.stdout).toContain('push');
    const badRegistry = await workshops(['images', 'push', '--registry', 'not a registry!']);
    expect(badRegistry.code).toBe(2);
    expect(badRegistry.stderr).toContain("--registry 'not a registry!' is not host[:port][/path]");
    const badImage = await workshops(['images', 'build', 'nginx']);
    expect(badImage.code).toBe(2);
    expect(badImage.stderr).toContain("unknown image 'nginx': known are portal, dashboard, hello-web");
  });
});
