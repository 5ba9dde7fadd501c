import type { ImportTodo, UnsupportedField } from './types.js';

const MAX_VALUE_LENGTH = 200;

/** Collects what an import cannot carry over, attributed to the resource being read. */
export class Report {
  private readonly _entries: UnsupportedField[] = [];

  /** The entries so far. Returns a copy. */
  public get entries(): UnsupportedField[] {
    return [...this._entries];
  }

  private readonly _todo: ImportTodo[] = [];

  /** The steps to do before deploying, so far. Returns a copy. */
  public get todo(): ImportTodo[] {
    return [...this._todo];
  }

  /** Records a step the user must take for `field` of `resource` to work as it did (never with a secret value). */
  public todoFor(resource: string, field: string, action: string): void {
    this._todo.push({ resource: printable(resource), field: printable(field), action: printable(action) });
  }

  /** Records that `field` of `resource` is not carried over. */
  public unsupported(resource: string, field: string, value: unknown, reason: string): void {
    this._entries.push({
      resource: printable(resource),
      field: printable(field),
      ...(value === undefined ? {} : { value: printable(showValue(value)) }),
      reason: printable(reason),
    });
  }
}

/**
 * Text of the input made safe to print on a terminal (`workshops import` writes the report to stderr): control
 * characters (escape sequences among them), line and paragraph separators and bidirectional controls are shown as
 * `\uXXXX` instead.
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A value as a short JSON text (plain strings stay unquoted), with the contents of Secrets left out. */
export function showValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_key, v) => redactSecret(v));
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

/** A Secret with its values replaced, so that reports (which the CLI prints) never show them. */
function redactSecret(value: unknown): unknown {
  if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== 'Secret') return value;
  const secret = { ...(value as Record<string, unknown>) };
  for (const field of ['data', 'stringData']) {
    const entries = secret[field];
    if (entries && typeof entries === 'object') secret[field] = Object.fromEntries(Object.keys(entries).map((k) => [k, '(hidden)']));
  }
  return secret;
}

/**
 * The entries in the order their fields appear in the input: resources in input order, fields depth-first. A field
 * the input does not have (a computed value) sorts with its nearest ancestor that it has.
 */
export function inDocumentOrder(entries: UnsupportedField[], documents: ReadonlyArray<{ label: string; document: unknown }>): UnsupportedField[] {
  const positions = new Map<string, number>();
  let next = 0;
  const walk = (value: unknown, path: string) => {
    positions.set(path, next++);
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, path.endsWith(':') ? `${path}${key}` : `${path}.${key}`);
    }
  };
  for (const { label, document } of documents) walk(document, `${label}:`);
  const position = (entry: UnsupportedField) => {
    for (let path = entry.field; path;) {
      const found = positions.get(`${entry.resource}:${path}`);
      if (found !== undefined) return found;
      const parent = path.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
      // a key of the input may hold '.' or '[' itself: stop where the path no longer shortens
      if (parent === path) break;
      path = parent;
    }
    return positions.get(`${entry.resource}:`) ?? Number.MAX_SAFE_INTEGER;
  };
  return entries
    .map((entry, index) => ({ entry, index, at: position(entry) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ entry }) => entry);
}
