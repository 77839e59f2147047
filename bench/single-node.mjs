// Single-node benchmark (part of `npm run bench`): measures, against a real local node on loopback,
//   - the component's size,
//   - cold start: `new Safe` + `connect` (worker start, wasm compile and instantiation, QUIC handshake),
//   - storing and fetching 1 MiB (one chunk),
// and prints them with the machine they ran on. Not a test: it asserts nothing but correctness of
// the bytes it reads back.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { NodeProcess } from '../dist/testnet/node-process.js';
import { fmt, machine, randomBytes, stats } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MiB = 1024 * 1024;

const root = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-'));
const node = await NodeProcess.start({ root });
try {
  console.log(`== single node ==\nmachine: ${machine()}`);
  const wasm = statSync(new URL('../pkg/safe_client.wasm', import.meta.url)).size;
  console.log(`component: pkg/safe_client.wasm ${(wasm / 1024).toFixed(0)} KiB`);

  const cold = [];
  for (let i = 0; i < Math.min(RUNS, 10); i++) {
    const t = performance.now();
    const safe = new Safe(null, 60);
    await safe.connect({ bootstrap: [node.contact] });
    cold.push(performance.now() - t);
    await safe.close();
  }
  console.log(`cold start (new Safe + connect): ${fmt(stats(cold))}`);

  const safe = new Safe(null, 60);
  await safe.connect({ bootstrap: [node.contact] });
  const put = [];
  const get = [];
  for (let i = 0; i < RUNS; i++) {
    const data = randomBytes(MiB, i);
    let t = performance.now();
    const url = await safe.storeBytes(data);
    put.push(performance.now() - t);
    t = performance.now();
    const back = await safe.filesGet(url);
    get.push(performance.now() - t);
    if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error('read back different bytes');
  }
  const mibps = (/** @type {number} */ ms) => (1000 / ms).toFixed(1);
  const p = stats(put);
  const g = stats(get);
  console.log(`store 1 MiB: ${fmt(p)} -> ${mibps(p.p50)} MiB/s at p50`);
  console.log(`fetch 1 MiB: ${fmt(g)} -> ${mibps(g.p50)} MiB/s at p50`);
  await safe.close();
} finally {
  await node.stop();
  rmSync(root, { recursive: true, force: true });
}
