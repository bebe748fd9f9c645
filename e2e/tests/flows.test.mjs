// End-to-end: a buyer and the console staff in a real browser against a freshly started demo server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startBrowser, phone, laptop, shot, assertFitsPhone, consoleLogin, until } from '../lib/harness.mjs';

let server;
let browser;
let buyer; // the buyer's phone, kept across tests
let orderNo;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  buyer = await phone(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a buyer searches in Chinese, picks a SKU, checks out with a coupon and pays in the sandbox', async () => {
  const base = server.url;
  await buyer.goto(`${base}/`);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '01-home');

  await buyer.goto(`${base}/login`);
  await Promise.all([buyer.waitForNavigation(), buyer.click('button[data-buyer="buyer007"]')]);

  // Claim the no-threshold coupon.
  await buyer.goto(`${base}/coupons`);
  const claim = buyer.locator('li.coupon', { hasText: '无门槛5元' }).locator('button');
  await Promise.all([buyer.waitForNavigation(), claim.click()]);
  assert.match(await buyer.locator('ul.coupons').first().innerText(), /无门槛5元/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '02-coupon-claimed');

  // Search in Chinese from the header.
  await buyer.fill('header input[name=q]', '四件套');
  await Promise.all([buyer.waitForNavigation(), buyer.press('header input[name=q]', 'Enter')]);
  const count = await buyer.locator('#result-count').innerText();
  assert.ok(parseInt(count, 10) > 0, `search found nothing: ${count}`);
  assert.ok(decodeURIComponent(buyer.url()).includes('四件套'));
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '03-search');

  await Promise.all([buyer.waitForNavigation(), buyer.locator('a.card').first().click()]);
  const title = await buyer.locator('#product-title').innerText();
  assert.match(title, /四件套/);
  // Pick the last SKU that is in stock; the shown price follows the choice.
  const radios = buyer.locator('input[name=sku_id]:not([disabled])');
  const n = await radios.count();
  assert.ok(n > 0);
  const pick = radios.nth(n - 1);
  await pick.check();
  assert.equal(await buyer.locator('#price').innerText(), await pick.getAttribute('data-price'));
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '04-product');

  await Promise.all([buyer.waitForNavigation(), buyer.click('#add-to-cart')]);
  assert.match(await buyer.locator('main').innerText(), /四件套/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '05-cart');

  await Promise.all([buyer.waitForNavigation(), buyer.click('#go-checkout')]);
  // A new buyer has no address yet.
  if (await buyer.locator('#address-form').isVisible()) {
    await buyer.fill('#address-form input[name=name]', '张三');
    await buyer.fill('#address-form input[name=phone]', '13800138000');
    await buyer.fill('#address-form input[name=province]', '浙江省');
    await buyer.fill('#address-form input[name=city]', '杭州市');
    await buyer.fill('#address-form input[name=district]', '西湖区');
    await buyer.fill('#address-form input[name=detail]', '文三路 100 号');
    await Promise.all([buyer.waitForNavigation(), buyer.click('#address-form button')]);
  }
  // The best coupon is chosen already and shows in the breakdown.
  const chosen = await buyer.locator('#coupon option:checked').innerText();
  assert.match(chosen, /无门槛5元/);
  assert.match(await buyer.locator('#breakdown').innerText(), /无门槛5元/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '06-checkout');

  await Promise.all([buyer.waitForNavigation(), buyer.click('#place-order')]);
  assert.match(buyer.url(), /\/orders\/\d+\/pay$/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '07-pay');
  await Promise.all([buyer.waitForNavigation(), buyer.click('#sandbox-pay')]);

  // The sandbox notifies the shop asynchronously; the page looks again until the order is paid.
  await until(async () => (await buyer.locator('#order-status').innerText()).includes('待发货'), 'the order to turn paid');
  orderNo = (await buyer.locator('h1 small').innerText()).trim();
  assert.ok(orderNo.length > 0);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '08-paid');

  for (const path of ['/orders', '/me', '/points', '/aftersales', '/products']) {
    await buyer.goto(`${base}${path}`);
    await assertFitsPhone(buyer, assert);
  }
});

test('an operator finds the order, ships it, and the buyer sees it shipped', async () => {
  assert.ok(orderNo, 'needs the order of the first test');
  const base = server.url;
  const op = await laptop(browser);
  await consoleLogin(op, base, 'operator');
  assert.match(await op.locator('#who').innerText(), /operator/);
  await shot(op, '09-console-dashboard');

  await op.goto(`${base}/admin/orders`);
  await op.fill('#filters input[name=order_no]', orderNo);
  await Promise.all([op.waitForNavigation(), op.click('#filters button')]);
  const rows = op.locator('table.grid-table tbody tr');
  assert.equal(await rows.count(), 1);
  await shot(op, '10-console-order-found');
  await Promise.all([op.waitForNavigation(), rows.first().locator('a').first().click()]);
  await op.fill('#ship-form input[name=tracking_no]', 'SF1234567890');
  await Promise.all([op.waitForNavigation(), op.click('#ship-form button')]);
  assert.match(await op.locator('#order-status').innerText(), /已发货/);
  await shot(op, '11-console-shipped');
  await op.context().close();

  await buyer.goto(`${base}/orders`);
  await Promise.all([buyer.waitForNavigation(), buyer.locator('a.order-link', { hasText: orderNo }).click()]);
  assert.match(await buyer.locator('#order-status').innerText(), /已发货/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '12-buyer-sees-shipped');
});

