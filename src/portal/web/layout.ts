/**
 * The frame every portal page is drawn in: one HTML document with a header (portal name, navigation, who is
 * signed in), an optional notice, the page's own content in <main>, and a footer. Pages are complete without
 * JavaScript; scripts only enhance them.
 *
 * Pages are written with the `html` tagged template (src/content/html.ts), which escapes every value that is not
 * already SafeHtml; a page's body must be SafeHtml, so a string built by hand cannot reach a page. The portal's
 * own name and logo (its "look") are passed to the renderer, per portal, not kept in a module variable.
 *
 * PORTAL-AUTH renders its sign-in, registration and access-code pages with this too.
 */
import type { FastifyInstance } from 'fastify';

import { html, joinHtml, type SafeHtml } from '../../content/html.js';

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

/** One page, before it is put into the portal's frame. */
export interface Page {
  /** The page's own title (the browser tab shows "<title> · <portal title>"). */
  readonly title: string;
  readonly identity?: LayoutIdentity | null;
  /** The page content, built with `html` (so escaped where it carries data). */
  readonly body: SafeHtml;
  /** Token for the forms on the page (the header's sign-out form uses it too). */
  readonly csrfToken?: string;
  /** A banner above the content; a bare string is an informational notice. */
  readonly notice?: Notice | string;
  /** Extra elements for <head> (e.g. a meta refresh for pages that wait for something). */
  readonly head?: SafeHtml;
  /** Script URLs served by the portal, loaded deferred; the page must work without them. */
  readonly scripts?: readonly string[];
}

/** What every page of one portal shows of the portal itself. */
export interface PortalLook {
  /** The name in every page header and tab title. */
  readonly title: string;
  /** A data:image URI or an https URL, checked by `portalLook`. */
  readonly logo?: string;
  /** Whether the operator's theme style sheet is linked. */
  readonly stylesheet: boolean;
}

/** Name of the hidden form field that carries the CSRF token on every POST form of the portal. */
export const CSRF_FIELD = '_csrf';

/** URL of the portal's style sheet (served by the portal, see web/static.ts). */
export const STYLESHEET_URL = '/static/portal.css';

/** The portal's icon (an SVG, also answered at /favicon.ico, which browsers ask for on their own). */
export const FAVICON_URL = '/static/favicon.svg';

/** URL of the operator's theme style sheet, linked after the portal's own when the portal has one. */
export const THEME_STYLESHEET_URL = '/static/theme.css';

/** The look of a portal configured with nothing: "Workshops", no logo, no theme. */
export const DEFAULT_LOOK: PortalLook = { title: 'Workshops', stylesheet: false };

/** A portal's look from its configuration; a logo that is neither a data:image URI nor an https URL is not shown. */
export function portalLook(options: { title?: string; logo?: string; stylesheet: boolean }): PortalLook {
  return {
    title: options.title ?? DEFAULT_LOOK.title,
    ...(options.logo && isSafeImage(options.logo) ? { logo: options.logo } : {}),
    stylesheet: options.stylesheet,
  };
}

function isSafeImage(url: string): boolean {
  return /^data:image\/(png|jpeg|gif|svg\+xml|webp);base64,[A-Za-z0-9+/=]+$/.test(url) || /^https:\/\/[^\s"'<>]+$/.test(url);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The look of the portal this server is (set by `usePortalLook`). */
    portalLook?: PortalLook;
  }
}

/** Gives a portal's server its look: every page it sends is drawn with it (see errors.ts `htmlPage`). */
export function usePortalLook(app: FastifyInstance, look: PortalLook): void {
  app.decorate('portalLook', look);
}

/** The hidden input that carries a CSRF token in a form (nothing when there is no token). */
export function csrfField(token: string | undefined): SafeHtml {
  return token ? html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">` : html``;
}

/** A full HTML document for one page, in the frame of a portal with the given look. */
export function renderPage(page: Page, look: PortalLook): SafeHtml {
  const notice = typeof page.notice === 'string' ? { kind: 'info' as const, text: page.notice } : page.notice;
  const scripts = (page.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ${look.title}</title>
<link rel="icon" href="${FAVICON_URL}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET_URL}">
${look.stylesheet && html`<link rel="stylesheet" href="${THEME_STYLESHEET_URL}">\n`}${page.head}${scripts}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header" role="banner">
<div class="bar">
<a class="brand" href="/">${look.logo && html`<img class="portal-logo" src="${look.logo}" alt="" height="32"> `}${look.title}</a>
<nav aria-label="Main">${navigation(page.identity, page.csrfToken)}</nav>
</div>
</header>
<main id="main" tabindex="-1">
${notice && renderNotice(notice)}${page.body}
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
export function problemBody(
  title: string,
  message: string,
  links: readonly PageLink[] = [{ href: '/workshops/catalog/', text: 'Back to the workshops' }],
): SafeHtml {
  const buttons = links.map((l, i) => html`<a class="button${i ? ' secondary' : ''}" href="${l.href}">${l.text}</a>`);
  return html`<h1>${title}</h1>
<div class="panel problem"><p>${message}</p>
${buttons.length > 0 && html`<div class="row">${joinHtml(buttons, '\n')}</div>`}</div>`;
}

function renderNotice(notice: Notice): SafeHtml {
  // errors interrupt a screen reader (alert); anything else is announced politely
  const role = notice.kind === 'error' ? 'alert' : 'status';
  return html`<div class="notice notice-${notice.kind}" role="${role}">${notice.text}</div>\n`;
}

function navigation(identity: LayoutIdentity | null | undefined, csrfToken: string | undefined): SafeHtml {
  const links = [html`<a href="/workshops/catalog/">Workshops</a>`];
  if (identity?.kind === 'admin') links.push(html`<a href="/admin/">Admin</a>`);
  if (!identity) {
    links.push(html`<a href="/accounts/login/">Sign in</a>`);
  } else {
    const who = identity.kind === 'anonymous' ? 'Guest' : identity.name || identity.username;
    // a guest's sign-in page is the administrators' way in (an anonymous portal has no other accounts)
    if (identity.kind === 'anonymous') links.push(html`<a href="/accounts/login/?next=%2Fadmin%2F">Admin sign-in</a>`);
    links.push(html`<span class="who">${who}</span>`);
    links.push(
      csrfToken
        ? html`<form class="inline" method="post" action="/accounts/logout/">${csrfField(csrfToken)}<button type="submit" class="link">Sign out</button></form>`
        : html`<a href="/accounts/logout/">Sign out</a>`,
    );
  }
  return joinHtml(links);
}
