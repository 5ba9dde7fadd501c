/**
 * A crafted Educates YAML must not run code on the machine that imports it (issue 10, item 5). GIVEN the workshop
 * and portal fixtures with one string (or one key) at a time replaced by a hostile text — quotes, backticks, `${}`,
 * line breaks, U+2028/U+2029, `*\/`, escapes, bidirectional controls, a `'); process.exit(1); ('` — WHEN the
 * importer turns them into TypeScript, THEN the module parses without errors and the marker every hostile text
 * carries appears only inside string literals and comments, and those comments hold no line terminators. The
 * mutations are chosen by a seeded generator: the same ones every run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import ts from 'typescript';
import { parseAllDocuments, stringify } from 'yaml';

import { importEducates } from '../../src/importer/index.js';
import { quote } from '../../src/importer/literal.js';

const FIXTURES = path.resolve('test/fixtures/educates');
const MARKER = 'PWNED';

/** Hostile texts; each carries MARKER and at least one character that no identifier has. */
const PAYLOADS = [
  `'); process.exit(1); ('${MARKER}`,
  `"); process.exit(1); ("${MARKER}`,
  `\`; ${MARKER}(); \``,
  `\${${MARKER}()}`,
  `\n${MARKER}();\n`,
  `\r\n${MARKER}(); //`,
  `\u2028${MARKER}();`,
  `\u2029${MARKER}();`,
  `*/ ${MARKER}(); /*`,
  `\\u0027); ${MARKER}(); //`,
  `\\'); ${MARKER}(); //`,
  `\\`,
  `\u202e${MARKER}\u2066; //\u2069`,
  `\ud800${MARKER}'`,
  `${MARKER}\u0000\u001b]0;title\u0007`,
  `$(session_name)'); ${MARKER}(); ('`,
  `</script><!-- ${MARKER}`,
  `a: b\n${MARKER}: [c]`,
  `${'x'.repeat(300)}'); ${MARKER}();`,
  `lab-${MARKER}-\u2028`,
];

/** A small deterministic generator (mulberry32), so the mutations are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mutations per fixture: each import builds the workshop with the library, which takes a while. */
const PER_CASE = 60;

/** A seeded Fisher-Yates shuffle. */
function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

type Json = unknown;
type Step = string | number;

const documentsOf = (file: string): Json[] =>
  parseAllDocuments(fs.readFileSync(path.join(FIXTURES, file), 'utf8'))
    .map((d) => (d as { toJS(): Json }).toJS())
    .filter((d) => d != null);

/** Every string leaf and every mapping key, as paths into a list of documents. */
function targets(value: Json, at: Step[] = [], into: Array<{ path: Step[]; key: boolean }> = []) {
  if (typeof value === 'string') into.push({ path: at, key: false });
  else if (Array.isArray(value)) value.forEach((item, i) => targets(item, [...at, i], into));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.push({ path: [...at, key], key: true });
      targets(item, [...at, key], into);
    }
  }
  return into;
}

/** A copy of the documents with the string at `path` (or the key at `path`) replaced. */
function mutate(documents: Json[], target: { path: Step[]; key: boolean }, payload: string, keepOriginal: boolean): Json[] {
  const copy = structuredClone(documents) as any[];
  let parent: any = copy;
  for (const step of target.path.slice(0, -1)) parent = parent[step];
  const last = target.path[target.path.length - 1];
  if (target.key) {
    const entries = Object.entries(parent).map(([k, v]) => [k === last ? (keepOriginal ? `${k}${payload}` : payload) : k, v]);
    for (const k of Object.keys(parent)) delete parent[k];
    for (const [k, v] of entries) Object.defineProperty(parent, k as string, { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    parent[last] = keepOriginal ? `${parent[last]}${payload}` : payload;
  }
  return copy;
}

const toYaml = (documents: Json[]) => documents.map((d) => stringify(d)).join('---\n');

/** The ranges of the source that are string literals or comments. */
function literalAndCommentRanges(source: string, file: ts.SourceFile) {
  const strings: Array<[number, number]> = [];
  const comments: Array<[number, number]> = [];
  const seen = new Set<number>();
  const addComments = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.add(range.pos);
      comments.push([range.pos, range.end]);
    }
  };
  const visit = (node: ts.Node) => {
    addComments(ts.getLeadingCommentRanges(source, node.pos));
    addComments(ts.getTrailingCommentRanges(source, node.end));
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) strings.push([node.getStart(file), node.end]);
    node.forEachChild(visit);
  };
  visit(file);
  addComments(ts.getLeadingCommentRanges(source, file.endOfFileToken.pos));
  return { strings, comments };
}

