/**
 * A value a session receives when it is allocated to a learner (Educates' `request.parameters`): fixed, generated
 * from a pattern, or passed by the client that requests the session.
 */
export class RequestParameter {
  /** A parameter with a default value that a request may override. */
  public static fixed(name: string, value: string): RequestParameter {
    return new RequestParameter(name, { value });
  }

  /**
   * A parameter generated at allocation from a pattern: character classes with counts, e.g. `[A-Z0-9]{8}`.
   * Supported: literals, `[...]` classes with ranges, `\d`, `\w`, and `{n}` / `{n,m}` repetition.
   */
  public static generated(name: string, pattern: string): RequestParameter {
    checkPattern(name, pattern);
    return new RequestParameter(name, { generate: { pattern } });
  }

  private constructor(
    public readonly name: string,
    private readonly spec: Record<string, unknown>,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`request parameter name '${name}' must start with a letter or '_' and contain only letters, digits and '_'`);
    }
  }

  /** The entry in the WorkshopEnvironment resource's `request.parameters`. */
  public toJson(): Record<string, unknown> {
    return { name: this.name, ...JSON.parse(JSON.stringify(this.spec)) };
  }
}

const TOKEN = /\[(\^?)((?:\\.|[^\]\\])+)\](\{\d+(,\d+)?\})?|\\[dw](\{\d+(,\d+)?\})?|[A-Za-z0-9_\-.:@]/gy;

function checkPattern(name: string, pattern: string): void {
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < pattern.length) {
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(pattern);
    if (!match || match[1] === '^') {
      throw new Error(
        `request parameter '${name}': pattern '${pattern}' is not supported at position ${at}: ` +
          `use literals, [A-Z0-9]-style classes, \\d, \\w and {n} or {n,m} counts`,
      );
    }
    at = TOKEN.lastIndex;
  }
}

/**
 * A value drawn from a pattern of the kind `RequestParameter.generated` accepts.
 *
 * @param random returns a whole number in [0, n) (a cryptographic source in the runtime)
 */
export function generateFromPattern(pattern: string, random: (n: number) => number): string {
  checkPattern('pattern', pattern);
  let out = '';
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < pattern.length) {
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(pattern)!;
    at = TOKEN.lastIndex;
    const token = match[0];
    let alphabet: string;
    let counts: string | undefined;
    if (token.startsWith('[')) {
      alphabet = expandClass(match[2]);
      counts = match[3];
    } else if (token.startsWith('\\')) {
      alphabet = token[1] === 'd' ? DIGITS : WORD;
      counts = token.slice(2) || undefined;
    } else {
      out += token;
      continue;
    }
    const [min, max] = counts ? counts.slice(1, -1).split(',').map(Number) : [1];
    const length = max === undefined ? min : min + random(max - min + 1);
    for (let i = 0; i < length; i++) out += alphabet[random(alphabet.length)];
  }
  return out;
}

const DIGITS = '0123456789';
const WORD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';

function expandClass(body: string): string {
  let chars = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const next = body[++i];
      chars += next === 'd' ? DIGITS : next === 'w' ? WORD : next;
      continue;
    }
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const end = body[i + 2];
      for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++) chars += String.fromCharCode(code);
      i += 2;
      continue;
    }
    chars += c;
  }
  return [...new Set(chars)].join('');
}
