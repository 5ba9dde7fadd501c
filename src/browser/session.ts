/**
 * The portal's session page (src/portal/web/session-page.ts, served as /static/session.js): polls the session's
 * progress, marks the steps, moves into the dashboard as soon as the session is ready (when the learner came to
 * enter it), reloads when it ends, and counts the time left down. Without it the page still works (it refreshes
 * itself).
 */

/** What /workshops/session/<name>/progress/ answers (sessionProgress in session-page.ts). */
interface Progress {
  readonly step: number;
  readonly ready: boolean;
  readonly ended: boolean;
  readonly expires?: string | null;
  readonly url?: string | null;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Seconds as h:mm:ss, or mm:ss under an hour. */
function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${h ? `${h}:${two(m)}` : two(m)}:${two(seconds % 60)}`;
}

function enhance(root: HTMLElement): void {
  const enter = root.dataset.enter === '1';
  const countdown = document.querySelector<HTMLElement>('.countdown');
  let expires = countdown ? Date.parse(countdown.dataset.expires ?? '') : 0;
  if (countdown) {
    const tick = () => {
      countdown.textContent = clock(Math.max(0, Math.round((expires - Date.now()) / 1000)));
    };
    tick();
    setInterval(tick, 1000);
  }
  const readyShown = Boolean(document.getElementById('enter'));
  const poll = async () => {
    try {
      const response = await fetch(root.dataset.progress ?? '', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.status === 404 || response.status === 403) {
        location.reload();
        return;
      }
      const p = (await response.json()) as Progress;
      document.querySelectorAll<HTMLElement>('.step').forEach((li) => {
        const i = Number(li.dataset.step);
        li.classList.toggle('done', i < p.step || (p.ready && i === 3));
        li.classList.toggle('current', i === p.step && !p.ready);
      });
      if (p.ended) {
        location.reload();
        return;
      }
      // an extension (by the learner elsewhere, or an admin) moves the end
      if (countdown && p.expires) expires = Date.parse(p.expires);
      if (p.ready && p.url) {
        if (enter) {
          location.assign(p.url);
          return;
        }
        if (!readyShown) {
          location.reload();
          return;
        }
      }
    } catch {
      // the next poll tries again
    }
    // while the session is prepared the learner waits for exactly this answer (a cache read on the portal): ask
    // often; once it is ready only the countdown and an ending matter
    setTimeout(poll, readyShown ? 5000 : 500);
  };
  setTimeout(poll, readyShown ? 5000 : 250);
}

const root = document.getElementById('session');
if (root) enhance(root);
