/**
 * The markup of a clickable action (the contract with hosts):
 *   <div class="action" data-action="terminal:execute" data-args='{"command":"…"}'> heading, body </div>
 * The host page attaches behaviour to [data-action]; without it the block still reads well.
 */
import type { ActionCall } from './action-block.js';
import { escapeHtml, escapeSingleQuotedAttribute } from './html.js';

/** Renders an action; `data-args` is the JSON of its fields, variables filled in. */
export function actionHtml(call: ActionCall): string {
  const { spec, args } = call;
  const face = spec.face(args);
  const prefix = textField(args.prefix) ?? spec.prefix;
  const title = textField(args.title) ?? face.title;
  const body = textField(args.description) ?? face.body;
  // A section's end only marks where the section stops; Educates never shows it.
  const hidden = args.hidden === true || spec.name === 'section:end';
  const namespace = spec.name.split(':')[0];

  const attributes = [
    `class="action action-${escapeHtml(namespace)}"`,
    `data-action="${escapeHtml(spec.name)}"`,
    `data-args='${escapeSingleQuotedAttribute(argsJson(args))}'`,
    hidden ? 'hidden' : 'role="button" tabindex="0"',
  ].join(' ');
  const heading = headingHtml(spec.icon, prefix, title);
  const bodyHtml = body === undefined || body === '' ? '' : `<pre class="action-body"><code>${escapeHtml(body)}</code></pre>`;
  return `<div ${attributes}>${heading}${bodyHtml}</div>\n`;
}

function headingHtml(icon: string, prefix: string, title: string): string {
  if (prefix === '' && title === '') return '';
  const iconHtml = icon === '' ? '' : `<span class="action-icon" aria-hidden="true">${escapeHtml(icon)}</span> `;
  const prefixHtml = prefix === '' ? '' : `<span class="action-prefix">${escapeHtml(prefix)}${title === '' ? '' : ':'}</span>`;
  const titleHtml = title === '' ? '' : `<span class="action-title">${escapeHtml(title)}</span>`;
  return `<div class="action-heading">${iconHtml}${[prefixHtml, titleHtml].filter(Boolean).join(' ')}</div>`;
}

function textField(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** JSON of the fields. `.inf` (retries forever) has no JSON number, so it travels as the string "Infinity". */
export function argsJson(args: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(args, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}
