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

  private constructor(public readonly name: string, private readonly spec: Record<string, unknown>) {
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
      throw new Error(`request parameter '${name}': pattern '${pattern}' is not supported at position ${at}: ` +
        `use literals, [A-Z0-9]-style classes, \\d, \\w and {n} or {n,m} counts`);
    }
    at = TOKEN.lastIndex;
  }
}
