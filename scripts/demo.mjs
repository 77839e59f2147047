// The demo (`npm run demo [-- <file>]`): starts a local node, connects to it, stores a file
// (the given one, or a greeting), fetches it twice concurrently and prints the URL; then puts a
// small website in a FilesContainer, names it with NRS and reads a page through the name; and
// cleans up.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Safe } from '../dist/index.js';
import { NodeProcess } from '../dist/testnet/node-process.js';

const file = process.argv[2];
const data = file ? readFileSync(file) : new TextEncoder().encode(`Hello from safe-wasi, ${new Date().toISOString()}\n`);
const ms = (/** @type {number} */ t) => `${(performance.now() - t).toFixed(1)} ms`;
/** The bytes of what `fetch` gave, which must be a file. @param {import('../dist/index.js').SafeData} d */
const contents = (d) => {
  if (d.type !== 'PublicFile') throw new Error(`expected a PublicFile, got a ${d.type}`);
  return d.data;
};

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
  const same = Buffer.from(contents(a)).equals(Buffer.from(data)) && Buffer.from(contents(b)).equals(Buffer.from(data));
  console.log(`fetched it twice at once in ${ms(t)}: ${same ? 'both copies match' : 'MISMATCH'}`);
  if (!file) console.log(`content: ${new TextDecoder().decode(contents(a)).trim()}`);
  console.log(`\n${url}\n`);

  // A website: a folder as a FilesContainer, an NRS name for it, a page read through the name.
  const site = join(root, 'site');
  mkdirSync(join(site, 'css'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<h1>Hello from a Safe site</h1>\n');
  writeFileSync(join(site, 'css', 'site.css'), 'h1 { color: teal }\n');
  t = performance.now();
  const [container, processed] = await safe.filesContainerCreateFrom(`${site}/`);
  console.log(`stored a folder (${Object.keys(processed).length} files and folders) as a FilesContainer in ${ms(t)}:\n  ${container}`);
  const name = `demo-${process.pid}`;
  await safe.nrsAdd(name, container);
  t = performance.now();
  const page = await safe.fetch(`safe://${name}/index.html`);
  const steps = (await safe.inspect(`safe://${name}/index.html`)).map((s) => s.type).join(' -> ');
  console.log(`safe://${name}/index.html (${steps}) in ${ms(t)}: ${new TextDecoder().decode(contents(page)).trim()}`);
  await safe.close();
  if (!same) process.exitCode = 1;
} finally {
  await node.stop();
  rmSync(root, { recursive: true, force: true });
}
