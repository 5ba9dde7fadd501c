// @ts-check
/**
 * The editor actions' arguments and text edits, without VS Code: what `extension.js` carries out in the editor.
 * Each edit is a function from the file's text to its new text, so the extension can apply just the changed part
 * (the learner sees it, and can undo it) and select what changed. Semantics follow Educates' documentation of its
 * clickable actions for the editor; the code is this project's own.
 */
'use strict';

const path = require('node:path');
const YAML = require('yaml');

/** A refusal with an HTTP status and a message for the learner. */
class ActionError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const bad = (/** @type {string} */ message) => new ActionError(400, 'bad_argument', message);
const notFound = (/** @type {string} */ message) => new ActionError(404, 'not_found', message);

/**
 * What each action takes: `text` is text (numbers and booleans count as their text), `line` a line number (from 1),
 * `count` a whole number from 0, `boolean`, `list`, `any`. Fields every action accepts (prefix, title, ...) and
 * fields Educates knows but this editor ignores pass unchecked.
 * @type {Record<string, { required: string[], fields: Record<string, 'text' | 'line' | 'count' | 'boolean' | 'list' | 'any'> }>}
 */
const ACTIONS = {
  'open-file': { required: ['file'], fields: { file: 'text', line: 'line' } },
  'select-matching-text': {
    required: ['file', 'text'],
    fields: { file: 'text', text: 'text', isRegex: 'boolean', group: 'count', before: 'count', after: 'count', start: 'line', stop: 'line' },
  },
  'replace-text-selection': { required: ['file', 'text'], fields: { file: 'text', text: 'text' } },
  'append-lines-to-file': { required: ['file', 'text'], fields: { file: 'text', text: 'text' } },
  'insert-lines-before-line': { required: ['file', 'line', 'text'], fields: { file: 'text', line: 'line', text: 'text' } },
  'append-lines-after-match': { required: ['file', 'match', 'text'], fields: { file: 'text', match: 'text', text: 'text' } },
  'insert-value-into-yaml': { required: ['file', 'path', 'value'], fields: { file: 'text', path: 'text', value: 'any' } },
  'execute-command': { required: ['command'], fields: { command: 'text', args: 'list' } },
};

