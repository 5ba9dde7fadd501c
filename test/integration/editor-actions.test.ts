/**
 * The editor actions' arguments and edits (src/editor-extension/actions.js, what the extension applies inside the
 * editor), one case per rule of Educates' documentation; editor.test.ts clicks them for real in Chromium. Bad
 * arguments are refused with the field, the value and what is allowed.
 */
import { createRequire } from 'node:module';

interface Actions {
  checkArgs(name: string, args: unknown): Record<string, unknown>;
  resolveFile(file: string, home: string): string;
  findMatch(text: string, args: Record<string, unknown>): { start: number; end: number; line: number };
  appendLines(old: string, text: string): string;
  insertLinesBeforeLine(old: string, line: number, text: string, file: string): string;
  appendLinesAfterMatch(old: string, match: string, text: string, file: string): string;
  insertValueIntoYaml(old: string, path: string, value: unknown, file: string): string;
  parseYamlPath(path: string): (string | number)[];
  changedRange(old: string, neu: string): { start: number; oldEnd: number; newEnd: number };
}
const actions = createRequire(import.meta.url)('../../src/editor-extension/actions.js') as Actions;

const TEXT = ['alpha', 'int main() {', '  image: nginx:latest', 'beta', 'image: redis:7', ''].join('\n');
const selected = (args: Record<string, unknown>) => {
  const m = actions.findMatch(TEXT, { file: 'f', ...args });
  return TEXT.slice(m.start, m.end);
};

describe('arguments', () => {
  test.each([
    ['open-file', { file: '~/a', line: 0 }, "editor:open-file: 'line' must be a line number (a whole number from 1), got 0"],
    ['open-file', { file: '~/a', line: 2.5 }, "editor:open-file: 'line' must be a line number (a whole number from 1), got 2.5"],
    ['open-file', { line: 2 }, "editor:open-file needs 'file' (file, line), got nothing"],
    ['open-file', { file: ['a'] }, "editor:open-file: 'file' must be text, got a list"],
    ['select-matching-text', { file: 'a', text: 'x', isRegex: 'yes' }, 'editor:select-matching-text: \'isRegex\' must be true or false, got "yes"'],
    ['select-matching-text', { file: 'a', text: 'x', before: -1 }, "editor:select-matching-text: 'before' must be a whole number from 0, got -1"],
    [
      'select-matching-text',
      { file: 'a', text: 'x', start: 5, stop: 5 },
      "editor:select-matching-text: 'stop' (5) must be after 'start' (5): the lines searched are start up to, not including, stop",
    ],
    ['insert-value-into-yaml', { file: 'a', value: 1 }, "editor:insert-value-into-yaml needs 'path' (file, path, value), got nothing"],
    ['execute-command', { command: 'x', args: 'a' }, 'editor:execute-command: \'args\' must be a list, got "a"'],
    ['rename-file', { file: 'a' }, "the editor has no action 'editor:rename-file'"],
    ['open-file', ['a'], 'the arguments of editor:open-file must be a mapping of fields, got a list'],
  ])('editor:%s %j is refused', (name, args, message) => {
    expect(() => actions.checkArgs(name, args)).toThrow(message);
  });

  test('text fields take numbers and booleans as their text; unknown and common fields pass', () => {
    expect(actions.checkArgs('replace-text-selection', { file: 'a', text: 8080, title: 'T', extra: 1 })).toEqual({
      file: 'a',
      text: '8080',
      title: 'T',
      extra: 1,
    });
  });

  test('files: ~ and relative paths are in the home directory, absolute ones stay', () => {
    expect(actions.resolveFile('~/exercises/a.txt', '/home/workshop')).toBe('/home/workshop/exercises/a.txt');
    expect(actions.resolveFile('exercises/a.txt', '/home/workshop')).toBe('/home/workshop/exercises/a.txt');
    expect(actions.resolveFile('~', '/home/workshop')).toBe('/home/workshop');
    expect(actions.resolveFile('/etc/hosts', '/home/workshop')).toBe('/etc/hosts');
  });
});

describe('select-matching-text', () => {
  test('the first exact match; a regular expression; its group', () => {
    expect(selected({ text: 'image:' })).toBe('image:');
    expect(actions.findMatch(TEXT, { file: 'f', text: 'image:' }).line).toBe(3);
    expect(selected({ text: 'image: (.*)', isRegex: true })).toBe('image: nginx:latest');
    expect(selected({ text: 'image: (\\w+):(.*)', isRegex: true, group: 2 })).toBe('latest');
  });

  test('before/after select whole lines around the match; both 0 the whole matching line', () => {
    expect(selected({ text: 'main', before: 0, after: 0 })).toBe('int main() {');
    expect(selected({ text: 'main', before: 1, after: 1 })).toBe('alpha\nint main() {\n  image: nginx:latest');
    expect(selected({ text: 'alpha', before: 5 })).toBe('alpha');
  });

  test('start/stop: from line start up to, not including, line stop', () => {
    expect(actions.findMatch(TEXT, { file: 'f', text: 'image', start: 4 }).line).toBe(5);
    expect(() => actions.findMatch(TEXT, { file: '~/f', text: 'image', start: 4, stop: 5 })).toThrow(
      'the text "image" is not in ~/f between lines 4 and 4',
    );
  });

  test('nothing found, a bad expression or group: clear refusals', () => {
    expect(() => actions.findMatch(TEXT, { file: '~/f', text: 'gamma' })).toThrow('the text "gamma" is not in ~/f');
    expect(() => actions.findMatch(TEXT, { file: '~/f', text: 'x(', isRegex: true })).toThrow("'text' is not a valid regular expression");
    expect(() => actions.findMatch(TEXT, { file: '~/f', text: 'image', isRegex: true, group: 1 })).toThrow(
      "'group' (1) must name a group of the expression, which has 0",
    );
    expect(() => actions.findMatch(TEXT, { file: '~/f', text: 'gam+a', isRegex: true })).toThrow('nothing matches "gam+a" in ~/f');
  });
});

