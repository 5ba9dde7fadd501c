/**
 * The deployed training portal as its operator reaches it: which portal (by name, or the only one), its URL (the
 * host of its Ingress), its admin and robot credentials (the Secret its first replica generates), and opening it
 * in a browser. `workshops portal credentials` and `workshops browse`; the REST commands of `workshops sessions`
 * use the same look-ups.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command, Option } from 'commander';

import { Labels } from '../../constructs/names.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import { CliError } from '../errors.js';
import { connect } from '../kube.js';

/** The Secret of the portal's generated credentials (src/portal/credentials.ts). */
export const CREDENTIALS_SECRET = 'training-portal-credentials';

const KEYS = {
  adminUsername: 'admin-username',
  adminPassword: 'admin-password',
  robotClientId: 'robot-client-id',
  robotClientSecret: 'robot-client-secret',
  robotUsername: 'robot-username',
  robotPassword: 'robot-password',
} as const;

export interface PortalCredentials {
  readonly admin: { readonly username: string; readonly password: string };
  readonly robot: { readonly clientId: string; readonly clientSecret: string; readonly username: string; readonly password: string };
}

export interface DeployedPortal {
  readonly name: string;
  readonly namespace: string;
}

/** The portal named `name`, or the only portal of the cluster; an error lists the portals there are. */
export async function findPortal(client: KubeClient, name?: string): Promise<DeployedPortal> {
  const deployments = await client.list<{ metadata: { name: string; namespace: string; labels?: Record<string, string> } }>('apps/v1', 'Deployment', {
    labelSelector: name ? `${Labels.PORTAL}=${name}` : Labels.PORTAL,
  });
  const portals = deployments
    .filter((d) => d.metadata.name === 'training-portal')
    .map((d) => ({ name: d.metadata.labels![Labels.PORTAL], namespace: d.metadata.namespace }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (name) {
    const found = portals.find((p) => p.name === name);
    if (!found)
      throw new CliError(
        `--portal '${name}': no training portal of that name in the cluster at ${client.server} (no Deployment training-portal labelled ${Labels.PORTAL}=${name}; deploy it with 'workshops deploy')`,
      );
    return found;
  }
  if (portals.length === 1) return portals[0];
  if (!portals.length) throw new CliError(`no training portal in the cluster at ${client.server}: deploy one with 'workshops deploy'`);
  throw new CliError(`${portals.length} training portals in the cluster (${portals.map((p) => p.name).join(', ')}): choose one with --portal <name>`);
}

/** The admin and robot credentials from the portal's Secret; a clear error when its first replica has not made them. */
export async function portalCredentials(client: KubeClient, portal: DeployedPortal): Promise<PortalCredentials> {
  const secret = await client.get<{ data?: Record<string, string> }>('v1', 'Secret', CREDENTIALS_SECRET, portal.namespace);
  if (!secret) {
    throw new CliError(
      `portal '${portal.name}' has no credentials yet: Secret ${portal.namespace}/${CREDENTIALS_SECRET} does not exist ` +
        `(the portal's first replica generates it when it starts: see 'kubectl -n ${portal.namespace} get deployment training-portal')`,
    );
  }
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  const missing = Object.values(KEYS).filter((k) => !data[k]);
  if (missing.length)
    throw new CliError(
      `Secret ${portal.namespace}/${CREDENTIALS_SECRET} lacks ${missing.join(', ')}: delete it and restart the portal to generate new credentials`,
    );
  return {
    admin: { username: data[KEYS.adminUsername], password: data[KEYS.adminPassword] },
    robot: {
      clientId: data[KEYS.robotClientId],
      clientSecret: data[KEYS.robotClientSecret],
      username: data[KEYS.robotUsername],
      password: data[KEYS.robotPassword],
    },
  };
}

/** The portal's URL: the host of its Ingress, https when the Ingress (or the portal's own configuration) says so. */
export async function portalUrl(client: KubeClient, portal: DeployedPortal): Promise<string> {
  const ingress = await client.get<{ spec?: { rules?: Array<{ host?: string }>; tls?: Array<{ hosts?: string[] }> } }>(
    'networking.k8s.io/v1',
    'Ingress',
    'training-portal',
    portal.namespace,
  );
  const host = ingress?.spec?.rules?.find((r) => r.host)?.host;
  if (!host)
    throw new CliError(
      `portal '${portal.name}' has no Ingress host (Ingress ${portal.namespace}/training-portal ${ingress ? 'has no rule with a host' : 'does not exist'}): pass --url`,
    );
  let https = Boolean(ingress?.spec?.tls?.some((t) => t.hosts?.includes(host)));
  if (!https) {
    const config = await client.get<{ data?: Record<string, string> }>('v1', 'ConfigMap', 'training-portal', portal.namespace);
    try {
      https = (JSON.parse(config?.data?.['portal.json'] ?? '{}') as { url?: string }).url?.startsWith('https:') ?? false;
    } catch {
      https = false;
    }
  }
  return `${https ? 'https' : 'http'}://${host}`;
}

/** The portal, its URL (from --url or its Ingress) and its credentials, in one connection. */
export async function reachPortal(options: {
  portal?: string;
  url?: string;
  kubeconfig?: string;
}): Promise<DeployedPortal & { url: string; credentials: PortalCredentials }> {
  const client = await connect(options.kubeconfig);
  try {
    const portal = await findPortal(client, options.portal);
    const credentials = await portalCredentials(client, portal);
    const url = options.url ? checkUrl(options.url) : await portalUrl(client, portal);
    return { ...portal, url, credentials };
  } finally {
    await client.close();
  }
}

export function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--url '${url}' is not a URL: give the portal's address, such as http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--url '${url}' must be an http or https URL`);
  return url.replace(/\/+$/, '');
}

const KUBECONFIG_HELP = 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)';

