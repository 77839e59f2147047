// What the browser tests share: a static server for dist/browser/ with a page that imports the
// bundle as a user's page would (no bundler; the module is `window.safeWasi`), and Debian's
// Chromium driven by playwright-core.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser bundle (scripts/build-browser.mjs). */
export const BUNDLE = join(import.meta.dirname, '..', 'dist', 'browser');
/** Debian's chromium, which `npm run setup` installs. */
export const CHROMIUM = '/usr/bin/chromium';

/** The page the tests drive: it imports the bundle as a user's page would, with no bundler. */
const INDEX = `<!doctype html><meta charset="utf-8"><title>safe-wasi test</title>
<script type="module">
import * as safeWasi from './safe-wasi.js';
window.safeWasi = safeWasi;
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.map': 'application/json' };

/** A static server of the bundle and the test page on loopback. */
export interface BundleServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves dist/browser/ and the test page at `/`; fails at once when the bundle was not built. */
export function serveBundle(): Promise<BundleServer> {
  if (!existsSync(join(BUNDLE, 'safe-wasi.js'))) throw new Error('dist/browser/ is missing: run `node scripts/build-browser.mjs` (npm run build does)');
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(INDEX);
      return;
    }
    const file = normalize(join(BUNDLE, path));
    if (!file.startsWith(BUNDLE) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}

/** Headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
}

/** A new page on the test page, once the bundle has loaded (`window.safeWasi`). */
export async function openTestPage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${origin}/`, { timeout: 15_000 });
  await page.waitForFunction(() => 'safeWasi' in globalThis, undefined, { timeout: 15_000 });
  return page;
}
