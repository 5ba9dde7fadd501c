/**
 * The session page's enhancement (served as /static/session.js): polls the session's progress, marks the steps,
 * moves into the dashboard as soon as the session is ready (when the learner came to enter it), reloads when it
 * ends, and counts the time left down. Without it the page still works (it refreshes itself).
 */
export const SESSION_SCRIPT = `(() => {
  const root = document.getElementById('session');
  if (!root) return;
  const enter = root.dataset.enter === '1';
  const countdown = document.querySelector('.countdown');
  const two = (n) => String(n).padStart(2, '0');
  const clock = (s) => { const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60); return (h ? h + ':' + two(m) : two(m)) + ':' + two(s % 60); };
  let expires = countdown ? Date.parse(countdown.dataset.expires) : 0;
  if (countdown) {
    const tick = () => { countdown.textContent = clock(Math.max(0, Math.round((expires - Date.now()) / 1000))); };
    tick();
    setInterval(tick, 1000);
  }
  let readyShown = !!document.getElementById('enter');
  const poll = async () => {
    try {
      const response = await fetch(root.dataset.progress, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.status === 404 || response.status === 403) { location.reload(); return; }
      const p = await response.json();
      document.querySelectorAll('.step').forEach((li) => {
        const i = Number(li.dataset.step);
        li.classList.toggle('done', i < p.step || (p.ready && i === 3));
        li.classList.toggle('current', i === p.step && !p.ready);
      });
      if (p.ended) { location.reload(); return; }
      // an extension (by the learner elsewhere, or an admin) moves the end
      if (countdown && p.expires) expires = Date.parse(p.expires);
      if (p.ready && p.url) {
        if (enter) { location.assign(p.url); return; }
        if (!readyShown) { location.reload(); return; }
      }
    } catch (e) { /* the next poll tries again */ }
    // while the session is prepared the learner waits for exactly this answer (a cache read on the portal): ask
    // often; once it is ready only the countdown and an ending matter
    setTimeout(poll, readyShown ? 5000 : 500);
  };
  setTimeout(poll, readyShown ? 5000 : 250);
})();
`;
