/** Reading synthesized output back: every `.k8s.yaml` file of a folder and its objects, in apply order. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseAllDocuments } from 'yaml';

import type { Manifest } from '../constructs/manifest.js';
import { CliError } from './errors.js';

export interface DistObject {
  /** The file, relative to the folder. */
  readonly file: string;
  readonly object: Manifest;
}

/** The `.k8s.yaml` files under `dir`, relative and sorted (cluster/ first: it holds the CRDs). */
export function distFiles(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new CliError(`'${dir}' is not a folder of synthesized YAML: run 'workshops synth' first`);
  }
  const files: string[] = [];
  const visit = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(rel);
      else if (entry.name.endsWith('.k8s.yaml')) files.push(rel);
    }
  };
  visit('');
  const rank = (file: string) => (file.startsWith('cluster/') ? 0 : 1);
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Every object of every file; a document that is not a Kubernetes object is an error naming the file. */
export function readDist(dir: string): DistObject[] {
  const objects: DistObject[] = [];
  for (const file of distFiles(dir)) {
    const documents = parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const [index, document] of documents.entries()) {
      if (document.errors.length) throw new CliError(`${path.join(dir, file)}: document ${index + 1}: ${document.errors[0].message.split('\n')[0]}`);
      const object = document.toJSON() as Manifest | null;
      if (object === null) continue;
      if (!object.apiVersion || !object.kind || !object.metadata?.name) {
        throw new CliError(
          `${path.join(dir, file)}: document ${index + 1} is not a Kubernetes object (apiVersion, kind and metadata.name are required)`,
        );
      }
      objects.push({ file, object });
    }
  }
  return objects;
}

/** "Kind → count", sorted by kind, for summaries. */
export function countByKind(objects: ReadonlyArray<{ kind: string }>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const object of objects) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}
