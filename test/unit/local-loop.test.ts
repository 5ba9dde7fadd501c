/**
 * The pure parts of the local loop and the portal pages: which folder serves a session under --content, which
 * session a `<session>.localhost` host names, the retry schedule of a failing dashboard, the waiting page, and how
 * learners read on the admin page. (local-loop.test.ts and portal-pages.test.ts prove them in Chromium.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { contentChoice, contentFor, retryDelaySeconds, sessionOfHost } from '../../src/cli/commands/session-dashboard.js';
import { bannerHtml, endedPage, endedWhy, FAILURES_SHOWN_AS_STUCK, waitingPage } from '../../src/cli/dev-front-door.js';
import { CliError } from '../../src/cli/errors.js';
import { learnerLabel } from '../../src/portal/views.js';

describe('--content', () => {
  test('the examples folder serves each workshop its own folder; an unknown workshop is named with those there are', () => {
    const choice = contentChoice('examples');
    expect(choice).toEqual({
      kind: 'by-workshop',
      root: path.resolve('examples'),
      workshops: ['container-builds', 'hello-terminal', 'k8s-fundamentals'],
    });
    expect(contentFor(choice, 'hello-terminal')).toBe(path.resolve('examples/hello-terminal'));
    expect(() => contentFor(choice, 'nope')).toThrow(
      new CliError(
        `--content ${path.resolve('examples')} has no folder for workshop 'nope' ` +
          `(it has: container-builds, hello-terminal, k8s-fundamentals): add ${path.resolve('examples/nope/workshop/content')}/`,
      ),
    );
  });

  test('one workshop folder serves every session; a folder with neither shape is refused', () => {
    expect(contentFor(contentChoice('examples/hello-terminal'), 'anything')).toBe(path.resolve('examples/hello-terminal'));
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'local-loop-unit-'));
    try {
      expect(() => contentChoice(empty)).toThrow(/has no workshop\/content\/ folder, nor folders <workshop>\/workshop\/content\//);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

test('a <session>.localhost host names its session; anything else names none', () => {
  expect(sessionOfHost('labs-hello-terminal-s001.localhost:10082')).toBe('labs-hello-terminal-s001');
  expect(sessionOfHost('labs-hello-terminal-s001.localhost')).toBe('labs-hello-terminal-s001');
  for (const host of ['127.0.0.1:10082', 'localhost:10082', 'a.b.localhost:1', '-x.localhost:1', 'evil.example.com', ''])
    expect(sessionOfHost(host)).toBeUndefined();
});

test('a failing dashboard is tried again after 1, 2, 4, 8, then every 10 s', () => {
  expect([1, 2, 3, 4, 5, 9].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 10, 10]);
  expect(FAILURES_SHOWN_AS_STUCK).toBe(3);
});

test("the waiting page uses the portal's style sheet and escapes what it shows", () => {
  const page = waitingPage('http://127.0.0.1:8080', 's<1>');
  expect(page).toContain('<link rel="stylesheet" href="http://127.0.0.1:8080/static/portal.css">');
  expect(page).toContain('Waiting for session s&#60;1&#62;');
  expect(page).not.toContain('s<1>');
  const banner = bannerHtml({ homeDir: '/tmp/<h>', namespace: 'ns1' });
  expect(banner).toMatch(
    />Local development: terminals are shells on this machine \(home \/tmp\/&#60;h&#62;\), kubectl in namespace ns1<\/div><script>/,
  );
  // and the page leaves for the "ended" page once its host says the session ended
  expect(banner).toMatch(/fetch\('\/healthz'.*s\.status === 'ended'\) location\.reload\(\)/s);
});

test("an ended session's page says why, escapes what it shows, and links back to the portal's workshops", () => {
  const page = endedPage('http://127.0.0.1:8080', { session: 'labs-x-s001', phase: 'Terminating', reason: 'TerminatedByAdmin' });
  expect(page).toContain('<h1 id="title">This session has ended</h1>');
  expect(page).toContain('Session <strong>labs-x-s001</strong> has ended: an administrator ended it.');
  expect(page).toContain('<a class="button" id="back-to-portal" href="http://127.0.0.1:8080/workshops/catalog/">Back to the workshops</a>');
  expect(endedPage('http://p', { session: '<b>', phase: 'deleted' })).toContain(
    'Session <strong>&#60;b&#62;</strong> has ended: it no longer exists.',
  );
  expect(endedWhy({ session: 's', phase: 'Expired', reason: 'Expired' })).toBe('its time ran out');
  expect(endedWhy({ session: 's', phase: 'Terminating', reason: 'TerminatedByUser' })).toBe('you ended it');
  expect(endedWhy({ session: 's', phase: 'Failed', reason: 'StartupTimeout' })).toBe('failed: StartupTimeout');
});

test('learners read as people: guests by a short id, OpenID users by subject and issuer, REST learners by name', () => {
  expect(learnerLabel('anon@labs:3f2a9c1b-1111-2222-3333-444455556666')).toBe('Guest 3f2a9c1b');
  expect(learnerLabel('oidc:id.example.com:ada')).toBe('ada (id.example.com)');
  expect(learnerLabel('anon@labs:3f2a9c1b-1111', { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })).toBe(
    'Ada Lovelace <ada@example.com>',
  );
  expect(learnerLabel('anon@labs:3f2a9c1b-1111', { email: 'ada@example.com' })).toBe('ada@example.com');
  expect(learnerLabel('grace')).toBe('grace');
  expect(learnerLabel(undefined)).toBe('—');
});
