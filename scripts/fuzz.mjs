// `npm run fuzz`: the long fuzz runs. 10^6 datagrams (or --count N) through the real component
// against a real node (scripts/fuzz-datagrams.mjs), then the client's property tests of hostile
// nodes and hostile stored data (crates/client/tests/hostile.rs) with many more cases
// (--cases N, default 2000). `npm test` runs both with small counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { NodeProcess } from '../dist/testnet/node-process.js';
import { fuzzDatagrams } from './fuzz-datagrams.mjs';
import { cargo } from './toolchain.mjs';

const { values } = parseArgs({ options: { count: { type: 'string' }, cases: { type: 'string' }, seed: { type: 'string' } } });
const count = Number(values.count ?? 1_000_000);
const seed = Number(values.seed ?? Date.now() % 1_000_000);

const root = mkdtempSync(join(tmpdir(), 'safe-fuzz-'));
const node = await NodeProcess.start({ root });
try {
  const [ip = '', port = ''] = node.addr.split(':');
  console.log(`datagrams: feeding ${count} (seed ${seed}) to the component connected to ${node.addr}`);
  const stats = await fuzzDatagrams({ node: { ip, port: Number(port) }, count, seed });
  console.log(
    `datagrams: ${stats.fed} fed (${stats.fromNode} from the node's address) in ${stats.seconds.toFixed(1)} s, ` +
      `${(stats.fed / stats.seconds).toFixed(0)}/s; no trap; linear memory ${stats.memory} bytes now, ${stats.maxMemory} at most; ` +
      `${stats.refused} answers to strangers dropped by the allowlist; the instance still works`,
  );
} finally {
  await node.stop();
  rmSync(root, { recursive: true, force: true });
}

const cases = values.cases ?? '2000';
console.log(`hostile nodes and stored data: ${cases} cases per property`);
cargo(['test', '--locked', '--release', '-p', 'safe-client', '--test', 'hostile'], { PROPTEST_CASES: cases });
