/**
 * HTTP helpers for portal tests: a browser-like client with a cookie jar (fetch, no redirects followed), CSRF
 * tokens from forms, signing in as the admin, and a robot's OAuth2 token.
 */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
  location: string | null;
}

export class HttpClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    public readonly base: string,
    private readonly defaults: Record<string, string> = {},
  ) {}

  public async request(
    method: string,
    path: string,
    options: { body?: string | Record<string, string>; headers?: Record<string, string>; json?: unknown } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...this.defaults, ...(options.headers ?? {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (typeof options.body === 'string') {
      body = options.body;
    } else if (options.body) {
      body = new URLSearchParams(options.body).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /max-age=0/i.test(cookie) || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text), location: response.headers.get('location') };
  }

  public get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, { headers });
  }

  /** Cookies of this client, to hand to another client (a second replica) or a browser. */
  public cookieHeader(): string {
    return [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  public copyCookiesTo(other: HttpClient): void {
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
  }

  /** GETs a page and returns the CSRF token of its first form. */
  public async csrf(path = '/accounts/login/'): Promise<string> {
    const page = await this.get(path, { accept: 'text/html' });
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no CSRF token on ${path} (${page.status})`);
    return match[1];
  }

  /** POSTs a form with the CSRF token of `formPage`. */
  public async submit(path: string, fields: Record<string, string> = {}, formPage = '/workshops/catalog/'): Promise<Answer> {
    const _csrf = await this.csrf(formPage);
    return this.request('POST', path, { body: { _csrf, ...fields }, headers: { accept: 'text/html' } });
  }

  /** Registers an account through the portal's form (and so signs in as it); throws with the page when refused. */
  public async register(username: string, email: string, password: string): Promise<void> {
    const _csrf = await this.csrf('/accounts/register/');
    const answer = await this.request('POST', '/accounts/register/', {
      body: { _csrf, username, email, password, confirm: password },
      headers: { accept: 'text/html' },
    });
    if (answer.status !== 302 && answer.status !== 303)
      throw new Error(`registration of ${username} failed: ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  public async signIn(username: string, password: string): Promise<void> {
    const _csrf = await this.csrf('/accounts/login/');
    const answer = await this.request('POST', '/accounts/login/', { body: { _csrf, username, password }, headers: { accept: 'text/html' } });
    if (answer.status !== 302 && answer.status !== 303)
      throw new Error(`sign-in of ${username} failed: ${answer.status} ${answer.text.slice(0, 200)}`);
  }
}

/** A robot's access token (Educates' password grant with HTTP Basic client credentials). */
export async function robotToken(
  base: string,
  robot: { clientId: string; clientSecret: string; username: string; password: string },
): Promise<string> {
  const response = await fetch(`${base}/oauth2/token/`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${robot.clientId}:${robot.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username: robot.username, password: robot.password }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`robot token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
