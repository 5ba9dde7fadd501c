import { html } from '../../src/content/html.js';
import { CSRF_FIELD, csrfField, DEFAULT_LOOK, portalLook, renderPage } from '../../src/portal/web/layout.js';

const hi = html`<p>hi</p>`;

describe('portal layout', () => {
  test('GIVEN a page WHEN rendered THEN it is a full document with landmarks, the style sheet and escaped data', () => {
    const html = renderPage(
      {
        title: 'Cat<a>log',
        identity: { username: 'ann', name: 'Ann <b>', kind: 'registered' },
        body: hi,
        csrfToken: 't"1',
        notice: { kind: 'error', text: 'No <session>' },
      },
      DEFAULT_LOOK,
    ).toString();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<title>Cat&lt;a&gt;log · Workshops</title>');
    expect(html).toContain('<link rel="stylesheet" href="/static/portal.css">');
    expect(html).toMatch(/<header[^>]*role="banner"/);
    expect(html).toContain('<nav aria-label="Main">');
    expect(html).toContain('<main id="main"');
    expect(html).toMatch(/<footer[^>]*role="contentinfo"/);
    expect(html).toContain('Ann &lt;b&gt;');
    expect(html).toContain('<div class="notice notice-error" role="alert">No &lt;session&gt;</div>');
    expect(html).toContain(`name="${CSRF_FIELD}" value="t&quot;1"`);
    expect(html).toContain(
      '<main id="main" tabindex="-1">\n<div class="notice notice-error" role="alert">No &lt;session&gt;</div>\n<p>hi</p>\n</main>',
    );
    expect(html).not.toContain('href="/admin/"');
  });

  test('GIVEN an admin or nobody WHEN rendered THEN navigation offers admin pages or sign-in', () => {
    expect(renderPage({ title: 'x', identity: { username: 'admin', kind: 'admin' }, body: html`` }, DEFAULT_LOOK).toString()).toContain(
      'href="/admin/"',
    );
    const anonymous = renderPage({ title: 'x', identity: null, body: html``, notice: 'hello' }, DEFAULT_LOOK).toString();
    expect(anonymous).toContain('href="/accounts/login/"');
    expect(anonymous).toContain('role="status">hello</div>');
    expect(csrfField(undefined).toString()).toBe('');
  });

  test('GIVEN two portals WHEN they render THEN each page carries its own portal title and logo, escaped', () => {
    const page = { title: 'Workshops', body: html`` };
    const first = renderPage(page, portalLook({ title: 'Labs <One>', logo: 'https://example.com/a.png', stylesheet: true })).toString();
    const second = renderPage(page, portalLook({ title: 'Second', logo: 'javascript:alert(1)', stylesheet: false })).toString();
    expect(first).toContain('<title>Workshops · Labs &lt;One&gt;</title>');
    expect(first).toContain('<img class="portal-logo" src="https://example.com/a.png" alt="" height="32"> Labs &lt;One&gt;</a>');
    expect(first).toContain('<link rel="stylesheet" href="/static/theme.css">');
    expect(second).toContain('<title>Workshops · Second</title>');
    expect(second).not.toContain('javascript:');
    expect(second).not.toContain('theme.css');
  });

  test('GIVEN a plain string as a body THEN the type checker refuses it, and one that slips through is escaped', () => {
    // @ts-expect-error a page body must be SafeHtml (built with html``), never a string
    expect(renderPage({ title: 'x', body: '<p>unescaped</p>' }, DEFAULT_LOOK).toString()).toContain('\n&lt;p&gt;unescaped&lt;/p&gt;\n</main>');
  });
});
