/**
 * Ids on headings, made from their text as Hugo makes them ("Getting started" → "getting-started"), so that links
 * to `page/#getting-started` written for an Educates (Hugo) workshop keep working. Repeated headings get "-1",
 * "-2"… in document order, so ids are unique and deterministic.
 */
import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

export function headingIds(md: MarkdownIt): void {
  md.core.ruler.push('heading_ids', (state) => {
    const used = new Map<string, number>();
    state.tokens.forEach((token, index) => {
      if (token.type !== 'heading_open' || token.attrGet('id') !== null) return;
      const base = slugOf(textOf(state.tokens[index + 1])) || 'section';
      const count = used.get(base) ?? 0;
      used.set(base, count + 1);
      token.attrSet('id', count === 0 ? base : `${base}-${count}`);
    });
    return true;
  });
}

function textOf(inline: Token | undefined): string {
  return (inline?.children ?? [])
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}

/** GitHub's (and Hugo's default) rule: lower case; letters, digits, '-' and '_' kept; each space a hyphen; the rest dropped. */
export function slugOf(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
