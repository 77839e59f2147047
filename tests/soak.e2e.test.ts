// Churn soak: writes go on while nodes join, leave (killed) and restart, for SAFE_SOAK_SECONDS
// (40 in `npm test`; `npm run soak` runs it for 5 minutes, or as long as the variable says).
// Then every acknowledged write must read back, and every item must be on its R closest live
// nodes again. The figures (writes acknowledged and failed, churn steps, time to R copies, lost)
// are printed, for the issue notes.
import { afterEach, describe, expect, it } from 'vitest';

import { Safe, SafeError } from '../dist/index.js';
import { startTestnet, waitFor, type Testnet } from '../dist/testnet/launcher.js';
import { check, storeFileItem, waitForFullReplication, type Item } from './durability.js';
import { pattern, pool, tempDir } from './support.js';

const SECONDS = Number(process.env['SAFE_SOAK_SECONDS'] ?? 40);
const NODES = 6;
const REPLICAS = 3;
/** Short gossip and failure detection, as in network.e2e. */
const FAST = ['--gossip-interval-ms', '200', '--failure-timeout-ms', '2000'];
/** Each churn step waits for this many more acknowledged writes before the next. */
const WRITES_PER_STEP = 3;

let testnet: Testnet | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
let safe: Safe | undefined;

afterEach(async () => {
  await safe?.close();
  await testnet?.stop();
  dir?.remove();
});

describe('churn soak', () => {
  it(`keeps every acknowledged write while nodes join, leave and restart for ${SECONDS} s, then restores R copies`, async () => {
    dir = tempDir('safe-soak-');
    testnet = await startTestnet({ nodes: NODES, replicas: REPLICAS, basePort: 0, dir: dir.path, contactsFile: null, nodeArgs: FAST });
    const net = testnet;
    safe = new Safe(null, 60);
    await safe.connect({ bootstrap: net.contacts });
    const client = safe;

    const acknowledged: Item[] = [];
    let failed = 0;
    let writing = true;
    let seed = 1;
    const writer = async () => {
      for (let i = 0; writing; i++) {
        const s = seed++;
        try {
          if (i % 8 === 7) {
            const url = await client.registerCreate(null, 9000 + s);
            const value = `soak ${s}`;
            await client.registerWrite(url, new TextEncoder().encode(value));
            acknowledged.push({ kind: 'register', url, value });
          } else {
            acknowledged.push(await storeFileItem(client, net, pattern(2000 + (s % 5000), 50_000 + s)));
          }
        } catch (e) {
          // A write may fail during churn; only an acknowledged one must survive.
          expect(e).toBeInstanceOf(SafeError);
          failed++;
        }
      }
    };
    const writers = [writer(), writer()];

    // Churn, in a fixed cycle; a leave kills a running node but never brings the network below
    // R + 1 nodes, a join never takes it past NODES + 2 running (the cycle adds a node net, so a
    // long soak would otherwise grow without bound), and a restart brings back the node killed
    // longest ago.
    const cycle = ['join', 'leave', 'restart', 'leave', 'join', 'restart'] as const;
    const killed: number[] = [];
    const steps: string[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    for (let k = 0; Date.now() < deadline || steps.length < cycle.length; k++) {
      const before = acknowledged.length;
      const running = net.nodes.map((n, i) => ({ n, i })).filter(({ n }) => !n.exited);
      let step: string = cycle[k % cycle.length]!;
      if (step === 'leave' && running.length <= REPLICAS + 1) step = 'join';
      if (step === 'restart' && killed.length === 0) step = 'join';
      if (step === 'join' && running.length >= NODES + 2) step = 'leave';
      if (step === 'join') await net.add();
      else if (step === 'leave') {
        const victim = running[(k * 7 + 3) % running.length]!;
        await victim.n.kill();
        killed.push(victim.i);
      } else await net.restart(killed.shift()!);
      steps.push(step);
      await waitFor(() => acknowledged.length >= before + WRITES_PER_STEP, 60_000, () => `only ${acknowledged.length - before} writes acknowledged since the ${step}`);
      // Keep reading what was acknowledged just now.
      for (const item of acknowledged.slice(-WRITES_PER_STEP)) await check(client, item);
    }
    writing = false;
    await Promise.all(writers);

    const started = performance.now();
    await waitForFullReplication(net, acknowledged, REPLICAS, 120_000);
    const toR = (performance.now() - started) / 1000;
    let lost = 0;
    await pool(
      acknowledged.map((item) => async () => {
        try {
          await check(client, item);
        } catch {
          lost++;
        }
      }),
      16,
    );
    console.log(
      `soak: ${SECONDS} s, ${steps.length} churn steps (${steps.join(' ')}), ${net.nodes.filter((n) => !n.exited).length} of ${net.nodes.length} nodes running at the end, ${acknowledged.length} writes acknowledged, ` +
        `${failed} failed, ${lost} lost, R copies restored ${toR.toFixed(1)} s after the writes stopped`,
    );
    expect(lost).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(steps.length * WRITES_PER_STEP - 1);
  }, (SECONDS + 400) * 1000);
});
