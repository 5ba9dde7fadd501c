/**
 * A real OpenID Connect provider for tests: npm `oidc-provider` on 127.0.0.1 with one confidential client and
 * one test user, and its built-in development login and consent pages (any password is accepted for a known
 * login; an unknown login is refused by findAccount).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestUser {
  readonly login: string;
  readonly name: string;
  readonly email: string;
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

export async function startOidcProvider(opts: { redirectUris: string[]; users: TestUser[] }): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'portal-test';
  const clientSecret = 'portal-test-secret-0123456789';
  // its development-mode warnings and notices say what a test provider is meant to be: keep them out of the output
  const quiet =
    (original: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (!(typeof args[0] === 'string' && args[0].startsWith('oidc-provider'))) original(...args);
    };
  const [warn, info] = [console.warn, console.info];
  console.warn = quiet(warn);
  console.info = quiet(info);
  // imported here, after the console is quieted: it warns at import that it prefers Node.js 22 (it runs on 20)
  // oidc-provider ships no type declarations; the test uses a handful of its options only
  // @ts-expect-error -- untyped module
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    findAccount: (_ctx: unknown, id: string) => {
      const user = opts.users.find((u) => u.login === id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, name: user.name, email: user.email, email_verified: true, preferred_username: user.login }),
      };
    },
  });
  // the provider logs every problem to the console; the tests look at what the browser sees instead
  provider.on('server_error', () => undefined);
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        console.warn = warn;
        console.info = info;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
