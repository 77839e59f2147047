// Browser benchmark (`node bench/browser.mjs`; for `npm run bench browser`): a 64 MiB file put
// and got by dist/browser/safe-wasi.js in headless Chromium (Debian's chromium, playwright-core)
// through `safe relay`, beside the same put and get from Node in the same run, on an 8-node
// loopback network (R = 4). Not a test: it checks only that the bytes read back are the bytes
// stored (by SHA-256, computed in each host).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Safe } from '../dist/index.js';
import { parseContact } from '../dist/core/contacts.js';
import { startRelay } from '../dist/relay/server.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { machine, randomBytes } from './common.mjs';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_BROWSER_MIB ?? 64) * MiB;
const bundle = fileURLToPath(new URL('../dist/browser/', import.meta.url));
if (!existsSync(join(bundle, 'safe-wasi.js'))) throw new Error('dist/browser/ is missing: run `node scripts/build-browser.mjs`');

/** @type {Record<string, string>} */
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const INDEX = `<!doctype html><script type="module">import * as m from './safe-wasi.js'; globalThis.safeWasi = m;</script>`;
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(INDEX);
  const file = normalize(join(bundle, path));
  if (!file.startsWith(bundle) || !existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;

const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-browser-'));
const testnet = await startTestnet({ nodes: 8, replicas: 4, basePort: 0, dir, contactsFile: null });
const relay = await startRelay({ port: 0, bootstrap: await Promise.all(testnet.contacts.map(parseContact)), log: () => {} });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  console.log(`== browser vs Node: one ${SIZE / MiB} MiB file, 8-node network, R = 4 ==\nmachine: ${machine()}\nchromium: ${browser.version()}`);

  const node = new Safe(null, 600);
  await node.connect({ bootstrap: testnet.contacts });
  const data = randomBytes(SIZE, 'bench-browser-node');
  let t = performance.now();
  const url = await node.storeBytes(data);
  const nodePut = performance.now() - t;
  t = performance.now();
  const back = await node.filesGet(url);
  const nodeGet = performance.now() - t;
  if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error('Node read back different bytes');
  await node.close();

  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'safeWasi' in globalThis, undefined, { timeout: 30_000 });
  const result = await page.evaluate(
    async ([relayUrl, size]) => {
      const m = /** @type {typeof import('../dist/browser/index.js')} */ (/** @type {any} */ (globalThis).safeWasi);
      const safe = new m.Safe(null, 600);
      await safe.connect({ relay: relayUrl });
      const bytes = new Uint8Array(size);
      for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      const hex = async (/** @type {Uint8Array} */ b) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].map((x) => x.toString(16).padStart(2, '0')).join('');
      let t0 = performance.now();
      const u = await safe.storeBlob(new Blob([bytes]));
      const put = performance.now() - t0;
      t0 = performance.now();
      const got = await safe.filesGet(u);
      const get = performance.now() - t0;
      const same = (await hex(got)) === (await hex(bytes));
      await safe.close();
      return { put, get, same };
    },
    /** @type {const} */ ([relay.url, SIZE]),
  );
  if (!result.same) throw new Error('the browser read back different bytes');
  const rate = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(2)} s -> ${(SIZE / MiB / (ms / 1000)).toFixed(1)} MiB/s`;
  console.log(`Node    put ${rate(nodePut)}; get ${rate(nodeGet)}`);
  console.log(`browser put ${rate(result.put)} (storeBlob); get ${rate(result.get)} (filesGet), through the relay`);
} finally {
  await browser.close();
  await relay.close();
  await testnet.stop();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