/** Why the generated module is unsafe, or undefined when it is safe. */
function problemsOf(source: string): string[] {
  const problems: string[] = [];
  const transpiled = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  for (const d of transpiled.diagnostics ?? []) problems.push(`does not compile: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  const file = ts.createSourceFile('imported.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const { strings, comments } = literalAndCommentRanges(source, file);
  const inside = (at: number, ranges: Array<[number, number]>) => ranges.some(([start, end]) => at >= start && at + MARKER.length <= end);
  for (let at = source.indexOf(MARKER); at >= 0; at = source.indexOf(MARKER, at + 1)) {
    if (!inside(at, strings) && !inside(at, comments)) {
      const line = source.slice(source.lastIndexOf('\n', at) + 1, source.indexOf('\n', at));
      problems.push(`the marker is code at offset ${at}: ${JSON.stringify(line)}`);
    }
  }
  for (const [start, end] of comments) {
    const text = source.slice(start, end);
    if (/[\r\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text))
      problems.push(`a comment holds a line terminator or bidi control: ${JSON.stringify(text)}`);
    if (text.startsWith('/*') && text.slice(2, -2).includes('*/')) problems.push(`a block comment is closed early: ${JSON.stringify(text)}`);
  }
  // identifiers come from the importer's own alphabet
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(node.text)) problems.push(`identifier ${JSON.stringify(node.text)}`);
    node.forEachChild(visit);
  };
  visit(file);
  return problems;
}

/** Control characters, separators and bidi controls: what the CLI must not print from the input. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

interface Case {
  readonly name: string;
  readonly workshops: string[];
  readonly portal?: string;
}

const CASES: Case[] = [
  { name: 'hugo-lab', workshops: ['hugo-lab.yaml'] },
  { name: 'container-builds', workshops: ['container-builds.yaml'] },
  { name: 'shared-services', workshops: ['shared-services.yaml'] },
  { name: 'unsupported-features', workshops: ['unsupported-features.yaml'] },
  { name: 'one-file', workshops: ['one-file.yaml'] },
  { name: 'portal', workshops: ['hugo-lab.yaml', 'container-builds.yaml', 'shared-services.yaml'], portal: 'portal.yaml' },
];

describe('a crafted Educates YAML cannot inject code into the generated module', () => {
  const random = seeded(20261206);
  for (const testCase of CASES) {
    test(`fixture ${testCase.name}: strings and keys replaced by hostile text`, () => {
      const workshopDocs = testCase.workshops.flatMap(documentsOf);
      const portalDocs = testCase.portal ? documentsOf(testCase.portal) : [];
      // the portal case mutates only the portal; the workshops have cases of their own
      const mutated = testCase.portal ? portalDocs : workshopDocs;
      // a seeded sample of the strings and keys, each payload used in turn: bounded, and the same every run
      const all = shuffled(targets(mutated), random).slice(0, PER_CASE);
      let generated = 0;
      let refused = 0;
      const failures: string[] = [];
      all.forEach((target, index) => {
        const payload = PAYLOADS[index % PAYLOADS.length];
        // half of them appended to the original value, so that validation that looks at the start of a value
        // (names, URLs, quantities) lets more of them through
        const keep = random() < 0.5;
        const docs = mutate(mutated, target, payload, keep);
        const input = testCase.portal ? { workshopYaml: toYaml(workshopDocs), portalYaml: toYaml(docs) } : { workshopYaml: toYaml(docs) };
        let result: ReturnType<typeof importEducates>;
        try {
          result = importEducates(input);
        } catch (error) {
          // refusing the input is safe; it must be an ordinary error with a message
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).not.toBe('');
          refused++;
          return;
        }
        generated++;
        const where = `${target.key ? 'key' : 'value'} at ${JSON.stringify(target.path)} = ${JSON.stringify(payload)}${keep ? ' (appended)' : ''}`;
        for (const problem of problemsOf(result.source)) failures.push(`${where}: ${problem}`);
        for (const entry of result.unsupported) {
          for (const text of [entry.resource, entry.field, entry.value ?? '', entry.reason]) {
            if (UNPRINTABLE.test(text)) failures.push(`${where}: the report would print ${JSON.stringify(text)} to the terminal`);
          }
        }
      });
      expect(failures.slice(0, 10)).toEqual([]);
      // the fuzz is not vacuous: most mutations make it through to generated code
      expect(generated).toBeGreaterThan(refused);
      expect(generated + refused).toBe(Math.min(PER_CASE, targets(mutated).length));
    }, 300_000);
  }
});

describe('the attacks of issue 10 item 5, one by one', () => {
  const base = (spec: string) =>
    [
      'apiVersion: training.educates.dev/v1beta1',
      'kind: Workshop',
      'metadata:',
      '  name: lab-x',
      'spec:',
      '  title: X',
      '  description: X',
      spec,
    ].join('\n');

  /** The values of the string literals of a module, in order. */
  const stringValues = (source: string) => {
    const values: string[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteral(node)) values.push(node.text);
      node.forEachChild(visit);
    };
    visit(ts.createSourceFile('imported.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS));
    return values;
  };

  test('quote() gives back every hostile text unchanged when TypeScript reads the literal, on one line', () => {
    for (const text of [...PAYLOADS, 'a\\"b', "a\\'b", '\u2028\u2029\ud800x\udc00', '\u0000\u001f\u007f', 'é😀']) {
      const literal = quote(text);
      expect(literal).not.toMatch(/[\n\r\u2028\u2029]/);
      const file = ts.createSourceFile('q.ts', `const x = ${literal};`, ts.ScriptTarget.ES2022, true);
      const declaration = (file.statements[0] as ts.VariableStatement).declarationList.declarations[0];
      expect((declaration.initializer as ts.StringLiteral).text).toBe(text);
    }
  });

  test('an unknown kind and apiVersion with quotes and line breaks are string literals of registerKind, values unchanged', () => {
    const apiVersion = `x.example.com/v1', 'y'); ${MARKER}(); ('`;
    const kind = `Thing'); ${MARKER}();\n//`;
    const yaml = base(
      [
        '  session:',
        '    objects:',
        `    - apiVersion: ${JSON.stringify(apiVersion)}`,
        `      kind: ${JSON.stringify(kind)}`,
        '      metadata:',
        '        name: thing',
      ].join('\n'),
    );
    const { source } = importEducates({ workshopYaml: yaml });
    expect(problemsOf(source)).toEqual([]);
    expect(stringValues(source)).toEqual(expect.arrayContaining([apiVersion, kind]));
    expect(source).toContain("registerKind('x.example.com/v1\\', \\'y\\'); PWNED(); (\\'', 'Thing\\'); PWNED();\\n//', {");
  });

  test('duplicate object ids: the numbered id is made from the same safe alphabet as the first', () => {
    const name = `cm'); ${MARKER}(); ('`;
    const object = ['    - apiVersion: v1', '      kind: ConfigMap', '      metadata:', `        name: ${JSON.stringify(name)}`].join('\n');
    const { source } = importEducates({ workshopYaml: base(['  session:', '    objects:', object, object, object].join('\n')) });
    expect(problemsOf(source)).toEqual([]);
    const ids = [...source.matchAll(/new ApiObject\(labX\.session, '([^']*)'/g)].map((m) => m[1]);
    expect(ids).toEqual(['ConfigMap-cm-PWNED-', 'ConfigMap-cm-PWNED--2', 'ConfigMap-cm-PWNED--3']);
  });

  test('a U+2028 or U+2029 in a portal alias does not end the comment it appears in', () => {
    for (const separator of ['\u2028', '\u2029', '\r', '\n']) {
      const alias = `a-very-long-alias-that-needs-a-comment${separator}${MARKER}(); //`;
      const portal = [
        'apiVersion: training.educates.dev/v1beta1',
        'kind: TrainingPortal',
        'metadata:',
        '  name: labs',
        'spec:',
        '  workshops:',
        '  - name: lab-x',
        `    alias: ${JSON.stringify(alias)}`,
      ].join('\n');
      const { source } = importEducates({ workshopYaml: base(''), portalYaml: portal });
      expect(problemsOf(source)).toEqual([]);
      // the comment is there, and every line of it that carries the payload is a comment line
      expect(source).toContain("// 'labs-a-very-long-alias-that-needs-a-comment");
      const carrying = source.split('\n').filter((line) => line.includes(MARKER));
      expect(carrying.length).toBeGreaterThan(0);
      for (const line of carrying) expect(line).toMatch(/^\/\/ /);
    }
  });

  test('workshop names that are reserved words or globals become other identifiers', () => {
    for (const name of ['eval', 'arguments', 'undefined', 'let', 'await', 'yield', 'new', 'import', 'process', 'app', 'portal']) {
      const { source } = importEducates({ workshopYaml: base('').replace('name: lab-x', `name: ${name}`) });
      expect(problemsOf(source)).toEqual([]);
      expect(source).not.toMatch(new RegExp(`^const ${name} = new Workshop\\(`, 'm'));
      expect(source).toMatch(new RegExp(`^const ${name}Workshop = new Workshop\\(app, '${name}'`, 'm'));
    }
  });

  test('a key __proto__ stays a key of the object (a computed key) instead of setting its prototype', () => {
    const yaml = base(
      [
        '  session:',
        '    env:',
        '    - name: __proto__',
        '      value: polluted',
        '    objects:',
        '    - apiVersion: v1',
        '      kind: ConfigMap',
        '      metadata:',
        '        name: proto',
        '      data:',
        '        __proto__: polluted',
        '        other: kept',
      ].join('\n'),
    );
    const { source } = importEducates({ workshopYaml: yaml });
    expect(problemsOf(source)).toEqual([]);
    expect(source).toContain("env: { ['__proto__']: 'polluted' }");
    expect(source).toMatch(/data: \{ \['__proto__'\]: 'polluted', other: 'kept' \}/);
  });

  test("an unknown key holding '[' or '.' is reported, and the report's ordering ends (it looped forever)", () => {
    const { unsupported } = importEducates({ workshopYaml: base('  "x[y": 1\n  "a.b[": 2') });
    expect(unsupported.map((u) => u.field)).toEqual(['spec.x[y', 'spec.a.b[']);
  });

  test('the report printed by `workshops import` carries no terminal escape sequences of the input', () => {
    const { unsupported } = importEducates({ workshopYaml: base(`  logo: "\\e]52;c;aGVsbG8=\\a\\e[2J"`) });
    expect(unsupported).toEqual([expect.objectContaining({ field: 'spec.logo', value: '\\u001b]52;c;aGVsbG8=\\u0007\\u001b[2J' })]);
  });
});
