import { Code, Commented, Literal } from './code.js';

/** Lines longer than this are broken up. */
const WIDTH = 120;
const INDENT = '  ';

/**
 * Prints a value as a TypeScript literal the way a person would write it: single quotes, bare keys where they are
 * identifiers, short objects and lists on one line, longer ones one entry per line with trailing commas.
 * Undefined properties are left out. Deterministic: keys keep their insertion order.
 *
 * @param indent the indentation of the line the value starts on
 */
export function printLiteral(value: unknown, indent = ''): string {
  if (value instanceof Code) {
    return value.parts.map((part) => (part instanceof Literal ? printLiteral(part.value, indent) : part)).join('');
  }
  if (value instanceof Literal) return printLiteral(value.value, indent);
  if (value instanceof Commented) return printLiteral(value.value, indent);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return printList(value, indent);
  if (typeof value === 'object') return printObject(value as Record<string, unknown>, indent);
  throw new Error(`cannot print ${typeof value} as a literal`);
}

function printList(items: unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  const inner = indent + INDENT;
  const printed = items.map((item) => printLiteral(item, inner));
  const oneLine = `[${printed.join(', ')}]`;
  if (!items.some((i) => i instanceof Commented) && fits(oneLine, indent)) return oneLine;
  const lines = items.map((item) => `${commentLines(item, inner)}${inner}${printLiteral(item, inner)},`);
  return `[\n${lines.join('\n')}\n${indent}]`;
}

function printObject(object: Record<string, unknown>, indent: string): string {
  const entries = Object.entries(object).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const inner = indent + INDENT;
  const oneLine = `{ ${entries.map(([k, v]) => `${key(k)}: ${printLiteral(v, inner)}`).join(', ')} }`;
  if (!entries.some(([, v]) => v instanceof Commented) && fits(oneLine, indent)) return oneLine;
  const lines = entries.map(([k, v]) => `${commentLines(v, inner)}${inner}${key(k)}: ${printLiteral(v, inner)},`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function commentLines(value: unknown, indent: string): string {
  if (!(value instanceof Commented)) return '';
  return commentText(value.comment, WIDTH - indent.length - 3)
    .map((line) => `${indent}// ${line}\n`)
    .join('');
}

/** Splits text into lines of at most `width` characters at spaces (keeping its own line breaks). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

function fits(text: string, indent: string): boolean {
  return !text.includes('\n') && indent.length + text.length <= WIDTH - 20;
}

function key(name: string): string {
  if (name === '__proto__') return `[${quote(name)}]`; // written plainly or quoted, it would set the prototype
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

/**
 * Characters that change how source text reads although a string may hold them: U+2028 and U+2029 end a line for
 * TypeScript (inside a `//` comment or a string literal), and the bidirectional controls reorder what a reviewer
 * sees (Trojan Source).
 */
const SOURCE_HAZARDS = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A string as a single-quoted TypeScript literal: the one way a value of the input reaches generated code. JSON's
 * escaping (quotes, backslashes, control characters, lone surrogates), with double quotes unescaped and single ones
 * escaped for the house style, and the source hazards escaped too.
 */
export function quote(text: string): string {
  const json = JSON.stringify(String(text)).slice(1, -1);
  const single = json.replace(/\\[\s\S]|'/g, (m) => (m === "'" ? "\\'" : m === '\\"' ? '"' : m));
  return `'${single.replace(SOURCE_HAZARDS, unicodeEscape)}'`;
}

/**
 * Text for comments of the generated module, wrapped to `width`: each line is safe in a `//` comment and inside a
 * `/* … *\/` block. Line breaks of the text start new lines; other line terminators become spaces, source
 * hazards are shown escaped, and `*\/` is broken up.
 */
export function commentText(text: string, width: number): string[] {
  return wrap(String(text).replace(/\r\n?/g, '\n'), width).map((line) =>
    line
      .replace(/[\r\u0085\u2028\u2029]/g, ' ')
      .replace(SOURCE_HAZARDS, unicodeEscape)
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, unicodeEscape)
      .replace(/\*\//g, '* /'),
  );
}
