/**
 * `workshops new <dir>`: a workshop project that installs, synthesizes and tests on its own, from
 * templates/new-workshop/. The project depends on this very checkout by absolute path (the library is not on
 * npm), and on the same versions of cdk8s, tsx and TypeScript as this package, so an install can come from the
 * npm cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command } from 'commander';

import { isDnsLabel } from '../../constructs/names.js';
import { CliError, ExitCode } from '../errors.js';
import { packageJson, packageRoot } from '../package-info.js';

export interface NewOptions {
  readonly title?: string;
  /** Write into a folder that is not empty. */
  readonly force?: boolean;
}

/** Files whose name in the template differs from the project's (npm would drop a .gitignore, and treat a package.json as a package). */
const RENAMES: Record<string, string> = { 'package.json.tmpl': 'package.json', gitignore: '.gitignore' };

/** Creates the project; returns the files written, relative to `dir`. */
export function scaffold(dir: string, options: NewOptions = {}): string[] {
  const target = path.resolve(dir);
  const name = path.basename(target);
  if (!isDnsLabel(name) || name.length > 40) {
    throw new CliError(
      `'${name}' cannot name a workshop: use lower-case letters, digits and '-', start with a letter, at most 40 characters (e.g. my-lab)`,
      ExitCode.USAGE,
    );
  }
  if (fs.existsSync(target) && fs.readdirSync(target).length && !options.force) {
    throw new CliError(`${dir} exists and is not empty: choose another folder, or pass --force to write into it`);
  }
  const title =
    options.title ??
    name
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ');
  const own = packageJson();
  const versions: Record<string, string> = { ...own.devDependencies, ...own.dependencies };
  const values: Record<string, string> = { name, title, libraryPath: packageRoot(), ...librarySource(own) };
  const template = path.join(packageRoot(), 'templates', 'new-workshop');
  const written: string[] = [];
  const copy = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(template, sub), { withFileTypes: true })) {
      const from = path.join(sub, entry.name);
      if (entry.isDirectory()) {
        copy(from);
        continue;
      }
      const to = path.join(sub, RENAMES[entry.name] ?? entry.name);
      const text = fill(fs.readFileSync(path.join(template, from), 'utf8'), to, values, versions);
      fs.mkdirSync(path.join(target, sub), { recursive: true });
      fs.writeFileSync(path.join(target, to), text);
      written.push(to);
    }
  };
  copy('');
  return written.sort();
}

/**
 * Where the new project gets the library from. Run from a checkout of this repository (package `cdk8s-workshops`
 * with its sources beside it), the project links that checkout, which also brings the CLI. Run from the installed
 * `@cdk8s-workshops/platform` package, it depends on the published `cdk8s-workshops` constructs of the same
 * version, and on the platform package as a development dependency for the `workshops` CLI.
 */
function librarySource(own: { name: string; version: string }): Record<string, string> {
  const root = packageRoot();
  if (own.name === 'cdk8s-workshops' && fs.existsSync(path.join(root, 'src', 'constructs'))) {
    return {
      librarySpec: `file:${root}`,
      platformDependency: '',
      dependencyNote:
        'cdk8s-workshops is linked from the checkout this project was created from, by absolute path: ' +
        `\`"cdk8s-workshops": "file:${root}"\` in \`package.json\`. If you move that checkout, or share this project, ` +
        'change the path (or point it at the tarballs `npm run packages` makes in the checkout).',
    };
  }
  return {
    librarySpec: `^${own.version}`,
    platformDependency: `"${own.name}": ${JSON.stringify(`^${own.version}`)},\n    `,
    dependencyNote:
      `The constructs come from the \`cdk8s-workshops\` package, the \`workshops\` CLI from \`${own.name}\` ` +
      '(a development dependency: nothing of it is needed to synthesize).',
  };
}

/** Values put into a file as they are: whole lines of JSON or Markdown that the template leaves a place for. */
const RAW = new Set(['platformDependency', 'dependencyNote']);

/** Replaces {{name}}, {{title}}, {{libraryPath}} and {{version:<package>}}, escaped for the file's kind of text. */
function fill(text: string, file: string, values: Record<string, string>, versions: Record<string, string>): string {
  const escape = file.endsWith('.json')
    ? (v: string) => JSON.stringify(v).slice(1, -1)
    : file.endsWith('.ts')
      ? (v: string) => v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
      : (v: string) => v;
  return text.replace(/\{\{(name|title|libraryPath|librarySpec|platformDependency|dependencyNote|version:[@\w/.-]+)\}\}/g, (_, key: string) => {
    if (key.startsWith('version:')) {
      const version = versions[key.slice('version:'.length)];
      if (!version) throw new Error(`template ${file}: this package has no dependency ${key.slice(8)}`);
      return version;
    }
    return RAW.has(key) ? values[key] : escape(values[key]);
  });
}

export function newCommand(): Command {
  return new Command('new')
    .summary('create a workshop project')
    .description(
      'Create a workshop project: workshop.ts (a Workshop with a Terminal, and a TrainingPortal), Markdown instructions, ' +
        'a test, cdk8s.yaml and a package.json that depends on this cdk8s-workshops checkout',
    )
    .argument('<dir>', 'folder to create; its name is the workshop name (e.g. my-lab)')
    .option('--title <title>', 'the title learners see (default: from the folder name)')
    .option('--force', 'write into a folder that is not empty (files of the same name are replaced)')
    .action((dir: string, options: NewOptions) => {
      const files = scaffold(dir, options);
      process.stdout.write(
        `created ${files.length} files in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n` +
          `next:\n  cd ${dir}\n  npm install\n  npm run serve      # preview the instructions\n  npm run synth      # write dist/\n  npm test\n`,
      );
    });
}
