/**
 * The OpenID Connect identities that have signed in to a portal: one ConfigMap each in the portal's namespace, named
 * by a hash of the identity and holding nothing but the identity and when it first signed in. A first sign-in is so
 * known to every replica, and the replica whose create succeeds reports it — the portal's `User/Create`, exactly
 * once, as a registered account's Secret or a new guest reports theirs.
 */
import { createHash } from 'node:crypto';

import { Labels, MANAGED_BY } from '../../constructs/index.js';
import { type KubeClient, KubeError } from '../../runtime/index.js';
import type { Identity } from './types.js';

export class KnownUsers {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly portal: string,
  ) {}

  public configMapName(id: string): string {
    return `${this.portal}-user-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
  }

  /** Records the identity; true only the first time it signs in to this portal (on any replica, even at once). */
  public async remember(identity: Identity): Promise<boolean> {
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: this.configMapName(identity.id),
          namespace: this.namespace,
          labels: { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.PORTAL]: this.portal, [Labels.COMPONENT]: 'portal-user' },
        },
        data: { id: identity.id, firstSignIn: new Date().toISOString() },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) return false;
      throw error;
    }
  }
}
