import bcrypt from 'bcryptjs';

import { type SessionIdentity, type SessionSecrets, sessionValues } from '../../src/runtime/session-variables.js';

const IDENTITY: SessionIdentity = {
  environmentName: 'labs-w01',
  sessionId: 'x7k2p',
  workshopSessionUid: '00000000-0000-0000-0000-000000000001',
  ingressDomain: 'workshops.test',
  ingressProtocol: 'https',
};
const SECRETS: SessionSecrets = {
  services_password: 'services-password-0123456789abcd',
  config_password: 'config-password-0123456789abcdef',
  registry_password: 'registry-password-0123456789abcd',
  ssh_private_key: 'private',
  ssh_public_key: 'ssh-ed25519 AAAA',
};

describe('sessionValues', () => {
  test('GIVEN a session, THEN registry_htpasswd is the session name and a cost-10 bcrypt hash of its registry password', async () => {
    const values = await sessionValues(IDENTITY, SECRETS);
    const [user, hash] = values.registry_htpasswd.split(':');
    expect(user).toBe('labs-w01-x7k2p');
    expect(hash).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    await expect(bcrypt.compare(SECRETS.registry_password, hash)).resolves.toBe(true);
    await expect(bcrypt.compare('another-password', hash)).resolves.toBe(false);
  });

  test('GIVEN a blueprint that does not use registry_htpasswd, THEN it is left empty (no hash computed)', async () => {
    const values = await sessionValues(IDENTITY, SECRETS, new Set(['session_name']));
    expect(values.registry_htpasswd).toBe('');
    expect(values.session_name).toBe('labs-w01-x7k2p');
  });

  test('WHILE it hashes, the event loop keeps serving other callbacks (the hash does not block it)', async () => {
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns++;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const pending = sessionValues(IDENTITY, SECRETS);
    // a synchronous hash would be done before sessionValues returned, without a single turn of the loop
    expect(turns).toBe(0);
    await pending;
    turning = false;
    expect(turns).toBeGreaterThan(0);
  });
});
