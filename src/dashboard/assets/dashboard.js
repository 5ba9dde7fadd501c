// The session dashboard in the browser: tabs, terminals (xterm.js over WebSockets), clickable actions in the
// instructions, live instruction updates and the session's countdown. Plain script, no build step: it is served
// as it is, next to xterm.js.
(function () {
  'use strict';

  var boot = JSON.parse(document.getElementById('dashboard-boot').textContent);
  var terminals = {}; // id -> { term, fit, socket, element, queue }
  var notice = document.getElementById('notice');

  // ---------------------------------------------------------------- tabs

  var tabButtons = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));

  function openTab(button) {
    if (!button) return false;
    tabButtons.forEach(function (b) {
      var selected = b === button;
      b.setAttribute('aria-selected', String(selected));
      b.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(b.getAttribute('aria-controls'));
      if (!panel) return;
      panel.hidden = !selected;
      if (selected) {
        // Frames load on first sight: an editor or console costs nothing until the learner wants it.
        var frame = panel.querySelector('iframe[data-src]');
        if (frame && !frame.getAttribute('src')) frame.setAttribute('src', frame.getAttribute('data-src'));
      }
    });
    fitAll();
    return true;
  }

  function tabNamed(name) {
    var wanted = String(name || '').toLowerCase();
    return tabButtons.filter(function (b) { return b.getAttribute('data-tab').toLowerCase() === wanted; })[0];
  }

  /** A tab made by an action (dashboard:create-dashboard): an iframe on the URL, next to the others. */
  function addFrameTab(name, url) {
    var list = document.querySelector('.tabs');
    var panels = document.querySelector('.panels');
    if (!list || !panels) throw new Error('this workshop has no tabs');
    var id = 'x' + tabButtons.length + '-' + Date.now();
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'tab';
    button.id = 'tab-' + id;
    button.setAttribute('role', 'tab');
    button.setAttribute('data-tab', name);
    button.setAttribute('aria-controls', 'panel-' + id);
    button.textContent = name;
    var panel = document.createElement('div');
    panel.className = 'panel';
    panel.id = 'panel-' + id;
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', button.id);
    panel.hidden = true;
    var frame = document.createElement('iframe');
    frame.className = 'frame';
    frame.title = name;
    frame.setAttribute('data-src', url);
    panel.appendChild(frame);
    list.appendChild(button);
    panels.appendChild(panel);
    tabButtons.push(button);
    wireTab(button);
    return button;
  }

  function terminalTab() {
    return tabButtons.filter(function (b) {
      var panel = document.getElementById(b.getAttribute('aria-controls'));
      return panel && panel.querySelector('.terminals');
    })[0];
  }

  /** Click to open; arrow keys move along the tabs (the WAI-ARIA tabs pattern). */
  function wireTab(button) {
    button.addEventListener('click', function () { openTab(button); });
    button.addEventListener('keydown', function (event) {
      var i = tabButtons.indexOf(button);
      var next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
      if (next === null) return;
      var target = tabButtons[(next + tabButtons.length) % tabButtons.length];
      openTab(target);
      target.focus();
      event.preventDefault();
    });
  }
  tabButtons.forEach(wireTab);

  // ---------------------------------------------------------------- terminals

  function socketUrl(path) {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  }

  function createTerminal(element, id) {
    var term = new window.Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
      theme: { background: '#10161d', foreground: '#e6edf3', cursor: '#7ee787' },
    });
    var fit = new window.FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(element);
    var entry = { id: id, term: term, fit: fit, socket: null, element: element, queue: [], retries: 0 };
    terminals[id] = entry;
    term.onData(function (data) { send(entry, { type: 'input', data: data }); });
    if (window.ResizeObserver) new ResizeObserver(function () { fitTerminal(entry); }).observe(element);
    connect(entry);
    return entry;
  }

  function connect(entry) {
    var socket = new WebSocket(socketUrl('/terminal/session/' + encodeURIComponent(entry.id)));
    entry.socket = socket;
    var opened = false;
    socket.onopen = function () {
      opened = true;
      entry.retries = 0;
      // The server replays the shell's recent output: start from a clean screen so nothing shows twice.
      entry.term.reset();
      entry.element.setAttribute('data-connected', 'true');
      // events.js reports it (Terminal/Connect, then Terminal/Reconnect): which terminal, never what it shows
      document.dispatchEvent(new CustomEvent('dashboard:terminal-connected', { detail: { terminal: entry.id, reconnect: Boolean(entry.connectedBefore) } }));
      entry.connectedBefore = true;
      fitTerminal(entry, true);
      var queued = entry.queue.splice(0);
      queued.forEach(function (message) { socket.send(JSON.stringify(message)); });
    };
    socket.onmessage = function (event) { entry.term.write(event.data); };
    socket.onclose = function () {
      entry.element.setAttribute('data-connected', 'false');
      if (entry.closed) return;
      if (!opened && entry.retries >= 2) {
        // Refused twice in a row: most likely the sign-in lapsed; the page goes through the portal again.
        checkSignedIn();
      }
      entry.retries += 1;
      setTimeout(function () { connect(entry); }, Math.min(10000, 500 * entry.retries));
    };
  }

  function send(entry, message) {
    if (entry.socket && entry.socket.readyState === WebSocket.OPEN) entry.socket.send(JSON.stringify(message));
    else entry.queue.push(message);
  }

  function fitTerminal(entry, force) {
    if (!entry.element.offsetParent) return; // hidden: it has no size to fit to
    var before = entry.term.cols + 'x' + entry.term.rows;
    try { entry.fit.fit(); } catch (e) { return; }
    var after = entry.term.cols + 'x' + entry.term.rows;
    if (force || before !== after) send(entry, { type: 'resize', cols: entry.term.cols, rows: entry.term.rows });
  }

  function fitAll() {
    Object.keys(terminals).forEach(function (id) { fitTerminal(terminals[id]); });
  }

  /** The terminal for an action's `session`; one not in the layout is added to the terminal panel. */
  function terminalFor(id) {
    id = String(id || '1');
    if (terminals[id]) return terminals[id];
    var holder = document.querySelector('.terminals');
    if (!holder || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) return null;
    // the same markup as the page's own panes (page.ts terminalPane): the name above, the terminal below
    var pane = document.createElement('section');
    pane.className = 'terminal-pane';
    pane.setAttribute('role', 'region');
    pane.setAttribute('aria-label', 'Terminal ' + id);
    var label = document.createElement('h3');
    label.className = 'terminal-label';
    label.textContent = 'Terminal ' + id;
    var element = document.createElement('div');
    element.className = 'terminal';
    element.setAttribute('data-terminal', id);
    pane.appendChild(label);
    pane.appendChild(element);
    holder.appendChild(pane);
    holder.setAttribute('data-count', String(holder.children.length));
    fitAll();
    return createTerminal(element, id);
  }

  Array.prototype.forEach.call(document.querySelectorAll('.terminal[data-terminal]'), function (element) {
    createTerminal(element, element.getAttribute('data-terminal'));
  });
  window.addEventListener('resize', fitAll);

  // ---------------------------------------------------------------- actions in the instructions

  function argsOf(element) {
    var raw = element.getAttribute('data-args');
    if (!raw) return {};
    try {
      var args = JSON.parse(raw);
      return args && typeof args === 'object' ? args : { text: String(args) };
    } catch (e) {
      return {};
    }
  }

  function showTerminal(id) {
    openTab(terminalTab());
    var entry = terminalFor(id);
    if (entry) entry.term.focus();
    return entry;
  }

  function typeInto(entry, text) {
    if (!entry) throw new Error('this workshop has no terminal');
    send(entry, { type: 'input', data: text });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain-HTTP sessions have no clipboard API: the old way still works from a click.
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand('copy');
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error('the browser refused to copy'));
  }

  /**
   * An editor:* action: the Editor tab comes forward (its frame loads, and with it the editor's extension, on first
   * sight), then the dashboard forwards the action to the editor (src/dashboard/editor-bridge.ts), which waits for
   * the editor to be ready. The editor's refusal (file missing, text not found, a bad field) is shown as it says it.
   */
  function editorAction(name) {
    return function (args, element) {
      if (!openTab(tabNamed('Editor'))) throw new Error('this workshop has no editor');
      outcome(element, 'running', 'Working in the editor…');
      return fetch('/editor/actions/' + name, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(args),
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 401) checkSignedIn();
          if (!response.ok) throw new Error(body.message || 'the editor answered ' + response.status);
        });
      });
    };
  }

  var actions = {
    'terminal:execute': function (args) {
      var entry = showTerminal(args.session);
      if (args.clear && entry) entry.term.clear();
      typeInto(entry, String(args.command || '') + '\r');
    },
    'terminal:execute-all': function (args) {
      openTab(terminalTab());
      var ids = Object.keys(terminals);
      if (!ids.length) throw new Error('this workshop has no terminal');
      ids.forEach(function (id) {
        if (args.clear) terminals[id].term.clear();
        typeInto(terminals[id], String(args.command || '') + '\r');
      });
    },
    'terminal:input': function (args) {
      var entry = showTerminal(args.session);
      typeInto(entry, String(args.text || '') + (args.endl === false ? '' : '\r'));
    },
    'terminal:interrupt': function (args) {
      typeInto(showTerminal(args.session), '\u0003');
    },
    'terminal:clear': function (args) {
      var entry = showTerminal(args.session);
      if (entry) entry.term.clear();
    },
    'terminal:interrupt-all': function () {
      openTab(terminalTab());
      Object.keys(terminals).forEach(function (id) { typeInto(terminals[id], '\u0003'); });
    },
    'terminal:clear-all': function () {
      openTab(terminalTab());
      Object.keys(terminals).forEach(function (id) { terminals[id].term.clear(); });
    },
    'terminal:select': function (args) {
      if (!showTerminal(args.session)) throw new Error('this workshop has no terminal');
    },
    'workshop:copy': function (args) { return copyText(String(args.text || '')); },
    'workshop:copy-and-edit': function (args) { return copyText(String(args.text || '')); },
    'dashboard:open-dashboard': function (args) {
      if (!openTab(tabNamed(args.name))) throw new Error('there is no tab named "' + args.name + '"');
    },
    'dashboard:reload-dashboard': function (args) {
      var button = tabNamed(args.name);
      if (!openTab(button)) throw new Error('there is no tab named "' + args.name + '"');
      var frame = document.getElementById(button.getAttribute('aria-controls')).querySelector('iframe');
      if (frame) frame.setAttribute('src', frame.getAttribute('data-src'));
    },
    'section:begin': function (args, element) {
      // Educates' collapsible sections: everything up to the matching section:end folds away.
      var open = element.getAttribute('aria-expanded') !== 'true';
      element.setAttribute('aria-expanded', String(open));
      for (var node = element.nextElementSibling; node; node = node.nextElementSibling) {
        if (node.getAttribute('data-action') === 'section:end') break;
        node.hidden = !open;
      }
    },
    'dashboard:create-dashboard': function (args) {
      var existing = tabNamed(args.name);
      if (existing) return openTab(existing);
      var url = String(args.url || '');
      if (/^terminal:/.test(url)) {
        showTerminal(url.slice('terminal:'.length));
        return;
      }
      return openTab(addFrameTab(String(args.name), url));
    },
    'dashboard:delete-dashboard': function (args) {
      var button = tabNamed(args.name);
      if (!button) throw new Error('there is no tab named "' + args.name + '"');
      var panel = document.getElementById(button.getAttribute('aria-controls'));
      if (panel && panel.querySelector('.terminals')) throw new Error('the terminals stay');
      tabButtons.splice(tabButtons.indexOf(button), 1);
      button.parentNode.removeChild(button);
      if (panel) panel.parentNode.removeChild(panel);
      openTab(tabButtons[0]);
    },
    'files:download-file': function (args) {
      var link = document.createElement('a');
      link.href = '/files/' + String(args.path || '').split('/').map(encodeURIComponent).join('/');
      link.download = String(args.download || String(args.path || '').split('/').pop());
      document.body.appendChild(link);
      link.click();
      document.body.removeChild(link);
    },
    'section:heading': function () {},
    'dashboard:open-url': function (args) { window.open(String(args.url), '_blank', 'noopener'); },
    'editor:open-file': editorAction('open-file'),
    'editor:select-matching-text': editorAction('select-matching-text'),
    'editor:replace-text-selection': editorAction('replace-text-selection'),
    'editor:append-lines-to-file': editorAction('append-lines-to-file'),
    'editor:insert-lines-before-line': editorAction('insert-lines-before-line'),
    'editor:append-lines-after-match': editorAction('append-lines-after-match'),
    'editor:insert-value-into-yaml': editorAction('insert-value-into-yaml'),
    'editor:execute-command': editorAction('execute-command'),
    'examiner:execute-test': function (args) {
      var name = String(args.name || '');
      return fetch('/examiner/test/' + encodeURIComponent(name), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ args: args.args || [], timeout: args.timeout }),
      }).then(function (response) {
        return response.json().then(function (result) {
          if (!response.ok) throw new Error(result.message || 'the test could not run');
          if (!result.success) {
            var error = new Error('not yet: ' + (result.output || 'the check did not pass').trim().split('\n').slice(-3).join(' '));
            error.examiner = true;
            throw error;
          }
        });
      });
    },
  };

  function outcome(element, state, message) {
    element.setAttribute('data-state', state);
    var status = element.querySelector('.action-status');
    if (!status) {
      status = document.createElement('span');
      status.className = 'action-status';
      status.setAttribute('role', 'status');
      element.appendChild(status);
    }
    status.textContent = message;
  }

  var labels = {
    'workshop:copy': 'Copied', 'workshop:copy-and-edit': 'Copied', 'examiner:execute-test': 'Passed', 'section:begin': '',
    'section:heading': '', 'files:download-file': 'Downloading',
  };

  function runAction(element) {
    var name = element.getAttribute('data-action');
    var handler = actions[name];
    if (!handler) {
      outcome(element, 'failed', 'This dashboard cannot do "' + name + '" yet.');
      return;
    }
    if (name === 'examiner:execute-test') outcome(element, 'running', 'Checking…');
    Promise.resolve()
      .then(function () { return handler(argsOf(element), element); })
      .then(function () { if (labels[name] !== '') outcome(element, 'done', labels[name] || 'Done'); })
      .catch(function (error) { outcome(element, 'failed', error.examiner ? error.message : 'Could not do that: ' + error.message); });
  }

  function prepareActions(root) {
    Array.prototype.forEach.call(root.querySelectorAll('[data-action]'), function (element) {
      if (element.getAttribute('data-action') === 'section:begin') {
        // Sections start folded, as in Educates.
        element.setAttribute('aria-expanded', 'true');
        actions['section:begin']({}, element);
      }
      if (!element.hasAttribute('tabindex')) element.tabIndex = 0;
      if (!element.hasAttribute('role')) element.setAttribute('role', 'button');
      var args = argsOf(element);
      if (element.getAttribute('data-action') === 'examiner:execute-test' && args.autostart) runAction(element);
    });
  }

  document.addEventListener('click', function (event) {
    var element = event.target.closest && event.target.closest('[data-action]');
    if (element && document.getElementById('page').contains(element)) {
      event.preventDefault();
      runAction(element);
    }
  });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    var element = event.target.closest && event.target.closest('[data-action]');
    if (element && element === event.target) {
      event.preventDefault();
      runAction(element);
    }
  });

  // ---------------------------------------------------------------- instructions: moving on, live updates

  var currentPage = boot.page;
  var article = document.getElementById('page');

  function loadPage(path, push) {
    return fetch('/workshop/pages/' + path.split('/').map(encodeURIComponent).join('/'), { headers: { accept: 'application/json' } })
      .then(function (response) {
        if (response.status === 401) { checkSignedIn(); throw new Error('signed out'); }
        if (response.status === 404 && path !== '') return loadPage('', push);
        if (!response.ok) throw new Error('the page cannot be loaded');
        return response.json();
      })
      .then(function (page) {
        if (!page) return;
        var scroll = push ? 0 : document.getElementById('instructions').scrollTop;
        article.innerHTML = page.article;
        currentPage = page.path;
        document.title = page.title + ' · ' + document.querySelector('.workshop-title').textContent;
        Array.prototype.forEach.call(document.querySelectorAll('.contents a[data-page]'), function (a) {
          if (a.getAttribute('data-page') === page.path) a.setAttribute('aria-current', 'page');
          else a.removeAttribute('aria-current');
        });
        prepareActions(article);
        if (push) {
          history.pushState({ page: page.path }, '', page.path ? '/page/' + page.path : '/');
          document.getElementById('page-title').focus();
        }
        document.getElementById('instructions').scrollTop = scroll;
        document.body.setAttribute('data-content-version', String(Number(document.body.getAttribute('data-content-version') || 0) + 1));
      });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-page]');
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    loadPage(link.getAttribute('data-page'), true).catch(function () { location.href = link.href; });
  });
  window.addEventListener('popstate', function (event) {
    loadPage(event.state && event.state.page !== undefined ? event.state.page : boot.page, false);
  });
  history.replaceState({ page: boot.page }, '');
  document.getElementById('page-title').setAttribute('tabindex', '-1');
  prepareActions(article);

  if (window.EventSource) {
    var events = new EventSource('/events');
    // Marks the page as following content changes (tests wait for it; styles may show it).
    events.addEventListener('open', function () { document.body.setAttribute('data-live', 'true'); });
    events.addEventListener('error', function () { document.body.setAttribute('data-live', 'false'); });
    events.addEventListener('content', function () {
      // New instructions: the page re-reads them in place; the terminals keep running.
      loadPage(currentPage, false).then(function () { say('The instructions were updated.'); }).catch(function () {});
    });
  }

  // ---------------------------------------------------------------- session: time left, extend, end

  var countdown = document.getElementById('countdown');
  var extendButton = document.getElementById('extend');
  var expires = null;
  var scheduleTimer = null;

  /**
   * The portal's schedule: the time counts only once the learner has the session (status RUNNING; while it is
   * still being prepared, or waits for its activation, the portal's expiry is not yet hers, and it is set again
   * when she gets it). It counts down the seconds the portal says are left, not to its clock time, so a browser
   * whose clock is off still shows the right time. Extend shows only when the portal's rules allow it now.
   */
  function applySchedule(schedule) {
    if (!schedule) return;
    var running = !schedule.status || String(schedule.status).toUpperCase() === 'RUNNING';
    if (!running) expires = null;
    else if (typeof schedule.countdown === 'number') expires = Date.now() + schedule.countdown * 1000;
    else if (schedule.expires) expires = new Date(schedule.expires).getTime();
    else expires = null;
    countdown.hidden = !expires;
    extendButton.hidden = !(running && expires && schedule.extendable);
    document.body.setAttribute('data-session-status', running ? 'running' : String(schedule.status).toLowerCase());
    // while the session is prepared, look again soon: the time starts when it is the learner's
    clearTimeout(scheduleTimer);
    scheduleTimer = setTimeout(refreshSchedule, running ? 60000 : 2000);
    tick();
  }

  function tick() {
    if (!expires) return;
    var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    countdown.hidden = false;
    countdown.textContent = minutes + ':' + (seconds < 10 ? '0' : '') + seconds + ' left';
    countdown.classList.toggle('countdown-low', left < 300);
  }

  function refreshSchedule() {
    fetch('/session/schedule', { headers: { accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (schedule) {
        if (schedule) return applySchedule(schedule);
        clearTimeout(scheduleTimer);
        scheduleTimer = setTimeout(refreshSchedule, 60000);
      })
      .catch(function () {
        clearTimeout(scheduleTimer);
        scheduleTimer = setTimeout(refreshSchedule, 60000);
      });
  }

  extendButton.addEventListener('click', function () {
    extendButton.disabled = true;
    fetch('/session/extend', { method: 'POST', headers: { accept: 'application/json' } })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.body.message || 'the session cannot be extended');
        applySchedule(answer.body);
        // The portal answers 200 with extended: false when its rules allow no more time.
        if (answer.body.extended === false) throw new Error(answer.body.message || 'The session cannot be extended any further.');
        say('The session was extended.');
      })
      .catch(function (error) { say(error.message); })
      .then(function () { extendButton.disabled = false; });
  });

  // The portal's page asks for confirmation and ends the session; the dashboard only takes the learner there.
  document.getElementById('end-session').addEventListener('click', function () {
    (window.top || window).location.href = boot.endUrl;
  });

  refreshSchedule();
  setInterval(tick, 1000);

  // ---------------------------------------------------------------- the rest

  function say(message) {
    notice.textContent = message;
    notice.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { notice.hidden = true; }, 6000);
  }

  /** A lapsed sign-in shows up as refused requests: one navigation through the portal puts it right. */
  function checkSignedIn() {
    fetch('/session/whoami', { headers: { accept: 'application/json' } }).then(function (response) {
      if (response.status === 401) location.reload();
    }).catch(function () {});
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') fetch('/session/view', { method: 'POST' }).catch(function () {});
  });

  // The divider between instructions and tools can be dragged.
  var divider = document.querySelector('.divider');
  var layout = document.querySelector('.layout');
  if (divider && layout) {
    divider.addEventListener('pointerdown', function (event) {
      divider.setPointerCapture(event.pointerId);
      function move(e) {
        var share = Math.min(80, Math.max(20, (e.clientX / window.innerWidth) * 100));
        layout.style.setProperty('--instructions-width', share + '%');
        fitAll();
      }
      function up() {
        divider.removeEventListener('pointermove', move);
        divider.removeEventListener('pointerup', up);
      }
      divider.addEventListener('pointermove', move);
      divider.addEventListener('pointerup', up);
    });
  }

  window.dashboard = { terminals: terminals, openTab: function (name) { return openTab(tabNamed(name)); } };
})();
