/**
 * Styles for the action markup (`div.action`, its heading and body, `div.action-invalid`), for any page that shows
 * rendered instructions: the preview uses them, and the dashboard may. Colours come from custom properties with
 * defaults, so a host can theme them.
 */
export const ACTION_STYLES = `
.action { --action-terminal: #1a7f37; --action-copy: #8250df; --action-dashboard: #0b5cad; --action-editor: #bc4c00;
  --action-files: #57606a; --action-examiner: #9a6700; --action-section: #59636e; }
.action { position: relative; border: 1px solid #d1d9e0; border-left: 4px solid var(--kind, #0b5cad); border-radius: 6px; margin: 1rem 0; background: #fff; cursor: pointer; }
.action:hover { box-shadow: 0 1px 4px rgba(31, 35, 40, 0.15); }
.action:focus-visible { outline: 3px solid #0b5cad; outline-offset: 2px; }
.action-heading { padding: 0.4rem 0.75rem; font-size: 0.9rem; background: #f6f8fa; border-radius: 6px 6px 0 0; }
.action-icon { color: var(--kind, #0b5cad); display: inline-block; min-width: 1.5em; text-align: center; margin-right: 0.2rem; }
.action-prefix { font-weight: 600; }
.action .action-body { margin: 0; padding: 0.75rem 1rem; overflow-x: auto; border: 0; border-top: 1px solid #d1d9e0; border-radius: 0 0 6px 6px; background: #0d1117; color: #e6edf3; }
.action-terminal { --kind: var(--action-terminal); }
.action-workshop { --kind: var(--action-copy); }
.action-dashboard { --kind: var(--action-dashboard); }
.action-editor { --kind: var(--action-editor); }
.action-files { --kind: var(--action-files); }
.action-examiner { --kind: var(--action-examiner); }
.action-section { --kind: var(--action-section); }
.action-done .action-heading::after { content: "✓ done"; float: right; color: var(--action-terminal); font-size: 0.8rem; }
.action-invalid { margin: 1rem 0; }
.action-invalid-label { margin: 0; padding: 0.3rem 0.75rem; font-size: 0.85rem; color: #6b2c00; background: #fff4e5; border: 1px dashed #d4a72c; border-bottom: 0; border-radius: 6px 6px 0 0; }
.action-invalid pre { margin-top: 0; border: 1px dashed #d4a72c; background: #fff4e5; border-radius: 0 0 6px 6px; }
@media (prefers-reduced-motion: no-preference) { .action { transition: box-shadow 120ms ease; } }
`;
