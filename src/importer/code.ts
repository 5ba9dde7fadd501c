/**
 * Pieces of generated TypeScript: an expression is text with embedded values (printed as literals) and the names
 * it needs imported. Mappers build props objects that mix plain values and expressions; the printer lays them out.
 */

/** The modules generated code imports from. */
export type ModuleName = 'cdk8s-workshops' | 'cdk8s';

/** A name to import from a module. */
export interface ImportedName {
  readonly module: ModuleName;
  readonly name: string;
}

/**
 * Text parts of Code are written by this importer, never taken from the input: names, dots, calls, commas. Anything
 * else (a quote, a space before an identifier, a line break) means a value of the input went around `Literal`.
 */
const CODE_TEXT = /^(new )?[A-Za-z0-9_$.(), ]*$/;

/** A TypeScript expression: literal text parts and values to print as literals, in order. */
export class Code {
  constructor(
    public readonly parts: ReadonlyArray<string | Literal>,
    public readonly imports: readonly ImportedName[] = [],
  ) {
    for (const part of parts) {
      if (typeof part === 'string' && !CODE_TEXT.test(part)) {
        throw new Error(`internal error of the importer: ${JSON.stringify(part)} is not code the importer writes; values go in a Literal`);
      }
    }
  }
}

/** A value with a comment printed on the line above it (forces the enclosing object onto several lines). */
export class Commented {
  constructor(
    public readonly value: unknown,
    public readonly comment: string,
  ) {}
}

/** A value to print as a literal (an object, list, string, number, boolean, or Code). */
export class Literal {
  constructor(public readonly value: unknown) {}
}

/** An expression of the library, e.g. `lib('Budget', 'Budget.MEDIUM')`. */
export function lib(name: string, text = name): Code {
  return new Code([text], [{ module: 'cdk8s-workshops', name }]);
}

/** `new Name(props)` of the library, or `new Name()` when props is undefined or empty. */
export function construct(name: string, props?: Record<string, unknown>): Code {
  const hasProps = props && Object.values(props).some((v) => v !== undefined);
  return new Code(hasProps ? [`new ${name}(`, new Literal(props), ')'] : [`new ${name}()`], [{ module: 'cdk8s-workshops', name }]);
}

/** A call of a static factory of the library, e.g. `factory('RequestParameter', 'fixed', ['A', 'b'])`. */
export function factory(name: string, method: string, args: unknown[]): Code {
  return new Code(call(`${name}.${method}`, args).parts, [{ module: 'cdk8s-workshops', name }]);
}

/** `target(arg, …)` with the arguments printed as literals; `target` needs no import. */
export function call(target: string, args: unknown[]): Code {
  const parts: Array<string | Literal> = [`${target}(`];
  args.forEach((arg, i) => {
    if (i > 0) parts.push(', ');
    parts.push(new Literal(arg));
  });
  parts.push(')');
  return new Code(parts);
}

/** `Duration.<unit>(n)` of cdk8s for a number of seconds, in the largest unit that divides it. */
export function duration(seconds: number): Code {
  const [unit, amount] = seconds % 3600 === 0 ? ['hours', seconds / 3600] : seconds % 60 === 0 ? ['minutes', seconds / 60] : ['seconds', seconds];
  return new Code([`Duration.${unit}(${amount})`], [{ module: 'cdk8s', name: 'Duration' }]);
}

/** Every name a value needs imported, found anywhere inside it. */
export function importsOf(value: unknown, into: ImportedName[] = []): ImportedName[] {
  if (value instanceof Code) {
    into.push(...value.imports);
    for (const part of value.parts) if (part instanceof Literal) importsOf(part.value, into);
  } else if (value instanceof Commented || value instanceof Literal) {
    importsOf(value.value, into);
  } else if (Array.isArray(value)) {
    for (const item of value) importsOf(item, into);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) importsOf(item, into);
  }
  return into;
}

/**
 * A TypeScript identifier from a Kubernetes name: `lab-k8s-basics` → `labK8sBasics`. Only ASCII letters and digits
 * of the name are kept, the first letter is lower case (so it never shadows an imported class), and names the module
 * uses or that strict mode reserves get a suffix.
 */
export function identifierFor(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
  const safe = /^[0-9]/.test(camel) ? `w${camel}` : camel || 'item';
  const identifier = RESERVED.has(safe) ? `${safe}Workshop` : safe;
  if (!/^[a-z][A-Za-z0-9]*$/.test(identifier))
    throw new Error(`internal error of the importer: ${JSON.stringify(identifier)} is not a safe identifier`);
  return identifier;
}

const RESERVED = new Set([
  'app',
  'portal',
  'registerKind',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'let',
  'static',
  'yield',
  'await',
  'implements',
  'interface',
  'package',
  'private',
  'protected',
  'public',
  // strict mode refuses these as names; the others would shadow globals the module or a reader relies on
  'eval',
  'arguments',
  'undefined',
  'globalThis',
  'process',
  'require',
  'module',
  'exports',
  'console',
]);
