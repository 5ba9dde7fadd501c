/**
 * Workshop instructions: loading (Hugo's layout and ordering), front matter, clickable actions, variables,
 * problems with file and line, validation of the examples, and watching for changes.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { jest } from '@jest/globals';

import { ENVIRONMENT_VARIABLES, SESSION_VARIABLES } from '../../src/constructs/variables.js';
import {
  ACTION_NAMES,
  formatProblem,
  loadContent,
  renderMarkdown,
  renderPage,
  SAMPLE_VARIABLES,
  sampleVariables,
  validateContent,
  watchContent,
  workshopVariableNames,
} from '../../src/content/index.js';
import { WATCH_DEBOUNCE_MS } from '../../src/content/watch-content.js';
import { waitFor } from '../support/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/content');
const GOOD = path.join(FIXTURES, 'good');
const BROKEN = path.join(FIXTURES, 'broken');
const EXAMPLES = ['hello-terminal', 'k8s-fundamentals', 'container-builds'];

/** Actions in rendered HTML: their names and parsed `data-args`, in order. */
function actionsIn(html: string): Array<{ action: string; args: Record<string, unknown> }> {
  const found = [...html.matchAll(/<div class="action[^"]*" data-action="([^"]+)" data-args='([^']*)'/g)];
  return found.map(([, action, args]) => ({ action, args: JSON.parse(decodeAttribute(args)) as Record<string, unknown> }));
}

function decodeAttribute(value: string): string {
  return value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** Renders one Markdown snippet as the body of a page starting on line 1 of `page.md`. */
function render(text: string, variables: Record<string, string> = sampleVariables()) {
  return renderMarkdown({ text, file: 'page.md', firstLine: 1, variables });
}

async function workshopWith(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'content-test-'));
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  return dir;
}

