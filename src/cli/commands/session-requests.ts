/**
 * `workshops sessions request` and `workshops sessions extend`: through the portal's REST API as its robot, as an
 * LMS would (Educates' paths): a token by the OAuth2 password grant with the robot's credentials from the portal's
 * Secret, then `/workshops/environment/<env>/request/` or `/workshops/session/<s>/extend/`.
 */
import { Command } from 'commander';

import { API_VERSION } from '../../constructs/names.js';
import type { WorkshopSession } from '../../runtime/session.js';
import { CliError } from '../errors.js';
import { connect } from '../kube.js';
import { type PortalCredentials, reachPortal } from './portal.js';

const KUBECONFIG_HELP = 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(url: string, init: RequestInit): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CliError(`cannot reach the portal at ${new URL(url).origin}: ${cause} (pass --url when its Ingress host does not resolve here)`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

const why = (answer: Answer) => String(answer.body.error_description ?? answer.body.message ?? answer.body.error ?? `HTTP ${answer.status}`);

/** An access token for the portal's robot (OAuth2 password grant, client authenticated with HTTP Basic). */
export async function robotToken(url: string, credentials: PortalCredentials): Promise<string> {
  const { robot } = credentials;
  const answer = await call(`${url}/oauth2/token/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(robot.clientId)}:${encodeURIComponent(robot.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'password', username: robot.username, password: robot.password }).toString(),
  });
  if (answer.status !== 200 || typeof answer.body.access_token !== 'string') {
    throw new CliError(`the portal at ${url} refused the robot's token request (${answer.status}): ${why(answer)}`);
  }
  return answer.body.access_token;
}

/** `k=v` strings → request parameters; an error names the one that is not `name=value`. */
export function parseParams(params: string[]): Array<{ name: string; value: string }> {
  return params.map((param) => {
    const at = param.indexOf('=');
    if (at < 1) throw new CliError(`--param '${param}' must be name=value`);
    return { name: param.slice(0, at), value: param.slice(at + 1) };
  });
}

export async function requestSession(options: {
  portal?: string;
  workshop: string;
  user?: string;
  params?: string[];
  url?: string;
  indexUrl?: string;
  kubeconfig?: string;
}): Promise<{ name: string; url: string; user: string; environment: string }> {
  const parameters = parseParams(options.params ?? []);
  const portal = await reachPortal(options);
  const token = await robotToken(portal.url, portal.credentials);
  const bearer = { Authorization: `Bearer ${token}` };
  // the workshop's environment in this portal: by workshop name (or the environment's own name)
  const catalog = await call(`${portal.url}/workshops/catalog/environments/?state=RUNNING`, { headers: bearer });
  if (catalog.status !== 200) throw new CliError(`the portal's catalog answered ${catalog.status}: ${why(catalog)}`);
  const environments = (catalog.body.environments ?? []) as Array<{ name: string; workshop?: { name?: string } }>;
  const environment = environments.find((e) => e.workshop?.name === options.workshop) ?? environments.find((e) => e.name === options.workshop);
  if (!environment) {
    const known = environments.map((e) => e.workshop?.name ?? e.name);
    throw new CliError(
      `--workshop '${options.workshop}': portal '${portal.name}' has no running environment of that workshop (it has: ${known.join(', ') || 'none'})`,
    );
  }
  const query = new URLSearchParams({ index_url: options.indexUrl ?? `${portal.url}/` });
  if (options.user !== undefined) query.set('user', options.user);
  const answer = await call(`${portal.url}/workshops/environment/${encodeURIComponent(environment.name)}/request/?${query}`, {
    method: 'POST',
    headers: { ...bearer, 'Content-Type': 'application/json' },
    body: JSON.stringify({ parameters }),
  });
  if (answer.status !== 200) throw new CliError(`portal '${portal.name}' refused the session request (${answer.status}): ${why(answer)}`);
  return {
    name: String(answer.body.name),
    url: new URL(String(answer.body.url), `${portal.url}/`).toString(),
    user: String(answer.body.user),
    environment: environment.name,
  };
}

export async function extendSession(
  name: string,
  options: { portal?: string; url?: string; kubeconfig?: string },
): Promise<{ extended: boolean; expires?: string; message?: string }> {
  let portalName = options.portal;
  if (!portalName) {
    const client = await connect(options.kubeconfig);
    try {
      const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
      if (!session) throw new CliError(`no WorkshopSession named '${name}' (see 'workshops sessions list')`);
      portalName = session.spec.portal;
    } finally {
      await client.close();
    }
  }
  const portal = await reachPortal({ ...options, portal: portalName });
  const token = await robotToken(portal.url, portal.credentials);
  const answer = await call(`${portal.url}/workshops/session/${encodeURIComponent(name)}/extend/`, { headers: { Authorization: `Bearer ${token}` } });
  if (answer.status !== 200) throw new CliError(`portal '${portal.name}' refused to extend session '${name}' (${answer.status}): ${why(answer)}`);
  return {
    extended: answer.body.extended === true,
    expires: typeof answer.body.expires === 'string' ? answer.body.expires : undefined,
    message: typeof answer.body.message === 'string' ? answer.body.message : undefined,
  };
}

export function sessionRequestCommands(): Command[] {
  const collect = (value: string, previous: string[]) => [...previous, value];
  const request = new Command('request')
    .description(
      "Request a session of a workshop through the portal's REST API as its robot (as an LMS would); prints the session's name " +
        'and the URL that activates it for the learner',
    )
    .requiredOption('--portal <name>', 'the training portal')
    .requiredOption('--workshop <name>', 'the workshop (or its environment)')
    .option('--user <id>', 'the learner (default: a new anonymous learner)')
    .option('--param <name=value>', 'a request parameter (repeatable)', collect, [])
    .option('--index-url <url>', 'where the learner returns when the session ends (default: the portal)')
    .option('--url <url>', "the portal's URL (default: the host of its Ingress)")
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .action(
      async (options: { portal: string; workshop: string; user?: string; param: string[]; indexUrl?: string; url?: string; kubeconfig?: string }) => {
        const session = await requestSession({ ...options, params: options.param });
        process.stdout.write(`session ${session.name} (user ${session.user}, environment ${session.environment})\nurl ${session.url}\n`);
      },
    );
  const extend = new Command('extend')
    .description("Extend a session through the portal's REST API as its robot; prints its new expiry")
    .argument('<session>', 'the WorkshopSession, e.g. labs-hello-terminal-s001')
    .option('--portal <name>', "the session's training portal (default: the one of the WorkshopSession)")
    .option('--url <url>', "the portal's URL (default: the host of its Ingress)")
    .option('--kubeconfig <file>', KUBECONFIG_HELP)
    .action(async (name: string, options: { portal?: string; url?: string; kubeconfig?: string }) => {
      const result = await extendSession(name, options);
      if (!result.extended)
        throw new CliError(
          `session ${name} was not extended: ${result.message ?? 'the portal gave no reason'}${result.expires ? ` (it expires ${result.expires})` : ''}`,
        );
      process.stdout.write(`session ${name} extended: expires ${result.expires}\n`);
    });
  return [request, extend];
}
