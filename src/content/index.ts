/**
 * Workshop instructions: Markdown pages under workshop/content in Hugo's layout, with Educates' clickable actions
 * and `{{< param NAME >}}` variables; loading, rendering, validation, watching and a local preview server.
 */
export { ACTION_NAMES } from './action-catalogue.js';
export { ACTION_STYLES } from './action-styles.js';
export { loadContent } from './load-content.js';
export { renderMarkdown } from './markdown.js';
export type { ContentPage, ContentSection, WorkshopContent } from './model.js';
export { CONTENT_DIR } from './model.js';
export type { Preview, PreviewOptions } from './preview/server.js';
export { startPreview } from './preview/server.js';
export type { ContentProblem } from './problems.js';
export { formatProblem, sortProblems } from './problems.js';
export type { RenderedPage } from './render-page.js';
export { renderPage } from './render-page.js';
export { SAMPLE_VARIABLES, sampleVariables } from './sample-variables.js';
export { BASE_URL_VARIABLE } from './shortcodes.js';
export { validateContent, workshopVariableNames } from './validate-content.js';
export { watchContent } from './watch-content.js';
