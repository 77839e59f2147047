// The local test network end to end: many real nodes on loopback that replicate, a client
// that keeps its map current, and nothing lost when nodes die or come and go. Copies are
// counted by the files under each live node's root (see `holds`): a stored file counts as
// every one of its chunks (its data map and the encrypted chunks it lists), each placed on
// the nodes closest to that chunk's own address.
import { existsSync, rmSync } from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { Safe, SafeError } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { check, holds, holdsAll, storeFileItem, waitForFullReplication, type FileItem, type Item } from './durability.js';
import { chunkPath, closest, noise, pattern, pool, tempDir } from './support.js';

// Short gossip and failure detection keep the tests quick; both are node flags.
const FAST = ['--gossip-interval-ms', '200', '--failure-timeout-ms', '2000'];

let testnet: Testnet | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
const safes: Safe[] = [];

async function network(nodes: number, replicas: number, nodeArgs: string[] = FAST): Promise<Testnet> {
  dir = tempDir('safe-testnet-');
  testnet = await startTestnet({ nodes, replicas, basePort: 0, dir: dir.path, contactsFile: null, nodeArgs });
  return testnet;
}

async function client(timeoutSecs = 60): Promise<Safe> {
  const safe = new Safe(null, timeoutSecs);
  await safe.connect({ bootstrap: testnet!.contacts });
  safes.push(safe);
  return safe;
}

afterEach(async () => {
  await Promise.all(safes.splice(0).map((s) => s.close()));
  await testnet?.stop();
  testnet = undefined;
  dir?.remove();
  dir = undefined;
});

async function storeItems(safe: Safe, chunks: number, registers: number, accounts: number): Promise<Item[]> {
  const tasks: Array<() => Promise<Item>> = [
    ...Array.from({ length: chunks }, (_, i) => async (): Promise<Item> => storeFileItem(safe, testnet!, pattern(1000 + i, i + 1))),
    ...Array.from({ length: registers }, (_, i) => async (): Promise<Item> => {
      const url = await safe.registerCreate(null, 7000 + i);
      await safe.registerWrite(url, new TextEncoder().encode(`first ${i}`));
      const value = `second ${i}`;
      await safe.registerWrite(url, new TextEncoder().encode(value));
      return { kind: 'register', url, value };
    }),
    ...Array.from({ length: accounts }, (_, i) => async (): Promise<Item> => {
      const balance = `${i + 1}.5`;
      const [url, kp] = await safe.keysCreatePreloadTestCoins(balance);
      return { kind: 'account', url, secretKey: kp.secretKey, balance };
    }),
  ];
  return pool(tasks, 16);
}

describe('a network of 8 nodes with R = 4', () => {
  it('loses none of 200 items when 3 nodes holding them are killed, and a restarted node serves its items from disk', async () => {
    await network(8, 4);
    const safe = await client();
    const items = await storeItems(safe, 120, 40, 40);
    expect(items).toHaveLength(200);
    await waitForFullReplication(testnet!, items, 4);

    // Kill the 3 nodes that hold the most items (never the whole set of any item's holders:
    // R = 4 leaves at least one copy).
    const load = testnet!.nodes.map((n, i) => ({ i, held: items.filter((it) => holds(n.root, it)).length }));
    const victims = load.sort((a, b) => b.held - a.held).slice(0, 3).map((v) => v.i);
    for (const v of victims) expect(load.find((l) => l.i === v)!.held).toBeGreaterThan(0);
    await Promise.all(victims.map((v) => testnet!.nodes[v]!.kill()));

    await pool(items.map((item) => () => check(safe, item)), 16);

    // Once the survivors notice, every item is back on its 4 closest live nodes.
    await waitForFullReplication(testnet!, items, 4);
    await pool(items.map((item) => () => check(safe, item)), 16);

    // A killed node comes back on its own root: same id, its items still on its disk.
    const back = victims[0]!;
    const before = items.filter((it) => holdsAll(testnet!.nodes[back]!.root, it));
    const id = testnet!.nodes[back]!.id;
    const node = await testnet!.restart(back);
    expect(node.id).toBe(id);
    await testnet!.waitUntilWhole();
    // With every other node stopped, a fresh client reads those items from it alone.
    const others = testnet!.nodes.filter((n) => n !== node);
    await Promise.all(others.map((n) => n.stop()));
    const alone = new Safe(null, 60);
    safes.push(alone);
    await alone.connect({ bootstrap: [node.contact] });
    const sample = before.filter((it) => it.kind === 'file').slice(0, 10);
    expect(sample.length).toBeGreaterThan(0);
    for (const item of sample) await check(alone, item);
  }, 300_000);
});

