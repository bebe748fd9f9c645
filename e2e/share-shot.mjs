// Screenshots of 分享/海报 (375 px), and the poster PNG itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startBrowser, phone, shot, shots } from './lib/harness.mjs';

const server = await startServer();
const browser = await startBrowser();
try {
  const base = server.url;
  const buyer = await phone(browser);
  await buyer.goto(`${base}/login`);
  await Promise.all([buyer.waitForNavigation(), buyer.click('button[data-buyer="buyer007"]')]);
  await buyer.goto(`${base}/p/1`);
  await buyer.click('#share-action');
  await buyer.waitForTimeout(800);
  await buyer.locator('#share-box').scrollIntoViewIfNeeded();
  await buyer.screenshot({ path: join(shots, 'share-product.png') });
  await buyer.goto(`${base}/invite`);
  await buyer.click('#share-action');
  await buyer.waitForTimeout(800);
  await shot(buyer, 'share-invite');
  const png = await buyer.request.get(`${base}/api/v1/shop/share/poster.png?target=product&id=1&ch=moments`);
  writeFileSync(join(shots, 'share-poster.png'), await png.body());
  console.log('poster', png.status(), png.headers()['content-type']);
} finally {
  await browser.close();
  await server.stop();
}