export function portalCommand(): Command {
  const portal = new Command('portal')
    .summary("a deployed portal's credentials")
    .description('Information about a training portal deployed to the cluster');
  portal
    .command('credentials')
    .description(
      'Print the admin and robot credentials of a deployed portal, from the Secret training-portal-credentials its first replica generates',
    )
    .option('--portal <name>', 'the training portal (default: the only one in the cluster)')
    .addOption(
      new Option('-o, --output <format>', 'text, or json ({portal, namespace, url, admin, robot})').choices(['text', 'json']).default('text'),
    )
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .action(async (options: { portal?: string; output: string; kubeconfig?: string }) => {
      const client = await connect(options.kubeconfig);
      try {
        const found = await findPortal(client, options.portal);
        const credentials = await portalCredentials(client, found);
        const url = await portalUrl(client, found).catch(() => undefined);
        if (options.output === 'json') {
          process.stdout.write(`${JSON.stringify({ portal: found.name, namespace: found.namespace, url, ...credentials }, null, 2)}\n`);
          return;
        }
        const { admin, robot } = credentials;
        process.stdout.write(
          [
            `portal ${found.name} (namespace ${found.namespace}${url ? `, ${url}` : ''})`,
            `admin username:      ${admin.username}`,
            `admin password:      ${admin.password}`,
            `robot client id:     ${robot.clientId}`,
            `robot client secret: ${robot.clientSecret}`,
            `robot username:      ${robot.username}`,
            `robot password:      ${robot.password}`,
            '',
          ].join('\n'),
        );
      } finally {
        await client.close();
      }
    });
  return portal;
}

/** The first executable `name` on $PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function browseCommand(): Command {
  return new Command('browse')
    .summary('open a deployed portal in the browser')
    .description(
      'Print the URL of a deployed training portal (the host of its Ingress) and open it with xdg-open when there is one; ' +
        'with --print, or without xdg-open, only print it',
    )
    .option('--portal <name>', 'the training portal (default: the only one in the cluster)')
    .option('--print', 'only print the URL')
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .action(async (options: { portal?: string; print?: boolean; kubeconfig?: string }) => {
      const client = await connect(options.kubeconfig);
      let url: string;
      try {
        url = await portalUrl(client, await findPortal(client, options.portal));
      } finally {
        await client.close();
      }
      const opener = options.print ? undefined : onPath('xdg-open');
      if (!opener) {
        if (!options.print) process.stderr.write('no xdg-open on $PATH: open the URL yourself\n');
        process.stdout.write(`${url}\n`);
        return;
      }
      process.stdout.write(`opening ${url}\n`);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
        child.once('error', (error) => reject(new CliError(`${opener} ${url}: ${error.message}`)));
        child.once('spawn', () => {
          child.unref();
          resolve();
        });
      });
    });
}
