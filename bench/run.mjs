// `npm run bench`: measures, against a real local node on loopback,
//   - the component's size,
//   - cold start: `new Safe` + `connect` (worker start, wasm compile and instantiation, QUIC handshake),
//   - storing and fetching 1 MiB (one chunk),
// and prints them with the machine they ran on. Not a test: it asserts nothing but correctness of
// the bytes it reads back.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, freemem, totalmem, tmpdir, type as osType, release } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { NodeProcess } from '../dist/testnet/node-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MiB = 1024 * 1024;

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, min: s[0], p50: at(0.5), p90: at(0.9), max: s[s.length - 1] };
}
const fmt = ({ n, min, p50, p90, max }) => `p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, min ${min.toFixed(1)}, max ${max.toFixed(1)} (n=${n})`;

function randomBytes(n, seed) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 32) out.set(createHash('sha256').update(`${seed}:${i}`).digest().subarray(0, Math.min(32, n - i)), i);
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-'));
const node = await NodeProcess.start({ root });
try {
  const cpu = cpus();
  console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free), ${osType()} ${release()}, node ${process.version}`);
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
  const mibps = (ms) => (1000 / ms).toFixed(1);
  const p = stats(put);
  const g = stats(get);
  console.log(`store 1 MiB: ${fmt(p)} -> ${mibps(p.p50)} MiB/s at p50`);
  console.log(`fetch 1 MiB: ${fmt(g)} -> ${mibps(g.p50)} MiB/s at p50`);
  await safe.close();
} finally {
  await node.stop();
  rmSync(root, { recursive: true, force: true });
}
