/**
 * The portal process refuses a cookie domain that would reach the sessions' hosts, whatever synthesis checked: the
 * environment of a Deployment can be edited by hand. It stops before it connects to any cluster, naming the variable,
 * the value and the rule.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(new URL('.', import.meta.url).pathname, '../..');

function startPortal(cookieDomain: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-env-'));
  const config = path.join(dir, 'portal.json');
  fs.writeFileSync(config, JSON.stringify({ name: 'labs', url: 'https://labs.events.example.com', ingress: { domain: 'workshops.example.com' } }));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/apps/portal.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, PORTAL_NAME: 'labs', PORTAL_CONFIG: config, PORTAL_COOKIE_DOMAIN: cookieDomain, KUBECONFIG: '/nonexistent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // the process logs JSON lines (pino): the error's message
    const errors = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 50)
      .map((entry) => entry.msg);
    return { status: result.status, errors: errors.join('\n') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("PORTAL_COOKIE_DOMAIN over the sessions' domain stops the portal at start, naming value and rule", () => {
  const result = startPortal('example.com');
  expect(result.status).toBe(2);
  expect(result.errors).toContain(
    `PORTAL_COOKIE_DOMAIN ("example.com") overlaps the ingress domain (workshops.example.com), where every session host and every learner's application lives`,
  );
});

test("PORTAL_COOKIE_DOMAIN that the portal's host is not in stops it too", () => {
  const result = startPortal('other.example.org');
  expect(result.status).toBe(2);
  expect(result.errors).toContain(
    `PORTAL_COOKIE_DOMAIN ("other.example.org") must be the portal's host name (labs.events.example.com) or a domain above it`,
  );
});