describe('loadContent', () => {
  test('orders pages by weight then name, sections depth first, unweighted pages last', async () => {
    const content = await loadContent(GOOD);

    expect(content.pages.map((page) => page.path)).toEqual(['', '01-intro', 'setup', 'setup/cluster', 'setup/tools', '03-actions', '04-later']);
    expect(content.problems).toEqual([]);
    expect(content.title).toBe('Good Workshop');
  });

  test('describes each page by title, weight, file and section, and each section by its _index.md', async () => {
    const content = await loadContent(GOOD);

    expect(content.pages[0]).toEqual({ path: '', title: 'Good Workshop', weight: 1, file: 'workshop/content/_index.md' });
    expect(content.pages[3]).toEqual({
      path: 'setup/cluster',
      title: 'Cluster',
      weight: 1,
      file: 'workshop/content/setup/cluster.md',
      section: 'setup',
    });
    expect(content.pages[6]).toEqual({ path: '04-later', title: 'Without a weight', weight: 0, file: 'workshop/content/04-later.md' });
    expect(content.sections).toEqual([{ path: 'setup', title: 'Setting up', weight: 20, file: 'workshop/content/setup/_index.md' }]);
  });

  test('a section whose _index.md has no text names the section but is not a page', async () => {
    const dir = await workshopWith({
      'workshop/content/_index.md': '---\ntitle: Home\n---\n',
      'workshop/content/part/_index.md': '---\ntitle: Part one\nweight: 5\n---\n\n',
      'workshop/content/part/a.md': '---\ntitle: A\n---\nText',
    });

    const content = await loadContent(dir);

    expect(content.pages.map((page) => page.path)).toEqual(['', 'part/a']);
    expect(content.sections).toEqual([{ path: 'part', title: 'Part one', weight: 5, file: 'workshop/content/part/_index.md' }]);
  });

  test('drafts are left out, as Hugo leaves them out of a published site', async () => {
    const dir = await workshopWith({
      'workshop/content/a.md': '---\ntitle: A\nweight: 1\n---\n',
      'workshop/content/b.md': '---\ntitle: B\nweight: 2\ndraft: true\n---\n',
    });

    expect((await loadContent(dir)).pages.map((page) => page.path)).toEqual(['a']);
  });

  test('nested sections keep their parent', async () => {
    const dir = await workshopWith({
      'workshop/content/part/_index.md': '---\ntitle: Part\nweight: 1\n---\nIntro',
      'workshop/content/part/sub/_index.md': '---\ntitle: Sub\nweight: 1\n---\n',
      'workshop/content/part/sub/x.md': '---\ntitle: X\n---\n',
    });

    const content = await loadContent(dir);

    expect(content.pages.map((page) => [page.path, page.section])).toEqual([
      ['part', 'part'],
      ['part/sub/x', 'part/sub'],
    ]);
    expect(content.sections.map((section) => [section.path, section.parent])).toEqual([
      ['part', undefined],
      ['part/sub', 'part'],
    ]);
  });

  test("problems of a section's _index.md are reported even when it is not a page", async () => {
    const dir = await workshopWith({
      'workshop/content/part/_index.md': '---\ntitle: Part\nweight: x\n---\n',
      'workshop/content/part/a.md': '---\ntitle: A\n---\n',
    });

    expect((await loadContent(dir)).problems).toEqual([
      { file: 'workshop/content/part/_index.md', line: 3, message: "'weight' must be a whole number, got 'x'" },
    ]);
  });

  test('a workshop without workshop/content is one problem, not an exception', async () => {
    const dir = await workshopWith({ 'README.md': 'nothing' });

    const content = await loadContent(dir);

    expect(content.pages).toEqual([]);
    expect(content.problems).toEqual([
      { file: 'workshop/content', line: 1, message: `no instructions: workshop/content is not a directory in ${dir}` },
    ]);
  });

  test('two files with the same page path: the second is left out and reported', async () => {
    const dir = await workshopWith({
      'workshop/content/intro.md': '---\ntitle: Intro\nweight: 1\n---\n',
      'workshop/content/intro/_index.md': '---\ntitle: Intro section\nweight: 2\n---\nText',
    });

    const content = await loadContent(dir);

    expect(content.pages.map((page) => page.file)).toEqual(['workshop/content/intro.md']);
    expect(content.problems).toEqual([
      {
        file: 'workshop/content/intro/_index.md',
        line: 1,
        message: "page path 'intro' is already used by workshop/content/intro.md: this file is left out",
      },
    ]);
  });
});

describe('front matter', () => {
  test.each([
    ['no closing line', '---\ntitle: A\n\nText', { line: 1, message: "front matter starts with '---' on line 1 but has no closing '---' line" }],
    ['TOML', '+++\ntitle = "A"\n+++\nText', { line: 1, message: "front matter in TOML ('+++') is not supported: use YAML between '---' lines" }],
    ['a list', '---\n- a\n- b\n---\nText', { line: 2, message: "front matter must be YAML fields such as 'title: …' and 'weight: …'" }],
    ['a title that is a list', '---\nweight: 1\ntitle: [a]\n---\nText', { line: 3, message: "'title' must be text, got a list" }],
    [
      'a broken YAML line',
      '---\ntitle: A\nweight: : 1\n---\nText',
      { line: 3, message: 'front matter is not valid YAML: Nested mappings are not allowed in compact mappings' },
    ],
  ])('%s is reported on its line', async (_what, text, problem) => {
    const dir = await workshopWith({ 'workshop/content/page.md': text });

    const content = await loadContent(dir);

    expect(content.problems).toEqual([{ file: 'workshop/content/page.md', ...problem }]);
  });
});

