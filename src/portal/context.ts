/**
 * What every route module of the portal is given: the runtime, the configuration, authentication's helpers,
 * analytics, and the lookups several modules share (the portal as its API describes it, sessions' config
 * passwords).
 */
import type { KubeClient, Logger, SessionRuntime, WorkshopSession } from '../runtime/index.js';
import type { Analytics } from './analytics.js';
import { type AuthHandle, secretEquals } from './auth/index.js';
import type { PortalConfig } from './config.js';
import type { PortalInfo } from './views.js';

export interface PortalContext {
  readonly runtime: SessionRuntime;
  readonly client: KubeClient;
  readonly config: PortalConfig;
  readonly auth: AuthHandle;
  readonly analytics: Analytics;
  readonly log: Logger;
  /** The browser-facing origin, without a trailing slash. */
  readonly publicUrl: string;
  readonly info: () => PortalInfo;
  /** Names of the admin and robot accounts: a REST request may not ask for a session on their behalf. */
  readonly reservedUsers: ReadonlySet<string>;
  /** Limit of session requests per client address and user. */
  readonly sessionRequestLimit: { readonly max: number; readonly windowSeconds: number };
  /** Where learners go when their session ends, unless a REST client gave its own index_url. @default - the catalog */
  readonly indexUrl?: string;
  /** Whether `password` is the session's CONFIG_PASSWORD. */
  checkSessionPassword(session: string, password: string): Promise<boolean>;
  /** Where the learner's browser enters the session: its status.url, or the portal's devSessionUrl (local development). */
  dashboardUrl(session: WorkshopSession): string | undefined;
}

/**
 * Sessions' config passwords, read once per session (they never change for a session) and forgotten when the
 * session goes, so that a dashboard's activity report costs no API request.
 */
export class SessionPasswords {
  private readonly known = new Map<string, { uid: string; password: string }>();

  constructor(private readonly runtime: SessionRuntime) {}

  public async check(name: string, password: string): Promise<boolean> {
    if (!password) return false;
    const expected = await this.passwordOf(name);
    return expected !== undefined && secretEquals(expected, password);
  }

  /** The session's config password (what its dashboard and OAuth2 client authenticate with). */
  public async passwordOf(name: string): Promise<string | undefined> {
    const session = this.runtime.session(name);
    if (!session) return undefined;
    let entry = this.known.get(name);
    if (!entry || entry.uid !== session.metadata.uid) {
      const secrets = await this.runtime.secretsFor(name);
      if (!secrets) return undefined;
      entry = { uid: String(session.metadata.uid), password: secrets.config_password };
      this.known.set(name, entry);
      if (this.known.size > 10_000) this.known.delete(this.known.keys().next().value!);
    }
    return entry.password;
  }
}
