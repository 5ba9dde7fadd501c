/**
 * Credentials that expire, on the real control plane: the runtime runs as a ServiceAccount whose token is a
 * TokenRequest token bound to a Secret, so that deleting the Secret makes the API server refuse the token from one
 * request to the next (as it refuses a projected token that rotated away, or an exec plugin's token that expired).
 * The token is handed over in a file (kubectl's `tokenFile`, as a projected ServiceAccount token is) or by an exec
 * plugin (a small script); a fresh token is put in its place before the old one is revoked, and the runtime must
 * carry on, on the same connection pool.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';

import { KubeClient, KubeError, phaseOf, type SessionRuntime, type WorkshopSession } from '../../src/runtime/index.js';
import { applyFixture, runtimeFor, synthPortal, waitFor } from '../support/portal-fixture.js';

const admin = KubeClient.fromKubeconfig(process.env.KUBECONFIG);
/** The runtime runs as the portal's own ServiceAccount (the permissions the portal is synthesized with). */
const ACCOUNT = 'training-portal';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-credentials-'));

/** A token of a portal's ServiceAccount bound to a new Secret: valid until that Secret is deleted. */
async function mint(portal: string, secret: string): Promise<string> {
  const namespace = `${portal}-ui`;
  const created = await admin.create<{ metadata: { uid: string } }>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace } });
  const answer = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${ACCOUNT}/token`, {
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secret, uid: created.metadata.uid } },
    },
  });
  return answer.status.token;
}

/** Whether the API server takes a token (a raw request, outside the client under test). */
async function accepted(token: string): Promise<boolean> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig('probe', { token }));
  try {
    await new KubeClient(config).request('GET', '/api/v1/namespaces/default');
    return true;
  } catch (error) {
    if (error instanceof KubeError && error.status === 401) return false;
    // authenticated, if not allowed
    if (error instanceof KubeError && error.status === 403) return true;
    throw error;
  }
}

/** A kubeconfig for the test cluster with the given user, written to the test's directory. */
function kubeconfig(name: string, user: Record<string, unknown>): string {
  const source = new KubeConfig();
  source.loadFromFile(process.env.KUBECONFIG!);
  const cluster = source.getCurrentCluster()!;
  const file = path.join(dir, `${name}.kubeconfig`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData ?? fs.readFileSync(cluster.caFile!).toString('base64') },
        },
      ],
      users: [{ name, user }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: name } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  return file;
}

afterAll(async () => {
  await admin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly portal: string;
  /** A client of the ServiceAccount that reads its token from `tokenPath` (directly or through a plugin). */
  client(tokenPath: string): KubeClient;
  /** Times the client's source of the token was consulted (file reads or plugin runs). */
  reads(client: KubeClient): number;
}

const plugin = path.join(dir, 'plugin.sh');
const pluginRuns = path.join(dir, 'plugin-runs');
fs.writeFileSync(
  plugin,
  [
    '#!/bin/sh',
    '# a kubeconfig exec plugin: the token of the file TOKEN_FILE, expiring at the time in EXPIRES_FILE if there is one',
    'echo run >> "$RUNS_FILE"',
    'expiry=""',
    '[ -s "$EXPIRES_FILE" ] && expiry=",\\"expirationTimestamp\\":\\"$(cat "$EXPIRES_FILE")\\""',
    'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}\' "$(cat "$TOKEN_FILE")" "$expiry"',
  ].join('\n'),
  { mode: 0o755 },
);
const runs = () => (fs.existsSync(pluginRuns) ? fs.readFileSync(pluginRuns, 'utf8').split('\n').filter(Boolean).length : 0);

const cases: Array<[string, Case]> = [
  [
    'a token file (kubectl tokenFile, as a projected ServiceAccount token)',
    {
      portal: 'credfile',
      client: (tokenPath) => KubeClient.fromKubeconfig(kubeconfig('file', { tokenFile: tokenPath })),
      reads: (client) => client.credentials.reads,
    },
  ],
  [
    'an exec plugin',
    {
      portal: 'credexec',
      client: (tokenPath) =>
        KubeClient.fromKubeconfig(
          kubeconfig('exec', {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: plugin,
              interactiveMode: 'Never',
              env: [
                { name: 'TOKEN_FILE', value: tokenPath },
                { name: 'RUNS_FILE', value: pluginRuns },
                { name: 'EXPIRES_FILE', value: path.join(dir, 'expires') },
              ],
            },
          }),
        ),
      reads: () => runs(),
    },
  ],
];

describe.each(cases)('the runtime with its token from %s', (_label, setup) => {
  const tokenPath = path.join(dir, `${setup.portal}.token`);
  const fixture = synthPortal(setup.portal, [{ name: 'w', capacity: 4, reserved: 0, initial: 0 }]);
  let client: KubeClient;
  let runtime: SessionRuntime;

  beforeAll(async () => {
    await applyFixture(admin, fixture);
    fs.writeFileSync(tokenPath, await mint(setup.portal, 'token-1'));
    client = setup.client(tokenPath);
    runtime = runtimeFor(client, fixture);
    await runtime.start();
  });

  afterAll(async () => {
    await runtime?.stop();
    await client?.close();
  });

  const ready = (name: string) =>
    waitFor(`${name} Ready`, () => {
      const session = runtime.session(name);
      return session && phaseOf(session) === 'Ready' && session.status?.readyAt ? session : undefined;
    });

  test('carries on when its token is refused mid-run and a fresh one is in place, on the same connections', async () => {
    const first = await runtime.allocate({ environment: fixture.environment('w'), user: 'ada' });
    if (!('session' in first)) throw new Error(`not allocated: ${first.message}`);
    await ready(first.session.metadata.name);
    const reads = setup.reads(client);

    // rotation: the fresh token is in place, then the old one stops working
    const old = fs.readFileSync(tokenPath, 'utf8');
    fs.writeFileSync(tokenPath, await mint(setup.portal, 'token-2'));
    await admin.delete('v1', 'Secret', 'token-1', `${setup.portal}-ui`);
    await waitFor('the old token refused', async () => !(await accepted(old)));

    const second = await runtime.allocate({ environment: fixture.environment('w'), user: 'grace' });
    if (!('session' in second)) throw new Error(`not allocated: ${second.message}`);
    // the leader's work (creation, readiness, timers) goes on with the new token too
    const session: WorkshopSession = await ready(second.session.metadata.name);
    expect(session.status?.user).toBe('grace');
    expect(setup.reads(client)).toBeGreaterThan(reads);
    // the token was read again, the connection pool kept
    expect(runtime.state.client.pools).toBe(1);
  });
});

test('an exec plugin runs again before the expiry it gave, without waiting for a 401', async () => {
  const tokenPath = path.join(dir, 'expiring.token');
  fs.writeFileSync(tokenPath, await mint('credexec', 'expiring-1'));
  fs.writeFileSync(path.join(dir, 'expires'), new Date(Date.now() + 6_000).toISOString());
  const codes: number[] = [];
  const base = KubeClient.fromKubeconfig(
    kubeconfig('expiring', {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: plugin,
        interactiveMode: 'Never',
        env: [
          { name: 'TOKEN_FILE', value: tokenPath },
          { name: 'RUNS_FILE', value: pluginRuns },
          { name: 'EXPIRES_FILE', value: path.join(dir, 'expires') },
        ],
      },
    }),
  );
  const client = base.withOptions({ onResponse: (_verb, code) => codes.push(code) });
  try {
    await client.request('GET', '/apis/training.cdk8s-workshops.dev/v1alpha1/workshopsessions');
    const before = runs();
    // the plugin will hand out another token, with no expiry; the first stays valid (no 401 will prompt a re-run)
    fs.writeFileSync(tokenPath, await mint('credexec', 'expiring-2'));
    fs.rmSync(path.join(dir, 'expires'));
    await waitFor(
      'the plugin run again',
      async () => {
        await client.request('GET', '/apis/training.cdk8s-workshops.dev/v1alpha1/workshopsessions');
        return runs() > before;
      },
      30_000,
    );
    await admin.delete('v1', 'Secret', 'expiring-1', 'credexec-ui');
    await client.request('GET', '/apis/training.cdk8s-workshops.dev/v1alpha1/workshopsessions');
    expect(codes.filter((code) => code === 401)).toEqual([]);
  } finally {
    await client.close();
  }
});
