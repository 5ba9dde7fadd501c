/**
 * The attack: markup in what authors, learners and the portal name things (a workshop title, a page or section
 * title, a file the learner creates in her home, a session name) must reach the dashboard's pages as text. Each
 * test puts a script element and an attribute break-out into every such value and checks that the page holds no
 * element or attribute that was not written by the page itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import Fastify from 'fastify';

import { navigationHtml } from '../../src/content/preview/navigation.js';
import { createLocalAgent } from '../../src/dashboard/agent/index.js';
import { serveAgentFile } from '../../src/dashboard/agent-files.js';
import { parseConfig } from '../../src/dashboard/config.js';
import { renderDashboard, renderInstructions } from '../../src/dashboard/page.js';
import { serveFile } from '../../src/dashboard/static-files.js';

/** A script element and a break-out of a double-quoted attribute (no slash: it is also a file name). */
const ATTACK = `<script>alert(1)<script>"onmouseover="alert(2)`;
const ESCAPED = '&lt;script&gt;alert(1)&lt;script&gt;&quot;onmouseover=&quot;alert(2)';

/** Nothing of the attack is live markup: no script element of its own, no attribute break-out. */
function expectInert(markup: string, ownScripts: number): void {
  expect(markup).not.toContain('<script>alert');
  // (a quote after a backslash is inside the boot JSON's string, not an attribute's end)
  expect(markup).not.toMatch(/(?<!\\)"onmouseover=/);
  expect(markup.match(/<script/g) ?? []).toHaveLength(ownScripts);
  expect(markup).toContain(ESCAPED);
}

const pages = [
  { path: '', title: `Start ${ATTACK}` },
  { path: 'setup/one', title: `One ${ATTACK}`, section: 'setup' },
  { path: 'setup/two', title: 'Two', section: 'setup' },
];
const sections = [{ path: 'setup', title: `Setup ${ATTACK}` }];

describe('markup in names is rendered inert', () => {
  test('on the learner page: workshop title, page and section titles in the contents, tab and session names', () => {
    const config = parseConfig({
      workshop: { name: 'w', title: `Workshop ${ATTACK}` },
      capabilities: ['terminal'],
      tabs: [
        { name: 'Terminal', url: 'terminal:1' },
        { name: `Docs ${ATTACK}`, url: '/workshop/static/' },
      ],
      settings: { terminal: { sessions: ['1'] } },
    });
    const page = renderDashboard({
      config,
      sessionName: `s1${ATTACK}`,
      portalUrl: 'https://portal.example.com',
      instructions: { path: 'setup/one', title: `One ${ATTACK}`, html: '<p>rendered</p>' },
      pages,
      sections,
      requestHost: 's1.example.com',
    });
    // the page's own: the boot JSON and five script files
    expectInert(page, 6);
    expect(page).toContain(`<h1 class="workshop-title">Workshop ${ESCAPED}</h1>`);
    expect(page).toContain(`<span class="toc-section-title">Setup ${ESCAPED}</span>`);
    expect(page).toContain(`data-tab="Docs ${ESCAPED}"`);
    // the session name only in the boot JSON (no '<' there) and, percent-encoded, in the end URL
    expect(page).toContain('"session":"s1\\u003cscript>alert(1)\\u003cscript>\\"onmouseover=\\"alert(2)"');
    expect(page).toContain('/workshops/session/s1%3Cscript%3Ealert(1)%3Cscript%3E%22onmouseover%3D%22alert(2)/delete/');

    const article = renderInstructions(
      { path: 'setup/one', title: `One ${ATTACK}`, html: '' },
      { contents: { pages, sections }, endUrl: 'https://portal.example.com/' },
    );
    expectInert(article, 0);
  });

  test("in the preview's contents list", () => {
    expectInert(navigationHtml({ pages, sections } as never, 'setup/one', new Set()).toString(), 0);
  });

  describe('in the file listings', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-html-'));
      fs.mkdirSync(path.join(dir, ATTACK));
      fs.writeFileSync(path.join(dir, ATTACK, `${ATTACK}.txt`), 'x');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function listings(): Promise<string[]> {
      const agent = createLocalAgent({ homeDir: dir, env: {} });
      const app = Fastify();
      // the path after the prefix still percent-encoded, as the dashboard's routes pass it
      app.get('/static/*', (request, reply) => serveFile(reply, dir, request.url.slice('/static/'.length), { prefix: '/static/', listings: true }));
      app.get('/files/*', (request, reply) => serveAgentFile(reply, agent, '.', request.url.slice('/files/'.length), { prefix: '/files/' }));
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      try {
        const bodies: string[] = [];
        for (const prefix of ['/static/', '/files/']) {
          for (const url of [prefix, `${prefix}${encodeURIComponent(ATTACK)}/`]) {
            const response = await fetch(`${base}${url}`);
            expect(response.status).toBe(200);
            bodies.push(await response.text());
          }
        }
        return bodies;
      } finally {
        await app.close();
        await agent.close();
      }
    }

    test("of the static files and of the learner's home (a file and a directory she named)", async () => {
      const bodies = await listings();
      expect(bodies).toHaveLength(4);
      for (const body of bodies) expectInert(body, 0);
      // the directory's own listing: its name in the title and heading, the file's name in the list
      expect(bodies[1]).toContain(`<title>Files: /${ESCAPED}/</title>`);
      expect(bodies[1]).toContain(`>${ESCAPED}.txt</a>`);
    });
  });
});
