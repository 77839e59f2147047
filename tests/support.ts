// Shared helpers of the end-to-end suites: real safe-node processes on loopback, in temporary
// directories that are removed afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect } from 'vitest';

import { SafeError, type PublicFile, type SafeData } from '../dist/index.js';
import { NodeProcess } from '../dist/testnet/node-process.js';

export { NodeProcess };

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'safe-wasi-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts one node in a temporary root; `stop()` stops it and removes the root. */
export async function startNode(): Promise<NodeProcess & { cleanup(): Promise<void> }> {
  const dir = tempDir('safe-node-');
  const node = await NodeProcess.start({ root: dir.path });
  return Object.assign(node, {
    async cleanup() {
      node.resume();
      await node.stop();
      dir.remove();
    },
  });
}

/** SHA3-256 of `data` in hex: a chunk's address, computed independently of the client. */
export function sha3(data: Uint8Array): string {
  return createHash('sha3-256').update(data).digest('hex');
}

/** `n` random bytes: content that does not compress, so every encrypted chunk is full size. */
export function noise(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** `n` bytes of a deterministic, non-repeating-looking pattern (different per `seed`); it compresses well. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const BASE32Z = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** Decodes the z-base-32 name of a XOR-URL (after its multibase prefix `h`). */
export function base32zDecode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    const v = BASE32Z.indexOf(c);
    if (v < 0) throw new Error(`not base32z: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** The fields of a base32z XOR-URL: xorname (hex), type tag, data type. */
export function xorUrlFields(url: string): { xorname: string; tag: bigint; dataType: number } {
  const name = /^safe:\/\/h([^/?#]+)/.exec(url)?.[1];
  if (!name) throw new Error(`not a base32z XOR-URL: ${url}`);
  const bytes = base32zDecode(name);
  let tag = 0n;
  for (const b of bytes.subarray(36)) tag = (tag << 8n) | BigInt(b);
  return { xorname: Buffer.from(bytes.subarray(4, 36)).toString('hex'), tag, dataType: bytes[3]! };
}

/** Where an item lives: a chunk at its address, a register at SHA3-256(name, tag), a key at itself. */
export function placement(url: string): string {
  const { xorname, tag, dataType } = xorUrlFields(url);
  if (dataType !== 2) return xorname;
  const tagBytes = Buffer.alloc(8);
  tagBytes.writeBigUInt64BE(tag);
  return createHash('sha3-256').update(Buffer.from(xorname, 'hex')).update(tagBytes).digest('hex');
}

/** What a data-map chunk starts with (crates/client/src/ops/data_map.rs). */
const DATA_MAP_MAGIC = Buffer.from('safe-wasi:dmap:1');

/** The path of the chunk at `address` under a node's root: `chunks/<2 hex>/<address>`. */
export function chunkPath(root: string, address: string): string {
  return join(root, 'chunks', address.slice(0, 2), address);
}

/**
 * The addresses of every chunk of the file at `url`, its own chunk first. A self-encrypted
 * file's chunk is its data map, read here from whichever of `roots` holds it and decoded by
 * hand from its documented layout: the magic, then self_encryption's bincode `DataMap` (a
 * version byte, the chunk count as u64 LE, then per chunk: index u64, the chunk's network
 * address (32 bytes), its source hash (32), its source size u64). A file under 3 bytes is one
 * raw chunk.
 */
export function fileChunks(url: string, roots: string[]): string[] {
  const own = xorUrlFields(url).xorname;
  const root = roots.find((r) => existsSync(chunkPath(r, own)));
  if (!root) throw new Error(`no node holds the chunk of ${url}`);
  const content = readFileSync(chunkPath(root, own));
  if (content.length < 3) return [own];
  if (!content.subarray(0, DATA_MAP_MAGIC.length).equals(DATA_MAP_MAGIC)) throw new Error(`the chunk of ${url} is not a data map`);
  const map = content.subarray(DATA_MAP_MAGIC.length);
  const count = Number(map.readBigUInt64LE(1));
  const addresses = [own];
  for (let i = 0; i < count; i++) {
    const at = 9 + i * 80 + 8;
    addresses.push(map.subarray(at, at + 32).toString('hex'));
  }
  return addresses;
}

/** The `count` node ids closest to `target` by XOR distance, closest first. */
export function closest(target: string, ids: string[], count: number): string[] {
  const t = BigInt(`0x${target}`);
  return [...ids].sort((a, b) => {
    const da = BigInt(`0x${a}`) ^ t;
    const db = BigInt(`0x${b}`) ^ t;
    return da < db ? -1 : da > db ? 1 : 0;
  }).slice(0, count);
}

/** Runs `tasks` with at most `limit` at once. */
export async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

/** `data` as the PublicFile it must be (failing the test if it is anything else). */
export function publicFile(data: SafeData): PublicFile {
  expect(data.type).toBe('PublicFile');
  if (data.type !== 'PublicFile') throw new Error(`expected a PublicFile, got a ${data.type}`);
  return data;
}

/** Runs `f` and returns the SafeError it rejects with (failing the test if it does not reject). */
export async function failure(f: () => Promise<unknown>): Promise<SafeError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(SafeError);
    return e as SafeError;
  }
  throw new Error('expected a rejection');
}
