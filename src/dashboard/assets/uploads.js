/*
 * The `files:upload-file` and `files:upload-files` actions (FileServer uploads, src/dashboard/routes/uploads.ts):
 * a click opens the browser's file chooser, and the chosen file(s) go to /upload/file (as `path`, relative to the
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
})();