describe('clickable actions', () => {
  test('render as div.action with data-action, data-args and what they do', () => {
    const { html, problems } = render('```terminal:execute\ncommand: kubectl get pods\nsession: "1"\n```\n');

    expect(problems).toEqual([]);
    expect(html).toBe(
      `<div class="action action-terminal" data-action="terminal:execute" data-args='{"command":"kubectl get pods","session":"1"}' role="button" tabindex="0">` +
        '<div class="action-heading"><span class="action-icon" aria-hidden="true">▶</span> <span class="action-prefix">Terminal:</span> ' +
        '<span class="action-title">Run in terminal 1</span></div><pre class="action-body"><code>kubectl get pods</code></pre></div>\n',
    );
  });

  test('every kind in the fixture renders with its arguments', async () => {
    const content = await loadContent(GOOD);

    const page = await renderPage(content, '03-actions', sampleVariables());

    expect(page.problems).toEqual([]);
    expect(actionsIn(page.html)).toEqual([
      { action: 'terminal:execute', args: { command: 'echo hello', session: 2, clear: true } },
      { action: 'terminal:execute-all', args: { command: 'clear' } },
      { action: 'terminal:input', args: { text: 'secret', endl: false } },
      { action: 'terminal:interrupt', args: {} },
      { action: 'terminal:clear', args: { session: 2 } },
      { action: 'workshop:copy', args: { text: 'kubectl get pods' } },
      { action: 'workshop:copy-and-edit', args: { text: 'export NAME=change-me' } },
      { action: 'dashboard:open-dashboard', args: { name: 'Console' } },
      { action: 'dashboard:open-url', args: { url: 'http://app-my-lab-w01-s001.workshops.test/' } },
      { action: 'dashboard:reload-dashboard', args: { name: 'Hello app' } },
      { action: 'editor:open-file', args: { file: '~/exercises/app.yaml', line: 3 } },
      { action: 'editor:append-lines-to-file', args: { file: '~/exercises/app.yaml', text: 'replicas: 3\n' } },
      { action: 'editor:insert-lines-before-line', args: { file: '~/exercises/app.yaml', line: 1, text: '# managed by the workshop' } },
      { action: 'editor:replace-text-selection', args: { file: '~/exercises/app.yaml', text: 'nginx:1.27' } },
      { action: 'files:download-file', args: { path: '.kube/config' } },
      {
        action: 'examiner:execute-test',
        args: { name: 'pods-running', title: 'Check that your pods run', args: ['hello'], timeout: 5, retries: 'Infinity', delay: 1 },
      },
      { action: 'section:begin', args: { title: 'Questions' } },
      { action: 'section:end', args: {} },
    ]);
  });

  test.each([
    ['terminal:execute-all', 'command: ls', 'Terminal:', 'Run in every terminal', 'ls'],
    ['terminal:input', 'text: yes\nsession: 2', 'Terminal:', 'Type into terminal 2', 'yes'],
    ['terminal:interrupt', 'session: 3', 'Terminal:', 'Interrupt the command in terminal 3 (Ctrl+C)', undefined],
    ['terminal:clear', '', 'Terminal:', 'Clear terminal 1', undefined],
    ['workshop:copy', 'text: abc', 'Copy:', 'Copy to the clipboard', 'abc'],
    ['workshop:copy-and-edit', 'text: abc', 'Copy:', 'Copy to the clipboard, then change it before use', 'abc'],
    ['dashboard:open-dashboard', 'name: Console', 'Dashboard:', 'Open the Console tab', undefined],
    ['dashboard:open-url', 'url: https://example.test/', 'Link:', 'Open in a new browser tab', 'https://example.test/'],
    ['dashboard:reload-dashboard', 'name: App\nurl: http://a.test/', 'Dashboard:', 'Reload the App tab', 'http://a.test/'],
    ['editor:open-file', 'file: a.txt\nline: 4', 'Editor:', 'Open a.txt at line 4', undefined],
    ['editor:append-lines-to-file', 'file: a.txt\ntext: x', 'Editor:', 'Add to the end of a.txt', 'x'],
    ['editor:insert-lines-before-line', 'file: a.txt\nline: 2\ntext: x', 'Editor:', 'Insert before line 2 of a.txt', 'x'],
    ['editor:replace-text-selection', 'file: a.txt\ntext: x', 'Editor:', 'Replace the selected text in a.txt with', 'x'],
    ['editor:select-matching-text', 'file: a.txt\ntext: "image: (.*)"\nisRegex: true', 'Editor:', 'Select what matches in a.txt', 'image: (.*)'],
    ['files:download-file', 'path: .kube/config', 'Files:', 'Download .kube/config', undefined],
    ['examiner:execute-test', 'name: pods-ready', 'Check:', 'Run the check pods-ready', undefined],
    ['section:heading', 'title: Questions', 'Section:', 'Questions', undefined],
  ])('%s shows its prefix, title and body', (action, body, prefix, title, code) => {
    const { html, problems } = render(`\`\`\`${action}\n${body}\n\`\`\`\n`);

    expect(problems).toEqual([]);
    expect(html).toContain(`<span class="action-prefix">${prefix}</span> <span class="action-title">${title}</span>`);
    if (code === undefined) expect(html).not.toContain('action-body');
    else expect(html).toContain(`<pre class="action-body"><code>${code}</code></pre>`);
  });

  test('prefix, title and description override what an action shows', () => {
    const { html } = render('```terminal:execute\ncommand: make\nprefix: Build\ntitle: Compile it\ndescription: Runs make\n```\n');

    expect(html).toContain('<span class="action-prefix">Build:</span> <span class="action-title">Compile it</span>');
    expect(html).toContain('<pre class="action-body"><code>Runs make</code></pre>');
  });

  test("Educates' older names: execute-N, execute-all, copy, and <ctrl+c>", () => {
    const { html, problems } = render('```execute-2\nls -l\n```\n\n```execute-all\nclear\n```\n\n```copy\nabc\n```\n\n```execute\n<ctrl+c>\n```\n');

    expect(problems).toEqual([]);
    expect(actionsIn(html)).toEqual([
      { action: 'terminal:execute', args: { command: 'ls -l', session: '2' } },
      { action: 'terminal:execute-all', args: { command: 'clear' } },
      { action: 'workshop:copy', args: { text: 'abc' } },
      { action: 'terminal:interrupt', args: { session: '1' } },
    ]);
  });

  test('section:end is hidden and carries no button role', () => {
    const { html } = render('```section:begin\ntitle: Q\n```\n\nText\n\n```section:end\n```\n');

    expect(html).toContain(`<div class="action action-section" data-action="section:end" data-args='{}' hidden></div>`);
  });

  test('ordinary code blocks stay code blocks with a language class', () => {
    const { html, problems } = render('```yaml\nkind: Pod\n```\n\n```\nplain\n```\n');

    expect(problems).toEqual([]);
    expect(html).toBe('<pre><code class="language-yaml">kind: Pod\n</code></pre>\n<pre><code>plain\n</code></pre>\n');
  });

  test('an info string with a colon that looks like no action is an ordinary code block', () => {
    expect(render('```yaml:deployment.yaml\nkind: Deployment\n```\n')).toEqual({
      html: '<pre><code class="language-yaml:deployment.yaml">kind: Deployment\n</code></pre>\n',
      problems: [],
    });
  });

  test('an action that cannot work is shown as its source, marked invalid, without data-action', () => {
    const { html } = render('```terminal:execute\nsession: 2\n```\n');

    expect(html).toBe(
      '<div class="action-invalid"><p class="action-invalid-label">terminal:execute (cannot run: see the problems of this page)</p>' +
        '<pre><code class="language-terminal:execute">session: 2\n</code></pre>\n</div>\n',
    );
  });

  test.each([
    ['```terminal:exec\ncommand: ls\n```', 1, "unknown action 'terminal:exec' (did you mean 'terminal:execute'?)"],
    ['```terminal:frobnicate\n```', 1, "unknown action 'terminal:frobnicate'"],
    ['```termnal:execute\ncommand: ls\n```', 1, "unknown action 'termnal:execute' (did you mean 'terminal:execute'?)"],
    ['```terminal:execute\nsession: 2\n```', 1, "terminal:execute: missing required field 'command'"],
    ['```editor:insert-lines-before-line\nfile: a\ntext: b\n```', 1, "editor:insert-lines-before-line: missing required field 'line'"],
    ['```dashboard:open-url\n```', 1, "dashboard:open-url: missing required field 'url'"],
    ['```examiner:execute-test\ntitle: Check\n```', 1, "examiner:execute-test: missing required field 'name'"],
    ['```terminal:execute\nkubectl get pods\n```', 2, "terminal:execute: the block must be YAML fields such as 'command: …', got text"],
    ['```workshop:copy\n- a\n```', 2, "workshop:copy: the block must be YAML fields such as 'text: …', got a list"],
    ['```terminal:execute\ncommand: ls\n\nclear: yes\n```', 4, "terminal:execute: 'clear' must be true or false, got 'yes'"],
    ['```editor:open-file\nfile: a\nline: two\n```', 3, "editor:open-file: 'line' must be a whole number, got 'two'"],
    [
      '```examiner:execute-test\nname: t\nretries: -1\n```',
      3,
      "examiner:execute-test: 'retries' must be a number of at least 0 (or '.inf'), got '-1'",
    ],
    ['```terminal:execute\ncommand: ls\nsesion: 2\n```', 3, "terminal:execute: unknown field 'sesion' (did you mean 'session'?)"],
    [
      '```terminal:execute\ncommand: [ls\n```',
      2,
      'terminal:execute: the block is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['```section:begin\nname: a\n```', 1, "section:begin 'a': no matching section:end"],
    ['```section:end\n```', 1, 'section:end: no matching section:begin'],
    [
      '```section:begin\nname: a\n```\n\n```section:end\nname: b\n```\n\n```section:end\nname: a\n```',
      5,
      "section:end 'b': no matching section:begin (the open section is 'a', from line 1)",
    ],
  ])('%j is reported on line %d', (text, line, message) => {
    expect(render(`${text}\n`).problems).toEqual([{ file: 'page.md', line, message }]);
  });

  test('fields Educates knows but this catalogue does not (autostart, cooldown…) are accepted', () => {
    expect(render('```terminal:execute\ncommand: ls\nhidden: false\ncooldown: 3\nautostart: true\n```\n').problems).toEqual([]);
  });

  test('the catalogue covers terminal, workshop, dashboard, editor, files, examiner and section actions', () => {
    const namespaces = new Set(ACTION_NAMES.map((name) => name.split(':')[0]));
    expect([...namespaces].sort()).toEqual(['dashboard', 'editor', 'examiner', 'files', 'section', 'terminal', 'workshop']);
  });
});

describe('variables', () => {
  test('{{< param NAME >}} is replaced in text, inline code, code blocks and action bodies', () => {
    const text =
      'Namespace {{< param session_namespace >}}, `{{< param session_name >}}`\n\n```yaml\nns: {{< param session_namespace >}}\n```\n\n```terminal:execute\ncommand: kubectl get pods -n {{< param session_namespace >}}\n```\n';

    const { html, problems } = render(text, { session_namespace: 'lab-s001', session_name: 'lab' });

    expect(problems).toEqual([]);
    expect(html).toContain('<p>Namespace lab-s001, <code>lab</code></p>');
    expect(html).toContain('<code class="language-yaml">ns: lab-s001\n</code>');
    expect(actionsIn(html)[0].args).toEqual({ command: 'kubectl get pods -n lab-s001' });
    expect(html).toContain('<code>kubectl get pods -n lab-s001</code>');
  });

  test('values are escaped for HTML, and carried exactly in data-args', () => {
    const value = `<img src=x onerror="alert(1)"> & 'quoted'`;
    const text = 'Value: {{< param v >}}\n\n[link](http://{{< param v >}}/)\n\n```workshop:copy\ntext: {{< param v >}}\n```\n';

    const { html } = render(text, { v: value });

    expect(html).not.toContain('<img');
    expect(html).toContain('Value: &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quoted&#39;');
    expect(actionsIn(html)[0].args).toEqual({ text: value });
    expect(html).toContain(`data-args='{"text":"&lt;img src=x onerror=\\"alert(1)\\"&gt; &amp; &#39;quoted&#39;"}'`);
  });

  test('quoted names and the {{% %}} form work; a commented shortcode is shown literally', () => {
    const { html, problems } = render('{{< param "a" >}} {{% param a %}} {{</* param a */>}}\n', { a: 'A' });

    expect(problems).toEqual([]);
    expect(html).toBe('<p>A A {{&lt; param a &gt;}}</p>\n');
  });

  test('{{< baseurl >}} is the variable baseurl, empty when the host gives none', () => {
    expect(render('![logo]({{< baseurl >}}/logo.svg)\n', { baseurl: '/static' }).html).toBe('<p><img src="/static/logo.svg" alt="logo"></p>\n');
    expect(render('![logo]({{< baseurl >}}/logo.svg)\n', {}).html).toBe('<p><img src="/logo.svg" alt="logo"></p>\n');
  });

  test('an unknown variable is a problem on its line and stays visible as written', () => {
    const { html, problems } = render('Line one\n\nNamespace {{< param session_nam >}}\n', { session_name: 'x' });

    expect(problems).toEqual([
      { file: 'page.md', line: 3, message: "unknown variable 'session_nam' in {{< param session_nam >}} (did you mean 'session_name'?)" },
    ]);
    expect(html).toContain('Namespace {{&lt; param session_nam &gt;}}');
  });

  test('unknown shortcodes and a param without a name are problems', () => {
    expect(render('{{< ref "x.md" >}} {{< param >}}\n', {}).problems).toEqual([
      { file: 'page.md', line: 1, message: `unknown shortcode 'ref' in {{< ref "x.md" >}}: use {{< param NAME >}} or {{< baseurl >}}` },
      { file: 'page.md', line: 1, message: '{{< param >}} needs exactly one variable name, as in {{< param session_namespace >}}' },
    ]);
  });

  test('Go templates that are not shortcodes are left alone', () => {
    expect(render("```terminal:execute\ncommand: docker info --format '{{.ServerVersion}}'\n```\n").problems).toEqual([]);
  });

  test('sample values exist for every session and environment variable, and overrides win', () => {
    expect(Object.keys(SAMPLE_VARIABLES).sort()).toEqual([...ENVIRONMENT_VARIABLES, ...SESSION_VARIABLES].sort());
    expect(sampleVariables({ session_namespace: 'mine', extra: 'e' })).toMatchObject({
      session_namespace: 'mine',
      extra: 'e',
      session_name: 'my-lab-w01-s001',
    });
  });
});

describe('renderPage', () => {
  test('gives the title, the body, and the neighbours in reading order', async () => {
    const content = await loadContent(GOOD);

    const home = await renderPage(content, '', sampleVariables());
    const cluster = await renderPage(content, 'setup/cluster', sampleVariables());
    const last = await renderPage(content, '04-later', sampleVariables());

    expect(home).toEqual({
      title: 'Good Workshop',
      html: '<p>Welcome, <strong>my-lab-w01-s001</strong> is yours.</p>\n',
      problems: [],
      next: '01-intro',
    });
    expect([cluster.prev, cluster.next]).toEqual(['setup', 'setup/tools']);
    expect([last.prev, last.next]).toEqual(['03-actions', undefined]);
  });

  test('headings get ids as Hugo makes them, unique within the page', () => {
    const { html } = render('# Getting started\n\n## Getting started\n\n## Step 1: `kubectl` & you\n');

    expect(html).toBe(
      '<h1 id="getting-started">Getting started</h1>\n<h2 id="getting-started-1">Getting started</h2>\n<h2 id="step-1-kubectl--you">Step 1: <code>kubectl</code> &amp; you</h2>\n',
    );
  });

  test('raw HTML from the author is kept', () => {
    expect(render('<details><summary>More</summary>\n\nHidden text\n\n</details>\n').html).toBe(
      '<details><summary>More</summary>\n<p>Hidden text</p>\n</details>\n',
    );
  });

  test('the same input renders to the same bytes', async () => {
    const content = await loadContent(GOOD);
    const first = await renderPage(content, '03-actions', sampleVariables());
    const second = await renderPage(await loadContent(GOOD), '03-actions', sampleVariables());
    expect(second).toEqual(first);
  });

  test('a page that is not in the content is an error naming it', async () => {
    const content = await loadContent(GOOD);
    await expect(renderPage(content, 'nope', {})).rejects.toThrow(`no page 'nope' in the instructions of ${GOOD}`);
  });

  test("a page's problems include those of its front matter, sorted by line", async () => {
    const content = await loadContent(BROKEN);

    const page = await renderPage(content, '02-no-title', sampleVariables());

    expect(page.problems.map(formatProblem)).toEqual([
      "workshop/content/02-no-title.md:1: no 'title' in the front matter: the page is listed as 'No title'",
      "workshop/content/02-no-title.md:2: 'weight' must be a whole number, got 'twenty'",
    ]);
  });
});

describe('validateContent', () => {
  test.each(EXAMPLES)('the example %s has no problems', async (example) => {
    expect(await validateContent(path.join(ROOT, 'examples', example), workshopVariableNames())).toEqual([]);
  });

  test('the good fixture has no problems', async () => {
    expect(await validateContent(GOOD, workshopVariableNames())).toEqual([]);
  });

  test('the broken fixture: every problem, with file and line, sorted', async () => {
    const problems = await validateContent(BROKEN, workshopVariableNames());

    expect(problems.map(formatProblem)).toEqual([
      'workshop/content/01-bad-yaml.md:3: front matter is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      "workshop/content/02-no-title.md:1: no 'title' in the front matter: the page is listed as 'No title'",
      "workshop/content/02-no-title.md:2: 'weight' must be a whole number, got 'twenty'",
      "workshop/content/03-actions.md:6: unknown action 'terminal:exec' (did you mean 'terminal:execute'?)",
      "workshop/content/03-actions.md:10: terminal:execute: missing required field 'command'",
      "workshop/content/03-actions.md:15: terminal:execute: the block must be YAML fields such as 'command: …', got text",
      "workshop/content/03-actions.md:19: terminal:execute: unknown field 'comand' (did you mean 'command'?)",
      "workshop/content/03-actions.md:21: terminal:execute: 'clear' must be true or false, got 'yes'",
      "workshop/content/03-actions.md:24: unknown shortcode 'tab' in {{< tab Console >}}: use {{< param NAME >}} or {{< baseurl >}}",
      "workshop/content/03-actions.md:24: unknown variable 'session_nam' in {{< param session_nam >}} (did you mean 'session_name'?)",
      'workshop/content/03-actions.md:28: editor:open-file: the block is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      "workshop/content/03-actions.md:31: section:begin 'quiz': no matching section:end",
      "workshop/content/notes:1: section 'notes' has no _index.md: it is titled 'Notes' and placed after the weighted pages",
    ]);
  });

  test("the author's own variables are known when listed", async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': '---\ntitle: T\n---\n{{< param favourite_colour >}}\n' });

    expect(await validateContent(dir, workshopVariableNames())).toEqual([
      { file: 'workshop/content/_index.md', line: 4, message: "unknown variable 'favourite_colour' in {{< param favourite_colour >}}" },
    ]);
    expect(await validateContent(dir, workshopVariableNames(['favourite_colour']))).toEqual([]);
  });
});

