/**
 * The clickable actions instructions may contain (Educates' names and fields), what each needs, and what the
 * learner reads on it before clicking. Hosts attach behaviour by `data-action`; this module only describes.
 */
import { stringify } from 'yaml';

/** What a field's value may be. `terminal` is a terminal session: a name or number. `count` allows `.inf`. */
export type FieldKind = 'text' | 'whole-number' | 'count' | 'boolean' | 'terminal' | 'list' | 'any';

export type ActionArgs = Readonly<Record<string, unknown>>;

/** The learner-facing face of an action: "prefix: title", and a body shown preformatted. */
export interface ActionFace {
  readonly title: string;
  readonly body?: string;
}

export interface ActionSpec {
  readonly name: string;
  /** A symbol shown before the prefix; decorative (hidden from screen readers). */
  readonly icon: string;
  /** The default prefix of the heading (Educates lets authors override it with `prefix`). */
  readonly prefix: string;
  readonly fields: Readonly<Record<string, FieldKind>>;
  readonly required: readonly string[];
  face(args: ActionArgs): ActionFace;
}

/** Fields every action accepts: Educates' overrides of the heading and body, and presentation hints. */
export const COMMON_FIELDS: Readonly<Record<string, FieldKind>> = {
  prefix: 'text',
  title: 'text',
  description: 'text',
  hidden: 'boolean',
  cooldown: 'any',
};

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const terminal = (args: ActionArgs) => text(args.session ?? 1);

const ACTIONS: readonly ActionSpec[] = [
  {
    name: 'terminal:execute',
    icon: '▶',
    prefix: 'Terminal',
    required: ['command'],
    fields: { command: 'text', session: 'terminal', clear: 'boolean' },
    face: (args) => ({ title: `Run in terminal ${terminal(args)}${args.clear === true ? ' after clearing it' : ''}`, body: text(args.command) }),
  },
  {
    name: 'terminal:execute-all',
    icon: '▶',
    prefix: 'Terminal',
    required: ['command'],
    fields: { command: 'text', clear: 'boolean' },
    face: (args) => ({ title: `Run in every terminal${args.clear === true ? ' after clearing them' : ''}`, body: text(args.command) }),
  },
  {
    name: 'terminal:input',
    icon: '⌨',
    prefix: 'Terminal',
    required: ['text'],
    fields: { text: 'text', session: 'terminal', endl: 'boolean' },
    face: (args) => ({ title: `Type into terminal ${terminal(args)}${args.endl === false ? ' without pressing Enter' : ''}`, body: text(args.text) }),
  },
  {
    name: 'terminal:interrupt',
    icon: '■',
    prefix: 'Terminal',
    required: [],
    fields: { session: 'terminal' },
    face: (args) => ({ title: `Interrupt the command in terminal ${terminal(args)} (Ctrl+C)` }),
  },
  {
    name: 'terminal:interrupt-all',
    icon: '■',
    prefix: 'Terminal',
    required: [],
    fields: {},
    face: () => ({ title: 'Interrupt the commands in every terminal (Ctrl+C)' }),
  },
  {
    name: 'terminal:clear',
    icon: '⌫',
    prefix: 'Terminal',
    required: [],
    fields: { session: 'terminal' },
    face: (args) => ({ title: `Clear terminal ${terminal(args)}` }),
  },
  {
    name: 'terminal:clear-all',
    icon: '⌫',
    prefix: 'Terminal',
    required: [],
    fields: {},
    face: () => ({ title: 'Clear every terminal' }),
  },
  {
    name: 'terminal:select',
    icon: '▣',
    prefix: 'Terminal',
    required: [],
    fields: { session: 'terminal' },
    face: (args) => ({ title: `Switch to terminal ${terminal(args)}` }),
  },
  {
    name: 'workshop:copy',
    icon: '❐',
    prefix: 'Copy',
    required: ['text'],
    fields: { text: 'text' },
    face: (args) => ({ title: 'Copy to the clipboard', body: text(args.text) }),
  },
  {
    name: 'workshop:copy-and-edit',
    icon: '✎',
    prefix: 'Copy',
    required: ['text'],
    fields: { text: 'text' },
    face: (args) => ({ title: 'Copy to the clipboard, then change it before use', body: text(args.text) }),
  },
  {
    name: 'dashboard:open-dashboard',
    icon: '◫',
    prefix: 'Dashboard',
    required: ['name'],
    fields: { name: 'text' },
    face: (args) => ({ title: `Open the ${text(args.name)} tab` }),
  },
  {
    name: 'dashboard:create-dashboard',
    icon: '◫',
    prefix: 'Dashboard',
    required: ['name', 'url'],
    fields: { name: 'text', url: 'text' },
    face: (args) => ({ title: `Open a new tab ${text(args.name)}`, body: text(args.url) }),
  },
  {
    name: 'dashboard:reload-dashboard',
    icon: '↻',
    prefix: 'Dashboard',
    required: ['name'],
    fields: { name: 'text', url: 'text' },
    face: (args) => ({ title: `Reload the ${text(args.name)} tab`, body: args.url === undefined ? undefined : text(args.url) }),
  },
  {
    name: 'dashboard:delete-dashboard',
    icon: '✕',
    prefix: 'Dashboard',
    required: ['name'],
    fields: { name: 'text' },
    face: (args) => ({ title: `Close the ${text(args.name)} tab` }),
  },
  {
    name: 'dashboard:open-url',
    icon: '↗',
    prefix: 'Link',
    required: ['url'],
    fields: { url: 'text' },
    face: (args) => ({ title: 'Open in a new browser tab', body: text(args.url) }),
  },
  {
    name: 'editor:open-file',
    icon: '✎',
    prefix: 'Editor',
    required: ['file'],
    fields: { file: 'text', line: 'whole-number' },
    face: (args) => ({ title: `Open ${text(args.file)}${args.line === undefined ? '' : ` at line ${text(args.line)}`}` }),
  },
  {
    name: 'editor:select-matching-text',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'text'],
    fields: {
      file: 'text',
      text: 'text',
      isRegex: 'boolean',
      group: 'whole-number',
      before: 'whole-number',
      after: 'whole-number',
      start: 'whole-number',
      stop: 'whole-number',
    },
    face: (args) => ({ title: `Select ${args.isRegex === true ? 'what matches' : 'the text'} in ${text(args.file)}`, body: text(args.text) }),
  },
  {
    name: 'editor:replace-text-selection',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'text'],
    fields: { file: 'text', text: 'text' },
    face: (args) => ({ title: `Replace the selected text in ${text(args.file)} with`, body: text(args.text) }),
  },
  {
    name: 'editor:append-lines-to-file',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'text'],
    fields: { file: 'text', text: 'text' },
    face: (args) => ({ title: `Add to the end of ${text(args.file)}`, body: text(args.text) }),
  },
  {
    name: 'editor:insert-lines-before-line',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'line', 'text'],
    fields: { file: 'text', line: 'whole-number', text: 'text' },
    face: (args) => ({ title: `Insert before line ${text(args.line)} of ${text(args.file)}`, body: text(args.text) }),
  },
  {
    name: 'editor:append-lines-after-match',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'match', 'text'],
    fields: { file: 'text', match: 'text', text: 'text' },
    face: (args) => ({ title: `Insert after the line with “${text(args.match)}” in ${text(args.file)}`, body: text(args.text) }),
  },
  {
    name: 'editor:insert-value-into-yaml',
    icon: '✎',
    prefix: 'Editor',
    required: ['file', 'path', 'value'],
    fields: { file: 'text', path: 'text', value: 'any' },
    face: (args) => ({ title: `Add to ${text(args.path)} in ${text(args.file)}`, body: stringify(args.value).trimEnd() }),
  },
  {
    name: 'editor:execute-command',
    icon: '⚙',
    prefix: 'Editor',
    required: ['command'],
    fields: { command: 'text', args: 'list' },
    face: (args) => ({
      title: `Run the editor command ${text(args.command)}`,
      body: args.args === undefined ? undefined : stringify(args.args).trimEnd(),
    }),
  },
  {
    name: 'files:download-file',
    icon: '⤓',
    prefix: 'Files',
    required: ['path'],
    fields: { path: 'text', download: 'text' },
    face: (args) => ({ title: `Download ${text(args.path)}` }),
  },
  {
    name: 'files:upload-file',
    icon: '⤒',
    prefix: 'Files',
    required: ['path'],
    fields: { path: 'text' },
    face: (args) => ({ title: `Upload a file as ${text(args.path)}` }),
  },
  {
    name: 'files:upload-files',
    icon: '⤒',
    prefix: 'Files',
    required: [],
    fields: { directory: 'text', path: 'text' },
    face: (args) => ({ title: (args.directory ?? args.path) ? `Upload files into ${text(args.directory ?? args.path)}` : 'Upload files' }),
  },
  {
    name: 'examiner:execute-test',
    icon: '✓',
    prefix: 'Check',
    required: ['name'],
    fields: {
      name: 'text',
      args: 'list',
      timeout: 'count',
      retries: 'count',
      delay: 'count',
      autostart: 'boolean',
      cascade: 'boolean',
      inputs: 'any',
    },
    face: (args) => ({ title: `Run the check ${text(args.name)}` }),
  },
  {
    name: 'section:begin',
    icon: '▸',
    prefix: 'Section',
    required: [],
    fields: { name: 'text' },
    face: () => ({ title: '' }),
  },
  {
    name: 'section:end',
    icon: '',
    prefix: '',
    required: [],
    fields: { name: 'text' },
    face: () => ({ title: '' }),
  },
  {
    name: 'section:heading',
    icon: '▸',
    prefix: 'Section',
    required: [],
    fields: {},
    face: () => ({ title: '' }),
  },
];

