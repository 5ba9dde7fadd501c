/**
 * The session dashboard process in the workshop pod: reads the pod's environment (see containerEnv() in
 * src/constructs/session-template.ts) and the session's dashboard.json, and starts the dashboard.
 */
import * as fs from 'node:fs';

import { contentCredentialsFromEnv } from '../dashboard/content-sync.js';
import { startDashboard } from '../dashboard/index.js';
import { sessionValuesFromEnv } from '../dashboard/session-values.js';
import { envList } from './env.js';

const CONFIG_FILE = process.env.DASHBOARD_CONFIG ?? '/opt/workshop/config/dashboard.json';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`dashboard: environment variable ${name} is not set; the workshop pod sets it from the session (see session-template.ts)`);
    process.exit(2);
  }
  return value;
}

const protocol = process.env.INGRESS_PROTOCOL ?? 'https';
const portalUrl = process.env.PORTAL_URL ?? `${protocol}://${env('TRAINING_PORTAL')}-ui.${env('INGRESS_DOMAIN')}`;
const homeDir = process.env.HOME ?? '/home/workshop';

// Instructions and tools see the same session values the learner's shell has.
const variables = sessionValuesFromEnv(process.env, homeDir);

const dashboard = await startDashboard({
  sessionName: env('SESSION_NAME'),
  portalUrl,
  portalApiUrl: env('PORTAL_API_URL'),
  clientSecret: env('CONFIG_PASSWORD'),
  // Content baked into the image lives here; pulled content is unpacked below it.
  workshopDir: process.env.WORKSHOP_DIR ?? '/opt/workshop/content',
  configFile: fs.existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined,
  port: Number(process.env.DASHBOARD_PORT ?? 10080),
  variables,
  homeDir,
  // In the workshop pod the learner's side runs in its own container (src/apps/session-agent.ts), reached here
  agentSocket: process.env.WORKSHOP_AGENT_SOCKET || undefined,
  pulledContentDir: process.env.WORKSHOP_PULLED_DIR || undefined,
  insecureCookies: protocol !== 'https',
  // the other sites that may frame the portal (the portal's frameAncestors, set on this container by synthesis)
  frameAncestors: envList('PORTAL_FRAME_ANCESTORS'),
  contentPollSeconds: process.env.CONTENT_POLL_SECONDS ? Number(process.env.CONTENT_POLL_SECONDS) : undefined,
  insecureRegistry: process.env.CONTENT_REGISTRY_INSECURE === 'true',
  registryUsername: process.env.CONTENT_REGISTRY_USERNAME,
  registryPassword: process.env.CONTENT_REGISTRY_PASSWORD,
  // each content source's credentials (SSH keys among them), from its Secret
  contentCredentials: contentCredentialsFromEnv(process.env),
  logLevel: process.env.LOG_LEVEL,
  // In the workshop pod (this entry point): exercises, setup.d and the shells' profile, as Educates does.
  sessionSetup: process.env.WORKSHOP_SESSION_SETUP !== 'false',
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void dashboard.close().finally(() => process.exit(0));
  });
}