describe('replication', () => {
  it('puts every chunk of a 16 MiB upload on its R holders even when one holder is slow', async () => {
    await network(5, 4);
    // One node takes a second longer over every chunk it stores: the upload is acknowledged by
    // the majority, and the slow holder still gets its copies, from the nodes.
    const slow = 3;
    await testnet!.nodes[slow]!.stop();
    await testnet!.restart(slow, ['--fault', 'slow-chunk-writes']);
    await testnet!.waitUntilWhole();
    const safe = await client();
    const item = await storeFileItem(safe, testnet!, noise(16 * 1024 * 1024));
    const onSlow = item.chunks.filter((c) => closest(c, testnet!.nodes.map((n) => n.id), 4).includes(testnet!.nodes[slow]!.id));
    expect(onSlow.length).toBeGreaterThan(0);
    // 17 chunks at a second each on the slow node, with room for a loaded machine.
    await waitForFullReplication(testnet!, [item], 4, 90_000);
    await check(safe, item);

    // checkReplicas tells the same story as the disks: every chunk (as the data map lists
    // them) on its 4 closest nodes. Then one copy is lost from a disk: checkReplicas reports it
    // missing there (unless anti-entropy has already put it back, which only ever adds), and
    // anti-entropy restores it.
    const ids = testnet!.nodes.map((n) => n.id);
    const rootOf = new Map(testnet!.nodes.map((n) => [n.id, n.root]));
    const onDisk = () => item.chunks.map((c) => closest(c, ids, 4).map((id) => existsSync(chunkPath(rootOf.get(id)!, c))));
    const states = async () => {
      const replicas = await safe.checkReplicas(item.url);
      expect(replicas.chunks.map((c) => c.address)).toEqual(item.chunks);
      expect(replicas.chunks.map((c) => c.holders.map((h) => h.nodeId))).toEqual(item.chunks.map((c) => closest(c, ids, 4)));
      return replicas.chunks.map((c) => c.holders.map((h) => h.state));
    };
    expect((await states()).flat().every((s) => s === 'held')).toBe(true);
    const lost = item.chunks[5]!;
    const loser = closest(lost, ids, 4)[2]!;
    rmSync(chunkPath(rootOf.get(loser)!, lost));
    const before = onDisk();
    const reported = await states();
    const after = onDisk();
    item.chunks.forEach((_, i) => {
      for (let h = 0; h < 4; h++) {
        if (before[i]![h]) expect(reported[i]![h], `chunk ${i} holder ${h}`).toBe('held');
        if (!after[i]![h]) expect(reported[i]![h], `chunk ${i} holder ${h}`).toBe('missing');
      }
    });
    expect(before[5]![2]).toBe(false);
    await waitForFullReplication(testnet!, [item], 4, 60_000);
    expect((await states()).flat().every((s) => s === 'held')).toBe(true);
  }, 240_000);
});