const BY_NAME: ReadonlyMap<string, ActionSpec> = new Map(ACTIONS.map((spec) => [spec.name, spec]));

/** The action called `name`, if there is one. */
export function actionSpec(name: string): ActionSpec | undefined {
  return BY_NAME.get(name);
}

/** Every action name, for "did you mean" and documentation. */
export const ACTION_NAMES: readonly string[] = ACTIONS.map((spec) => spec.name);

/**
 * Fence info strings of Educates' older syntax, whose body is the text itself rather than YAML: `execute`,
 * `execute-2`, `execute-all`, `copy`, `copy-and-edit`. They render as the namespaced action they stand for.
 */
export function legacyAction(info: string, body: string): { name: string; args: Record<string, unknown> } | undefined {
  const value = body.trim();
  const terminalMatch = /^execute(?:-(\d+|all))?$/.exec(info);
  if (terminalMatch) {
    const target = terminalMatch[1];
    if (value === '<ctrl+c>')
      return target === 'all' ? { name: 'terminal:interrupt-all', args: {} } : { name: 'terminal:interrupt', args: { session: target ?? '1' } };
    return target === 'all'
      ? { name: 'terminal:execute-all', args: { command: value } }
      : { name: 'terminal:execute', args: { command: value, session: target ?? '1' } };
  }
  if (info === 'copy') return { name: 'workshop:copy', args: { text: value } };
  if (info === 'copy-and-edit') return { name: 'workshop:copy-and-edit', args: { text: value } };
  return undefined;
}