describe('watchContent', () => {
  test('reports a burst of saves once, after a quiet period, with the changed files relative to the workshop', async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': '---\ntitle: T\n---\n' });
    const file = path.join(dir, 'workshop/content/_index.md');
    const reports: string[][] = [];
    // the quiet period runs on a fake clock; the file events are real. Every event (re)arms the quiet-period
    // timer, so counting the timers armed tells when the event of a save has arrived.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const fakeSetTimeout = globalThis.setTimeout;
    let events = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      events++;
      return fakeSetTimeout(...args);
    }) as typeof setTimeout;
    const stop = watchContent(dir, (files) => reports.push(files));
    try {
      // a save here is one append: one write, one file event
      await fs.appendFile(file, 'one\n');
      await waitFor('the first save to be noticed', () => events === 1, { timeoutMs: 5000, everyMs: 5 });
      await jest.advanceTimersByTimeAsync(WATCH_DEBOUNCE_MS - 1);
      await fs.appendFile(file, 'two\n');
      await waitFor('the second save to be noticed', () => events === 2, { timeoutMs: 5000, everyMs: 5 });
      await jest.advanceTimersByTimeAsync(WATCH_DEBOUNCE_MS - 1);
      // each save came within the quiet period of the one before: nothing reported yet
      expect(reports).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(reports).toEqual([['workshop/content/_index.md']]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      stop();
      globalThis.setTimeout = fakeSetTimeout;
      jest.useRealTimers();
    }
  });

  test('sees files in new directories', async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': '---\ntitle: T\n---\n' });
    const reports: string[][] = [];
    const stop = watchContent(dir, (files) => reports.push(files));
    try {
      await fs.mkdir(path.join(dir, 'workshop/content/part'));
      // the directory is reported once it is watched (the watcher lists it when its parent changes)
      await waitFor('the new directory to be reported', () => reports.flat().includes('workshop/content/part'), 5000);
      reports.length = 0;
      await fs.writeFile(path.join(dir, 'workshop/content/part/a.md'), 'text');
      await waitFor('a file in the new directory to be reported', () => reports.flat().includes('workshop/content/part/a.md'), 5000);
    } finally {
      stop();
    }
  });
});

