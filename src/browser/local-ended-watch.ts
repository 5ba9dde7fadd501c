/**
 * The local loop's watch for the end of a session (src/cli/dev-front-door.ts puts it into the dashboard's page with
 * the "Local development" banner; `workshops local up` into the pages it proxies): when the session ends (the End
 * button, expiry, an admin), its host stops serving the dashboard and answers /healthz with "ended"; the page then
 * loads the ended page instead of showing a dashboard whose terminals no longer answer.
 */

const EVERY_MS = 2000;

function look(): void {
  fetch('/healthz', { cache: 'no-store' })
    .then((response) => response.json() as Promise<{ status?: string } | null>)
    .then((health) => {
      if (health && health.status === 'ended') location.reload();
      else setTimeout(look, EVERY_MS);
    })
    .catch(() => setTimeout(look, EVERY_MS));
}

setTimeout(look, EVERY_MS);
