/**
 * Markdown to HTML with markdown-it (CommonMark, raw HTML allowed: authors are trusted), clickable actions in
 * fenced blocks, and shortcodes filled in. The output depends only on the input: no ids, counters or clocks.
 */
import type { RendererRule } from 'markdown-it';
import MarkdownIt from 'markdown-it';

import { readActionBlock } from './action-block.js';
import { actionHtml } from './action-html.js';
import { headingIds } from './heading-ids.js';
import { html, raw } from './html.js';
import type { ContentProblem } from './problems.js';
import { expandShortcodes, restoreIntoHtml } from './shortcodes.js';

export interface MarkdownSource {
  readonly text: string;
  /** The file, relative to the workshop directory, and the line the text starts on: for problems. */
  readonly file: string;
  readonly firstLine: number;
  readonly variables: Readonly<Record<string, string>>;
}

export interface RenderedMarkdown {
  readonly html: string;
  readonly problems: ContentProblem[];
}

/** What the fence rule needs while rendering one document (markdown-it threads it through as `env`). */
interface RenderEnv {
  readonly file: string;
  readonly firstLine: number;
  readonly values: readonly string[];
  readonly problems: ContentProblem[];
  readonly openSections: Array<{ name?: string; line: number }>;
}

const markdown = createMarkdown();

export function renderMarkdown(source: MarkdownSource): RenderedMarkdown {
  const expanded = expandShortcodes(source.text, source);
  const env: RenderEnv = {
    file: source.file,
    firstLine: source.firstLine,
    values: expanded.values,
    problems: [...expanded.problems],
    openSections: [],
  };
  const html = restoreIntoHtml(markdown.render(expanded.text, env), expanded.values);
  for (const open of env.openSections) {
    env.problems.push({
      file: source.file,
      line: open.line,
      message: `section:begin${open.name === undefined ? '' : ` '${open.name}'`}: no matching section:end`,
    });
  }
  return { html, problems: env.problems };
}

function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  headingIds(md);
  const plainFence = md.renderer.rules.fence!;
  const fence: RendererRule = (tokens, index, options, env: RenderEnv, self) => {
    const token = tokens[index];
    const line = env.firstLine + (token.map?.[0] ?? 0);
    const block = readActionBlock(token.info, token.content, { file: env.file, line }, env.values);
    if (!block) return plainFence(tokens, index, options, env, self);
    env.problems.push(...block.problems);
    if (!block.call) return invalidActionHtml(token.info.trim().split(/\s+/)[0], plainFence(tokens, index, options, env, self));
    trackSection(block.call.spec.name, block.call.args, line, env);
    return actionHtml(block.call);
  };
  md.renderer.rules.fence = fence;
  return md;
}

/** An action that cannot work is shown as its source, labelled, so the author sees what to fix and learners are not misled. */
function invalidActionHtml(name: string, codeBlock: string): string {
  // the code block is markdown-it's own fence output, which escaped the block's text
  return html`<div class="action-invalid"><p class="action-invalid-label">${name} (cannot run: see the problems of this page)</p>${raw(codeBlock)}</div>\n`.toString();
}

/** Pairs section:begin with section:end (by name, for nested sections) and reports strays. */
function trackSection(action: string, args: Readonly<Record<string, unknown>>, line: number, env: RenderEnv): void {
  const name = args.name === undefined || args.name === null ? undefined : String(args.name);
  if (action === 'section:begin') {
    env.openSections.push({ name, line });
  } else if (action === 'section:end') {
    const top = env.openSections.at(-1);
    if (top && top.name === name) env.openSections.pop();
    else
      env.problems.push({
        file: env.file,
        line,
        message: `section:end${name === undefined ? '' : ` '${name}'`}: no matching section:begin${top ? ` (the open section is ${top.name === undefined ? 'unnamed' : `'${top.name}'`}, from line ${top.line})` : ''}`,
      });
  }
}
