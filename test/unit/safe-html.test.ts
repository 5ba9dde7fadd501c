/**
 * The `html` tagged template (src/content/html.ts): what pages are written with, escaping by default.
 */
import { describe, expect, it } from '@jest/globals';

import { html, type HtmlValue, joinHtml, raw, SafeHtml } from '../../src/content/html.js';

describe('html``', () => {
  it('escapes every value for element text and quoted attributes', () => {
    const title = `<script>alert("x")</script> & 'y'`;
    expect(html`<a title="${title}" href='${title}'>${title}</a>`.toString()).toBe(
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;" ' +
        "href='&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;'>" +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</a>',
    );
  });

  it('keeps SafeHtml as it is, so templates nest without double escaping', () => {
    const inner = html`<b>${'a < b'}</b>`;
    expect(html`<p>${inner}</p>`.toString()).toBe('<p><b>a &lt; b</b></p>');
  });

  it('leaves out undefined, null and false, and joins lists', () => {
    const items: HtmlValue[] = ['<1>', html`<i>2</i>`, undefined, false, null, 3];
    expect(html`<ul>${items}</ul>${false}${undefined}`.toString()).toBe('<ul>&lt;1&gt;<i>2</i>3</ul>');
  });

  it('raw() is the one way to put trusted markup in unescaped', () => {
    expect(html`<div>${raw('<em>rendered</em>')}</div>`.toString()).toBe('<div><em>rendered</em></div>');
    expect(raw('<x>')).toBeInstanceOf(SafeHtml);
  });

  it('joinHtml escapes items and the separator unless SafeHtml', () => {
    expect(joinHtml(['<a>', html`<b></b>`], ' & ').toString()).toBe('&lt;a&gt; &amp; <b></b>');
  });

  it('a string is not SafeHtml to the type checker', () => {
    // @ts-expect-error a page renderer that takes SafeHtml refuses a plain string
    const page: SafeHtml = '<p>unescaped</p>';
    expect(typeof page).toBe('string');
  });
});
