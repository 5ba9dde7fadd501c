/** Escaping for the two contexts content is written into: element text and quoted attribute values. */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for attribute values quoted with either quote character. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

const SINGLE_QUOTED_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&#39;' };

/**
 * Escapes a value for an attribute quoted with single quotes, leaving double quotes as they are, so that JSON in
 * `data-args='…'` stays readable in the page source.
 */
export function escapeSingleQuotedAttribute(value: string): string {
  return value.replace(/[&<>']/g, (char) => SINGLE_QUOTED_ESCAPES[char]);
}

/**
 * Markup that is safe to put into a page: built by `html` (which escapes every value) or, for markup from a trusted
 * producer such as the Markdown renderer, by `raw()`. Page renderers take SafeHtml, never a string, so text that
 * was not escaped cannot reach a page by accident.
 */
export class SafeHtml {
  private constructor(private readonly markup: string) {}

  /** @internal the only way in besides `html`: see `raw()` */
  public static trust(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }

  public toString(): string {
    return this.markup;
  }
}

/**
 * What a value in an `html` template may be: markup already safe (kept as it is), text and numbers (escaped for
 * element content and quoted attribute values alike), nothing (`undefined`, `null`, `false`: left out, for
 * `${cond && html`…`}`), or a list of these (joined without separators).
 */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

function htmlOf(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map((v: HtmlValue) => htmlOf(v)).join('');
  return escapeHtml(String(value));
}

/**
 * The tagged template pages are written with: `html`<a href="${url}">${title}</a>``. Every value is escaped
 * unless it is SafeHtml; attribute values must be quoted (with either quote).
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += htmlOf(values[i]) + strings[i + 1];
  return SafeHtml.trust(out);
}

/** Markup from a trusted producer (the Markdown renderer, a constant), put into a page as it is. */
export function raw(markup: string): SafeHtml {
  return SafeHtml.trust(markup);
}

/** Items joined by a separator, each escaped unless SafeHtml. */
export function joinHtml(items: readonly HtmlValue[], separator: HtmlValue = ''): SafeHtml {
  return SafeHtml.trust(items.map((item) => htmlOf(item)).join(htmlOf(separator)));
}
