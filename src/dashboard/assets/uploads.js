/*
 * File uploads in the browser (FileServer uploads, src/dashboard/routes/uploads.ts): the Files tab's upload form
 * (at the end), and the `files:upload-file` and `files:upload-files` actions: a click on one opens the browser's file chooser, and the chosen file(s) go to /upload/file (as `path`, relative to the
 * upload directory) or /upload/files (into the directory `directory`). The block then says what happened, with
 * the dashboard's own message when it refused (too large, a path outside the upload directory).
 */
(function () {
  'use strict';

  var UPLOADS = { 'files:upload-file': true, 'files:upload-files': true };

  function argsOf(element) {
    try {
      var args = JSON.parse(element.getAttribute('data-args') || '{}');
      return args && typeof args === 'object' ? args : {};
    } catch (e) {
      return {};
    }
  }

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

  function upload(element) {
    var name = element.getAttribute('data-action');
    var args = argsOf(element);
    var many = name === 'files:upload-files';
    var input = document.createElement('input');
    input.type = 'file';
    input.multiple = many;
    input.hidden = true;
    input.addEventListener('change', function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (input.parentNode) input.parentNode.removeChild(input);
      if (!files.length) return;
      var form = new FormData();
      // the path comes first: the dashboard reads the form as a stream
      form.append('path', String((many ? args.directory || args.path : args.path) || ''));
      files.forEach(function (file) { form.append(many ? 'files' : 'file', file, file.name); });
      outcome(element, 'running', 'Uploading…');
      fetch(many ? '/upload/files' : '/upload/file', { method: 'POST', credentials: 'same-origin', body: form, headers: { accept: 'application/json' } })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (result) {
            if (!response.ok) throw new Error(result.message || 'the upload was refused (' + response.status + ')');
            var uploaded = result.uploaded || [];
            outcome(element, 'done', 'Uploaded ' + uploaded.map(function (u) { return u.path; }).join(', '));
          });
        })
        .catch(function (error) { outcome(element, 'failed', 'Could not upload: ' + error.message); });
    });
    document.body.appendChild(input);
    input.click();
  }

  function handle(event) {
    var element = event.target && event.target.closest && event.target.closest('[data-action]');
    if (!element || !UPLOADS[element.getAttribute('data-action')]) return;
    var page = document.getElementById('page');
    if (!page || !page.contains(element)) return;
    if (event.type === 'keydown' && ((event.key !== 'Enter' && event.key !== ' ') || element !== event.target)) return;
    // ours alone: the page's generic action handler (dashboard.js) does not know uploads
    event.preventDefault();
    event.stopPropagation();
    upload(element);
  }
  document.addEventListener('click', handle, true);
  document.addEventListener('keydown', handle, true);

  // ---------------------------------------------------------------- the Files tab's upload form (agent-files.ts)
  // Sends the chosen files to /upload/files, says what happened under the form, and shows the folder's new listing.
  function refreshListing() {
    return fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, 'text/html').querySelector('ul.file-list');
        var list = document.querySelector('ul.file-list');
        if (fresh && list) list.replaceWith(document.importNode(fresh, true));
      });
  }

  function submitForm(form) {
    var result = form.querySelector('.upload-result');
    var input = form.querySelector('input[type="file"]');
    var button = form.querySelector('button[type="submit"]');
    function say(state, message) {
      form.setAttribute('data-state', state);
      result.textContent = message;
    }
    if (!input.files || !input.files.length) return say('failed', 'Choose one or more files first.');
    // built from the form: its hidden `path` comes before the files, as the dashboard reads the form as a stream
    var body = new FormData(form);
    button.disabled = true;
    say('running', 'Uploading ' + input.files.length + (input.files.length === 1 ? ' file…' : ' files…'));
    fetch(form.getAttribute('action'), { method: 'POST', credentials: 'same-origin', body: body, headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) throw new Error(answer.message || 'the upload was refused (' + response.status + ')');
          var uploaded = answer.uploaded || [];
          say('done', 'Uploaded ' + uploaded.map(function (u) { return u.path; }).join(', '));
          input.value = '';
          return refreshListing();
        });
      })
      .catch(function (error) { say('failed', 'Could not upload: ' + error.message); })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-upload-form')) return;
    event.preventDefault();
    submitForm(form);
  });
})();
