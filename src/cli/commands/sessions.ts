/**
 * `workshops sessions`: the WorkshopSessions of the cluster, and ending one. Ending goes through the runtime's own
 * SessionRuntime.terminate, so the CLI follows exactly the rules the portal follows (which phases can end, the
 * reason and time recorded, optimistic concurrency against a portal replica changing the session meanwhile); the
 * portal's leader then deletes the session namespace and the WorkshopSession.
 */
import { Command, Option } from 'commander';

import { API_VERSION, Labels } from '../../constructs/names.js';
import type { WorkshopSession } from '../../runtime/session.js';
import type { WorkshopEnvironment } from '../../runtime/state.js';
import { CliError } from '../errors.js';
import { connect } from '../kube.js';
import { formatAge, formatTable } from '../table.js';
import { sessionDashboardCommand } from './session-dashboard.js';
import { sessionRequestCommands } from './session-requests.js';

export interface SessionRow {
  name: string;
  portal: string;
  environment: string;
  phase: string;
  reason?: string;
  user?: string;
  created?: string;
  expires?: string;
}

export async function listSessions(options: { portal?: string; kubeconfig?: string }): Promise<SessionRow[]> {
  const client = await connect(options.kubeconfig);
  try {
    const sessions = await client.list<WorkshopSession>(API_VERSION, 'WorkshopSession', {
      labelSelector: options.portal ? `${Labels.PORTAL}=${options.portal}` : undefined,
    });
    return sessions
      .map((s) => ({
        name: s.metadata.name,
        portal: s.spec.portal,
        environment: s.spec.environment,
        phase: s.status?.phase ?? 'Requested',
        reason: s.status?.reason,
        user: s.status?.user,
        created: (s.metadata as { creationTimestamp?: string }).creationTimestamp,
        expires: s.status?.expiresAt,
      }))
      .sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
  } finally {
    await client.close();
  }
}

export function formatSessions(rows: SessionRow[], now = Date.now()): string {
  const table = [
    ['NAME', 'ENVIRONMENT', 'PHASE', 'USER', 'AGE', 'EXPIRES'],
    ...rows.map((r) => [
      r.name,
      r.environment,
      r.reason && r.reason !== r.phase ? `${r.phase} (${r.reason})` : r.phase,
      r.user ?? '-',
      r.created ? formatAge(now - Date.parse(r.created)) : '-',
      r.expires ? (Date.parse(r.expires) > now ? `in ${formatAge(Date.parse(r.expires) - now)}` : 'due') : '-',
    ]),
  ];
  return formatTable(table);
}

/** Moves a session to Terminating with reason TerminatedByAdmin; returns its phase afterwards. */
export async function terminateSession(name: string, options: { kubeconfig?: string }): Promise<WorkshopSession> {
  const client = await connect(options.kubeconfig);
  try {
    const session = await client.get<WorkshopSession>(API_VERSION, 'WorkshopSession', name);
    if (!session) throw new CliError(`no WorkshopSession named '${name}' (see 'workshops sessions list')`);
    const environment = await client.get<WorkshopEnvironment>(API_VERSION, 'WorkshopEnvironment', session.spec.environment);
    if (!environment)
      throw new CliError(
        `session '${name}': its WorkshopEnvironment '${session.spec.environment}' is gone, so no portal will clean it up; delete it with kubectl`,
      );
    const { SessionRuntime } = await import('../../runtime/runtime.js');
    const { createLogger } = await import('../../runtime/log.js');
    // Only the runtime's caches are started, never its leader election: this process must not start reconciling.
    const runtime = new SessionRuntime(client, {
      portal: session.spec.portal,
      portalNamespace: environment.spec.portal.namespace,
      limits: { maximum: 0, registered: 0, anonymous: 0 },
      logger: createLogger('workshops', 'silent'),
    });
    try {
      await runtime.state.start();
      const ended = await runtime.terminate(name, 'TerminatedByAdmin');
      if (!ended) throw new CliError(`session '${name}' disappeared meanwhile`);
      return ended;
    } finally {
      await runtime.stop();
    }
  } finally {
    await client.close();
  }
}

export function sessionsCommand(): Command {
  const sessions = new Command('sessions')
    .summary('list sessions, end one, or run its dashboard locally')
    .description("List the WorkshopSessions of the cluster, end one, or run one's dashboard on this machine (local development)");
  sessions
    .command('list')
    .description('List sessions: name, environment, phase, learner, age and time left')
    .option('--portal <name>', 'only the sessions of this training portal')
    .addOption(
      new Option('-o, --output <format>', 'table, or json (an array of {name, portal, environment, phase, reason, user, created, expires})')
        .choices(['table', 'json'])
        .default('table'),
    )
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)')
    .action(async (options: { portal?: string; output: string; kubeconfig?: string }) => {
      const rows = await listSessions(options);
      if (options.output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (!rows.length) process.stdout.write(`no sessions${options.portal ? ` in portal '${options.portal}'` : ''}\n`);
      else process.stdout.write(`${formatSessions(rows)}\n`);
    });
  sessions
    .command('terminate')
    .description(
      "End a session as an admin would in the portal: it moves to Terminating (reason TerminatedByAdmin) and the portal's " +
        'runtime then deletes its namespace and the WorkshopSession. A session already Terminating or Failed is left as it is.',
    )
    .argument('<name>', 'the WorkshopSession, e.g. labs-hello-terminal-s001')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)')
    .action(async (name: string, options: { kubeconfig?: string }) => {
      const session = await terminateSession(name, options);
      process.stdout.write(
        `session ${name}: ${session.status?.phase}${session.status?.reason ? ` (${session.status.reason})` : ''}; ` +
          "the portal's runtime removes its namespace, then the session\n",
      );
    });
  sessions.addCommand(sessionDashboardCommand());
  for (const command of sessionRequestCommands()) sessions.addCommand(command);
  return sessions;
}
