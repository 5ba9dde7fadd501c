/**
 * The values of a session's variables: names and hosts derived from the session name, and the secrets generated
 * for it (passwords, an SSH key pair, registry credentials with their htpasswd line).
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';

import bcrypt from 'bcryptjs';

/** What the runtime knows about a session before its objects exist. */
export interface SessionIdentity {
  /** The WorkshopEnvironment's name (also its namespace). */
  readonly environmentName: string;
  /** The session's short id; the session name is `<environment>-<id>`. */
  readonly sessionId: string;
  /** The UID of the WorkshopSession object. */
  readonly workshopSessionUid: string;
  /** The UID of the session namespace, once it exists. */
  readonly sessionNamespaceUid?: string;
  readonly ingressDomain: string;
  readonly ingressProtocol: string;
}

const ID_ALPHABET = 'bcdfghjklmnpqrstvwxz23456789';

/** A new session id: five characters from an alphabet without vowels (no accidental words) or look-alikes. */
export function newSessionId(): string {
  return Array.from({ length: 5 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
}

/** A random password of `length` characters from letters and digits. */
export function randomPassword(length = 32): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** The generated secrets of a session: created once and kept in its WorkshopSession's Secret. */
export interface SessionSecrets {
  readonly services_password: string;
  readonly config_password: string;
  readonly registry_password: string;
  readonly ssh_private_key: string;
  readonly ssh_public_key: string;
}

/** Generates the secrets of a new session. */
export function generateSessionSecrets(): SessionSecrets {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const sshString = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, data.length]), data]);
  const wire = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return {
    services_password: randomPassword(),
    config_password: randomPassword(),
    registry_password: randomPassword(),
    ssh_private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ssh_public_key: `ssh-ed25519 ${wire.toString('base64')}`,
  };
}

/** Every session variable's value, for rendering the session's blueprint (`needed`: skip costly values nobody uses). */
export async function sessionValues(
  identity: SessionIdentity,
  secrets: SessionSecrets,
  needed?: ReadonlySet<string>,
): Promise<Record<string, string>> {
  const name = `${identity.environmentName}-${identity.sessionId}`;
  const hostname = `${name}.${identity.ingressDomain}`;
  const registryHost = `registry-${name}.${identity.ingressDomain}`;
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  // bcrypt at cost 10 takes 100+ ms of CPU in JS: only for blueprints that use it (per-session registries), and in
  // bcryptjs' asynchronous form, which hands the event loop back between slices of rounds, so other sessions'
  // requests and timers are not held up behind one hash.
  const htpasswd = !needed || needed.has('registry_htpasswd') ? `${name}:${await bcrypt.hash(secrets.registry_password, 10)}` : '';
  return {
    session_id: identity.sessionId,
    session_name: name,
    session_namespace: name,
    session_namespace_uid: identity.sessionNamespaceUid ?? '',
    workshop_session_uid: identity.workshopSessionUid,
    service_account: name,
    session_url: `${identity.ingressProtocol}://${hostname}`,
    session_hostname: hostname,
    services_password: secrets.services_password,
    config_password: secrets.config_password,
    ssh_private_key: secrets.ssh_private_key,
    ssh_public_key: secrets.ssh_public_key,
    ssh_keys_secret: `${name}-ssh-keys`,
    registry_host: registryHost,
    registry_username: name,
    registry_password: secrets.registry_password,
    registry_auth_token: basic(name, secrets.registry_password),
    registry_htpasswd: htpasswd,
    registry_secret: 'registry-credentials',
    git_protocol: identity.ingressProtocol,
    git_host: `git-${name}.${identity.ingressDomain}`,
    git_username: name,
    git_password: secrets.services_password,
    git_auth_token: basic(name, secrets.services_password),
  };
}
