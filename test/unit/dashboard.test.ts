/**
 * Pieces of the session dashboard that need no browser: reading dashboard.json, the page's markup, files kept
 * inside their root, and the pace of activity reports.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { jest } from '@jest/globals';

import { escapeHtml } from '../../src/content/html.js';
import { Activity } from '../../src/dashboard/activity.js';
import { parseConfig, terminalSessions } from '../../src/dashboard/config.js';
import { renderDashboard, renderInstructions, routeDownPage } from '../../src/dashboard/page.js';
import { inside } from '../../src/dashboard/static-files.js';

const CONFIG = {
  workshop: { name: 'w', title: 'Kubernetes <Basics>' },
  content: {},
  capabilities: ['terminal', 'console'],
  tabs: [
    { name: 'Terminal', url: 'terminal:1' },
    { name: 'Console', url: 'https://console-s1.example.com/' },
  ],
  routes: [{ name: 'console', host: 'console-s1.example.com', port: 10083, authenticated: true }],
  settings: { terminal: { layout: 'split', sessions: ['1', '2'] } },
};

describe('dashboard.json', () => {
  test('is read with defaults for what the template may leave out', () => {
    const config = parseConfig({ workshop: { name: 'w', title: 'T' } });
    expect(config).toMatchObject({ content: {}, capabilities: [], tabs: [], routes: [], settings: {} });
    expect(terminalSessions(parseConfig(CONFIG))).toEqual(['1', '2']);
  });

  test('errors name the field, the value and what is allowed', () => {
    expect(() => parseConfig({ workshop: { name: 'w' } })).toThrow(
      `dashboard.json: 'workshop' ({"name":"w"}) must be an object with a name and a title`,
    );
    expect(() => parseConfig({ ...CONFIG, routes: [{ name: 'x', host: 'x-s1.example.com', port: 70000 }] })).toThrow(
      `dashboard.json: 'routes[0].port' (70000) must be a whole number from 1 to 65535`,
    );
    expect(() => parseConfig({ ...CONFIG, content: { image: { ref: '' } } })).toThrow(/'content.image' .* must be an object with a ref/);
  });
});

describe('the learner page', () => {
  const model = (requestHost: string) => ({
    config: parseConfig(CONFIG),
    sessionName: 's1',
    portalUrl: 'https://labs-ui.example.com',
    instructions: { path: '', title: 'Start', html: '<p>Hi</p>', next: '02-more' },
    pages: [
      { path: '', title: 'Start' },
      { path: '02-more', title: 'More' },
    ],
    requestHost,
  });

  test('has the title, a tab per tool, one panel per layout terminal, and escapes what it shows', () => {
    const html = renderDashboard(model('s1.example.com'));
    expect(html).toContain('<h1 class="workshop-title">Kubernetes &lt;Basics&gt;</h1>');
    expect(html.match(/role="tab"/g)).toHaveLength(2);
    expect(html.match(/class="terminal" data-terminal=/g)).toHaveLength(2);
    expect(html).toContain('href="/page/02-more"');
    expect(html).toContain('"endUrl":"https://labs-ui.example.com/workshops/session/s1/delete/"');
  });

  test("addresses a route's tab at its host through the session's host, and through /proxy/ elsewhere", () => {
    expect(renderDashboard(model('s1.example.com'))).toContain('data-src="https://console-s1.example.com/"');
    expect(renderDashboard(model('127.0.0.1'))).toContain('data-src="/proxy/console/"');
  });

  test('says where a page stands, names its neighbours, nests the contents by section, and offers Finish on the last page', () => {
    const contents = {
      pages: [
        { path: '', title: 'Start' },
        { path: 'setup', title: 'Setup', section: 'setup' },
        { path: 'setup/tools', title: 'Tools <&>', section: 'setup' },
      ],
      sections: [{ path: 'setup', title: 'Setup' }],
    };
    const endUrl = 'https://labs-ui.example.com/workshops/session/s1/delete/';
    const middle = renderInstructions({ path: 'setup', title: 'Setup', html: '' }, { contents, endUrl });
    expect(middle).toContain('<p class="page-position">Page 2 of 3</p>');
    expect(middle).toContain(
      '<a class="pager-prev" rel="prev" href="/" data-page=""><span class="pager-label">← Previous</span><span class="pager-title">Start</span></a>',
    );
    expect(middle).toContain('<span class="pager-title">Tools &lt;&amp;&gt;</span>');
    expect(middle).not.toContain('Finish workshop');
    const last = renderInstructions({ path: 'setup/tools', title: 'Tools', html: '' }, { contents, endUrl });
    expect(last).toContain(`<a class="button" id="finish-workshop" href="${endUrl}" target="_top">Finish workshop</a>`);
    expect(last).not.toContain('rel="next"');

    const page = renderDashboard({ ...model('s1.example.com'), ...contents, instructions: { path: 'setup', title: 'Setup', html: '' } });
    expect(page).toContain('<details class="contents" open>');
    expect(page).toMatch(
      /<li class="toc-section"><a href="\/page\/setup" data-page="setup" aria-current="page">Setup<\/a><ol><li><a href="\/page\/setup\/tools"/,
    );
  });

  test('a route whose application is down gets a page naming it, why, and what to do, escaped', () => {
    const page = routeDownPage({ name: 'console', port: 10083 }, 'ECONNREFUSED');
    expect(page).toContain('<h1>The console application is not answering</h1>');
    expect(page).toContain('nothing is listening on port 10083 of the session');
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(routeDownPage({ name: 'app', port: 80, service: 'web' }, 'ENOTFOUND')).toContain('the Service web does not exist (yet)');
    expect(routeDownPage({ name: 'app', port: 80 }, '<x>')).toContain('(&lt;x&gt;)');
  });

  test('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('files served from disk', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-unit-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('stay inside their root, however the path is spelled', () => {
    expect(inside(root, 'a/b.txt')).toBe(path.join(root, 'a/b.txt'));
    expect(inside(root, '')).toBe(root);
    for (const escape of ['../x', 'a/../../x', '..%2fx', '%2e%2e/x', '/etc/passwd', 'a%00b', '%E0%A4%A']) {
      const resolved = inside(root, escape);
      expect(resolved === null || resolved.startsWith(root + path.sep)).toBe(true);
    }
    expect(inside(root, '..%2fx')).toBeNull();
  });
});

describe('activity reports', () => {
  test('go out at once, then at most once per interval however busy the learner is', async () => {
    jest.useFakeTimers();
    try {
      let reports = 0;
      const activity = new Activity({ intervalMs: 300, report: async () => void reports++ });
      activity.touch();
      expect(reports).toBe(1);
      for (let i = 0; i < 20; i++) activity.touch();
      expect(reports).toBe(1);
      // The burst is folded into one trailing report, when the interval is over (on the fake clock).
      await jest.advanceTimersByTimeAsync(299);
      expect(reports).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(reports).toBe(2);
      // and nothing more without new activity
      await jest.advanceTimersByTimeAsync(1000);
      expect(reports).toBe(2);
      activity.stop();
      expect(activity.snapshot()).toEqual({ 'idle-time': 1, 'last-view': 1 });
    } finally {
      jest.useRealTimers();
    }
  });
});
