import { type ImportedName, importsOf } from './code.js';
import { commentText, printLiteral, quote } from './literal.js';
import type { PortalModel, Statement, WorkshopModel } from './model.js';
import type { ImportTodo, UnsupportedField } from './types.js';

export interface ModuleModel {
  readonly sourceName?: string;
  readonly workshops: WorkshopModel[];
  readonly portals: PortalModel[];
  readonly unsupported: UnsupportedField[];
  /** Steps to take before deploying. */
  readonly todo: readonly ImportTodo[];
  /** Workshops no portal lists, by name. */
  readonly unlisted: string[];
}

const WIDTH = 120;

/** The generated TypeScript module: header, imports, then one block per workshop and per portal. */
export function emitModule(module: ModuleModel): string {
  const body: string[] = [];
  const kinds = [...new Map(module.workshops.flatMap((w) => w.kinds).map((k) => [printLiteral(k), k])).values()];
  if (kinds.length) {
    body.push("// Kinds the library does not know, with guessed resource names and scopes: check them against the cluster's CRDs.");
    for (const kind of kinds) body.push(`${printLiteral(kind)};`);
    body.push('');
  }
  body.push('const app = new WorkshopApp();', '');
  for (const workshop of module.workshops) {
    body.push(
      ...comment(
        `Educates Workshop '${workshop.name}'${module.unlisted.includes(workshop.name) ? ' (no portal lists it, so nothing is synthesized for it)' : ''}`,
        '',
      ),
    );
    body.push(`const ${workshop.variable} = new Workshop(app, ${quote(workshop.name)}, ${printLiteral(workshop.props)});`);
    for (const statement of workshop.statements) body.push(...printStatement(statement));
    body.push('');
  }
  for (const portal of module.portals) {
    if (portal.comment) body.push(...comment(portal.comment, ''));
    else body.push(...comment(`Educates TrainingPortal '${portal.name}'`, ''));
    const props = Object.fromEntries(Object.entries(portal.props).filter(([, v]) => v !== undefined));
    body.push(
      `const ${portal.variable} = new TrainingPortal(app, ${quote(portal.name)}${Object.keys(props).length ? `, ${printLiteral(props)}` : ''});`,
    );
    for (const entry of portal.entries) {
      if (entry.comment) body.push(...comment(entry.comment, ''));
      const options = Object.keys(entry.options).length ? `, ${printLiteral(entry.options)}` : '';
      body.push(`${portal.variable}.addWorkshop(${entry.workshop}${options});`);
    }
    body.push('');
  }
  body.push('app.synth();', '');

  const imports: ImportedName[] = [
    ...importsOf([
      module.workshops.map((w) => [w.props, w.statements.map((s) => s.code), w.kinds]),
      module.portals.map((p) => [p.props, p.entries.map((e) => e.options)]),
    ]),
    { module: 'cdk8s-workshops', name: 'WorkshopApp' },
    { module: 'cdk8s-workshops', name: 'Workshop' },
    { module: 'cdk8s-workshops', name: 'TrainingPortal' },
  ];
  return [...header(module), ...importLines(imports), '', ...body].join('\n');
}

function header(module: ModuleModel): string[] {
  const lines = [
    ...commentText(
      `Imported from Educates resources${module.sourceName ? ` (${module.sourceName})` : ''} by \`workshops import\` of cdk8s-workshops. ` +
        'It builds the same workshops and portal with the library; `npx tsx <this file>` synthesizes them into dist/ ' +
        '(or the directory in CDK8S_OUTDIR).',
      WIDTH - 3,
    ),
    '',
  ];
  if (module.unsupported.length) {
    lines.push(`Not carried over (${module.unsupported.length}):`);
    for (const entry of module.unsupported) {
      const [first, ...rest] = commentText(`- ${entry.resource}: ${entry.field}: ${entry.reason}`, WIDTH - 3);
      lines.push(first, ...rest.map((line) => `  ${line}`));
    }
  } else {
    lines.push('Everything in the input was carried over.');
  }
  if (module.todo.length) {
    lines.push('', `Before deploying (${module.todo.length}):`);
    for (const entry of module.todo) {
      const [first, ...rest] = commentText(`- ${entry.resource}: ${entry.field}: ${entry.action}`, WIDTH - 3);
      lines.push(first, ...rest.map((line) => `  ${line}`));
    }
  }
  // every line comes from commentText: nothing in it can end the block
  return ['/**', ...lines.map((line) => (line ? ` * ${line}` : ' *')), ' */'];
}

function importLines(imports: ImportedName[]): string[] {
  const lines: string[] = [];
  for (const from of ['cdk8s', 'cdk8s-workshops'] as const) {
    const names = [...new Set(imports.filter((i) => i.module === from).map((i) => i.name))].sort();
    if (!names.length) continue;
    const oneLine = `import { ${names.join(', ')} } from '${from}';`;
    if (oneLine.length <= WIDTH) {
      lines.push(oneLine);
      continue;
    }
    lines.push('import {');
    let line = ' ';
    for (const name of names) {
      if (line.length + name.length + 2 > WIDTH) {
        lines.push(line.trimEnd());
        line = ' ';
      }
      line += ` ${name},`;
    }
    lines.push(line, `} from '${from}';`);
  }
  return lines;
}

function printStatement(statement: Statement): string[] {
  return [...(statement.comment ? comment(statement.comment, '') : []), `${printLiteral(statement.code)};`];
}

function comment(text: string, indent: string): string[] {
  return commentText(text, WIDTH - indent.length - 3).map((line) => `${indent}// ${line}`);
}