/** @param {unknown} value */
function describe(value) {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/**
 * The arguments of `editor:<name>`, checked: a copy with text fields as strings. Throws an ActionError naming the
 * field, the value and what is allowed.
 * @param {string} name the action without its `editor:` prefix
 * @param {unknown} args
 * @returns {Record<string, any>}
 */
function checkArgs(name, args) {
  const spec = ACTIONS[name];
  if (!spec) throw notFound(`the editor has no action 'editor:${name}' (it has ${Object.keys(ACTIONS).map((n) => `editor:${n}`).join(', ')})`);
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw bad(`the arguments of editor:${name} must be a mapping of fields, got ${describe(args)}`);
  /** @type {Record<string, any>} */
  const out = { ...args };
  for (const field of spec.required) {
    const value = out[field];
    if (value === undefined || value === null || value === '') throw bad(`editor:${name} needs '${field}' (${Object.keys(spec.fields).join(', ')}), got ${describe(value)}`);
  }
  for (const [field, kind] of Object.entries(spec.fields)) {
    const value = out[field];
    if (value === undefined || value === null) continue;
    const wrong = (/** @type {string} */ allowed) => bad(`editor:${name}: '${field}' must be ${allowed}, got ${describe(value)}`);
    switch (kind) {
      case 'text':
        if (!['string', 'number', 'boolean'].includes(typeof value)) throw wrong('text');
        out[field] = String(value);
        break;
      case 'line':
        if (!Number.isInteger(value) || value < 1) throw wrong('a line number (a whole number from 1)');
        break;
      case 'count':
        if (!Number.isInteger(value) || value < 0) throw wrong('a whole number from 0');
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw wrong('true or false');
        break;
      case 'list':
        if (!Array.isArray(value)) throw wrong('a list');
        break;
      default:
        break;
    }
  }
  if (out.start !== undefined && out.stop !== undefined && out.stop <= out.start) {
    throw bad(`editor:${name}: 'stop' (${out.stop}) must be after 'start' (${out.start}): the lines searched are start up to, not including, stop`);
  }
  return out;
}

/**
 * The file an action names: `~` and `~/...` are in the home directory, a relative path is relative to it, an
 * absolute path stays as it is (the editor runs as the learner, with the learner's rights).
 * @param {string} file @param {string} home
 */
function resolveFile(file, home) {
  if (file.includes('\0')) throw bad(`'file' must be a path, got ${describe(file)}`);
  if (file === '~') return home;
  if (file.startsWith('~/')) return path.join(home, file.slice(2));
  return path.resolve(home, file);
}

/** Offsets where each line starts; a text ending with a newline has an empty last line. @param {string} text */
function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** The number of lines as a learner counts them: a final newline ends a line, it does not start one. @param {string} text */
function countLines(text) {
  if (text === '') return 0;
  return lineStarts(text).length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * Where `select-matching-text` selects: the first match on one line, from `start` up to (not including) `stop`;
 * with `before` or `after`, whole lines around the matching one. Offsets into the text, end exclusive.
 * @param {string} text @param {Record<string, any>} args
 * @returns {{ start: number, end: number, line: number }}
 */
function findMatch(text, args) {
  const starts = lineStarts(text);
  const lines = text.split('\n');
  const first = (args.start ?? 1) - 1;
  const stop = Math.min(lines.length, (args.stop ?? lines.length + 1) - 1);
  /** @type {RegExp | undefined} */
  let pattern;
  if (args.isRegex) {
    try {
      pattern = new RegExp(args.text, 'd');
    } catch (error) {
      throw bad(`'text' is not a valid regular expression: ${/** @type {Error} */ (error).message}`);
    }
  }
  for (let i = first; i < stop; i++) {
    const line = lines[i].replace(/\r$/, '');
    let from;
    let to;
    if (pattern) {
      const m = pattern.exec(line);
      if (!m) continue;
      const group = args.group ?? 0;
      if (group >= m.length) throw bad(`'group' (${group}) must name a group of the expression, which has ${m.length - 1}`);
      const at = /** @type {any} */ (m).indices[group];
      if (!at) continue; // that group took no part in this match
      [from, to] = at;
    } else {
      from = line.indexOf(args.text);
      if (from < 0) continue;
      to = from + args.text.length;
    }
    if (args.before !== undefined || args.after !== undefined) {
      const top = Math.max(0, i - (args.before ?? 0));
      const bottom = Math.min(lines.length - 1, i + (args.after ?? 0));
      return { start: starts[top], end: starts[bottom] + lines[bottom].replace(/\r$/, '').length, line: i + 1 };
    }
    return { start: starts[i] + from, end: starts[i] + to, line: i + 1 };
  }
  const where = args.start !== undefined || args.stop !== undefined ? ` between lines ${first + 1} and ${stop}` : '';
  throw notFound(`${args.isRegex ? 'nothing matches' : 'the text'} ${JSON.stringify(args.text)} ${args.isRegex ? 'in' : 'is not in'} ${args.file}${where}`);
}

/** The text as whole lines: ends with a newline. @param {string} text */
const asLines = (text) => (text.endsWith('\n') ? text : `${text}\n`);

/** `append-lines-to-file`: the lines at the end, on a line of their own. @param {string} old @param {string} text */
function appendLines(old, text) {
  if (old === '') return asLines(text);
  return `${old.endsWith('\n') ? old : `${old}\n`}${asLines(text)}`;
}

/**
 * `insert-lines-before-line`: the lines before line `line` (from 1); one past the last line appends.
 * @param {string} old @param {number} line @param {string} text @param {string} file
 */
function insertLinesBeforeLine(old, line, text, file) {
  const count = countLines(old);
  if (line > count + 1) throw bad(`'line' (${line}) is past the end of ${file}, which has ${count} line${count === 1 ? '' : 's'}: use a line from 1 to ${count + 1}`);
  if (line === count + 1) return appendLines(old, text);
  const at = lineStarts(old)[line - 1];
  return old.slice(0, at) + asLines(text) + old.slice(at);
}

/**
 * `append-lines-after-match`: the lines after the first line that contains `match`.
 * @param {string} old @param {string} match @param {string} text @param {string} file
 */
function appendLinesAfterMatch(old, match, text, file) {
  const lines = old.split('\n');
  const index = lines.findIndex((line) => line.includes(match));
  if (index < 0) throw notFound(`no line of ${file} contains ${JSON.stringify(match)}`);
  const starts = lineStarts(old);
  if (index + 1 >= starts.length) return `${old}\n${asLines(text)}`; // the match is on a last line without a newline
  const at = starts[index + 1];
  return old.slice(0, at) + asLines(text) + old.slice(at);
}

/**
 * A YAML path as Educates writes it: keys separated by dots, list items by `[n]` (`spec.containers[0].env`,
 * also `containers.[0]` and `containers.0`).
 * @param {string} text
 * @returns {(string | number)[]}
 */
function parseYamlPath(text) {
  /** @type {(string | number)[]} */
  const keys = [];
  for (const part of text.split('.')) {
    if (part === '') throw bad(`'path' (${JSON.stringify(text)}) has an empty key: write keys separated by single dots, e.g. spec.template.spec.containers[0]`);
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw bad(`'path' (${JSON.stringify(text)}): '${part}' is not a key or a key followed by [index]`);
    if (m[1] !== '') keys.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const index of m[2].match(/\d+/g) ?? []) keys.push(Number(index));
  }
  return keys;
}

/** Whether the file indents list items under their key (`key:\n  - a`) or not (`key:\n- a`). @param {string} text */
function indentsSequences(text) {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\n(?:[ \t]*#[^\n]*\n)*( *)- /m.exec(text);
  return m ? m[2].length > m[1].length : true;
}

/**
 * `insert-value-into-yaml`: adds `value` at `path`: the items of a list value to a list, the fields of a mapping
 * value to a mapping; a path whose last key is missing gets the value. Comments and the rest of the file stay.
 * @param {string} old @param {string} yamlPath @param {unknown} value @param {string} file
 */
function insertValueIntoYaml(old, yamlPath, value, file) {
  const doc = YAML.parseDocument(old, { keepSourceTokens: false });
  if (doc.errors.length) throw bad(`${file} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const keys = parseYamlPath(yamlPath);
  /** @type {any} */
  let node = doc.contents;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const here = keys.slice(0, i).join('.') || 'the top';
    if (YAML.isSeq(node)) {
      if (typeof key !== 'number') throw notFound(`'path' ${yamlPath}: ${here} is a list, so '${key}' must be an index like [0]`);
      if (key >= node.items.length) throw notFound(`'path' ${yamlPath}: the list at ${here} has ${node.items.length} item(s), so there is no [${key}]`);
      node = node.items[key];
    } else if (YAML.isMap(node)) {
      const next = node.get(String(key), true);
      if (next === undefined) {
        if (i === keys.length - 1) {
          node.set(String(key), doc.createNode(value));
          return render(doc, old);
        }
        throw notFound(`'path' ${yamlPath}: ${file} has no '${key}' in ${here}`);
      }
      node = next;
    } else if (node === null || node === undefined) {
      if (i === 0 && typeof key === 'string') {
        doc.contents = /** @type {any} */ (doc.createNode({ [key]: value }));
        return render(doc, old);
      }
      throw notFound(`'path' ${yamlPath}: ${here} is empty`);
    } else {
      throw notFound(`'path' ${yamlPath}: ${here} is a single value, not a mapping or a list`);
    }
  }
  if (YAML.isSeq(node)) {
    for (const item of Array.isArray(value) ? value : [value]) node.add(doc.createNode(item));
  } else if (YAML.isMap(node)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw bad(`'value' must be a mapping to add to the mapping at ${yamlPath || 'the top'} of ${file}, got ${describe(value)}`);
    }
    for (const [key, item] of Object.entries(value)) node.set(key, doc.createNode(item));
  } else if ((node === null || node === undefined) && keys.length === 0) {
    doc.contents = /** @type {any} */ (doc.createNode(value));
  } else {
    throw bad(`'path' ${yamlPath} of ${file} is a single value (${describe(node && node.toJSON ? node.toJSON() : node)}): 'value' can be added to a mapping or a list only`);
  }
  return render(doc, old);
}

/** @param {YAML.Document} doc @param {string} old */
function render(doc, old) {
  return doc.toString({ indentSeq: indentsSequences(old), lineWidth: 0 });
}

/**
 * The part of `old` that `neu` changes: a common start and end kept, offsets of the changed middle in each.
 * @param {string} old @param {string} neu
 */
function changedRange(old, neu) {
  let start = 0;
  const max = Math.min(old.length, neu.length);
  while (start < max && old[start] === neu[start]) start++;
  let tail = 0;
  while (tail < max - start && old[old.length - 1 - tail] === neu[neu.length - 1 - tail]) tail++;
  return { start, oldEnd: old.length - tail, newEnd: neu.length - tail };
}

module.exports = {
  ACTIONS,
  ActionError,
  checkArgs,
  resolveFile,
  findMatch,
  appendLines,
  insertLinesBeforeLine,
  appendLinesAfterMatch,
  insertValueIntoYaml,
  parseYamlPath,
  changedRange,
  countLines,
};
