// Storefront behaviour; the pages work without it.
(function () {
  'use strict';
  // Product page: show the chosen SKU's price, original price and the rule that set it.
  var price = document.getElementById('price');
  document.querySelectorAll('input[name="sku_id"]').forEach(function (r) {
    r.addEventListener('change', function () {
      if (!price) return;
      price.textContent = r.dataset.price;
      var orig = document.getElementById('orig');
      if (orig) orig.textContent = r.dataset.orig;
      var rule = document.getElementById('rule');
      if (rule) rule.textContent = r.dataset.rule || '';
    });
  });
  // An action's answer: shown once, then gone.
  var toast = document.getElementById('toast');
  if (toast) {
    document.cookie = 'mm_toast=; Path=/; Max-Age=0; SameSite=Lax';
    setTimeout(function () { toast.classList.add('gone'); }, 2200);
  }
  // After logging in, the action the buyer had started is sent again.
  var resume = document.querySelector('form[data-autosubmit]');
  if (resume) resume.submit();
  // Review: images go to the shop's uploads and come back as fields of the form (at most 9).
  document.querySelectorAll('.rfile').forEach(function (input) {
    input.addEventListener('change', function () {
      var box = input.closest('.rimgs'), form = input.form, add = input.closest('.radd');
      Array.prototype.slice.call(input.files).forEach(function (file) {
        if (form.querySelectorAll('input[name="images"]').length >= 9) return;
        fetch('/api/v1/shop/uploads', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': file.type }, body: file })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
          .then(function (u) {
            if (form.querySelectorAll('input[name="images"]').length >= 9) return;
            var f = document.createElement('input');
            f.type = 'hidden'; f.name = 'images'; f.value = u.url;
            var img = document.createElement('img');
            img.src = u.url; img.alt = '';
            box.insertBefore(img, add); form.appendChild(f);
          })
          .catch(function () {});
      });
      input.value = '';
    });
  });
  // Checkout: a changed address, coupon or points amount re-quotes.
  document.querySelectorAll('.autosubmit').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
  var pts = document.querySelector('#checkout-form input[name="points"]');
  if (pts) pts.addEventListener('change', function () { pts.form.submit(); });
  // Order page: while the payment is being confirmed, look again shortly.
  var st = document.getElementById('order-status');
  if (st && st.dataset.poll) setTimeout(function () { location.reload(); }, 1000);
  // Events: page and product views, add to cart, checkout and search, queued for the visit and sent in
  // batches by navigator.sendBeacon when the page is hidden or 20 are waiting. An anonymous visitor id in
  // localStorage (the server's mm_vid cookie when there is one), a visit id in sessionStorage, the share link's channel (ch),
  // campaign (cp) and promoter (pr) kept for the visit.
  var track = (function () {
    if (!navigator.sendBeacon || !window.sessionStorage || !window.localStorage) return function () {};
    function id(store, key) {
      var v = store.getItem(key);
      if (!v) {
        var b = new Uint8Array(12);
        crypto.getRandomValues(b);
        v = Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
        store.setItem(key, v);
      }
      return v;
    }
    var ss = sessionStorage, vid, sid;
    // The server's visitor cookie, when it set one, is the visitor id (recommendations and experiments use it).
    var ck = document.cookie.match(/(?:^|; )mm_vid=([A-Za-z0-9_-]{8,64})/);
    try {
      if (ck) localStorage.setItem('mm_vid', ck[1]);
      vid = id(localStorage, 'mm_vid'); sid = id(ss, 'mm_sid');
    } catch (e) { return function () {}; }
    var qs = new URLSearchParams(location.search);
    if (qs.get('ch') && /^[a-z0-9_]{1,32}$/.test(qs.get('ch'))) ss.setItem('mm_ch', qs.get('ch'));
    if (qs.get('cp')) ss.setItem('mm_cp', qs.get('cp').slice(0, 64));
    if (qs.get('pr') && /^[1-9][0-9]{0,15}$/.test(qs.get('pr'))) ss.setItem('mm_pr', qs.get('pr'));
    // A promoter's link carries the public code; the page it opens names the promoter's id.
    var pe = document.getElementById('mm-pr');
    if (pe && /^[1-9][0-9]{0,15}$/.test(pe.getAttribute('data-id'))) ss.setItem('mm_pr', pe.getAttribute('data-id'));
    function queue() { try { return JSON.parse(ss.getItem('mm_events') || '[]'); } catch (e) { return []; } }
    function flush() {
      var q = queue();
      if (!q.length) return;
      var blob = new Blob([JSON.stringify({ events: q.slice(0, 100) })], { type: 'text/plain' });
      if (navigator.sendBeacon('/api/v1/shop/events', blob)) ss.setItem('mm_events', JSON.stringify(q.slice(100)));
    }
    document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') flush(); });
    window.addEventListener('pagehide', flush);
    return function (kind, extra) {
      var e = { kind: kind, client_at: Date.now(), visitor: vid, session: sid, page: location.pathname.slice(0, 200) };
      if (ss.getItem('mm_ch')) e.channel = ss.getItem('mm_ch');
      if (ss.getItem('mm_cp')) e.campaign = ss.getItem('mm_cp');
      if (ss.getItem('mm_pr')) e.promoter_id = +ss.getItem('mm_pr');
      for (var k in extra) e[k] = extra[k];
      var q = queue();
      q.push(e);
      ss.setItem('mm_events', JSON.stringify(q.slice(-200)));
      if (q.length >= 20) flush();
    };
  })();
  var path = location.pathname, m = path.match(/^\/p\/([1-9][0-9]{0,15})$/);
  var words = (new URLSearchParams(location.search).get('q') || '').trim().slice(0, 64);
  if (m) {
    var product = +m[1];
    track('product_view', { product_id: product });
    var cart = document.getElementById('add-to-cart');
    if (cart) cart.addEventListener('click', function () {
      var sku = document.querySelector('input[name="sku_id"]:checked');
      track('add_to_cart', sku ? { product_id: product, sku_id: +sku.value } : { product_id: product });
    });
  } else if (path === '/checkout') {
    track('checkout_started', {});
  } else if (path === '/products' && words) {
    track('search', { query: words });
  } else {
    track('page_view', {});
  }
  // Share links: select on tap for copying.
  document.querySelectorAll('input.copy').forEach(function (i) {
    i.addEventListener('focus', function () { i.select(); });
  });
})();

// Home: the banner carousel turns every four seconds (not while touched) and its dots follow the slide shown.
(function () {
  'use strict';
  var box = document.getElementById('carousel');
  if (!box) return;
  var track = box.querySelector('.track');
  var dots = box.querySelectorAll('.dots i');
  var held = false;
  function index() { return Math.round(track.scrollLeft / Math.max(track.clientWidth, 1)); }
  track.addEventListener('scroll', function () {
    var i = index();
    dots.forEach(function (d, k) { d.classList.toggle('on', k === i); });
  }, { passive: true });
  track.addEventListener('touchstart', function () { held = true; }, { passive: true });
  track.addEventListener('touchend', function () { held = false; }, { passive: true });
  if (dots.length < 2) return;
  setInterval(function () {
    if (held || document.hidden) return;
    var next = (index() + 1) % dots.length;
    track.scrollTo({ left: next * track.clientWidth, behavior: 'smooth' });
  }, 4000);
})();
