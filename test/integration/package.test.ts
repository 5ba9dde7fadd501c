/**
 * The packages a user installs, as they install them: `npm run packages` makes the two tarballs from lib/
 * (scripts/package/pack.mjs), and npm installs them — copied, not linked — from the npm registry's dependencies.
 * - An author who only writes workshops installs `cdk8s-workshops` and gets no web server and no native PTY, its
 *   types check with nothing but its four dependencies, and the app synthesizes.
 * - `workshops new`, run from the installed `@cdk8s-workshops/platform`, makes a project that depends on the
 *   published packages (no `file:` link to a checkout); with the tarballs installed it synthesizes and its test passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { ROOT, run, scratchFolders } from '../support/cli.js';

const scratch = scratchFolders();
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

let out: string;
let constructsTarball: string;
let platformTarball: string;

async function npm(args: string[], cwd: string) {
  const result = await run('npm', args, { cwd, timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} in ${cwd} failed (${result.code}):\n${result.stderr.slice(-3000)}`);
  return result;
}

function listTarball(file: string): Promise<string[]> {
  return run('tar', ['-tzf', file]).then((r) => r.stdout.split('\n').filter(Boolean));
}

beforeAll(async () => {
  out = scratch('cdkw-pack-');
  const packed = await run(process.execPath, [path.join(ROOT, 'scripts/package/pack.mjs'), '--out', out]);
  if (packed.code !== 0) throw new Error(`pack failed: ${packed.stderr}`);
  [constructsTarball, platformTarball] = packed.stdout.trim().split('\n');
}, 120_000);

describe('the cdk8s-workshops package (constructs)', () => {
  it('holds the compiled constructs and declares only cdk8s, cdk8s-plus-28, constructs and yaml', async () => {
    const files = await listTarball(constructsTarball);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/lib/index.js',
        'package/lib/index.d.ts',
        'package/lib/constructs/workshop.js',
        'package/lib/constructs/workshop.d.ts',
        'package/README.md',
      ]),
    );
    expect(files.filter((f) => /^package\/lib\/(runtime|portal|dashboard|cli)\//.test(f))).toEqual([]);
    const dir = scratch('cdkw-unpack-');
    await run('tar', ['-xzf', constructsTarball, '-C', dir]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8'));
    expect(manifest.name).toBe('cdk8s-workshops');
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml']);
  });

  it('installs for an author without a web server or a PTY, type-checks and synthesizes', async () => {
    const project = scratch('cdkw-author-');
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'author-lab', private: true, type: 'module' }));
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['main.ts'],
      }),
    );
    fs.writeFileSync(
      path.join(project, 'main.ts'),
      [
        "import { Terminal, TrainingPortal, Workshop, WorkshopApp } from 'cdk8s-workshops';",
        'const app = new WorkshopApp();',
        "const workshop = new Workshop(app, 'hello', { title: 'Hello', description: 'Says hello.', capabilities: [new Terminal()] });",
        "new TrainingPortal(app, 'labs', { maximumSessions: 3 }).addWorkshop(workshop);",
        'app.synth();',
        '',
      ].join('\n'),
    );
    await npm(
      [
        ...NPM_INSTALL,
        constructsTarball,
        `cdk8s@${own.dependencies.cdk8s}`,
        `constructs@${own.dependencies.constructs}`,
        `tsx@${own.devDependencies.tsx}`,
        `typescript@${own.devDependencies.typescript}`,
      ],
      project,
    );

    expect(fs.lstatSync(path.join(project, 'node_modules', 'cdk8s-workshops')).isSymbolicLink()).toBe(false);
    for (const server of ['fastify', '@lydell/node-pty', '@kubernetes/client-node', 'openid-client']) {
      expect({ server, installed: fs.existsSync(path.join(project, 'node_modules', server)) }).toEqual({ server, installed: false });
    }
    const typecheck = await run(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: project });
    expect({ code: typecheck.code, output: typecheck.stdout + typecheck.stderr }).toEqual({ code: 0, output: '' });
    const synth = await run(path.join(project, 'node_modules', '.bin', 'tsx'), ['main.ts'], {
      cwd: project,
      env: { CDK8S_OUTDIR: path.join(project, 'dist') },
    });
    expect({ code: synth.code, stderr: synth.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(project, 'dist', 'labs', 'hello', 'environment.k8s.yaml'), 'utf8')).toContain('kind: WorkshopEnvironment');
  });
});

describe('the @cdk8s-workshops/platform package (CLI, runtime, portal, dashboard)', () => {
  it('carries the CLI, the project template and the dashboard assets, with subpath entry points', async () => {
    const files = await listTarball(platformTarball);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/bin/workshops.js',
        'package/lib/apps/workshops.js',
        'package/templates/new-workshop/package.json.tmpl',
        'package/src/dashboard/assets/dashboard.css',
        'package/lib/browser/dashboard.js',
        'package/lib/browser/shared/actions.js',
      ]),
    );
    const dir = scratch('cdkw-unpack-');
    await run('tar', ['-xzf', platformTarball, '-C', dir]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8'));
    expect(Object.keys(manifest.exports).sort()).toEqual([
      '.',
      './cli',
      './content',
      './dashboard',
      './importer',
      './oci',
      './package.json',
      './portal',
      './runtime',
    ]);
    for (const entry of Object.values(manifest.exports) as Array<string | { default: string }>) {
      const file = typeof entry === 'string' ? entry : entry.default;
      expect({ file, present: fs.existsSync(path.join(dir, 'package', file)) }).toEqual({ file, present: true });
    }
  });

  it('`workshops new` from the installed CLI makes a project that installs the packages, synthesizes and tests', async () => {
    const tools = scratch('cdkw-cli-');
    fs.writeFileSync(path.join(tools, 'package.json'), JSON.stringify({ name: 'tools', private: true }));
    await npm([...NPM_INSTALL, platformTarball], tools);
    const work = scratch('cdkw-new-');
    const created = await run(path.join(tools, 'node_modules', '.bin', 'workshops'), ['new', 'my-lab'], { cwd: work });
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const project = path.join(work, 'my-lab');
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    expect(manifest.dependencies['cdk8s-workshops']).toBe(`^${version}`);
    expect(manifest.devDependencies['@cdk8s-workshops/platform']).toBe(`^${version}`);
    expect(fs.readFileSync(path.join(project, 'README.md'), 'utf8')).not.toContain(ROOT);

    // the packages are not on the registry yet: install them from the tarballs, copied like a registry install
    await npm([...NPM_INSTALL, constructsTarball, platformTarball], project);
    expect(fs.lstatSync(path.join(project, 'node_modules', 'cdk8s-workshops')).isSymbolicLink()).toBe(false);
    const synth = await run('npm', ['run', 'synth', '--silent'], { cwd: project });
    expect({ code: synth.code, stderr: synth.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(project, 'dist', 'cluster', 'crds.k8s.yaml'), 'utf8')).toContain('WorkshopEnvironment');
    const test = await run('npm', ['test', '--silent'], { cwd: project });
    expect({ code: test.code, out: test.stdout.slice(-1500) }).toMatchObject({ code: 0 });
  });
});