describe('watchContent when workshop/ is replaced', () => {
  test('a workshop/ swapped in by rename is reported, and edits inside the new one are seen', async () => {
    const dir = await workshopWith({
      'workshop/content/_index.md': '---\ntitle: Old\n---\n',
      'workshop.next/content/_index.md': '---\ntitle: New\n---\n',
    });
    const reports: string[][] = [];
    const stop = watchContent(dir, (files) => reports.push(files));
    try {
      await fs.rename(path.join(dir, 'workshop'), path.join(dir, 'workshop.old'));
      await fs.rename(path.join(dir, 'workshop.next'), path.join(dir, 'workshop'));
      await waitFor('the swapped-in workshop/ to be reported', () => reports.flat().includes('workshop'), 5000);

      reports.length = 0;
      await fs.writeFile(path.join(dir, 'workshop/content/_index.md'), '---\ntitle: Newer\n---\n');
      await waitFor('an edit inside the new workshop/ to be reported', () => reports.flat().includes('workshop/content/_index.md'), 5000);
    } finally {
      stop();
    }
  });

  test('files outside workshop/ are not reported', async () => {
    const dir = await workshopWith({ 'workshop/content/_index.md': 'x', 'exercises/a.txt': 'a' });
    const reports: string[][] = [];
    const stop = watchContent(dir, (files) => reports.push(files));
    try {
      await fs.writeFile(path.join(dir, 'exercises/a.txt'), 'b');
      await fs.writeFile(path.join(dir, 'README.md'), 'c');
      // then a change inside workshop/: its report comes after the events of the writes above (one inotify queue,
      // read in order), so anything they caused would be reported by then, before it or with it
      await fs.appendFile(path.join(dir, 'workshop/content/_index.md'), 'y');
      await waitFor('the change inside workshop/ to be reported', () => reports.length > 0, 5000);
      expect(reports).toEqual([['workshop/content/_index.md']]);
    } finally {
      stop();
    }
  });
});
