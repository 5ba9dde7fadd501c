/**
 * The preview's only script (inline, so the preview is one request per page). It gives actions a response —
 * copying for workshop:copy, a note of what would run in a session for the rest, folding for sections — and keeps
 * the page current: on a change event it fetches the page again and swaps the table of contents and the main
 * region in place, so there is no full-page flash and the scroll position stays.
 */
export const PREVIEW_SCRIPT = `
(function () {
  'use strict';
  var toast = document.getElementById('preview-toast');
  var status = document.getElementById('preview-status');
  var toastTimer;

  function showToast(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 3500);
  }

  function argsOf(element) {
    try { return JSON.parse(element.getAttribute('data-args') || '{}'); } catch (error) { return {}; }
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try { document.execCommand('copy'); } finally { area.remove(); }
    return Promise.resolve();
  }

  function summary(args) {
    var detail = args.command || args.text || args.url || args.file || args.path || args.name || '';
    return String(detail).split('\\n')[0];
  }

  function activate(element) {
    var action = element.getAttribute('data-action');
    var args = argsOf(element);
    if (action === 'section:begin') { toggleSection(element); return; }
    if (action === 'workshop:copy' || action === 'workshop:copy-and-edit') {
      copyText(String(args.text == null ? '' : args.text)).then(function () {
        showToast(action === 'workshop:copy' ? 'Copied to the clipboard' : 'Copied to the clipboard: change it before use');
      }, function () { showToast('The browser did not allow copying'); });
    } else {
      var detail = summary(args);
      showToast('Would run in the session: ' + action + (detail ? ' — ' + detail : ''));
    }
    element.classList.add('action-done');
  }

  document.addEventListener('click', function (event) {
    var element = event.target.closest && event.target.closest('[data-action]');
    if (element && !element.hidden) activate(element);
  });
  document.addEventListener('keydown', function (event) {
    var element = event.target;
    if ((event.key === 'Enter' || event.key === ' ') && element.matches && element.matches('[data-action]')) {
      event.preventDefault();
      activate(element);
    }
  });

  // A section is everything between a section:begin and the section:end of the same name, at the same depth.
  function sectionMembers(begin) {
    var name = argsOf(begin).name;
    var members = [];
    var depth = 0;
    for (var node = begin.nextElementSibling; node; node = node.nextElementSibling) {
      var action = node.getAttribute('data-action');
      if (action === 'section:begin') depth++;
      if (action === 'section:end') {
        if (depth === 0 && argsOf(node).name === name) break;
        depth--;
      }
      members.push(node);
    }
    return members;
  }

  function setExpanded(begin, expanded) {
    begin.setAttribute('aria-expanded', String(expanded));
    sectionMembers(begin).forEach(function (node) {
      if (!expanded) { node.setAttribute('data-folded', ''); node.hidden = true; }
      else if (node.hasAttribute('data-folded')) { node.removeAttribute('data-folded'); node.hidden = false; }
    });
    // Opening a section must not open the sections inside it that are still folded.
    if (expanded) {
      sectionMembers(begin).forEach(function (node) {
        if (node.getAttribute('data-action') === 'section:begin' && node.getAttribute('aria-expanded') === 'false') setExpanded(node, false);
      });
    }
  }

  function toggleSection(begin) {
    setExpanded(begin, begin.getAttribute('aria-expanded') !== 'true');
  }

  // Sections start folded, as a learner sees them; without this script they simply stay open.
  function foldSections(root) {
    var begins = root.querySelectorAll('[data-action="section:begin"]');
    for (var i = begins.length - 1; i >= 0; i--) setExpanded(begins[i], false);
  }
  foldSections(document);

  var refreshing = false;
  var again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.pathname + location.search, { cache: 'no-store' })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['preview-nav', 'preview-main'].forEach(function (id) {
          var current = document.getElementById(id);
          var replacement = fresh.getElementById(id);
          if (current && replacement) current.replaceWith(replacement);
        });
        document.title = fresh.title;
        foldSections(document.getElementById('preview-main'));
        status.textContent = 'Updated ' + new Date().toLocaleTimeString();
      })
      .catch(function () { status.textContent = 'Could not reload the page'; })
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  if (window.EventSource) {
    var events = new EventSource('/_preview/events');
    var lost = false;
    events.addEventListener('change', refresh);
    events.addEventListener('open', function () {
      status.textContent = 'Live';
      if (lost) { lost = false; refresh(); }
    });
    events.addEventListener('error', function () { lost = true; status.textContent = 'Reconnecting…'; });
  }
})();
`;
