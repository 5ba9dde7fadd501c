/**
 * Hugo shortcodes in instructions: `{{< param NAME >}}` (a session or environment variable) and `{{< baseurl >}}`
 * (where the host serves workshop/static). `{{% … %}}` works the same, and, as in Hugo, a shortcode whose inside
 * is wrapped in a C-style comment (slash-star … star-slash) is shown literally instead.
 *
 * Like Hugo, shortcodes are replaced by placeholders before Markdown is parsed, and placeholders by values after it
 * is rendered. Values therefore never pass through the Markdown parser, and each context escapes them its own way:
 * HTML text gets them escaped, action arguments get them raw (their JSON is escaped as a whole).
 */
import { didYouMean } from './did-you-mean.js';
import { escapeHtml } from './html.js';
import type { ContentProblem } from './problems.js';

const SHORTCODE = /\{\{([<%])\s*([\s\S]*?)\s*([>%])\}\}/g;
/** Letters and digits only, so that Markdown, URL normalisation and HTML escaping leave it alone. */
const PLACEHOLDER = /zzcdk8swsparam(\d+)zz/gi;
const placeholder = (index: number) => `zzcdk8swsparam${index}zz`;

/** The name of the variable `{{< baseurl >}}` reads (the prefix under which the host serves workshop/static). */
export const BASE_URL_VARIABLE = 'baseurl';

export interface ShortcodeContext {
  readonly file: string;
  /** Line of the file on which the text starts. */
  readonly firstLine: number;
  readonly variables: Readonly<Record<string, string>>;
}

/** Text whose shortcodes are placeholders, with the value of each placeholder. */
export interface ExpandedText {
  readonly text: string;
  readonly values: readonly string[];
  readonly problems: ContentProblem[];
}

/** Replaces every shortcode with a placeholder and resolves its value; unknown ones keep their own text. */
export function expandShortcodes(text: string, context: ShortcodeContext): ExpandedText {
  const values: string[] = [];
  const problems: ContentProblem[] = [];
  const expanded = text.replace(SHORTCODE, (whole: string, open: string, inner: string, close: string, offset: number) => {
    const line = context.firstLine + countNewlines(text, offset);
    const literal = /^\/\*([\s\S]*)\*\/$/.exec(inner);
    const report = (message: string) => problems.push({ file: context.file, line, message });
    values.push(literal ? `{{${open} ${literal[1].trim()} ${close}}}` : resolveShortcode(whole, inner, context, report));
    return placeholder(values.length - 1);
  });
  return { text: expanded, values, problems };
}

function resolveShortcode(whole: string, inner: string, context: ShortcodeContext, report: (message: string) => void): string {
  const [name, ...args] = inner.split(/\s+/).map(unquote);
  if (name === 'param') return resolveParam(whole, args, context, report);
  if (name === 'baseurl') return context.variables[BASE_URL_VARIABLE] ?? '';
  report(`unknown shortcode '${name}' in ${whole}: use {{< param NAME >}} or {{< baseurl >}}`);
  return whole;
}

function resolveParam(whole: string, args: string[], context: ShortcodeContext, report: (message: string) => void): string {
  const [variable] = args;
  if (args.length !== 1 || variable === '') {
    report(`${whole} needs exactly one variable name, as in {{< param session_namespace >}}`);
    return whole;
  }
  if (!Object.hasOwn(context.variables, variable)) {
    report(`unknown variable '${variable}' in ${whole}${didYouMean(variable, Object.keys(context.variables))}`);
    return whole;
  }
  return context.variables[variable];
}

function unquote(word: string): string {
  return /^(["'`]).*\1$/.test(word) ? word.slice(1, -1) : word;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < end; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

/** Puts the values back into rendered HTML, escaped. */
export function restoreIntoHtml(html: string, values: readonly string[]): string {
  return html.replace(PLACEHOLDER, (whole, index: string) => (Number(index) < values.length ? escapeHtml(values[Number(index)]) : whole));
}

/** Puts the values back into a plain string (action arguments), unescaped. */
export function restoreIntoText(text: string, values: readonly string[]): string {
  return text.replace(PLACEHOLDER, (whole, index: string) => (Number(index) < values.length ? values[Number(index)] : whole));
}

/** Restores placeholders in every string of a parsed YAML value, keeping its shape. */
export function restoreIntoValue(value: unknown, values: readonly string[]): unknown {
  if (typeof value === 'string') return restoreIntoText(value, values);
  if (Array.isArray(value)) return value.map((item) => restoreIntoValue(item, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, restoreIntoValue(item, values)]));
  }
  return value;
}
