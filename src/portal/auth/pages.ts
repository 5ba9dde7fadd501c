/**
 * The pages of signing in: sign-in, registration, the event access code, sign-out confirmation, and the pages that
 * say no (forbidden, too many attempts, expired form). Pure functions from what to show to a Page, written with
 * `html`, so every value from the request is escaped; the portal draws them in its layout, like every other page.
 */
import { html, type SafeHtml } from '../../content/html.js';
import { type Notice, type Page, problemBody } from '../web/layout.js';
import type { FieldError } from './accounts.js';
import type { Identity } from './types.js';

export interface PageFrame {
  readonly identity?: Identity | null;
  readonly csrfToken?: string;
}

function hidden(name: string, value: string | undefined): SafeHtml | undefined {
  return value ? html`<input type="hidden" name="${name}" value="${value}">` : undefined;
}

function frame(title: string, f: PageFrame, body: SafeHtml, notice?: Notice): Page {
  return { title, identity: f.identity, csrfToken: f.csrfToken, body, notice };
}

function field(
  name: string,
  label: string,
  type: string,
  options: { value?: string; errors?: readonly FieldError[]; autocomplete: string; required?: boolean },
): SafeHtml {
  const error = options.errors?.find((e) => e.field === name);
  const id = `f-${name}`;
  return html`<p class="field${error ? ' has-error' : ''}"><label for="${id}">${label}</label>
<input id="${id}" name="${name}" type="${type}" autocomplete="${options.autocomplete}"${options.required !== false && html` required`}${options.value !== undefined && html` value="${options.value}"`}${error && html` aria-invalid="true" aria-describedby="${id}-error"`}>
${error && html`<span class="field-error" id="${id}-error">${error.message}</span>`}</p>`;
}

export interface LoginPage extends PageFrame {
  readonly next?: string;
  readonly username?: string;
  readonly error?: string;
  readonly notice?: string;
  /** Link to the registration page (one-step registration only). */
  readonly canRegister: boolean;
  /** Label of the OpenID Connect button, when configured. */
  readonly oidcName?: string;
}

export function loginPage(p: LoginPage): Page {
  const next = p.next ? `?next=${encodeURIComponent(p.next)}` : '';
  const body = html`<h1>Sign in</h1>
<form method="post" action="/accounts/login/" class="stack">
${hidden('_csrf', p.csrfToken)}${hidden('next', p.next)}
${field('username', 'Username', 'text', { value: p.username ?? '', autocomplete: 'username' })}
${field('password', 'Password', 'password', { autocomplete: 'current-password' })}
<p><button type="submit">Sign in</button></p>
</form>
${p.oidcName && html`<p><a class="button" href="/accounts/oidc/login/${next}">Sign in with ${p.oidcName}</a></p>`}
${p.canRegister && html`<p>No account yet? <a href="/accounts/register/${next}">Register</a></p>`}`;
  return frame('Sign in', p, body, p.error ? { kind: 'error', text: p.error } : p.notice ? { kind: 'info', text: p.notice } : undefined);
}

export interface RegisterPage extends PageFrame {
  readonly next?: string;
  readonly values?: { username?: string; email?: string };
  readonly errors?: readonly FieldError[];
}

export function registerPage(p: RegisterPage): Page {
  const errors = p.errors ?? [];
  const body = html`<h1>Register</h1>
<form method="post" action="/accounts/register/" class="stack" novalidate>
${hidden('_csrf', p.csrfToken)}${hidden('next', p.next)}
${field('username', 'Username', 'text', { value: p.values?.username ?? '', errors, autocomplete: 'username' })}
${field('email', 'Email', 'email', { value: p.values?.email ?? '', errors, autocomplete: 'email' })}
${field('password', 'Password', 'password', { errors, autocomplete: 'new-password' })}
${field('confirm', 'Confirm password', 'password', { errors, autocomplete: 'new-password' })}
<p><button type="submit">Register</button></p>
</form>
<p>Have an account? <a href="/accounts/login/${p.next ? `?next=${encodeURIComponent(p.next)}` : ''}">Sign in</a></p>`;
  return frame(
    'Register',
    p,
    body,
    errors.length ? { kind: 'error', text: `Please correct ${errors.length === 1 ? 'the field' : `${errors.length} fields`} below.` } : undefined,
  );
}

export function accessCodePage(p: PageFrame & { next?: string; error?: string }): Page {
  const body = html`<h1>Event access code</h1>
<p>This event is open to participants only. Enter the access code you were given.</p>
<form method="post" action="/workshops/access/" class="stack">
${hidden('_csrf', p.csrfToken)}${hidden('next', p.next)}
${field('code', 'Access code', 'password', { autocomplete: 'off' })}
<p><button type="submit">Continue</button></p>
</form>`;
  return frame('Access code', p, body, p.error ? { kind: 'error', text: p.error } : undefined);
}

export function logoutPage(p: PageFrame): Page {
  const body = html`<h1>Sign out</h1>
<form method="post" action="/accounts/logout/">${hidden('_csrf', p.csrfToken)}<p><button type="submit">Sign out</button></p></form>`;
  return frame('Sign out', p, body);
}

/** A page that refuses something, in words the reader can act on. */
export function messagePage(
  p: PageFrame & { title: string; message: string; link?: { href: string; text: string }; links?: ReadonlyArray<{ href: string; text: string }> },
): Page {
  return frame(p.title, p, problemBody(p.title, p.message, p.links ?? (p.link ? [p.link] : [])));
}
