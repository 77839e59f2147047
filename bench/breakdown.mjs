// Per-stage breakdown (`npm run bench breakdown`): where the Node host's engine worker spends its
// time while one 64 MiB file is stored and read back on an 8-node network (R = 4). The worker
// profiles itself (SAFE_WASI_CPU_PROFILE, host/engine/node/profile.ts); each sample is put in
// the stage of the nearest frame on its stack that names one (the profiled workers load the
// component built with its Rust function names, pkg/named/; the product drops them): QUIC packet crypto, QUIC itself, hashing, self-encryption,
// compression, memory copies, host crossings (JS glue, sockets, GC), idle. Printed as ms per MiB
// for the put and for the get (less what a worker that only connects spends), so the next
// speed-up can be picked from data. Not a test.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { startTestnet } from '../dist/testnet/launcher.js';
import { componentAndBindings } from '../scripts/component.mjs';
import { WASM_TARGET, root } from '../scripts/toolchain.mjs';
import { machine, randomBytes } from './common.mjs';

const MiB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_FILE_MIB ?? 64);

/** Stages, in the order a frame is tried: the first pattern a frame's name matches wins. */
/** @type {Array<[string, RegExp]>} */
const STAGES = [
  ['QUIC crypto', /4ring4aead|ring_core_\d+_\d+_\d+__(CRYPTO|aes|gcm|chacha|GFp)|aes_nohw|gcm_|ChaCha20_ctr32|poly1305_(update|finish|blocks)/],
  ['hashing', /tiny_keccak|keccak|6blake3|blake3_|sha2|sha3|Sha3|XorName.*from_content/],
  ['compression', /brotli/],
  ['self-encryption', /self_encryption|8chacha20|7poly1305|chacha20poly1305|aead.*Aead/],
  ['QUIC protocol', /quinn_proto|rustls/],
  ['memory', /^(memcpy|memset|memmove|dlmalloc|dlfree|dlrealloc|__rust_(alloc|dealloc|realloc))$/],
  ['idle', /^\(idle\)$/],
  ['host crossings', /./],
];

/**
 * ms per stage in one profile: every sample goes to the stage of the nearest frame on its stack
 * whose name one of the patterns above matches; JS frames with no better match count as host
 * crossings (the driver, the sockets, jco's lifting and lowering, the GC).
 * @param {any} profile a V8 .cpuprofile
 */
function stages(profile) {
  /** @type {Map<number, any>} */
  const byId = new Map(profile.nodes.map((/** @type {any} */ n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, string>} */
  const memo = new Map();
  const stageOf = (/** @type {number} */ id) => {
    const path = [];
    /** @type {number | undefined} */
    let at = id;
    let found = 'host crossings';
    while (at !== undefined) {
      const known = memo.get(at);
      if (known) {
        found = known;
        break;
      }
      path.push(at);
      const name = byId.get(at).callFrame.functionName;
      const hit = STAGES.slice(0, -1).find(([, re]) => /** @type {RegExp} */ (re).test(name));
      if (hit) {
        found = /** @type {string} */ (hit[0]);
        break;
      }
      at = parent.get(at);
    }
    for (const p of path) memo.set(p, found);
    return found;
  };
  const totals = new Map(STAGES.map(([name]) => [name, 0]));
  const deltas = profile.timeDeltas;
  profile.samples.forEach((/** @type {number} */ id, /** @type {number} */ i) => {
    const stage = stageOf(id);
    // A sample's time is the gap to the next one.
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    totals.set(stage, (totals.get(stage) ?? 0) + ms);
  });
  return totals;
}

/**
 * Runs `work` in a fresh Safe whose worker profiles itself; the profile's stages.
 * @param {string[]} contacts
 * @param {(safe: Safe) => Promise<void>} work
 */
async function profiled(contacts, work) {
  const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-profile-'));
  process.env['SAFE_WASI_CPU_PROFILE'] = dir;
  process.env['SAFE_WASI_COMPONENT'] = NAMED;
  const safe = new Safe(null, 600);
  delete process.env['SAFE_WASI_CPU_PROFILE'];
  delete process.env['SAFE_WASI_COMPONENT'];
  try {
    await safe.connect({ bootstrap: contacts });
    const t = performance.now();
    await work(safe);
    const wallMs = performance.now() - t;
    await safe.close();
    const [file] = readdirSync(dir);
    if (!file) throw new Error('the engine worker wrote no profile');
    return { wallMs, stages: stages(JSON.parse(readFileSync(join(dir, file), 'utf8'))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The product component has no function names (scripts/component.mjs); the profiled workers
// load the same core module with its names, from pkg/named/.
await componentAndBindings(join(root, 'target', WASM_TARGET, 'release', 'safe_component.wasm'), join(root, 'pkg', 'named'), { keepNames: true });
const NAMED = join(root, 'pkg', 'named', 'js', 'safe_client.js');

const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-breakdown-'));
const testnet = await startTestnet({ nodes: 8, replicas: 4, basePort: 0, dir: join(dir, 'net'), contactsFile: null });
try {
  console.log(`== per-stage breakdown: one ${SIZE_MIB} MiB file, 8 nodes, R = 4 ==\nmachine: ${machine()}`);
  const original = randomBytes(SIZE_MIB * MiB, 'breakdown');
  const file = join(dir, 'file.bin');
  writeFileSync(file, original);
  // What starting a worker and connecting costs, taken off the figures below. The workers of one
  // process share the compiled component, and so how far V8 has optimised it: a first worker
  // that only connects warms that path for the others, and the one measured runs last.
  await profiled(testnet.contacts, async () => {});
  let url = '';
  const put = await profiled(testnet.contacts, async (safe) => {
    url = await safe.storeFile(file);
  });
  const get = await profiled(testnet.contacts, async (safe) => {
    const back = await safe.filesGet(url);
    if (!Buffer.from(back).equals(original)) throw new Error('the file read back differs');
  });
  const start = await profiled(testnet.contacts, async () => {});
  const net = (/** @type {Map<string, number>} */ m, /** @type {string} */ name) => Math.max(0, (m.get(name) ?? 0) - (start.stages.get(name) ?? 0));
  const row = (/** @type {string} */ name, /** @type {number} */ putMs, /** @type {number} */ getMs) =>
    `${name.padEnd(16)} ${(putMs / SIZE_MIB).toFixed(1).padStart(8)} ${(getMs / SIZE_MIB).toFixed(1).padStart(8)}`;
  console.log(`${''.padEnd(16)} ${'put'.padStart(8)} ${'get'.padStart(8)}   (ms per MiB of the file, engine worker)`);
  for (const [name] of STAGES) console.log(row(/** @type {string} */ (name), net(put.stages, /** @type {string} */ (name)), net(get.stages, /** @type {string} */ (name))));
  console.log(row('wall', put.wallMs, get.wallMs));
  console.log(`throughput: put ${(SIZE_MIB / (put.wallMs / 1000)).toFixed(1)} MiB/s, get ${(SIZE_MIB / (get.wallMs / 1000)).toFixed(1)} MiB/s`);
} finally {
  await testnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
