// Network benchmark (part of `npm run bench`): an 8-node test network on loopback, R = 4.
// Measures connect time, put and get throughput of a 64 MiB payload stored as 64 chunks of
// 1 MiB, the latency of 1 KiB reads (p50/p99), and whether reads really run together: 64 fetches
// of 256 KiB files on one Safe all at once, against the same fetches one at a time (the
// single-stream throughput; the target is an aggregate of at least 0.9 times it). Not a test:
// it checks only that the bytes read back are the bytes stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { fmt, machine, pool, randomBytes, stats } from './common.mjs';

const NODES = 8;
const MiB = 1024 * 1024;
const CHUNKS = 64;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SMALL_READS = Number(process.env.BENCH_SMALL_READS ?? 500);

const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-net-'));
const testnet = await startTestnet({ nodes: NODES, replicas: 4, basePort: 0, dir, contactsFile: null });
try {
  console.log(`== ${NODES}-node network, R = 4 ==\nmachine: ${machine()}`);

  const connects = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const safe = new Safe(null, 120);
    await safe.connect({ bootstrap: testnet.contacts });
    connects.push(performance.now() - t);
    await safe.close();
  }
  console.log(`connect (new Safe + connect): ${fmt(stats(connects))}`);

  const safe = new Safe(null, 300);
  await safe.connect({ bootstrap: testnet.contacts });
  const payload = Array.from({ length: CHUNKS }, (_, i) => randomBytes(MiB, `bench-${i}`));
  let t = performance.now();
  const urls = await pool(payload.map((data) => () => safe.storeBytes(data)), CONCURRENCY);
  const putMs = performance.now() - t;
  t = performance.now();
  const back = await pool(urls.map((url) => () => safe.filesGet(url)), CONCURRENCY);
  const getMs = performance.now() - t;
  back.forEach((b, i) => {
    if (!Buffer.from(b).equals(Buffer.from(/** @type {Uint8Array} */ (payload[i])))) throw new Error(`chunk ${i} read back different`);
  });
  console.log(`put 64 MiB (64 x 1 MiB, ${CONCURRENCY} at once): ${(putMs / 1000).toFixed(2)} s -> ${((CHUNKS * 1000) / putMs).toFixed(1)} MiB/s`);
  console.log(`get 64 MiB (64 x 1 MiB, ${CONCURRENCY} at once): ${(getMs / 1000).toFixed(2)} s -> ${((CHUNKS * 1000) / getMs).toFixed(1)} MiB/s`);

  const small = await pool(Array.from({ length: 50 }, (_, i) => () => safe.storeBytes(randomBytes(1024, `small-${i}`))), CONCURRENCY);
  const reads = [];
  for (let i = 0; i < SMALL_READS; i++) {
    const url = /** @type {string} */ (small[i % small.length]);
    const start = performance.now();
    await safe.filesGet(url);
    reads.push(performance.now() - start);
  }
  console.log(`1 KiB read, one at a time: ${fmt(stats(reads))}`);

  // 64 x 256 KiB: one at a time, then all 64 at once on the same Safe (readers share the lock).
  const quarter = Array.from({ length: 64 }, (_, i) => randomBytes(256 * 1024, `quarter-${i}`));
  const quarterUrls = await pool(quarter.map((data) => () => safe.storeBytes(data)), CONCURRENCY);
  const fetchAll = async (/** @type {number} */ atOnce) => {
    const t0 = performance.now();
    const got = await pool(quarterUrls.map((url) => () => safe.filesGet(url)), atOnce);
    got.forEach((b, i) => {
      if (!Buffer.from(b).equals(Buffer.from(/** @type {Uint8Array} */ (quarter[i])))) throw new Error(`256 KiB file ${i} read back different`);
    });
    return (16 * 1000) / (performance.now() - t0);
  };
  const single = await fetchAll(1);
  const together = await fetchAll(64);
  console.log(`64 x 256 KiB fetches: one at a time ${single.toFixed(1)} MiB/s; 64 at once ${together.toFixed(1)} MiB/s (${(together / single).toFixed(2)}x)`);
  await safe.close();
} finally {
  await testnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
