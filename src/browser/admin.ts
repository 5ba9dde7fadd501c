/**
 * The staff's page (src/portal/web/admin.ts, served as /static/admin.js): replaces the tables with those of a fresh
 * copy of the page every few seconds, unless the admin is using a control in them or the page is hidden.
 */

/** The parts of the page that are replaced. */
const REFRESHED = ['summary', 'environments-body', 'sessions-body', 'sessions-count'];

function refreshEvery(status: HTMLElement): void {
  const every = Number(status.dataset.every) * 1000;
  const refresh = async () => {
    const busy = document.activeElement?.closest('#sessions-body, #environments-body');
    if (!busy && !document.hidden) {
      try {
        const response = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' });
        if (response.ok) {
          const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
          for (const id of REFRESHED) {
            const now = document.getElementById(id);
            const next = fresh.getElementById(id);
            if (now && next) now.replaceWith(next);
          }
          status.textContent = `Updated at ${new Date().toLocaleTimeString()}; updates every ${every / 1000} s.`;
          status.dataset.updated = String(Date.now());
        }
      } catch {
        // the next round tries again
      }
    }
    setTimeout(refresh, every);
  };
  setTimeout(refresh, every);
}

const status = document.getElementById('refreshed');
if (status) refreshEvery(status);
