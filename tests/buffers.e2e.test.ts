// The caller's memory is never touched: every bytes argument of the API, given as the buffers
// Node users really pass (Buffers from crypto.randomBytes, pooled Buffer.from, Buffer.alloc,
// views into larger buffers shared with other data, plain Uint8Arrays, views of a
// SharedArrayBuffer, other ArrayBufferViews), holds exactly what it held after the call, and so
// does every other buffer sharing its memory. What was stored is the view's bytes, read back
// through a real node.
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, type PublicFile } from '../dist/index.js';
import { startNode } from './support.js';

let node: Awaited<ReturnType<typeof startNode>>;
let safe: Safe;

beforeAll(async () => {
  node = await startNode();
  safe = new Safe(null, 60);
  await safe.connect({ bootstrap: [node.contact] });
});

afterAll(async () => {
  await safe?.close();
  await node?.cleanup();
});

/** A kind of input, made fresh for each call, with what else shares its memory. */
interface Input {
  /** The argument itself. */
  arg: ArrayBufferView;
  /** Other views the process holds over the same memory (pool neighbours, the larger buffer). */
  neighbours: ArrayBufferView[];
}

const bytesOf = (v: ArrayBufferView): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Each kind of bytes a Node user passes, `size` bytes long where the kind allows. */
function inputs(size: number): Array<[string, () => Input]> {
  return [
    ['crypto.randomBytes Buffer', () => ({ arg: randomBytes(size), neighbours: [] })],
    [
      'pooled Buffer.from(string)',
      () => {
        // Small Buffer.from strings share Node's 8 KiB pool: a neighbour made just before.
        const neighbour = Buffer.from('a neighbour in the pool');
        const arg = Buffer.from('x'.repeat(Math.min(size, 2000)));
        return { arg, neighbours: [neighbour] };
      },
    ],
    ['Buffer.alloc', () => ({ arg: Buffer.alloc(size, 0x5a), neighbours: [] })],
    [
      'subarray of a larger Buffer',
      () => {
        const whole = randomBytes(size + 4096);
        return { arg: whole.subarray(1000, 1000 + size), neighbours: [whole] };
      },
    ],
    ['plain Uint8Array', () => ({ arg: new Uint8Array(randomBytes(size)), neighbours: [] })],
    [
      'Uint8Array over a SharedArrayBuffer',
      () => {
        const shared = new SharedArrayBuffer(size + 64);
        const all = new Uint8Array(shared);
        all.set(randomBytes(size + 64));
        return { arg: new Uint8Array(shared, 32, size), neighbours: [all] };
      },
    ],
    [
      'DataView of part of an ArrayBuffer',
      () => {
        const buffer = new Uint8Array(randomBytes(size + 16)).buffer;
        return { arg: new DataView(buffer, 8, size), neighbours: [new Uint8Array(buffer)] };
      },
    ],
  ];
}

/** Runs `call` on a fresh input of each kind and checks the argument and its neighbours after. */
async function eachInput(size: number, call: (arg: ArrayBufferView, expected: Uint8Array) => Promise<void>): Promise<void> {
  for (const [kind, make] of inputs(size)) {
    const { arg, neighbours } = make();
    const before = Uint8Array.from(bytesOf(arg));
    const neighboursBefore = neighbours.map((n) => Uint8Array.from(bytesOf(n)));
    await call(arg, before);
    expect(arg.byteLength, `${kind}: length after the call`).toBe(before.length);
    expect(Buffer.from(bytesOf(arg)).equals(before), `${kind}: content after the call`).toBe(true);
    neighbours.forEach((n, i) => {
      expect(n.byteLength, `${kind}: neighbour ${i} length`).toBe(neighboursBefore[i]!.length);
      expect(Buffer.from(bytesOf(n)).equals(neighboursBefore[i]!), `${kind}: neighbour ${i} content`).toBe(true);
    });
  }
}

describe("the caller's buffers are left as they were", () => {
  it('storeBytes, small and over several 4 MiB pieces', async () => {
    for (const size of [5000, 9 * 1024 * 1024 + 17]) {
      await eachInput(size, async (arg, expected) => {
        const url = await safe.storeBytes(arg);
        const back = await safe.filesGet(url);
        expect(Buffer.from(back).equals(expected)).toBe(true);
      });
    }
  }, 240_000);

  it('filesContainerAddFromRaw', async () => {
    const container = await safe.filesContainerCreate();
    let n = 0;
    await eachInput(3000, async (arg, expected) => {
      const path = `${container}/f${n++}.bin`;
      const [version] = await safe.filesContainerAddFromRaw(arg, path);
      expect(version).not.toBeNull();
      const file = (await safe.fetch(`${container}/f${n - 1}.bin`)) as PublicFile;
      expect(Buffer.from(file.data).equals(expected)).toBe(true);
    });
  }, 120_000);

  it('registerWrite', async () => {
    const reg = await safe.registerCreate(null, 1200);
    await eachInput(200, async (arg, expected) => {
      const hash = await safe.registerWrite(reg, arg);
      expect(Buffer.from(await safe.registerReadEntry(reg, hash)).equals(expected)).toBe(true);
    });
  }, 120_000);

  it('multimapInsert and multimapGetByKey', async () => {
    const mm = await safe.multimapCreate(null, 20000);
    await eachInput(100, async (arg, expected) => {
      // The same input as key and as value: both are read, neither is changed.
      const hash = await safe.multimapInsert(mm, [arg, arg]);
      const entries = await safe.multimapGetByKey(mm, arg);
      const entry = entries.find((e) => e.hash === hash);
      expect(entry).toBeDefined();
      expect(Buffer.from(entry!.value).equals(expected)).toBe(true);
      expect(Buffer.from(entry!.key).equals(expected)).toBe(true);
    });
  }, 120_000);

  it('what is stored is the bytes at the time of the call, for arguments sent whole', async () => {
    const reg = await safe.registerCreate(null, 1201);
    const entry = Buffer.from('before');
    const writing = safe.registerWrite(reg, entry);
    entry.write('AFTER!');
    const hash = await writing;
    expect(Buffer.from(await safe.registerReadEntry(reg, hash)).toString()).toBe('before');
  });

  it('refuses what is not bytes, naming the argument', async () => {
    const e = await safe.storeBytes('text' as unknown as Uint8Array).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'InvalidArgument' });
    expect((e as Error).message).toMatch(/bytes must be/);
  });
});
