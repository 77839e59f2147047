// `npm run bench [single|network|event-loop|hosts|browser|breakdown|wan|big]`: runs the benchmarks (all by default), one after the other.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const which = process.argv[2] ?? 'all';
const benches = { single: 'single-node.mjs', network: 'network.mjs', 'event-loop': 'event-loop.mjs', hosts: 'hosts.mjs', browser: 'browser.mjs', breakdown: 'breakdown.mjs', wan: 'wan.mjs', big: 'big-file.mjs' };
for (const [name, file] of Object.entries(benches)) {
  if (which !== 'all' && which !== name) continue;
  execFileSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' });
  console.log();
}
