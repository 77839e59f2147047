// Big-file benchmark (`npm run bench big`): one 1 GiB file (BENCH_BIG_MIB) on an 8-node network
// (R = 4), stored from a path with `safe files put` and read back with `safe files get` (to a
// file) and `safe cat` (to a pipe, through filesGetStream): the time, the throughput and the peak
// RSS of each CLI process (ru_maxrss, from `/usr/bin/time -f %M`), and whether the bytes read
// back hash to what was stored. Needs GNU time (Debian's `time` package). Not a test.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startTestnet } from '../dist/testnet/launcher.js';
import { machine } from './common.mjs';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_BIG_MIB ?? 1024) * MiB;
const TIME = '/usr/bin/time';
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

console.log(`== one ${SIZE / MiB} MiB file, 8-node network, R = 4 (safe CLI) ==\nmachine: ${machine()}`);
if (!existsSync(TIME)) {
  console.log(`skipped: ${TIME} (GNU time, Debian package "time") is missing`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-bench-big-'));
const file = join(dir, 'big.bin');
const fd = openSync(file, 'w');
const block = Buffer.alloc(8 * MiB);
const hash = createHash('sha256');
for (let off = 0; off < SIZE; off += block.length) {
  randomFillSync(block);
  writeSync(fd, block);
  hash.update(block);
}
closeSync(fd);
const want = hash.digest('hex');
const testnet = await startTestnet({ nodes: 8, replicas: 4, basePort: 0, dir: join(dir, 'net'), contactsFile: null });
const env = { ...process.env, SAFE_HOME: join(dir, 'home'), SAFE_SECRET_KEY: '11'.repeat(32) };
const global = ['--timeout', '3600', ...testnet.contacts.flatMap((c) => ['--bootstrap', c])];

/**
 * Runs a command under GNU time; prints its time, throughput and peak RSS.
 * @param {string} label
 * @param {() => import('node:child_process').SpawnSyncReturns<Buffer>} run
 */
function measure(label, run) {
  const t = performance.now();
  const r = run();
  const s = (performance.now() - t) / 1000;
  const err = r.stderr.toString();
  const kib = Number(/RSS (\d+)/.exec(err)?.[1]);
  console.log(`${label.padEnd(34)} ${s.toFixed(1).padStart(6)} s  ${(SIZE / MiB / s).toFixed(1).padStart(5)} MiB/s  peak RSS ${(kib / 1024).toFixed(0)} MiB${r.status === 0 ? '' : `  FAILED (exit ${r.status}): ${err.slice(-500)}`}`);
  return r;
}
const safe = (/** @type {string[]} */ args) => () =>
  spawnSync(TIME, ['-f', 'RSS %M', process.execPath, cli, ...args, ...global], { env, maxBuffer: 64 * MiB });
try {
  const put = measure('safe files put FILE', safe(['files', 'put', file, '--json']));
  const { url } = JSON.parse(put.stdout.toString());
  // The file in the new container (the put's URL carries the version after the path's place).
  const fileUrl = `${url.split('?')[0]}/big.bin`;
  const out = join(dir, 'back.bin');
  measure('safe files get URL FILE', safe(['files', 'get', fileUrl, out]));
  const back = createHash('sha256');
  for await (const c of createReadStream(out)) back.update(c);
  console.log(`  read back: ${statSync(out).size} bytes, sha256 ${back.digest('hex') === want ? 'matches' : 'DIFFERS'}`);
  rmSync(out);
  const line = `${TIME} -f 'RSS %M' '${process.execPath}' '${cli}' cat '${fileUrl}' ${global.join(' ')} | sha256sum`;
  const cat = measure('safe cat URL | sha256sum', () => spawnSync('bash', ['-c', line], { env }));
  console.log(`  streamed: sha256 ${cat.stdout.toString().split(' ')[0] === want ? 'matches' : 'DIFFERS'}`);
} finally {
  await testnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
