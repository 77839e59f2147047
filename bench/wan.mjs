// WAN benchmark (`npm run bench wan`): the same work on a 5-node network (R = 3) over the
// emulated WAN of host/testnet/wan.ts (each node in a network namespace of its own, every hop
// 20 ms each way, 1 % of packets lost, 1 % duplicated, 1 % reordered) and on plain loopback,
// in one run: connect time, put and get throughput of one 16 MiB file, and the latency of
// 1 KiB reads one at a time (p50/p99). Prints the link as measured (UDP echo round trip and
// loss) and its counters. Needs Linux and root; elsewhere it says why and measures nothing.
// Not a test: it checks only that the bytes read back are the bytes stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { Wan, wanSupport } from '../dist/testnet/wan.js';
import { machine, pool, randomBytes, stats } from './common.mjs';

const NODES = 5;
const MiB = 1024 * 1024;
const BIG = 16 * MiB;
const SMALL_READS = Number(process.env.BENCH_SMALL_READS ?? 100);
const CONNECTS = 5;

/**
 * The figures of one network.
 * @typedef {{ connect: import('./common.mjs').Stats, putMiBs: number, getMiBs: number, read: import('./common.mjs').Stats }} Figures
 */

/**
 * Runs the work against a network started with `place` (undefined: loopback).
 * @param {string} label
 * @param {((index: number) => import('../dist/testnet/launcher.js').NodePlace) | undefined} place
 * @returns {Promise<Figures>}
 */
async function measure(label, place) {
  const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-wan-'));
  const testnet = await startTestnet({ nodes: NODES, replicas: 3, basePort: 0, dir, contactsFile: null, ...(place ? { place } : {}) });
  try {
    const connects = [];
    for (let i = 0; i < CONNECTS; i++) {
      const t = performance.now();
      const safe = new Safe(null, 120);
      await safe.connect({ bootstrap: testnet.contacts });
      connects.push(performance.now() - t);
      await safe.close();
    }
    const safe = new Safe(null, 600);
    await safe.connect({ bootstrap: testnet.contacts });
    try {
      const data = randomBytes(BIG, `wan-${label}`);
      let t = performance.now();
      const url = await safe.storeBytes(data);
      const putMs = performance.now() - t;
      t = performance.now();
      const back = await safe.filesGet(url);
      const getMs = performance.now() - t;
      if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error(`${label}: the 16 MiB file read back different`);

      const small = await pool(Array.from({ length: 20 }, (_, i) => () => safe.storeBytes(randomBytes(1024, `small-${label}-${i}`))), 4);
      const reads = [];
      for (let i = 0; i < SMALL_READS; i++) {
        const start = performance.now();
        await safe.filesGet(/** @type {string} */ (small[i % small.length]));
        reads.push(performance.now() - start);
      }
      return { connect: stats(connects), putMiBs: (BIG / MiB) / (putMs / 1000), getMiBs: (BIG / MiB) / (getMs / 1000), read: stats(reads) };
    } finally {
      await safe.close();
    }
  } finally {
    await testnet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`== WAN: ${NODES}-node network, R = 3, over an emulated WAN and on loopback ==\nmachine: ${machine()}`);
const support = wanSupport();
if (!support.ok) {
  console.log(`skipped: ${support.reason}`);
} else {
  const wan = await Wan.create({ sites: NODES });
  try {
    const { delayMs, loss, duplicate, reorder } = wan.impairment;
    console.log(`link: ${wan.emulator === 'netem' ? 'netem' : 'user space (safe-wan-link)'}, per hop ${delayMs} ms, loss ${loss * 100} %, duplicate ${duplicate * 100} %, reorder ${reorder * 100} %`);
    const probe = await wan.probe(500, 4);
    const rtt = stats(probe.rtts);
    console.log(`UDP echo client -> node -> client: p50 ${rtt.p50.toFixed(1)} ms, p90 ${rtt.p90.toFixed(1)}, min ${rtt.min.toFixed(1)}, max ${rtt.max.toFixed(1)}; ${probe.sent - probe.rtts.length} of ${probe.sent} lost (${(((probe.sent - probe.rtts.length) / probe.sent) * 100).toFixed(1)} %)`);

    const overWan = await measure('wan', wan.place);
    const counters = await wan.stats();
    const loopback = await measure('loopback', undefined);

    const row = (/** @type {string} */ name, /** @type {(f: Figures) => string} */ f) => console.log(`${name.padEnd(34)}${f(overWan).padEnd(22)}${f(loopback)}`);
    console.log(`${''.padEnd(34)}${'WAN'.padEnd(22)}loopback`);
    row('connect (new Safe + connect) p50', (f) => `${f.connect.p50.toFixed(0)} ms`);
    row('connect p99 (max of 5)', (f) => `${f.connect.p99.toFixed(0)} ms`);
    row('put 16 MiB (storeBytes)', (f) => `${f.putMiBs.toFixed(2)} MiB/s`);
    row('get 16 MiB (filesGet)', (f) => `${f.getMiBs.toFixed(2)} MiB/s`);
    row(`1 KiB read p50 (n=${SMALL_READS})`, (f) => `${f.read.p50.toFixed(1)} ms`);
    row('1 KiB read p99', (f) => `${f.read.p99.toFixed(1)} ms`);
    const c = counters.forwarder;
    const impaired = counters.emulator === 'user'
      ? `lost ${c.lost} (${((c.lost / c.received) * 100).toFixed(2)} %), duplicated ${c.duplicated}, reordered ${c.reordered}, overflow ${c.overflow}`
      : `netem dropped ${counters.netemDropped}`;
    console.log(`link counters over the WAN run: ${c.received} packets, ${impaired}`);
  } finally {
    await wan.destroy();
  }
}
