// The demo (`npm run demo [-- <file>]`): starts a local node, connects to it, stores a file
// (the given one, or a greeting), fetches it twice concurrently, prints the URL, and cleans up.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { NodeProcess } from '../dist/testnet/node-process.js';

const file = process.argv[2];
const data = file ? readFileSync(file) : new TextEncoder().encode(`Hello from safe-wasi, ${new Date().toISOString()}\n`);
const ms = (t) => `${(performance.now() - t).toFixed(1)} ms`;

const root = mkdtempSync(join(tmpdir(), 'safe-wasi-demo-'));
const node = await NodeProcess.start({ root });
console.log(`node ${node.id.slice(0, 12)}… listening on ${node.addr} (data in ${root})`);
try {
  let t = performance.now();
  const safe = new Safe(null, 120);
  await safe.connect({ bootstrap: [node.contact] });
  console.log(`connected in ${ms(t)}: ${JSON.stringify(safe.network)}`);

  t = performance.now();
  const url = await safe.storeBytes(data, file ? undefined : 'text/plain');
  console.log(`stored ${data.length} bytes in ${ms(t)}`);

  t = performance.now();
  const [a, b] = await Promise.all([safe.fetch(url), safe.fetch(url)]);
  const same = Buffer.from(a.data).equals(Buffer.from(data)) && Buffer.from(b.data).equals(Buffer.from(data));
  console.log(`fetched it twice at once in ${ms(t)}: ${same ? 'both copies match' : 'MISMATCH'}`);
  if (!file) console.log(`content: ${new TextDecoder().decode(a.data).trim()}`);
  console.log(`\n${url}\n`);
  await safe.close();
  if (!same) process.exitCode = 1;
} finally {
  await node.stop();
  rmSync(root, { recursive: true, force: true });
}
