// Event-loop benchmark (part of `npm run bench`): how responsive the Node main thread stays while
// a 64 MiB file is stored (from a buffer, then from a local path) and fetched against a 4-node
// network on loopback. Measured with perf_hooks.monitorEventLoopDelay at 1 ms resolution; the
// component, its QUIC and its self-encryption run in the engine worker, so the main thread
// should only see message passing. Each phase also reports how much the process's resident set
// grew at its peak (the engine worker and its component included). Not a test: it checks only
// that the bytes come back intact.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { Safe } from '../dist/index.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { machine, randomBytes } from './common.mjs';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_EVENT_LOOP_MIB ?? 64) * MiB;

const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-el-'));
const testnet = await startTestnet({ nodes: 4, replicas: 4, basePort: 0, dir, contactsFile: null });
try {
  console.log(`== event loop while ${SIZE / MiB} MiB is stored and fetched (4 nodes) ==\nmachine: ${machine()}`);
  const safe = new Safe(null, 600);
  await safe.connect({ bootstrap: testnet.contacts });
  const data = randomBytes(SIZE, 'event-loop');
  const path = join(dir, 'big.bin');
  writeFileSync(path, data);

  // The path first: its resident-set growth shows what a streamed store holds (the component's
  // memory only grows, so a later phase would hide it).
  /** @type {Array<[string, () => Promise<string>]>} */
  const phases = [
    ['storeFile (path)', () => safe.storeFile(path)],
    ['storeBytes (buffer)', () => safe.storeBytes(data)],
  ];
  let url = '';
  for (const [name, run] of phases) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    const rss = rssSampler();
    h.enable();
    const t = performance.now();
    url = await run();
    const ms = performance.now() - t;
    h.disable();
    report(name, h, ms, rss.stop());
  }
  const h = monitorEventLoopDelay({ resolution: 1 });
  const rss = rssSampler();
  h.enable();
  const t = performance.now();
  const back = await safe.filesGet(url);
  const ms = performance.now() - t;
  h.disable();
  report('filesGet', h, ms, rss.stop());
  if (!Buffer.from(back).equals(Buffer.from(data))) throw new Error('read back different bytes');
  await safe.close();
} finally {
  await testnet.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Samples the process's resident set every 20 ms; `stop()` gives the growth over the start, in MiB. */
function rssSampler() {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return (peak - start) / MiB;
    },
  };
}

/**
 * @param {string} name
 * @param {import('node:perf_hooks').IntervalHistogram} h
 * @param {number} ms
 * @param {number} rssGrowthMiB
 */
function report(name, h, ms, rssGrowthMiB) {
  const p = (/** @type {number} */ q) => (h.percentile(q) / 1e6).toFixed(1);
  console.log(`${name}: ${(ms / 1000).toFixed(2)} s (${((SIZE / MiB) / (ms / 1000)).toFixed(1)} MiB/s); event-loop delay p50 ${p(50)} ms, p99 ${p(99)} ms, max ${(h.max / 1e6).toFixed(1)} ms; resident set +${rssGrowthMiB.toFixed(0)} MiB at peak`);
}
