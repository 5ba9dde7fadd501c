#!/usr/bin/env node
// pack.mjs --out DIR: the two npm packages of this repository, packed from the compiled lib/ (run `npm run build`
// first; `npm run packages` does both):
//   cdk8s-workshops            the constructs an author writes workshops with; depends only on cdk8s,
//                              cdk8s-plus-28, constructs and yaml
//   @cdk8s-workshops/platform  the `workshops` CLI, the runtime, the portal, the dashboard, content, OCI and the
//                              importer (subpath exports), with the web server and the PTY they need
// Each package is staged in a folder of its own with a package.json written here, checked (the constructs package
// may import nothing but its four dependencies and Node's built-ins, and its types must not name another
// package's), then packed with `npm pack`. Prints the tarballs' paths, one a line.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HERE = path.join(ROOT, 'scripts', 'package');

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
if (outIndex < 0 || !args[outIndex + 1]) fail('usage: node scripts/package/pack.mjs --out DIR');
const out = path.resolve(args[outIndex + 1]);
if (!fs.existsSync(path.join(ROOT, 'lib', 'index.js'))) fail("lib/ is not built: run 'npm run build' first (or `npm run packages`)");

const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const CONSTRUCT_DEPENDENCIES = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml'];
/** What lib/ holds per module; the constructs package takes constructs/ and the index that re-exports it. */
const PLATFORM_EXPORTS = {
  './cli': 'cli/main',
  './content': 'content/index',
  './dashboard': 'dashboard/index',
  './importer': 'importer/index',
  './oci': 'oci/index',
  './portal': 'portal/index',
  './runtime': 'runtime/index',
};

function copyTree(from, to, keep = () => true) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, target, keep);
    else if (keep(source)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

function pick(record, names) {
  return Object.fromEntries(names.map((name) => {
    if (!record[name]) fail(`package.json has no dependency ${name}`);
    return [name, record[name]];
  }));
}

function common(name, description) {
  return {
    name,
    version: root.version,
    description,
    type: 'module',
    license: root.license,
    engines: root.engines,
  };
}

/** The package a bare import names ('@scope/name/x' → '@scope/name'), or undefined for relative and node: imports. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const BUILTINS = new Set(['fs', 'path', 'crypto', 'net', 'url', 'os', 'util', 'events', 'stream', 'child_process', 'http', 'https']);

function checkImports(dir, allowed) {
  const problems = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  for (const file of filesUnder(dir).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(pattern)) {
      const name = packageOf(match[1]);
      if (name && !allowed.has(name) && !BUILTINS.has(name)) problems.push(`${path.relative(dir, file)} imports '${match[1]}'`);
    }
  }
  if (problems.length) {
    fail(`the constructs package may import only ${[...allowed].join(', ')} and Node's built-ins:\n  ${problems.join('\n  ')}`);
  }
}

function npmPack(dir) {
  const output = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir, encoding: 'utf8' });
  const name = output.trim().split('\n').pop();
  return path.join(out, name);
}

fs.mkdirSync(out, { recursive: true });
const stage = fs.mkdtempSync(path.join(out, '.stage-'));
try {
  // cdk8s-workshops: lib/index.* and lib/constructs/**
  const constructs = path.join(stage, 'cdk8s-workshops');
  const notMaps = (file) => !file.endsWith('.map');
  copyTree(path.join(ROOT, 'lib', 'constructs'), path.join(constructs, 'lib', 'constructs'), notMaps);
  for (const file of ['index.js', 'index.d.ts']) fs.copyFileSync(path.join(ROOT, 'lib', file), path.join(constructs, 'lib', file));
  fs.copyFileSync(path.join(HERE, 'README.constructs.md'), path.join(constructs, 'README.md'));
  fs.writeFileSync(path.join(constructs, 'package.json'), `${JSON.stringify({
    ...common('cdk8s-workshops', 'Hands-on Kubernetes workshops defined as code: the cdk8s constructs (Workshop, WorkshopEnvironment, SessionTemplate, capabilities, TrainingPortal)'),
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    exports: { '.': { types: './lib/index.d.ts', default: './lib/index.js' } },
    files: ['lib'],
    dependencies: pick(root.dependencies, CONSTRUCT_DEPENDENCIES),
  }, null, 2)}\n`);
  checkImports(path.join(constructs, 'lib'), new Set(CONSTRUCT_DEPENDENCIES));

  // @cdk8s-workshops/platform: everything compiled, the CLI, the project template and the dashboard's browser assets
  const platform = path.join(stage, 'platform');
  copyTree(path.join(ROOT, 'lib'), path.join(platform, 'lib'), notMaps);
  copyTree(path.join(ROOT, 'bin'), path.join(platform, 'bin'));
  copyTree(path.join(ROOT, 'templates'), path.join(platform, 'templates'));
  // lib/dashboard/assets.js reads them from ../../src/dashboard/assets, as in a checkout
  copyTree(path.join(ROOT, 'src', 'dashboard', 'assets'), path.join(platform, 'src', 'dashboard', 'assets'));
  fs.copyFileSync(path.join(HERE, 'README.platform.md'), path.join(platform, 'README.md'));
  const exports = { '.': { types: './lib/index.d.ts', default: './lib/index.js' } };
  for (const [subpath, file] of Object.entries(PLATFORM_EXPORTS)) {
    if (!fs.existsSync(path.join(ROOT, 'lib', `${file}.js`))) fail(`lib/${file}.js is missing (export '${subpath}')`);
    exports[subpath] = { types: `./lib/${file}.d.ts`, default: `./lib/${file}.js` };
  }
  exports['./package.json'] = './package.json';
  fs.writeFileSync(path.join(platform, 'package.json'), `${JSON.stringify({
    ...common('@cdk8s-workshops/platform', 'The workshops CLI, session runtime, training portal and session dashboard of cdk8s-workshops'),
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    bin: root.bin,
    exports,
    files: ['lib', 'bin', 'templates', 'src/dashboard/assets'],
    dependencies: { ...root.dependencies, tsx: root.devDependencies.tsx },
    // not installed for users: the versions `workshops new` writes into a new project's package.json
    devDependencies: root.devDependencies,
  }, null, 2)}\n`);

  for (const dir of [constructs, platform]) process.stdout.write(`${npmPack(dir)}\n`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
