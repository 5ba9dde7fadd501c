/*
 * The page's analytics events (src/dashboard/routes/events.ts): sent to the dashboard's /session/event, which
 * forwards them to the portal and from there to the analytics webhook. What is sent: the page loaded, each
 * instructions page shown, action blocks clicked, finishing the workshop, each terminal connecting (which one),
 * and per terminal how many keys were typed since the last report (every 10 seconds, and when the page goes
 * away) — never what was typed or shown.
 */
(function () {
  'use strict';

  function send(name, data) {
    try {
      fetch('/session/event', {
        method: 'POST',
        credentials: 'same-origin',
        keepalive: true,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ name: name, data: data || {} }),
      }).catch(function () {});
    } catch (e) {
      // analytics never get in the learner's way
    }
  }

  /** The instructions page shown: /page/<path> or / (the first page). */
  function currentPage() {
    var match = /^\/page\/(.*)$/.exec(window.location.pathname);
    if (!match) return '';
    try {
      return decodeURIComponent(match[1]).replace(/\/+$/, '');
    } catch (e) {
      return match[1];
    }
  }

  var lastPage = null;
  function viewed() {
    var page = currentPage();
    if (page === lastPage) return;
    lastPage = page;
    send('Workshop/View', { page: page });
  }

  send('Workshop/Load', {});
  viewed();

  // dashboard.js swaps the article in place when the learner moves on: report the page it now shows
  var article = document.getElementById('page');
  if (article && window.MutationObserver) new MutationObserver(viewed).observe(article, { childList: true });
  window.addEventListener('popstate', viewed);

  function actionEvent(event) {
    var element = event.target && event.target.closest && event.target.closest('[data-action]');
    if (!element || !article || !article.contains(element)) return;
    if (event.type === 'keydown' && ((event.key !== 'Enter' && event.key !== ' ') || element !== event.target)) return;
    send('Action/Event', { action: String(element.getAttribute('data-action')).slice(0, 200), page: currentPage() });
  }
  // capture: seen before any handler of the action can stop the event
  document.addEventListener('click', actionEvent, true);
  document.addEventListener('keydown', actionEvent, true);

  document.addEventListener('click', function (event) {
    if (event.target && event.target.closest && event.target.closest('#finish-workshop')) send('Workshop/Finish', { page: currentPage() });
  }, true);

  // ---------------------------------------------------------------- terminals: which one connected
  // dashboard.js says when a terminal's socket opens: the first time Terminal/Connect, after a drop Terminal/Reconnect
  document.addEventListener('dashboard:terminal-connected', function (event) {
    var detail = event.detail || {};
    send(detail.reconnect ? 'Terminal/Reconnect' : 'Terminal/Connect', { terminal: String(detail.terminal).slice(0, 200) });
  });

  // ---------------------------------------------------------------- terminal input: counts only
  var keystrokes = {};
  document.addEventListener('keydown', function (event) {
    var terminal = event.target && event.target.closest && event.target.closest('.terminal[data-terminal]');
    if (!terminal) return;
    var id = terminal.getAttribute('data-terminal');
    keystrokes[id] = (keystrokes[id] || 0) + 1;
  }, true);

  function flushInput() {
    Object.keys(keystrokes).forEach(function (id) {
      var count = keystrokes[id];
      if (count > 0) send('Terminal/Input', { terminal: String(id).slice(0, 200), keystrokes: count });
    });
    keystrokes = {};
  }
  setInterval(flushInput, 10000);
  window.addEventListener('pagehide', flushInput);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') flushInput();
  });
})();
