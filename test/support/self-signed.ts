/**
 * Throw-away self-signed certificates made by openssl, for test servers that must speak TLS (a registry, a token
 * service, an ingress-like front). Fails loudly when openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface Certificate {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * An RSA key and a one-day certificate for `commonName` in `dir` (`<name>.crt`, `<name>.key`).
 * @param altNames subjectAltName entries such as `IP:127.0.0.1` or `DNS:*.events.test`; none when empty
 */
export function selfSignedCertificate(dir: string, name: string, commonName: string, altNames: readonly string[] = []): Certificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${commonName}`];
  if (altNames.length) args.push('-addext', `subjectAltName=${altNames.join(',')}`);
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl req failed (is openssl installed? scripts/system/install.sh): ${(error as Error).message}`);
  }
  return { certFile, keyFile };
}
