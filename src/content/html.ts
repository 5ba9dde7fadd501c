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
