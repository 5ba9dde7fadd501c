/**
 * Reading one clickable-action block: a fenced code block whose info string names an action and whose body is
 * YAML fields (or, for Educates' older names, the text itself). Checks the fields the action needs and their kinds.
 */
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';

import { ACTION_NAMES, type ActionSpec, actionSpec, COMMON_FIELDS, type FieldKind, legacyAction } from './action-catalogue.js';
import { closestName, didYouMean } from './did-you-mean.js';
import type { ContentProblem } from './problems.js';
import { restoreIntoText, restoreIntoValue } from './shortcodes.js';
import { describeValue, yamlErrorMessage } from './yaml-messages.js';

export interface ActionCall {
  readonly spec: ActionSpec;
  /** The block's fields with variables filled in: what `data-args` carries. */
  readonly args: Readonly<Record<string, unknown>>;
}

/** The outcome for a block that is an action, or meant to be one: a call to render, or none when it is unusable. */
export interface ActionBlock {
  readonly call?: ActionCall;
  readonly problems: ContentProblem[];
}

export interface BlockLocation {
  readonly file: string;
  /** Line of the opening fence in the file; the body starts on the next line. */
  readonly line: number;
}

const ACTION_NAMESPACES: ReadonlySet<string> = new Set(ACTION_NAMES.map((name) => name.split(':')[0]));

/**
 * Reads a fenced block as an action. Returns undefined for ordinary code blocks: languages (`yaml`, `console`), and
 * info strings with a colon that look like no action (`yaml:deploy.yaml`, a file-name convention of some sites).
 * A name in an action namespace (`terminal:exec`) or close to an action (`termnal:execute`) is an unknown action.
 */
export function readActionBlock(info: string, body: string, at: BlockLocation, values: readonly string[]): ActionBlock | undefined {
  const name = info.trim().split(/\s+/)[0] ?? '';
  const legacy = legacyAction(name, restoreIntoText(body, values));
  if (legacy) return { call: { spec: actionSpec(legacy.name)!, args: legacy.args }, problems: [] };
  if (!name.includes(':')) return undefined;

  const spec = actionSpec(name);
  if (spec) return readFields(spec, body, at, values);
  const meantAsAction = ACTION_NAMESPACES.has(name.split(':')[0]) || closestName(name, ACTION_NAMES) !== undefined;
  if (!meantAsAction) return undefined;
  return { problems: [{ file: at.file, line: at.line, message: `unknown action '${name}'${didYouMean(name, ACTION_NAMES)}` }] };
}

function readFields(spec: ActionSpec, body: string, at: BlockLocation, values: readonly string[]): ActionBlock {
  const problem = (line: number, message: string): ContentProblem => ({ file: at.file, line, message: `${spec.name}: ${message}` });
  const lineCounter = new LineCounter();
  const document = parseDocument(body, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const bodyLine = (offset: number | undefined) => at.line + (offset === undefined ? 1 : lineCounter.linePos(offset).line);

  if (document.errors.length > 0) {
    const error = document.errors[0];
    // An unterminated value is reported at the end of the input; point at the last line the author wrote instead.
    const lastLine = at.line + body.replace(/\n$/, '').split('\n').length;
    return { problems: [problem(Math.min(bodyLine(error.pos[0]), lastLine), `the block is not valid YAML: ${yamlErrorMessage(error)}`)] };
  }
  const parsed = document.toJS({ maxAliasCount: 100 }) as unknown;
  if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    const example = spec.required[0] ?? Object.keys(spec.fields)[0] ?? 'title';
    return {
      problems: [problem(at.line + 1, `the block must be YAML fields such as '${example}: …', got ${Array.isArray(parsed) ? 'a list' : 'text'}`)],
    };
  }
  const args = restoreIntoValue(parsed ?? {}, values) as Record<string, unknown>;
  const problems = [...checkFields(spec, args, (key) => bodyLine(keyOffset(document, key)), problem)];
  const missing = spec.required.filter((field) => args[field] === undefined || args[field] === null);
  for (const field of missing) problems.push(problem(at.line, `missing required field '${field}'`));
  return missing.length > 0 ? { problems } : { call: { spec, args }, problems };
}

function* checkFields(
  spec: ActionSpec,
  args: Readonly<Record<string, unknown>>,
  lineOf: (key: string) => number,
  problem: (line: number, message: string) => ContentProblem,
): Generator<ContentProblem> {
  const known = { ...COMMON_FIELDS, ...spec.fields };
  for (const [key, value] of Object.entries(args)) {
    const kind = known[key];
    if (kind === undefined) {
      // Educates accepts more fields than this catalogue lists; only a near miss of a known one is a likely typo.
      const suggestion = closestName(key, Object.keys(known));
      if (suggestion !== undefined) yield problem(lineOf(key), `unknown field '${key}'${didYouMean(key, [suggestion])}`);
      continue;
    }
    const expected = mismatch(kind, value);
    if (expected !== undefined) yield problem(lineOf(key), `'${key}' must be ${expected}, got ${describeValue(value)}`);
  }
}

/** What the value should have been, or undefined when it fits the kind. */
function mismatch(kind: FieldKind, value: unknown): string | undefined {
  switch (kind) {
    case 'text':
      return ['string', 'number', 'boolean'].includes(typeof value) ? undefined : 'text';
    case 'whole-number':
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : 'a whole number';
    case 'count':
      return typeof value === 'number' && value >= 0 ? undefined : "a number of at least 0 (or '.inf')";
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'terminal':
      return typeof value === 'string' || Number.isInteger(value) ? undefined : "a terminal's name or number";
    case 'list':
      return Array.isArray(value) ? undefined : 'a list';
    case 'any':
      return undefined;
  }
}

function keyOffset(document: Document, key: string): number | undefined {
  const contents = document.contents;
  if (!isMap(contents)) return undefined;
  const pair = contents.items.find((item) => isScalar(item.key) && item.key.value === key);
  return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
}
