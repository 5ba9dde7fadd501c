/** The preview's style sheet: readable type, a sidebar table of contents, and the actions' own styles. */
import { ACTION_STYLES } from '../action-styles.js';

export const PREVIEW_STYLES = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --paper: #ffffff; --wash: #f6f8fa; --accent: #0b5cad;
  --warn-ink: #6b2c00; --warn-wash: #fff4e5; --warn-line: #d4a72c; }
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; color: var(--ink); background: var(--paper); font: 1rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
a { color: var(--accent); }
a:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
.skip-link { position: absolute; left: -10000px; }
.skip-link:focus { left: 1rem; top: 0.5rem; z-index: 10; background: var(--paper); padding: 0.25rem 0.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.topbar { display: flex; align-items: center; gap: 0.75rem; padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--wash); position: sticky; top: 0; z-index: 5; }
.brand { font-weight: 600; }
.badge { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.06em; padding: 0.1rem 0.5rem; border-radius: 999px; background: #ddf4ff; color: #0a3069; }
.status { margin-left: auto; font-size: 0.85rem; color: var(--muted); }
.layout { display: grid; grid-template-columns: minmax(13rem, 17rem) minmax(0, 1fr); min-height: calc(100vh - 3rem); }
.toc { border-right: 1px solid var(--line); padding: 1rem 1rem 2rem; font-size: 0.95rem; }
.toc-heading { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0 0 0.5rem; }
.toc ol { list-style: none; margin: 0; padding: 0; }
.toc ol ol { padding-left: 0.9rem; border-left: 1px solid var(--line); margin: 0.2rem 0 0.4rem 0.3rem; }
.toc a, .toc-section-title { display: block; padding: 0.2rem 0.5rem; border-radius: 6px; text-decoration: none; color: var(--ink); }
.toc-section-title { font-weight: 600; }
.toc a:hover { background: var(--wash); }
.toc a[aria-current="page"] { background: #ddf4ff; color: #0a3069; font-weight: 600; }
.toc-flag { color: var(--warn-ink); margin-left: 0.35rem; }
main { padding: 1.5rem 2rem 3rem; max-width: 52rem; }
.page-title { font-size: 1.9rem; line-height: 1.25; margin: 0.2rem 0 1rem; }
.page h1 { font-size: 1.6rem; line-height: 1.25; }
main:focus { outline: none; }
.page h2 { font-size: 1.4rem; margin-top: 2rem; }
.page pre { background: var(--wash); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; overflow-x: auto; }
.page :not(pre) > code { background: var(--wash); padding: 0.1em 0.35em; border-radius: 4px; }
.page img { max-width: 100%; }
.problems { border: 1px solid var(--warn-line); background: var(--warn-wash); color: var(--warn-ink); border-radius: 8px; padding: 0.75rem 1rem; margin-bottom: 1.5rem; }
.problems h2 { font-size: 1rem; margin: 0 0 0.4rem; }
.problem-list { margin: 0.25rem 0; padding-left: 1.2rem; }
.problem-location { font-weight: 600; }
.problems details { margin-top: 0.4rem; }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 2.5rem; border-top: 1px solid var(--line); padding-top: 1rem; }
.pager a { display: flex; flex-direction: column; text-decoration: none; padding: 0.5rem 0.75rem; border: 1px solid var(--line); border-radius: 6px; max-width: 48%; }
.pager-next { margin-left: auto; text-align: right; }
.pager-label { font-size: 0.8rem; color: var(--muted); }
.pager-title { font-weight: 600; }
.toast { position: fixed; bottom: 1.5rem; left: 50%; transform: translateX(-50%); background: #24292f; color: #fff; padding: 0.6rem 1rem; border-radius: 8px; max-width: min(40rem, 90vw); box-shadow: 0 4px 12px rgba(0, 0, 0, 0.25); font-size: 0.9rem; }
@media (max-width: 48rem) { .layout { grid-template-columns: 1fr; } .toc { border-right: 0; border-bottom: 1px solid var(--line); } main { padding: 1rem; } }
${ACTION_STYLES}`;
