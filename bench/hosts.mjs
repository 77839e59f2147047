// Hosts benchmark (`npm run bench hosts`): the same work on one 8-node network (R = 4) for the
// Node host (the component in V8), the Rust host running the same component in wasmtime, and
// the same core linked natively (the baseline): a new Safe + connect (in Node the first of the
// process, which compiles the component; in wasmtime a warm start from the on-disk cache), a
// 64 MiB single-file put and get, 64 x 1 MiB put and get 8 at once, the latency of 1 KiB reads
// one at a time, and a second Safe + connect in the same process (warm in every host).
// Printed side by side with each host's ratio to native, in one run. Not a test: it checks
// only that the bytes read back are the bytes stored.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { cargo, root } from '../scripts/toolchain.mjs';
import { machine, pool, randomBytes, stats } from './common.mjs';

const MiB = 1024 * 1024;
const READS = Number(process.env.BENCH_SMALL_READS ?? 200);
const CONCURRENCY = 8;

// The Rust side is an example of the safe-wasmtime crate, built by the same cargo invocation as
// `npm test`'s build (scripts/build.mjs --tests): the same packages and targets resolve the same
// features, so it shares every dependency with the binaries, and after `npm test` this builds
// nothing. (Asking for the example alone resolved other features and rebuilt wasmtime.)
cargo(['build', '--profile', 'native', '--locked', '-p', 'safe-node', '-p', 'safe-wasmtime', '-p', 'safe-wan-link', '--all-targets']);
const rustBench = join(root, 'target', 'native', 'examples', 'hosts_bench');

/** @typedef {{ startMs: number, restartMs: number, putMs: number, getMs: number, putPiecesMs: number, getPiecesMs: number, readP50: number, readP99: number }} Figures */

/**
 * The Node host's figures: the same steps as examples/hosts_bench.rs.
 * @param {string[]} contacts
 * @param {string} file
 * @param {Uint8Array} original
 * @returns {Promise<Figures>}
 */
async function nodeHost(contacts, file, original) {
  let t = performance.now();
  const safe = new Safe(null, 600);
  await safe.connect({ bootstrap: contacts });
  const startMs = performance.now() - t;
  t = performance.now();
  const url = await safe.storeFile(file);
  const putMs = performance.now() - t;
  t = performance.now();
  const back = await safe.filesGet(url);
  const getMs = performance.now() - t;
  if (!Buffer.from(back).equals(original)) throw new Error('node: the file read back differs');
  const pieces = Array.from({ length: 64 }, (_, i) => randomBytes(MiB, `piece-${i}`));
  t = performance.now();
  const urls = await pool(pieces.map((p) => () => safe.storeBytes(p)), CONCURRENCY);
  const putPiecesMs = performance.now() - t;
  t = performance.now();
  const backs = await pool(urls.map((u) => () => safe.filesGet(u)), CONCURRENCY);
  const getPiecesMs = performance.now() - t;
  backs.forEach((b, i) => {
    if (!Buffer.from(b).equals(/** @type {Uint8Array} */ (pieces[i]))) throw new Error(`node: piece ${i} read back differs`);
  });
  const small = [];
  for (let i = 0; i < 20; i++) small.push(await safe.storeBytes(randomBytes(1024, `small-${i}`)));
  const samples = [];
  for (let i = 0; i < READS; i++) {
    const s = performance.now();
    await safe.filesGet(/** @type {string} */ (small[i % small.length]));
    samples.push(performance.now() - s);
  }
  const st = stats(samples);
  await safe.close();
  // What a long-running program pays for each Safe after its first.
  t = performance.now();
  const again = new Safe(null, 600);
  await again.connect({ bootstrap: contacts });
  const restartMs = performance.now() - t;
  await again.close();
  return { startMs, restartMs, putMs, getMs, putPiecesMs, getPiecesMs, readP50: st.p50, readP99: st.p99 };
}

const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-hosts-'));
const file = join(dir, 'payload.bin');
const original = randomBytes(64 * MiB, 'hosts');
writeFileSync(file, original);
const testnet = await startTestnet({ nodes: 8, replicas: 4, basePort: 0, dir: join(dir, 'net'), contactsFile: null });
try {
  console.log(`== hosts: 8-node network, R = 4 ==\nmachine: ${machine()}`);
  /** @type {Record<string, Figures>} */
  const results = {};
  results['node'] = await nodeHost(testnet.contacts, file, original);
  // The compiled component in the tests' cache under target/; a first run fills it, so that
  // "start" is a warm start, as every run after the first is for a user.
  const env = { ...process.env, SAFE_WASMTIME_CACHE: join(root, 'target', 'wasmtime-cache') };
  for (const [name, flags] of /** @type {const} */ ([['wasmtime', ['--component', join(root, 'pkg', 'safe_client.wasm')]], ['native', ['--native']]])) {
    execFileSync(rustBench, [...flags, '--start-only'], { env, stdio: 'inherit' });
    const out = execFileSync(rustBench, [...flags, '--bootstrap', /** @type {string} */ (testnet.contacts[0]), '--file', file, '--reads', String(READS)], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    results[name] = JSON.parse(/** @type {string} */ (out.trim().split('\n').pop()));
  }

  /** @type {Array<[string, keyof Figures]>} */
  const rows = [
    ['start (new Safe + connect)', 'startMs'],
    ['a second Safe, same process', 'restartMs'],
    ['put 64 MiB file', 'putMs'],
    ['get 64 MiB file', 'getMs'],
    [`put 64 x 1 MiB (${CONCURRENCY} at once)`, 'putPiecesMs'],
    [`get 64 x 1 MiB (${CONCURRENCY} at once)`, 'getPiecesMs'],
    [`1 KiB read p50 (n=${READS})`, 'readP50'],
    [`1 KiB read p99 (n=${READS})`, 'readP99'],
  ];
  const hosts = ['node', 'wasmtime', 'native'];
  console.log(['ms (ratio to native)'.padEnd(30), ...hosts.map((h) => h.padStart(20))].join(''));
  for (const [label, key] of rows) {
    const native = /** @type {Figures} */ (results['native'])[key];
    const cells = hosts.map((h) => {
      const v = /** @type {Figures} */ (results[h])[key];
      return `${v.toFixed(1)} (${(v / native).toFixed(2)}x)`.padStart(20);
    });
    console.log([label.padEnd(30), ...cells].join(''));
  }
  console.log('(64 MiB in T ms = 64000 / T MiB/s)');
} finally {
  await testnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
