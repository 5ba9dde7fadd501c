/**
 * The portal's one style sheet, served at /static/portal.css (see web/static.ts). Plain CSS with system fonts:
 * no build step, no web fonts to fetch, readable at 200 % zoom, visible focus rings, and colours that keep a 4.5:1
 * contrast; dark mode follows the browser's preference.
 */
export const PORTAL_CSS = `
:root {
  --bg: #f6f7f9; --surface: #ffffff; --text: #1b1f24; --muted: #57606a; --border: #d0d7de;
  --accent: #0b5cad; --accent-text: #ffffff; --accent-soft: #e6f0fb;
  --ok: #1a7f37; --warn: #9a6700; --danger: #b42318; --radius: 10px;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1318; --surface: #171c22; --text: #e6edf3; --muted: #9da7b1; --border: #30363d;
    --accent: #4a9eff; --accent-text: #0f1318; --accent-soft: #132338; --ok: #3fb950; --warn: #d29922; --danger: #f85149; }
}
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
body { margin: 0; background: var(--bg); color: var(--text); min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip-link { position: absolute; left: -9999px; top: 0; background: var(--surface); padding: .5rem 1rem; z-index: 10; }
.skip-link:focus { left: 1rem; }
.site-header { background: var(--surface); border-bottom: 1px solid var(--border); }
.bar { max-width: 72rem; margin: 0 auto; padding: .75rem 1.25rem; display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--text); text-decoration: none; margin-right: auto; }
nav { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
nav a { text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
.who { color: var(--muted); }
main { flex: 1; width: 100%; max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
main:focus { outline: none; }
.site-footer { color: var(--muted); font-size: .875rem; text-align: center; padding: 1rem; border-top: 1px solid var(--border); }
h1 { font-size: 1.75rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .75rem; }
.lead { color: var(--muted); margin-top: -.5rem; }
.notice { border-radius: var(--radius); padding: .75rem 1rem; margin-bottom: 1.25rem; border: 1px solid var(--border); background: var(--surface); border-left-width: 6px; }
.notice-info { border-left-color: var(--accent); }
.notice-success { border-left-color: var(--ok); }
.notice-warning { border-left-color: var(--warn); }
.notice-error { border-left-color: var(--danger); }
.cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1.25rem; display: flex; flex-direction: column; gap: .5rem; }
.card h2 { margin: 0; font-size: 1.15rem; }
.card .logo { width: 48px; height: 48px; object-fit: contain; }
.card p { margin: 0; }
.card .actions { margin-top: auto; padding-top: .5rem; }
.meta { display: flex; flex-wrap: wrap; gap: .35rem .75rem; color: var(--muted); font-size: .875rem; margin: 0; }
.meta dt { font-weight: 600; } .meta dd { margin: 0 .5rem 0 0; }
.tags { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .35rem; }
.tag { background: var(--accent-soft); color: var(--text); border-radius: 999px; padding: .1rem .6rem; font-size: .8rem; }
.availability { font-size: .875rem; font-weight: 600; }
.availability.ok { color: var(--ok); } .availability.low { color: var(--warn); } .availability.none { color: var(--danger); }
button, .button { font: inherit; font-weight: 600; border-radius: 8px; border: 1px solid transparent; padding: .55rem 1.1rem;
  background: var(--accent); color: var(--accent-text); cursor: pointer; text-decoration: none; display: inline-block; }
button:hover, .button:hover { filter: brightness(1.08); }
button.secondary, .button.secondary { background: transparent; color: var(--accent); border-color: var(--border); }
button.danger { background: var(--danger); color: #fff; }
button.link { background: none; border: none; padding: 0; color: var(--accent); font-weight: 500; }
button[disabled] { opacity: .55; cursor: not-allowed; }
form.inline { display: inline; margin: 0; }
button.small, .button.small { padding: .2rem .6rem; font-size: .85rem; border-radius: 6px; }
td.actions { white-space: nowrap; }
td.actions form.inline + form.inline { margin-left: .35rem; }
.why { display: block; white-space: normal; max-width: 16rem; font-size: .75rem; color: var(--muted); margin-top: .2rem; }
.filters { margin: 0 0 .5rem; }
.filters .inline-label { display: inline; margin: 0; }
.filters input[type=search], .filters select { font: inherit; padding: .35rem .5rem; border: 1px solid var(--border); border-radius: 8px;
  background: var(--surface); color: var(--text); }
.filters input[type=search] { width: 18rem; max-width: 100%; }
.panel.problem .row { margin-top: .5rem; }
.panel { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
.steps { list-style: none; padding: 0; margin: 1rem 0; display: grid; gap: .5rem; }
.step { display: flex; align-items: center; gap: .75rem; color: var(--muted); }
.step::before { content: ""; width: 1.1rem; height: 1.1rem; border-radius: 50%; border: 2px solid var(--border); flex: none; }
.step.done { color: var(--text); } .step.done::before { background: var(--ok); border-color: var(--ok); }
.step.current { color: var(--text); font-weight: 600; } .step.current::before { border-color: var(--accent); border-top-color: transparent; animation: spin 1s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .step.current::before { animation: none; border-top-color: var(--accent); } }
.countdown { font-variant-numeric: tabular-nums; font-weight: 600; }
.countdown.expiring { color: var(--warn); }
.row { display: flex; gap: .75rem; flex-wrap: wrap; align-items: center; }
table { border-collapse: collapse; width: 100%; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--border); font-size: .9rem; vertical-align: middle; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
.phase { font-weight: 600; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input[type=text], input[type=password], input[type=email] { font: inherit; width: 100%; max-width: 24rem; padding: .5rem .65rem;
  border: 1px solid var(--border); border-radius: 8px; background: var(--surface); color: var(--text); }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
