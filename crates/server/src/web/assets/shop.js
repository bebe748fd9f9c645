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
  // Checkout: a changed address, coupon or points amount re-quotes.
  document.querySelectorAll('.autosubmit').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
  var pts = document.querySelector('#checkout-form input[name="points"]');
  if (pts) pts.addEventListener('change', function () { pts.form.submit(); });
  // Order page: while the payment is being confirmed, look again shortly.
  var st = document.getElementById('order-status');
  if (st && st.dataset.poll) setTimeout(function () { location.reload(); }, 1000);
  // Share links: select on tap for copying.
  document.querySelectorAll('input.copy').forEach(function (i) {
    i.addEventListener('focus', function () { i.select(); });
  });
})();
