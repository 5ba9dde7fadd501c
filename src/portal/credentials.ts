/**
 * The portal's own credentials (the admin's password, the robot REST client's id, secret and password): generated
 * by the first replica that starts, kept in a Secret in the portal's namespace, read by every replica after it.
 * Synthesis never sees them, so they are neither in git nor the same in two installations. Creation is
 * race-safe: two replicas starting together both try to create, the API server keeps one, and the loser reads it.
 */
import { randomBytes } from 'node:crypto';

import { type KubeClient, KubeError } from '../runtime/index.js';
import type { RobotClient } from './auth/index.js';

export interface PortalCredentials {
  readonly admin: { readonly username: string; readonly password: string };
  readonly robot: RobotClient;
}

/** The Secret's name (the construct refers to it, and operators read the admin password from it). */
export const CREDENTIALS_SECRET = 'training-portal-credentials';

const KEYS = ['admin-username', 'admin-password', 'robot-client-id', 'robot-client-secret', 'robot-username', 'robot-password'] as const;

export async function ensurePortalCredentials(client: KubeClient, namespace: string, name = CREDENTIALS_SECRET): Promise<PortalCredentials> {
  const secret = (bytes: number) => randomBytes(bytes).toString('base64url');
  const generated: Record<(typeof KEYS)[number], string> = {
    'admin-username': 'educates',
    'admin-password': secret(24),
    'robot-client-id': secret(24),
    'robot-client-secret': secret(32),
    'robot-username': 'robot@educates',
    'robot-password': secret(24),
  };
  let data: Record<string, string>;
  try {
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-workshops', 'app.kubernetes.io/name': 'training-portal' } },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(generated).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    data = generated;
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
    const existing = await client.get<{ data?: Record<string, string> }>('v1', 'Secret', name, namespace);
    data = Object.fromEntries(Object.entries(existing?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const missing = KEYS.filter((k) => !data[k]);
    if (missing.length)
      throw new Error(`Secret ${namespace}/${name} lacks ${missing.join(', ')}: delete it and restart the portal to generate new credentials`);
  }
  return {
    admin: { username: data['admin-username'], password: data['admin-password'] },
    robot: {
      clientId: data['robot-client-id'],
      clientSecret: data['robot-client-secret'],
      username: data['robot-username'],
      password: data['robot-password'],
    },
  };
}
