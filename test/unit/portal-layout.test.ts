import { CSRF_FIELD, csrfField, escapeHtml, renderPage } from '../../src/portal/web/layout.js';

describe('portal layout', () => {
  test('GIVEN text with markup WHEN escaped THEN it is inert in content and attributes', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(escapeHtml(undefined)).toBe('');
  });

  test('GIVEN a page WHEN rendered THEN it is a full document with landmarks, the style sheet and escaped data', () => {
    const html = renderPage({ title: 'Cat<a>log', identity: { username: 'ann', name: 'Ann <b>', kind: 'registered' }, body: '<p>hi</p>', csrfToken: 't"1', notice: { kind: 'error', text: 'No <session>' } });
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
    expect(html).not.toContain('href="/admin/"');
  });

  test('GIVEN an admin or nobody WHEN rendered THEN navigation offers admin pages or sign-in', () => {
    expect(renderPage({ title: 'x', identity: { username: 'admin', kind: 'admin' }, body: '' })).toContain('href="/admin/"');
    const anonymous = renderPage({ title: 'x', identity: null, body: '', notice: 'hello' });
    expect(anonymous).toContain('href="/accounts/login/"');
    expect(anonymous).toContain('role="status">hello</div>');
    expect(csrfField(undefined)).toBe('');
  });
});
