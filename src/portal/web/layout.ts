/**
 * The frame every portal page is drawn in: one HTML document with a header (portal name, navigation, who is
 * signed in), an optional notice, the page's own content in <main>, and a footer. Pages are complete without
 * JavaScript; scripts only enhance them. Every value that comes from a learner, the cluster or a URL goes through
 * `escapeHtml`, so a page body is the only place raw HTML enters, and it is built by our own view functions.
 *
 * PORTAL-AUTH renders its sign-in, registration and access-code pages with this too.
 */

/** Who is looking at the page, as far as the layout cares (a structural subset of the request identity). */
export interface LayoutIdentity {
  readonly username: string;
  readonly name?: string;
  readonly kind: string;
}

export type NoticeKind = 'info' | 'success' | 'warning' | 'error';

export interface Notice {
  readonly kind: NoticeKind;
  /** Plain text; escaped. */
  readonly text: string;
}

export interface PageOptions {
  /** The page's own title (the browser tab shows "<title> · <portal title>"). */
  readonly title: string;
  readonly identity?: LayoutIdentity | null;
  /** HTML of the page content, already escaped where it carries data. */
  readonly body: string;
  /** Token for the forms on the page (the header's sign-out form uses it too). */
  readonly csrfToken?: string;
  /** A banner above the content; a bare string is an informational notice. */
  readonly notice?: Notice | string;
  /** Extra elements for <head> (e.g. a meta refresh for pages that wait for something); trusted HTML. */
  readonly head?: string;
  /** Script URLs served by the portal, loaded deferred; the page must work without them. */
  readonly scripts?: readonly string[];
  /** @default - the portal title set with `setPortalTitle`, else "Workshops" */
  readonly portalTitle?: string;
}

/** Name of the hidden form field that carries the CSRF token on every POST form of the portal. */
export const CSRF_FIELD = '_csrf';

/** URL of the portal's style sheet (served by the portal, see web/static.ts). */
export const STYLESHEET_URL = '/static/portal.css';

/** The portal's icon (an SVG, also answered at /favicon.ico, which browsers ask for on their own). */
export const FAVICON_URL = '/static/favicon.svg';

/** URL of the operator's theme style sheet, linked after the portal's own when the portal has one. */
export const THEME_STYLESHEET_URL = '/static/theme.css';

let defaultPortalTitle = 'Workshops';
let theme: { logo?: string; stylesheet: boolean } = { stylesheet: false };

/** The portal's logo (a data:image URI or an https URL; anything else is not shown) and whether a theme style sheet is linked. */
export function setPortalTheme(options: { logo?: string; stylesheet: boolean }): void {
  theme = { logo: options.logo && isSafeImage(options.logo) ? options.logo : undefined, stylesheet: options.stylesheet };
}

function isSafeImage(url: string): boolean {
  return /^data:image\/(png|jpeg|gif|svg\+xml|webp);base64,[A-Za-z0-9+/=]+$/.test(url) || /^https:\/\/[^\s"'<>]+$/.test(url);
}

/** The name shown in every page header; set once at start from the portal's configuration. */
export function setPortalTitle(title: string): void {
  defaultPortalTitle = title;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The hidden input that carries a CSRF token in a form (empty when there is no token). */
export function csrfField(token: string | undefined): string {
  return token ? `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">` : '';
}

/** A full HTML document for one page. */
export function renderPage(options: PageOptions): string {
  const portalTitle = options.portalTitle ?? defaultPortalTitle;
  const notice = typeof options.notice === 'string' ? { kind: 'info' as const, text: options.notice } : options.notice;
  const scripts = (options.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} · ${escapeHtml(portalTitle)}</title>
<link rel="icon" href="${FAVICON_URL}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET_URL}">
${theme.stylesheet ? `<link rel="stylesheet" href="${THEME_STYLESHEET_URL}">\n` : ''}${options.head ?? ''}${scripts}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header" role="banner">
<div class="bar">
<a class="brand" href="/">${theme.logo ? `<img class="portal-logo" src="${escapeHtml(theme.logo)}" alt="" height="32"> ` : ''}${escapeHtml(portalTitle)}</a>
<nav aria-label="Main">${navigation(options.identity, options.csrfToken)}</nav>
</div>
</header>
<main id="main" tabindex="-1">
${notice ? renderNotice(notice) : ''}${options.body}
</main>
<footer class="site-footer" role="contentinfo"><p>Hands-on workshops, a session of your own for each.</p></footer>
</body>
</html>
`;
}

/** A link or a button-styled link on a problem page. */
export interface PageLink {
  readonly href: string;
  readonly text: string;
}

/**
 * The one way every page that says no or reports a problem looks (not found, not yours, administrators only, too
 * many attempts, a form that expired…): the title, a panel with the message, and its ways on as buttons, the first
 * one primary.
 */
export function problemBody(title: string, message: string, links: readonly PageLink[] = [{ href: '/workshops/catalog/', text: 'Back to the workshops' }]): string {
  const buttons = links.map((l, i) => `<a class="button${i ? ' secondary' : ''}" href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`).join('\n');
  return `<h1>${escapeHtml(title)}</h1>
<div class="panel problem"><p>${escapeHtml(message)}</p>
${buttons ? `<div class="row">${buttons}</div>` : ''}</div>`;
}

function renderNotice(notice: Notice): string {
  // errors interrupt a screen reader (alert); anything else is announced politely
  const role = notice.kind === 'error' ? 'alert' : 'status';
  return `<div class="notice notice-${notice.kind}" role="${role}">${escapeHtml(notice.text)}</div>\n`;
}

function navigation(identity: LayoutIdentity | null | undefined, csrfToken: string | undefined): string {
  const links = ['<a href="/workshops/catalog/">Workshops</a>'];
  if (identity?.kind === 'admin') links.push('<a href="/admin/">Admin</a>');
  if (!identity) {
    links.push('<a href="/accounts/login/">Sign in</a>');
  } else {
    const who = identity.kind === 'anonymous' ? 'Guest' : identity.name || identity.username;
    // a guest's sign-in page is the administrators' way in (an anonymous portal has no other accounts)
    if (identity.kind === 'anonymous') links.push('<a href="/accounts/login/?next=%2Fadmin%2F">Admin sign-in</a>');
    links.push(`<span class="who">${escapeHtml(who)}</span>`);
    links.push(csrfToken
      ? `<form class="inline" method="post" action="/accounts/logout/">${csrfField(csrfToken)}<button type="submit" class="link">Sign out</button></form>`
      : '<a href="/accounts/logout/">Sign out</a>');
  }
  return links.join('');
}
