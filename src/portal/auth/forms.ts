/**
 * Reading form and query fields defensively: a parsed body may hold a string, an array (a repeated key), a number
 * or an object (JSON), or nothing at all, and only a single string counts.
 */

/** A field as text; anything else (missing, repeated, a number, an object) counts as empty. */
export function text(form: unknown, key: string): string {
  const value = form && typeof form === 'object' ? (form as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : '';
}
