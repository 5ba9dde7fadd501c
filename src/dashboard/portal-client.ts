/**
 * The dashboard's side of the portal's API (server to server, over PORTAL_API_URL): the OAuth2 code exchange,
 * the owner check, activity reports, and the learner's schedule and extensions.
 */
import { basicAuthorization } from '../oci/auth.js';

/** What the portal says about the person behind an access token. */
export interface Authorization {
  readonly owner: string;
  readonly user: string;
  readonly staff: boolean;
}

export interface AccessToken {
  readonly accessToken: string;
  /** Seconds the token is valid for. */
  readonly expiresIn: number;
}

/** A refusal or failure of the portal, with its status (0 when it could not be reached). */
export class PortalError extends Error {
  constructor(
    message: string,
    public readonly status: number,
  ) {
    super(message);
    this.name = 'PortalError';
  }
}

export class PortalClient {
  private readonly basic: string;

  constructor(
    private readonly apiUrl: string,
    private readonly sessionName: string,
    private readonly clientSecret: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.basic = basicAuthorization(sessionName, clientSecret);
  }

  /** Step 3: trades an authorization code for an access token. */
  public async exchangeCode(code: string, redirectUri: string): Promise<AccessToken> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: this.sessionName,
      client_secret: this.clientSecret,
    });
    const answer = await this.call('POST', '/oauth2/token/', { 'content-type': 'application/x-www-form-urlencoded' }, body.toString());
    const token = answer as { access_token?: unknown; expires_in?: unknown };
    if (typeof token.access_token !== 'string' || !token.access_token) {
      throw new PortalError('the portal answered the code exchange without an access_token', 502);
    }
    const expiresIn = typeof token.expires_in === 'number' && token.expires_in > 0 ? token.expires_in : 3600;
    return { accessToken: token.access_token, expiresIn };
  }

  /** Step 4: who the token belongs to, if they may use this session (a 403 PortalError otherwise). */
  public async authorize(accessToken: string): Promise<Authorization> {
    const answer = (await this.call('GET', this.sessionPath('authorize'), { authorization: `Bearer ${accessToken}` })) as Record<string, unknown>;
    return { owner: String(answer.owner ?? ''), user: String(answer.user ?? ''), staff: answer.staff === true };
  }

  /** Step 5: tells the portal the learner is active, so that the session is not culled as idle. */
  public async reportActivity(): Promise<unknown> {
    return this.call('POST', this.sessionPath('activity'), { authorization: this.basic, 'content-type': 'application/json' }, '{}');
  }

  /** Step 6: the session's schedule (`{status, started, expires, expiring, countdown?, extendable?}`). */
  public async schedule(accessToken: string): Promise<unknown> {
    return this.call('GET', this.sessionPath('schedule'), { authorization: `Bearer ${accessToken}` });
  }

  /** Step 6: asks for more time. */
  public async extend(accessToken: string): Promise<unknown> {
    return this.call('GET', this.sessionPath('extend'), { authorization: `Bearer ${accessToken}` });
  }

  private sessionPath(what: string): string {
    return `/workshops/session/${encodeURIComponent(this.sessionName)}/${what}/`;
  }

  private async call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<unknown> {
    const url = new URL(path, this.apiUrl.endsWith('/') ? this.apiUrl : `${this.apiUrl}/`).toString();
    let response: Response;
    try {
      response = await fetch(url, { method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new PortalError(`the portal at ${this.apiUrl} cannot be reached: ${(error as Error).message}`, 0);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const message = (json as { message?: unknown })?.message;
      throw new PortalError(typeof message === 'string' ? message : `the portal answered ${method} ${path} with ${response.status}`, response.status);
    }
    if (json === undefined) throw new PortalError(`the portal answered ${method} ${path} with something other than JSON`, 502);
    return json;
  }
}
