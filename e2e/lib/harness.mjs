// Starts a freshly seeded demo server and a headless Chromium for the browser tests.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
export const shots = resolve(here, '..', 'screenshots');
export const PASSWORD = 'e2e-pass-123';

/** The `minimall` binary: $MINIMALL_BIN, or built here with cargo (a no-op when up to date). */
function binary() {
  if (process.env.MINIMALL_BIN) return process.env.MINIMALL_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
  execFileSync('cargo', ['build', '-q', '-p', 'minimall-server', '--bin', 'minimall'], { cwd: root, stdio: 'inherit' });
  return join(target, 'debug', 'minimall');
}

/** A demo server on a free port with a new SQLite database; resolves once it printed its URL. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'minimall-e2e-'));
  const bin = binary();
  const child = spawn(bin, ['serve', '--demo', '--bind', '127.0.0.1:0', '--database-url', `sqlite://${join(dir, 'e2e.db')}`], {
    env: { ...process.env, MINIMALL_ADMIN_PASSWORD: PASSWORD, MINIMALL_UPLOADS_DIR: join(dir, 'uploads'), RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 120 s:\n' + out)), 120_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Storefront \(H5\)\s+(http:\/\/\S+?)\/\s/);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (apt-get install chromium)`);
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A phone-sized page (375 px wide) with its own cookies. */
export async function phone(browser) {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  return ctx.newPage();
}

/** A laptop-sized page for the console. */
export async function laptop(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
  return ctx.newPage();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Nothing on a storefront page may be wider than the phone screen. */
export async function assertFitsPhone(page, assert) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 375, `${page.url()} is ${w}px wide on a 375px screen`);
}

export async function consoleLogin(page, base, username) {
  await page.goto(`${base}/admin/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login-form button')]);
}

/** Poll `check` (run here, not in the page: the CSP forbids eval) until it returns true. */
export async function until(check, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // the page may be navigating; look again
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
