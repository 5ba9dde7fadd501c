/**
 * The dashboard image's Dockerfile, checked without a Docker engine: every file it copies from the repository
 * exists (and passes its .dockerignore), what it copies out of the build stage is either produced by
 * `npm run build` or is in the repository, and its CMD runs a file the build emits.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DASHBOARD_PORT, WORKSHOP_UID } from '../../src/constructs/session-template.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const DOCKERFILE = path.join(ROOT, 'images/dashboard/Dockerfile');

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function instructions(): Array<{ keyword: string; args: string }> {
  const joined = fs.readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [keyword, ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function copies(): Copy[] {
  return instructions()
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
    });
}

/** The files of the build program (`tsc --listFilesOnly`), relative to the repository. */
function buildInputs(): string[] {
  const out = execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((f) => path.relative(ROOT, f));
}

describe('images/dashboard/Dockerfile', () => {
  test('copies from the repository only files that exist and that its .dockerignore lets through', () => {
    const ignore = fs
      .readFileSync(`${DOCKERFILE}.dockerignore`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const fromContext = copies()
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    expect(fromContext.length).toBeGreaterThan(0);
    for (const source of fromContext) {
      expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
      expect(allowed).toContain(source);
    }
  });

  test('copies out of the build stage what the build produces or the sources hold', () => {
    const buildOutputs = ['/src/node_modules', '/src/lib'];
    for (const copy of copies().filter((c) => c.from === 'build')) {
      for (const source of copy.sources) {
        if (buildOutputs.includes(source)) continue;
        expect(source.startsWith('/src/')).toBe(true);
        expect(fs.existsSync(path.join(ROOT, source.slice('/src/'.length)))).toBe(true);
      }
    }
  });

  test("its CMD runs the dashboard entry point that 'npm run build' emits, as the workshop user", () => {
    const all = instructions();
    const cmd = JSON.parse(all.filter((i) => i.keyword === 'CMD').pop()!.args) as string[];
    const workdir = all.filter((i) => i.keyword === 'WORKDIR').pop()!.args;
    expect(cmd[0]).toBe('node');
    expect(path.posix.join(workdir, cmd[1])).toBe('/opt/dashboard/lib/apps/dashboard.js');
    // tsconfig.build.json compiles src/ into lib/: lib/apps/dashboard.js comes from src/apps/dashboard.ts.
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8'));
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'lib' });
    expect(buildInputs()).toContain('src/apps/dashboard.ts');
  });

  test('runs as the workshop pod expects: the user id and the port of the session template', () => {
    const all = instructions();
    expect(all.find((i) => i.keyword === 'USER')?.args).toBe(`${WORKSHOP_UID}:${WORKSHOP_UID}`);
    expect(all.find((i) => i.keyword === 'EXPOSE')?.args).toBe(String(DASHBOARD_PORT));
    expect(all.find((i) => i.keyword === 'RUN' && i.args.includes('useradd'))?.args).toContain(`--uid ${WORKSHOP_UID}`);
  });
});
