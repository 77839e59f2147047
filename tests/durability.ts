// What the durability suites (network.e2e, soak.e2e) store and how they check it: items of every
// kind, where each lives (its placement), whether a node holds it (by the node's on-disk layout),
// reading it back, and waiting until every item is on each of its R closest live nodes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { expect } from 'vitest';

import type { Safe } from '../dist/index.js';
import { waitFor, type Testnet } from '../dist/testnet/launcher.js';
import { chunkPath, closest, fileChunks, placement, xorUrlFields } from './support.js';

/** What a test stored, and how to check it is still there. */
export type Item =
  | { kind: 'file'; url: string; data: Uint8Array; chunks: string[] }
  | { kind: 'register'; url: string; value: string }
  | { kind: 'account'; url: string; secretKey: string; balance: string };

export type FileItem = Extract<Item, { kind: 'file' }>;

/** One thing a node stores: a chunk, a register or an account, and where it is placed. */
export interface Piece {
  item: Item;
  /** The address the holders are the closest nodes to. */
  placement: string;
  /** Whether the node at `root` holds it on disk. */
  heldBy(root: string): boolean;
}

/**
 * What `item` is on the nodes' disks, by the node's layout: `chunks/<2 hex>/<address>` (every
 * chunk of a file), `registers/<name>-<tag as 16 hex>`, `accounts/<owner key>`.
 */
export function pieces(item: Item): Piece[] {
  const { xorname, tag } = xorUrlFields(item.url);
  switch (item.kind) {
    case 'file':
      return item.chunks.map((address) => ({ item, placement: address, heldBy: (root: string) => existsSync(chunkPath(root, address)) }));
    case 'register':
      return [{ item, placement: placement(item.url), heldBy: (root: string) => existsSync(join(root, 'registers', `${xorname}-${tag.toString(16).padStart(16, '0')}`)) }];
    case 'account':
      return [{ item, placement: placement(item.url), heldBy: (root: string) => existsSync(join(root, 'accounts', xorname)) }];
  }
}

/** Whether the node at `root` holds all or part of `item`. */
export function holds(root: string, item: Item): boolean {
  return pieces(item).some((p) => p.heldBy(root));
}

/** Whether the node at `root` holds the whole of `item`. */
export function holdsAll(root: string, item: Item): boolean {
  return pieces(item).every((p) => p.heldBy(root));
}

/** Stores `data` as a file and records its chunks (read from the nodes' disks). */
export async function storeFileItem(safe: Safe, testnet: Testnet, data: Uint8Array): Promise<FileItem> {
  const url = await safe.storeBytes(data);
  return { kind: 'file', url, data, chunks: fileChunks(url, testnet.nodes.map((n) => n.root)) };
}

/** Reads `item` back and checks it is what was stored. */
export async function check(safe: Safe, item: Item): Promise<void> {
  switch (item.kind) {
    case 'file': {
      const back = await safe.filesGet(item.url);
      expect(Buffer.from(back).equals(Buffer.from(item.data)), item.url).toBe(true);
      return;
    }
    case 'register': {
      const entries = await safe.registerRead(item.url);
      expect(entries.map((e) => new TextDecoder().decode(e.entry)), item.url).toEqual([item.value]);
      return;
    }
    case 'account':
      expect(await safe.keysBalance(item.secretKey), item.url).toBe(item.balance);
  }
}

/**
 * Waits until every piece of every item is on each of the R live nodes closest to it; on
 * timeout the error says how many pieces lack a copy, on which nodes, and how many copies they
 * have, so a failure tells replication that never happened from one that was slow.
 */
export async function waitForFullReplication(testnet: Testnet, items: Item[], replicas: number, timeoutMs = 60_000): Promise<void> {
  const live = testnet.nodes.filter((n) => !n.exited);
  const ids = live.map((n) => n.id);
  const rootOf = new Map(live.map((n) => [n.id, n.root]));
  const all = items.flatMap(pieces);
  const missing = () => all.filter((p) => closest(p.placement, ids, replicas).some((id) => !p.heldBy(rootOf.get(id)!)));
  await waitFor(() => missing().length === 0, timeoutMs, () => {
    const lacking = missing();
    const perNode = new Map<string, number>();
    const copies = new Map<number, number>();
    for (const p of lacking) {
      for (const id of closest(p.placement, ids, replicas)) {
        if (!p.heldBy(rootOf.get(id)!)) perNode.set(id.slice(0, 8), (perNode.get(id.slice(0, 8)) ?? 0) + 1);
      }
      const n = live.filter((l) => p.heldBy(l.root)).length;
      copies.set(n, (copies.get(n) ?? 0) + 1);
    }
    const nodes = [...perNode].map(([id, n]) => `${id}: ${n}`).join(', ');
    const histogram = [...copies].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${n} with ${c}`).join(', ');
    return `${lacking.length} of ${all.length} chunks, registers and accounts lack a copy on one of their ${replicas} closest live nodes (missing on ${nodes}; copies: ${histogram})`;
  });
}
