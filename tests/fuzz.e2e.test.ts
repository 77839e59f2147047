// The component's datagram input, fuzzed through the real component over real UDP to a real
// node (scripts/fuzz-datagrams.mjs): random datagrams and mutations of the QUIC packets it
// received, from the node's address and from unknown remotes. No trap, memory bounded, and the
// instance still works afterwards. `npm run fuzz` runs 10^6 datagrams; this runs a few thousand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fuzzDatagrams } from '../scripts/fuzz-datagrams.mjs';
import { startNode } from './support.js';

let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.cleanup();
});

describe('datagrams into handle-datagrams', () => {
  it('survive random and mutated packets from known and unknown remotes', async () => {
    const [ip, port] = node.addr.split(':') as [string, string];
    const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
    const stats = await fuzzDatagrams({ node: { ip, port: Number(port) }, count: 20_000, seed });
    expect(stats.fed, `seed ${seed}`).toBe(20_000);
    expect(stats.fromNode).toBeGreaterThan(5_000);
    expect(stats.captured).toBeGreaterThan(0);
    expect(stats.maxMemory).toBeLessThanOrEqual(64 * 1024 * 1024);
  }, 180_000);
});
