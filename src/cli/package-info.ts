/** Facts about this package the CLI needs: its version and where it is installed (for `new`). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file, in src/cli/ (tsx) as in lib/cli/ (compiled). */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function packageJson(): { name: string; version: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> } {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
}

export function packageVersion(): string {
  return packageJson().version;
}
