/**
 * The dashboard's routes for the session's capabilities beyond terminals and instructions: file uploads
 * (`files`), the per-session Git server (`git`), the session registry's Docker credentials (`registry`) and the
 * page's analytics events. server.ts calls `registerCapabilityRoutes()` once; each capability's part lives in its
 * own file here and is registered only when dashboard.json has the capability's settings.
 */
import type { Readable } from 'node:stream';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { type DashboardConfig, isObject } from '../config.js';
import { registerEditorBridge } from '../editor-bridge.js';
import { registerEvents } from './events.js';
import { startGitServer } from './git-server.js';
import { writeRegistryConfig } from './registry-config.js';
import { registerUploads, uploadSettings } from './uploads.js';

/** What the routes need of the session agent (src/dashboard/agent/api.ts `SessionAgent`): the learner's side. */
export interface LearnerSide {
  readonly homeDir: string;
  stat(path: string): Promise<{ readonly type: 'file' | 'directory' | 'symlink' | 'other'; readonly size: number } | null>;
  readFile(path: string): Promise<Readable>;
  writeFile(path: string, data: Uint8Array | Readable, options?: { mode?: number; overwrite?: boolean; mkdirs?: boolean }): Promise<unknown>;
  mkdir(path: string): Promise<unknown>;
  remove(path: string): Promise<void>;
  exec(request: {
    command: readonly string[];
    cwd?: string;
    env?: Readonly<Record<string, string>>;
    input?: string;
    timeoutSeconds?: number;
  }): Promise<{ exitCode: number | null; output: string; timedOut: boolean }>;
}

export interface CapabilityLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CapabilityContext {
  readonly config: DashboardConfig;
  readonly sessionName: string;
  /** The learner's side: everything written into the home goes through it, as the learner. */
  readonly agent: LearnerSide;
  readonly log: CapabilityLog;
  /** The dashboard's sign-in check (owner or staff, same origin for requests that act). */
  readonly requireLearner: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The portal's API and the session's CONFIG_PASSWORD, to forward the page's events. */
  readonly portalApiUrl: string;
  readonly clientSecret: string;
  /** The learner did something (keeps the session from going idle). */
  readonly touch?: () => void;
  /** The session's values (GIT_*, REGISTRY_*). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function registerCapabilityRoutes(app: FastifyInstance, ctx: CapabilityContext): Promise<void> {
  const { config } = ctx;
  const env = ctx.env ?? process.env;
  registerEvents(app, ctx);
  // the instructions' editor:* actions, forwarded to the editor's extension (E1: src/dashboard/editor-bridge.ts)
  registerEditorBridge(app, { settings: config.settings.editor, preHandler: ctx.requireLearner });

  const uploads = uploadSettings(config);
  if (uploads) await registerUploads(app, ctx, uploads);

  if (isObject(config.settings.git) || config.capabilities.includes('git')) {
    // the session works without it (the git tab then says nothing answers): never a reason not to start
    const git = await startGitServer({
      settings: isObject(config.settings.git) ? config.settings.git : {},
      username: env.GIT_USERNAME,
      password: env.GIT_PASSWORD,
      log: ctx.log,
    }).catch((error) => {
      ctx.log.warn({ message: (error as Error).message }, "the session's git server cannot start");
      return undefined;
    });
    if (git) app.addHook('onClose', async () => git.close());
  }

  if (isObject(config.settings.registry) || config.capabilities.includes('registry')) {
    // best effort: the session works without it, the learner can still `docker login` with $REGISTRY_PASSWORD
    await writeRegistryConfig(ctx.agent, { host: env.REGISTRY_HOST, authToken: env.REGISTRY_AUTH_TOKEN })
      .then((written) => written && ctx.log.info({ host: env.REGISTRY_HOST }, "wrote the session registry's credentials into ~/.docker/config.json"))
      .catch((error) => ctx.log.warn({ message: (error as Error).message }, 'cannot write ~/.docker/config.json for the session registry'));
  }
}
