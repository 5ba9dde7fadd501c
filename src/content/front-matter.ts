/**
 * Hugo-style front matter: YAML between a `---` first line and the next `---` line, with the fields this project
 * reads (`title`, `weight`). Other fields Hugo knows (draft, description, …) are kept but not interpreted.
 */
import { isMap, isScalar, LineCounter, type Pair, parseDocument } from 'yaml';

import type { ContentProblem } from './problems.js';
import { describeValue, yamlErrorMessage } from './yaml-messages.js';

export interface FrontMatter {
  /** The page's title, when the front matter has one. */
  readonly title?: string;
  /** The page's weight, when the front matter has a whole number for it. */
  readonly weight?: number;
  /** All fields as parsed, for hosts that want more (e.g. `description`). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface SplitSource {
  readonly frontMatter: FrontMatter;
  /** The Markdown after the front matter. */
  readonly body: string;
  /** 1-based line of the file on which `body` starts, so problems in the body point at the right line. */
  readonly bodyStartLine: number;
  /** False when the front matter could not be read at all (fields missing for that reason are not reported again). */
  readonly readable: boolean;
  readonly problems: ContentProblem[];
}

const FENCE = '---';

/** Splits a page's source into front matter and body; `file` only labels the problems. */
export function splitFrontMatter(source: string, file: string): SplitSource {
  const text = source.replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  const first = lines[0]?.trim();
  if (first === '+++') {
    return withoutFrontMatter(
      text,
      [{ file, line: 1, message: "front matter in TOML ('+++') is not supported: use YAML between '---' lines" }],
      false,
    );
  }
  if (first !== FENCE) return withoutFrontMatter(text, [], true);

  const closing = lines.findIndex((line, index) => index > 0 && (line.trim() === FENCE || line.trim() === '...'));
  if (closing < 0) {
    return withoutFrontMatter(text, [{ file, line: 1, message: "front matter starts with '---' on line 1 but has no closing '---' line" }], false);
  }
  const yamlText = lines.slice(1, closing).join('\n');
  const { frontMatter, problems, readable } = parseFields(yamlText, file);
  return { frontMatter, body: lines.slice(closing + 1).join('\n'), bodyStartLine: closing + 2, problems, readable };
}

function withoutFrontMatter(body: string, problems: ContentProblem[], readable: boolean): SplitSource {
  return { frontMatter: { fields: {} }, body, bodyStartLine: 1, problems, readable };
}

/** Parses the YAML between the fences; its first line is line 2 of the file. */
function parseFields(yamlText: string, file: string): { frontMatter: FrontMatter; problems: ContentProblem[]; readable: boolean } {
  const lineCounter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 2 : lineCounter.linePos(offset).line + 1);

  if (document.errors.length > 0) {
    const error = document.errors[0];
    const problem = { file, line: lineOf(error.pos[0]), message: `front matter is not valid YAML: ${yamlErrorMessage(error)}` };
    return { frontMatter: { fields: {} }, problems: [problem], readable: false };
  }
  const contents = document.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { frontMatter: { fields: {} }, problems: [], readable: true };
  if (!isMap(contents)) {
    const problem = { file, line: 2, message: "front matter must be YAML fields such as 'title: …' and 'weight: …'" };
    return { frontMatter: { fields: {} }, problems: [problem], readable: false };
  }

  const fields = document.toJS() as Record<string, unknown>;
  const problems: ContentProblem[] = [];
  const fieldLine = (key: string) => lineOf(rangeStart(findPair(contents.items, key)?.key));
  const title = readTitle(fields.title, () =>
    problems.push({ file, line: fieldLine('title'), message: `'title' must be text, got ${describeValue(fields.title)}` }),
  );
  const weight = readWeight(fields.weight, () =>
    problems.push({ file, line: fieldLine('weight'), message: `'weight' must be a whole number, got ${describeValue(fields.weight)}` }),
  );
  return { frontMatter: { title, weight, fields }, problems, readable: true };
}

function readTitle(value: unknown, report: () => void): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number') return String(value);
  report();
  return undefined;
}

function readWeight(value: unknown, report: () => void): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  report();
  return undefined;
}

function findPair(items: readonly Pair<unknown, unknown>[], key: string): Pair<unknown, unknown> | undefined {
  return items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | undefined)?.range?.[0];
}
