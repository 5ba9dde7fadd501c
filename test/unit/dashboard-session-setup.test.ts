/**
 * Educates' session set-up conventions as the dashboard runs them in the workshop pod (src/dashboard/session-setup.ts):
 * exercises/ copied into the home without overwriting the learner's files, workshop/setup.d/* run in order with
 * WORKSHOP_ENV, and a profile for every interactive shell that the dashboard image's /etc/bash.bashrc sources.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { PROFILE_SCRIPT, runSessionSetup } from '../../src/dashboard/session-setup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let scratch: string;
let content: string;
let home: string;

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
}

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'session-setup-'));
  content = path.join(scratch, 'content');
  home = path.join(scratch, 'home');
  fs.mkdirSync(home);
});

afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

const env = () => ({ PATH: process.env.PATH!, SESSION_NAME: 'labs-w1-s001' });

test('exercises are copied into the home, and a file the learner already has is kept as she left it', async () => {
  write(path.join(content, 'exercises/Dockerfile'), 'FROM scratch\n');
  write(path.join(content, 'exercises/site/index.html'), '<h1>hi</h1>\n');
  write(path.join(content, 'exercises/run.sh'), '#!/bin/sh\necho run\n', 0o755);
  write(path.join(home, 'exercises/Dockerfile'), 'FROM mine\n');

  const result = await runSessionSetup({ contentDir: content, homeDir: home, env: env() });

  expect(result.copiedExercises.sort()).toEqual(['run.sh', 'site/index.html']);
  expect(fs.readFileSync(path.join(home, 'exercises/Dockerfile'), 'utf8')).toBe('FROM mine\n');
  expect(fs.readFileSync(path.join(home, 'exercises/site/index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
  expect(fs.statSync(path.join(home, 'exercises/run.sh')).mode & 0o111).not.toBe(0);
  // a second start (restarted dashboard, new content) copies nothing twice
  expect((await runSessionSetup({ contentDir: content, homeDir: home, env: env() })).copiedExercises).toEqual([]);
});

test('a link the learner put in the home is never written through', async () => {
  write(path.join(content, 'exercises/notes.txt'), 'from the workshop\n');
  const outside = path.join(scratch, 'outside.txt');
  write(outside, 'not the workshop\n');
  fs.mkdirSync(path.join(home, 'exercises'));
  fs.symlinkSync(outside, path.join(home, 'exercises/notes.txt'));

  await runSessionSetup({ contentDir: content, homeDir: home, env: env() });

  expect(fs.readFileSync(outside, 'utf8')).toBe('not the workshop\n');
});

test('setup.d scripts run in name order in the home, executable or not, and what they add to WORKSHOP_ENV reaches the shells', async () => {
  write(
    path.join(content, 'workshop/setup.d/20-second.sh'),
    'echo second >> order\necho "GREETING=hello from setup" >> "$WORKSHOP_ENV"\necho "export QUOTED=\\"it\'s \\$HOME\\"" >> "$WORKSHOP_ENV"\necho "not an assignment" >> "$WORKSHOP_ENV"\n',
  );
  write(path.join(content, 'workshop/setup.d/10-first'), '#!/bin/sh\necho "first $SESSION_NAME" >> order\n', 0o755);
  write(path.join(content, 'workshop/setup.d/.hidden'), 'echo hidden >> order\n');
  write(path.join(content, 'workshop/profile'), 'export FROM_PROFILE="profile of $SESSION_NAME"\nalias k=kubectl\n');

  const result = await runSessionSetup({ contentDir: content, homeDir: home, env: env() });

  expect(result.scripts).toEqual([
    { name: '10-first', exitCode: 0, timedOut: false },
    { name: '20-second.sh', exitCode: 0, timedOut: false },
  ]);
  expect(fs.readFileSync(path.join(home, 'order'), 'utf8')).toBe('first labs-w1-s001\nsecond\n');
  expect(result.profile).toBe(path.join(home, PROFILE_SCRIPT));
  const shell = execFileSync(
    'bash',
    ['-c', `. ${JSON.stringify(result.profile)}; echo "$GREETING|$FROM_PROFILE|$QUOTED"; bash -c 'echo "$GREETING"'`],
    {
      env: env(),
      encoding: 'utf8',
    },
  );
  // exported: child processes of the shell (scripts, kubectl plugins) see them too
  expect(shell).toBe("hello from setup|profile of labs-w1-s001|it's $HOME\nhello from setup\n");
});

test('a failing or hanging script is logged and marked failed, and the set-up still finishes', async () => {
  write(path.join(content, 'workshop/setup.d/01-fails.sh'), 'echo "cannot do it" >&2\nexit 3\n');
  write(path.join(content, 'workshop/setup.d/02-hangs.sh'), 'echo started\nexec sleep 300\n');
  write(path.join(content, 'workshop/setup.d/03-works.sh'), 'touch done\n');

  const result = await runSessionSetup({ contentDir: content, homeDir: home, env: env(), scriptTimeoutSeconds: 1 });

  expect(result.scripts).toEqual([
    { name: '01-fails.sh', exitCode: 3, timedOut: false },
    { name: '02-hangs.sh', exitCode: null, timedOut: true },
    { name: '03-works.sh', exitCode: 0, timedOut: false },
  ]);
  expect(fs.existsSync(path.join(home, 'done'))).toBe(true);
  const log = fs.readFileSync(path.join(home, '.local/share/workshop/setup-scripts.log'), 'utf8');
  expect(log).toContain('cannot do it');
  expect(log).toContain('01-fails.sh: exit code 3');
  expect(log).toContain('02-hangs.sh: killed after 1s');
  expect(fs.readFileSync(path.join(home, '.local/share/workshop/setup-scripts.log.failed'), 'utf8')).toBe('01-fails.sh\n02-hangs.sh\n');
});

test('content without setup.d, profile or exercises still gets a profile that does nothing', async () => {
  fs.mkdirSync(path.join(content, 'workshop/content'), { recursive: true });
  const result = await runSessionSetup({ contentDir: content, homeDir: home, env: env() });
  expect(result).toMatchObject({ copiedExercises: [], scripts: [] });
  expect(execFileSync('bash', ['-c', `set -u; . ${JSON.stringify(result.profile)}; echo ok`], { encoding: 'utf8' })).toBe('ok\n');
});

test('the dashboard image makes every interactive shell source the profile the set-up writes', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'images/dashboard/Dockerfile'), 'utf8');
  expect(dockerfile).toContain(`>>/etc/bash.bashrc`);
  expect(dockerfile).toContain(`. "$HOME/${PROFILE_SCRIPT}"`);
});