describe('hostile and concurrent use', () => {
  it('catches a node that returns altered chunk bytes and reads another replica', async () => {
    await network(5, 3);
    const safe = await client();
    // Store files until one has a chunk whose closest holder is the node about to lie (its
    // data map, read first, or an encrypted chunk), then make that node lie.
    const liarIndex = 2;
    const liar = testnet!.nodes[liarIndex]!;
    const ids = testnet!.nodes.map((n) => n.id);
    let item: FileItem;
    let seed = 1;
    do item = await storeFileItem(safe, testnet!, pattern(3000, seed++));
    while (!item.chunks.some((c) => closest(c, ids, 1)[0] === liar.id));
    const { url, data } = item;
    await waitForFullReplication(testnet!, [item], 3);
    await liar.stop();
    await testnet!.restart(liarIndex, ['--fault', 'altered-chunks']);
    await testnet!.waitUntilWhole();
    const fresh = await client();
    const back = await fresh.filesGet(url);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses register writes signed by anyone but the owner, and merges concurrent owner writes', async () => {
    await network(5, 4);
    const owner = await client();
    const url = await owner.registerCreate(null, 1234);
    const root = await owner.registerWrite(url, new TextEncoder().encode('root'));

    const mallory = await client();
    const e = await mallory.registerWrite(url, new TextEncoder().encode('forged'), [root]).catch((x: unknown) => x);
    expect((e as SafeError).code).toBe('NotOwner');
    expect((await owner.registerRead(url)).map((x) => x.hash)).toEqual([root]);

    // Two clients holding the owner's key write concurrently on top of the same entry.
    const twin = await client();
    await twin.setKeypair(await owner.getKeypair());
    const [a, b] = await Promise.all([
      owner.registerWrite(url, new TextEncoder().encode('left'), [root]),
      twin.registerWrite(url, new TextEncoder().encode('right'), [root]),
    ]);
    const heads = (await owner.registerRead(url)).map((x) => x.hash).sort();
    expect(heads).toEqual([a, b].sort());
    const merged = await twin.registerWrite(url, new TextEncoder().encode('merged'));
    expect((await owner.registerRead(url)).map((x) => x.hash)).toEqual([merged]);
  });

  it('keeps the books balanced under concurrent transfers and never lets coins be spent twice', async () => {
    await network(6, 4);
    const safe = await client();
    const keys = await Promise.all(Array.from({ length: 6 }, () => safe.keysCreatePreloadTestCoins('10')));
    const transfers = Array.from({ length: 30 }, (_, i) => ({ from: i % 6, to: (i * 5 + 1) % 6, amount: `${(i % 4) + 1}.25` })).filter((t) => t.from !== t.to);
    const results = await Promise.all(
      transfers.map((t) =>
        safe.keysTransfer(t.amount, keys[t.from]![1].secretKey, keys[t.to]![0]).then(
          () => true,
          (e: SafeError) => {
            expect(e.code).toBe('InsufficientBalance');
            return false;
          },
        ),
      ),
    );
    const nanos = (s: string) => {
      const [whole, fraction = ''] = s.split('.');
      return BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
    };
    const expected = keys.map(() => nanos('10'));
    transfers.forEach((t, i) => {
      if (!results[i]) return;
      expected[t.from]! -= nanos(t.amount);
      expected[t.to]! += nanos(t.amount);
    });
    const balances = await Promise.all(keys.map(([, kp]) => safe.keysBalance(kp.secretKey)));
    expect(balances.map(nanos)).toEqual(expected);
    expect(balances.map(nanos).reduce((a, b) => a + b)).toBe(nanos('60'));

    // Two clients spend the same 5 coins at once, to different receivers: exactly one wins.
    const [, payer] = await safe.keysCreatePreloadTestCoins('5');
    const [bobUrl, bob] = await safe.keysCreatePreloadTestCoins('1');
    const [carolUrl, carol] = await safe.keysCreatePreloadTestCoins('1');
    const other = await client();
    const outcomes = await Promise.allSettled([
      safe.keysTransfer('5', payer.secretKey, bobUrl),
      other.keysTransfer('5', payer.secretKey, carolUrl),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(['InsufficientBalance', 'Conflict']).toContain((failure.reason as SafeError).code);
    expect(await safe.keysBalance(payer.secretKey)).toBe('0');
    const received = [await safe.keysBalance(bob.secretKey), await safe.keysBalance(carol.secretKey)].sort();
    expect(received).toEqual(['1', '6']);
  });
});
