/**
 * The CLI's small pieces without a cluster or child processes: the progress indicator on a terminal and in a log,
 * tables and ages, the scaffold of `new`, and error texts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';

import { scaffold } from '../../src/cli/commands/new.js';
import { pinnedReference, registryCredentials } from '../../src/cli/commands/publish.js';
import { synthesisMessages } from '../../src/cli/commands/validate.js';
import { CliError, debugEnabled, describeError } from '../../src/cli/errors.js';
import { serverMessage } from '../../src/cli/kube.js';
import { formatBytes, Progress } from '../../src/cli/progress.js';
import { findWorkshopDirs } from '../../src/cli/project.js';
import { formatAge, formatTable } from '../../src/cli/table.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    { isTTY, columns: 100 },
  );
  return { stream, text: () => chunks.join('') };
}

describe('Progress', () => {
  test('GIVEN a log file WHEN work advances THEN a plain line at every quarter, no control characters', () => {
    const out = sink(false);
    const progress = new Progress('deploy', 8, { stream: out.stream });
    for (let i = 0; i < 8; i++) progress.tick(`object ${i}`);
    progress.finish();
    expect(out.text()).toBe('deploy: 1/8\ndeploy: 2/8\ndeploy: 4/8\ndeploy: 6/8\ndeploy: 8/8\n');
  });

  test('GIVEN a terminal WHEN work advances THEN one redrawn line with a bar, cleared at the end', () => {
    const out = sink(true);
    const progress = new Progress('publish', 2048, { stream: out.stream, unit: 'bytes' });
    progress.update(2048, 2048, 'done');
    progress.log('a line above the bar');
    progress.finish();
    expect(out.text()).toContain('\r\x1b[2Kpublish [########################] 2.0 KiB/2.0 KiB done');
    expect(out.text()).toContain('a line above the bar\n');
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
  });

  test('bytes read as people read them', () => {
    expect([formatBytes(12), formatBytes(1536), formatBytes(5 * 1024 * 1024)]).toEqual(['12 B', '1.5 KiB', '5.0 MiB']);
  });
});

describe('tables and ages', () => {
  test('columns line up and trailing spaces are dropped', () => {
    expect(
      formatTable([
        ['NAME', 'PHASE'],
        ['a-long-name', 'Ready'],
        ['b', ''],
      ]),
    ).toBe('NAME         PHASE\na-long-name  Ready\nb');
  });

  test("ages in kubectl's style", () => {
    expect([45_000, 600_000, 3 * 3600_000 + 20 * 60_000, 5 * 86400_000].map(formatAge)).toEqual(['45s', '10m', '3h20m', '5d']);
  });
});

describe('new', () => {
  test('GIVEN a folder name WHEN scaffolding THEN every file is filled in, with the title escaped for its file', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-unit-')), 'my-lab');
    const files = scaffold(dir, { title: 'Ada\'s "Lab"' });
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        '.gitignore',
        'cdk8s.yaml',
        'workshop.ts',
        'main.ts',
        'tsconfig.json',
        'README.md',
        'test/workshop.test.ts',
        'workshop/content/00-workshop-overview.md',
        'workshop/content/01-first-steps.md',
      ]),
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('my-lab');
    expect(pkg.description).toMatch(/^Ada's "Lab": /);
    expect(pkg.dependencies['cdk8s-workshops']).toBe(`file:${path.resolve('.')}`);
    expect(pkg.dependencies.cdk8s).toMatch(/^\^2\./);
    expect(fs.readFileSync(path.join(dir, 'workshop.ts'), 'utf8')).toContain("title: 'Ada\\'s \"Lab\"',");
    const steps = fs.readFileSync(path.join(dir, 'workshop/content/01-first-steps.md'), 'utf8');
    expect(steps).toContain('```terminal:execute\ncommand: kubectl get all --namespace {{< param session_namespace >}}\n```');
    expect(fs.readdirSync(dir).join(' ')).not.toMatch(/\{\{|tmpl/);
    expect(findWorkshopDirs(path.dirname(dir))).toEqual([dir]);
  });

  test('a folder that is not empty needs --force; a name that is not a DNS label is a usage error', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-unit-')), 'lab');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'x');
    expect(() => scaffold(dir)).toThrow(/exists and is not empty: choose another folder, or pass --force/);
    expect(() => scaffold(path.join(dir, 'My_Lab'))).toThrow(
      new CliError(
        "'My_Lab' cannot name a workshop: use lower-case letters, digits and '-', start with a letter, at most 40 characters (e.g. my-lab)",
      ),
    );
    expect(() => scaffold(path.join(dir, 'My_Lab'))).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('errors', () => {
  test('the server speaks, not the transport', () => {
    expect(serverMessage(new Error('PATCH /api/v1/namespaces/default/configmaps/x: 500 InternalError: .bogus: field not declared in schema'))).toBe(
      'InternalError: .bogus: field not declared in schema',
    );
  });

  test('stack traces only when debugging', () => {
    const error = new CliError('no cdk8s.yaml');
    expect(describeError(error, false)).toBe('no cdk8s.yaml');
    expect(describeError(error, true)).toMatch(/^CliError: no cdk8s.yaml\n\s+at /);
    expect(debugEnabled(['node', 'workshops', 'synth'], {})).toBe(false);
    expect(debugEnabled(['node', 'workshops', 'synth'], { DEBUG: '1' })).toBe(true);
    expect(debugEnabled(['node', 'workshops', 'synth', '--debug'], {})).toBe(true);
  });
});

describe('validate', () => {
  test('an escaped error keeps its message and loses its stack', () => {
    const output = [
      '/work/x/src/constructs/training-portal.ts:208',
      '    throw new Error(`${where}: ...`);',
      '          ^',
      '',
      "Error: TrainingPortal 'p' workshop 'w': 'capacity' is 0",
      'and a second line',
      '    at TrainingPortal.addWorkshop (/x.ts:208:13)',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    expect(synthesisMessages(output)).toEqual(["TrainingPortal 'p' workshop 'w': 'capacity' is 0", 'and a second line']);
    expect(synthesisMessages("synthesis failed:\nWorkshop 'a': x\nWorkshop 'b': y\n")).toEqual(["Workshop 'a': x", "Workshop 'b': y"]);
  });
});

describe('publish and update', () => {
  test('credentials: options win over the environment, and a user without a password is refused', () => {
    expect(registryCredentials({}, { WORKSHOPS_REGISTRY_USERNAME: 'ada', WORKSHOPS_REGISTRY_PASSWORD: 'pw' })).toEqual({
      username: 'ada',
      password: 'pw',
      insecure: undefined,
    });
    expect(
      registryCredentials(
        { username: 'bob', password: 'x', insecure: true },
        { WORKSHOPS_REGISTRY_USERNAME: 'ada', WORKSHOPS_REGISTRY_PASSWORD: 'pw' },
      ),
    ).toEqual({ username: 'bob', password: 'x', insecure: true });
    expect(() => registryCredentials({ username: 'bob' }, {})).toThrow(/give both a registry username and a password/);
  });

  test('the pinned reference drops the tag, keeps a registry port', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pinnedReference('127.0.0.1:5001/lab-files:latest', digest)).toBe(`127.0.0.1:5001/lab-files@${digest}`);
    expect(pinnedReference('ghcr.io/acme/lab-files:1.0', digest)).toBe(`ghcr.io/acme/lab-files@${digest}`);
    expect(pinnedReference('127.0.0.1:5001/lab-files', digest)).toBe(`127.0.0.1:5001/lab-files@${digest}`);
  });
});
