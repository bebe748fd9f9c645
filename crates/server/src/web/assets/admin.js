// Console behaviour: CSV import with a dry run, a row error table and a progress bar.
(function () {
  'use strict';
  var form = document.getElementById('import-form');
  if (!form) return;
  var file = document.getElementById('import-file');
  var dry = document.getElementById('import-dry');
  var run = document.getElementById('import-run');
  var status = document.getElementById('import-status');
  var bar = document.getElementById('import-progress');
  var table = document.getElementById('import-errors');
  var msgs = document.getElementById('import-msgs').dataset;

  function send(dryRun) {
    var f = file.files[0];
    if (!f) return Promise.reject(new Error('no file'));
    return fetch('/api/v1/admin/products/import?dry_run=' + (dryRun ? 'true' : 'false'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': form.dataset.csrf },
      body: f
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); });
  }

  function showErrors(rows) {
    var tb = table.querySelector('tbody');
    tb.textContent = '';
    rows.forEach(function (e) {
      var tr = document.createElement('tr');
      [e.row, e.column || '', e.message].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = String(v);
        tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
    table.hidden = rows.length === 0;
  }

  function errorsOf(res) {
    var b = res.body || {};
    if (b.errors) return b.errors;
    if (b.error && b.error.details && b.error.details.errors) return b.error.details.errors;
    if (b.error && b.error.details && Array.isArray(b.error.details)) return b.error.details;
    if (b.error) return [{ row: '-', column: b.error.field || '', message: b.error.message }];
    return [];
  }

  dry.addEventListener('click', function () {
    run.disabled = true;
    status.textContent = '…';
    send(true).then(function (res) {
      var errs = res.status < 300 ? (res.body.errors || []) : errorsOf(res);
      showErrors(errs);
      var ok = res.status < 300 && errs.length === 0;
      status.textContent = ok ? msgs.ok : msgs.bad;
      status.className = ok ? 'ok' : 'err';
      run.disabled = !ok;
    }).catch(function (e) { status.textContent = e.message; });
  });

  run.addEventListener('click', function () {
    run.disabled = true;
    send(false).then(function (res) {
      if (res.status >= 300) { showErrors(errorsOf(res)); status.textContent = msgs.failed; status.className = 'err'; return; }
      var id = res.body.id || res.body.import_id;
      status.textContent = msgs.running;
      status.className = '';
      bar.hidden = false;
      poll(id);
    });
  });

  function poll(id) {
    fetch('/api/v1/admin/imports/' + id, { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var total = s.total_rows || s.rows || 0;
        var done = s.processed_rows || s.processed || 0;
        bar.max = Math.max(total, 1);
        bar.value = done;
        if (s.status === 'done' || s.status === 'succeeded' || s.status === 'completed') {
          bar.value = bar.max;
          status.textContent = msgs.done;
          status.className = 'ok';
        } else if (s.status === 'failed') {
          showErrors(s.errors || []);
          status.textContent = msgs.failed;
          status.className = 'err';
        } else {
          setTimeout(function () { poll(id); }, 300);
        }
      });
  }
})();

// Product page: an uploaded image is added to the image list.
(function () {
  'use strict';
  var input = document.getElementById('image-upload');
  var list = document.getElementById('images');
  if (!input || !list) return;
  input.addEventListener('change', function () {
    var f = input.files[0];
    if (!f) return;
    fetch('/api/v1/admin/uploads', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': f.type || 'application/octet-stream' },
      body: f
    }).then(function (r) { return r.json(); }).then(function (b) {
      if (b.url) {
        list.value = (list.value.trim() ? list.value.trim() + '\n' : '') + b.url;
      } else if (b.error) {
        alert(b.error.message);
      }
      input.value = '';
    });
  });
})();

// An image field with an upload button: the uploaded image's address goes into the field.
(function () {
  'use strict';
  document.querySelectorAll('input[type=file][data-upload-to]').forEach(function (input) {
    var field = document.getElementById(input.dataset.uploadTo);
    if (!field) return;
    input.addEventListener('change', function () {
      var f = input.files[0];
      if (!f) return;
      var token = input.form && input.form.querySelector('input[name=_csrf]');
      fetch('/api/v1/admin/uploads', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': f.type || 'application/octet-stream', 'X-CSRF-Token': token ? token.value : '' },
        body: f
      }).then(function (r) { return r.json(); }).then(function (b) {
        if (b.url) {
          field.value = b.url;
        } else if (b.error) {
          alert(b.error.message);
        }
        input.value = '';
      });
    });
  });
})();
