/**
 * A portal for tests: a fixture's runtime plus createPortal, listening on 127.0.0.1 with plain-http cookies, a
 * known admin and robot, and the fast timers of the fixture runtime.
 */
import * as net from 'node:net';

import { createPortal, type Portal, type PortalOptions } from '../../src/portal/index.js';
import { createLogger, type KubeClient, type SessionRuntime, type SessionRuntimeOptions } from '../../src/runtime/index.js';
import { type Fixture, runtimeFor } from './portal-fixture.js';

export const ADMIN = { username: 'educates', password: 'admin-secret-password' };
export const ROBOT = { clientId: 'robot-client', clientSecret: 'robot-client-secret', username: 'robot@educates', password: 'robot-password' };

export interface TestPortal {
  portal: Portal;
  runtime: SessionRuntime;
  url: string;
  stop(): Promise<void>;
}

export async function startTestPortal(
  client: KubeClient,
  fixture: Fixture,
  options: Partial<PortalOptions> = {},
  runtimeOptions: Partial<SessionRuntimeOptions> = {},
): Promise<TestPortal> {
  const port = options.publicUrl ? 0 : await freePort();
  const runtime = runtimeFor(client, fixture, runtimeOptions);
  await runtime.start();
  const portal = await createPortal({
    runtime,
    client,
    config: { name: fixture.portal, title: 'Test Workshops', registration: 'one-step', catalogVisibility: 'private', ...(options.config ?? {}) },
    portalName: fixture.portal,
    portalNamespace: `${fixture.portal}-ui`,
    publicUrl: `http://127.0.0.1:${port}`,
    secureCookies: false,
    admin: ADMIN,
    robots: [ROBOT],
    logger: createLogger('portal-test', process.env.LOG_LEVEL ?? 'silent'),
    ...options,
  });
  const url = await portal.listen('127.0.0.1', port);
  return {
    portal,
    runtime,
    url,
    async stop() {
      await portal.close();
      await runtime.stop();
    },
  };
}

/** A port nobody listens on right now (so the portal's public URL can be known before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