describe('line edits', () => {
  test('append-lines-to-file: on a line of its own, ending with a newline; an empty file gets just the lines', () => {
    expect(actions.appendLines('a\n', 'b')).toBe('a\nb\n');
    expect(actions.appendLines('a', 'b\nc\n')).toBe('a\nb\nc\n');
    expect(actions.appendLines('', 'b')).toBe('b\n');
  });

  test('insert-lines-before-line: before line N; N one past the end appends; further is refused', () => {
    expect(actions.insertLinesBeforeLine('a\nb\n', 1, 'x', 'f')).toBe('x\na\nb\n');
    expect(actions.insertLinesBeforeLine('a\nb\n', 2, 'x\n', 'f')).toBe('a\nx\nb\n');
    expect(actions.insertLinesBeforeLine('a\nb', 3, 'x', 'f')).toBe('a\nb\nx\n');
    expect(() => actions.insertLinesBeforeLine('a\nb\n', 4, 'x', '~/f')).toThrow(
      "'line' (4) is past the end of ~/f, which has 2 lines: use a line from 1 to 3",
    );
  });

  test('append-lines-after-match: after the first line containing the text', () => {
    expect(actions.appendLinesAfterMatch('a\nb\nb\n', 'b', 'x', 'f')).toBe('a\nb\nx\nb\n');
    expect(actions.appendLinesAfterMatch('a\nb', 'b', 'x', 'f')).toBe('a\nb\nx\n');
    expect(() => actions.appendLinesAfterMatch('a\n', 'zz', 'x', '~/f')).toThrow('no line of ~/f contains "zz"');
  });

  test('the changed part only is replaced in the editor', () => {
    expect(actions.changedRange('a\nb\n', 'a\nx\nb\n')).toEqual({ start: 2, oldEnd: 2, newEnd: 4 });
    expect(actions.changedRange('same', 'same')).toEqual({ start: 4, oldEnd: 4, newEnd: 4 });
  });
});

describe('insert-value-into-yaml', () => {
  const DEPLOYMENT = [
    '# a deployment',
    'spec:',
    '  replicas: 1',
    '  template:',
    '    spec:',
    '      containers:',
    '      - name: web # the app',
    '        image: nginx',
    '',
  ].join('\n');

  test('a list value adds items to a list; a mapping adds fields to a mapping; comments and style stay', () => {
    const withItem = actions.insertValueIntoYaml(DEPLOYMENT, 'spec.template.spec.containers', [{ name: 'side', image: 'busybox' }], 'f');
    expect(withItem).toBe(DEPLOYMENT + '      - name: side\n        image: busybox\n');
    const withField = actions.insertValueIntoYaml(DEPLOYMENT, 'spec.template.spec.containers[0]', { ports: [{ containerPort: 80 }] }, 'f');
    // the file writes list items level with their key: so do the new ones
    expect(withField).toBe(DEPLOYMENT + '        ports:\n        - containerPort: 80\n');
  });

  test('paths: [n], .[n] and .n index lists; a missing last key is set; the top level with an empty path', () => {
    expect(actions.parseYamlPath('spec.containers[0].env')).toEqual(['spec', 'containers', 0, 'env']);
    expect(actions.parseYamlPath('spec.containers.[1]')).toEqual(['spec', 'containers', 1]);
    expect(actions.parseYamlPath('items.0')).toEqual(['items', 0]);
    expect(actions.insertValueIntoYaml('spec:\n  replicas: 1\n', 'spec.paused', true, 'f')).toBe('spec:\n  replicas: 1\n  paused: true\n');
    expect(actions.insertValueIntoYaml('', 'spec', { replicas: 2 }, 'f')).toBe('spec:\n  replicas: 2\n');
  });

  test('a path through nothing or a single value, a value that cannot be added, or broken YAML: clear refusals', () => {
    expect(() => actions.insertValueIntoYaml(DEPLOYMENT, 'spec.selector.matchLabels', { a: 'b' }, '~/d.yaml')).toThrow(
      "'path' spec.selector.matchLabels: ~/d.yaml has no 'selector' in spec",
    );
    expect(() => actions.insertValueIntoYaml(DEPLOYMENT, 'spec.replicas', { a: 1 }, '~/d.yaml')).toThrow(
      "'path' spec.replicas of ~/d.yaml is a single value (1): 'value' can be added to a mapping or a list only",
    );
    expect(() => actions.insertValueIntoYaml(DEPLOYMENT, 'spec.template.spec.containers[3]', { a: 1 }, '~/d.yaml')).toThrow(
      'the list at spec.template.spec.containers has 1 item(s), so there is no [3]',
    );
    expect(() => actions.insertValueIntoYaml(DEPLOYMENT, 'spec.template', ['x'], '~/d.yaml')).toThrow(
      "'value' must be a mapping to add to the mapping at spec.template of ~/d.yaml, got a list",
    );
    expect(() => actions.insertValueIntoYaml('a: [1\n', 'a', [2], '~/d.yaml')).toThrow('~/d.yaml is not valid YAML');
    expect(() => actions.insertValueIntoYaml(DEPLOYMENT, 'spec..template', {}, '~/d.yaml')).toThrow('has an empty key');
  });
});