test('a buyer saves a product, finds it in 我的收藏 and 我的足迹, and keeps an address book', async () => {
  const base = server.url;
  await buyer.goto(`${base}/products`);
  const href = await buyer.locator('a.card').first().getAttribute('href');
  await buyer.goto(base + href);
  const title = await buyer.locator('#product-title').innerText();
  await Promise.all([buyer.waitForNavigation(), buyer.click('#favourite')]);
  assert.match(await buyer.locator('#favourite').innerText(), /已收藏/);
  await shot(buyer, '12b-product-saved');
  await buyer.goto(`${base}/me`);
  assert.notEqual(await buyer.locator('#my-favourites b').innerText(), '0');
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '12c-me');
  await Promise.all([buyer.waitForNavigation(), buyer.click('#my-favourites')]);
  assert.match(await buyer.locator('#saved').innerText(), new RegExp(title.slice(0, 6)));
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '12d-favourites');
  await buyer.goto(`${base}/me/history`);
  assert.match(await buyer.locator('#saved').innerText(), new RegExp(title.slice(0, 6)));
  await buyer.goto(`${base}/me/addresses/new`);
  await buyer.fill('input[name=name]', '赵六');
  await buyer.fill('input[name=phone]', '13700002222');
  await buyer.fill('input[name=province]', '江苏省');
  await buyer.fill('input[name=city]', '南京市');
  await buyer.fill('input[name=district]', '玄武区');
  await buyer.fill('input[name=detail]', '中山路 18 号');
  await buyer.check('input[name=is_default]');
  await Promise.all([buyer.waitForNavigation(), buyer.click('#address-form button')]);
  const book = await buyer.locator('#addresses').innerText();
  assert.match(book, /赵六/);
  assert.match(book, /默认/);
  await assertFitsPhone(buyer, assert);
  await shot(buyer, '12e-addresses');
});

test('an operator imports a CSV: the bad row is reported, the fixed file imports', async () => {
  const base = server.url;
  const op = await laptop(browser);
  await consoleLogin(op, base, 'operator');
  await op.goto(`${base}/admin/import`);
  const dir = mkdtempSync(join(tmpdir(), 'mm-csv-'));
  const header = '商品编码,商品名称,分类,上架,SKU编码,规格,库存,划线价,售价';
  const good = 'E2E-TEA,明前龙井 春茶,食品/水果/橙子,是,E2E-TEA-250,规格:250g,100,199.00,168.00';
  const bad = join(dir, 'bad.csv');
  const fixed = join(dir, 'fixed.csv');
  writeFileSync(bad, `${header}\n${good}\nE2E-TEA,明前龙井 春茶,食品/水果/橙子,是,E2E-TEA-500,规格:500g,50,三百,299.00\n`);
  writeFileSync(fixed, `${header}\n${good}\nE2E-TEA,明前龙井 春茶,食品/水果/橙子,是,E2E-TEA-500,规格:500g,50,320.00,299.00\n`);

  await op.setInputFiles('#import-file', bad);
  await op.click('#import-dry');
  await op.waitForSelector('#import-errors:not([hidden])');
  const errs = await op.locator('#import-errors tbody').innerText();
  assert.match(errs, /^3\s/m, `the error names row 3: ${errs}`);
  assert.ok(await op.locator('#import-run').isDisabled());
  await shot(op, '13-import-row-error');

  await op.setInputFiles('#import-file', fixed);
  await op.click('#import-dry');
  await until(async () => !(await op.locator('#import-run').isDisabled()), 'the dry run to pass');
  await op.click('#import-run');
  await until(async () => (await op.locator('#import-status').getAttribute('class')) === 'ok' && Number(await op.locator('#import-progress').getAttribute('value')) > 0, 'the import to finish');
  await shot(op, '14-import-done');

  await op.goto(`${base}/admin/products?q=E2E-TEA`);
  assert.match(await op.locator('table.grid-table').innerText(), /明前龙井/);
  await op.context().close();
});

test('customer service sees no finance pages and gets 403 on their URLs', async () => {
  const base = server.url;
  const cs = await laptop(browser);
  await consoleLogin(cs, base, 'service');
  const menu = await cs.locator('#menu').innerText();
  assert.match(menu, /订单管理/);
  for (const hidden of ['财务报表', '账号与角色', '系统设置', '操作日志']) {
    assert.ok(!menu.includes(hidden), `service sees ${hidden}`);
  }
  await shot(cs, '15-service-menu');
  for (const path of ['/admin/finance', '/admin/users', '/admin/settings', '/admin/audit']) {
    const resp = await cs.goto(`${base}${path}`);
    assert.equal(resp.status(), 403, path);
  }
  await shot(cs, '16-service-403');
  await cs.context().close();
});
