// filesGetStream and filesGetToPath against a real node: windows of a few pieces, bounded
// read-ahead, progress, and cancellation (by the stream or an AbortSignal) that stops the calls.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeError, type OperationEvent, type Progress } from '../dist/index.js';
import { failure, noise, startNode, tempDir } from './support.js';

/** Self-encryption's piece: every piece of a file of 3 or more is this size but the last. */
const PIECE = 1_044_480;
/** What host/api/stream.ts reads per call, and how many calls it keeps in flight. */
const WINDOW = 2 * PIECE;
const READ_AHEAD = 2;

let node: Awaited<ReturnType<typeof startNode>>;
let safe: Safe;
let dir: ReturnType<typeof tempDir>;
/** 12 pieces and a bit: 7 windows. */
const big = noise(12 * PIECE + 4321);
let bigUrl: string;

beforeAll(async () => {
  node = await startNode();
  dir = tempDir();
  safe = new Safe(null, 60);
  await safe.connect({ bootstrap: [node.addr] });
  bigUrl = await safe.storeBytes(big);
}, 120_000);

afterAll(async () => {
  await safe?.close();
  await node?.cleanup();
  dir?.remove();
});

/** Records the filesGet calls started and ended while `f` runs (the diagnostics channel). */
async function watchCalls<T>(f: (events: OperationEvent[]) => Promise<T>): Promise<{ value: T; events: OperationEvent[] }> {
  const events: OperationEvent[] = [];
  const onEvent = (m: unknown) => {
    if ((m as OperationEvent).name === 'filesGet') events.push(m as OperationEvent);
  };
  subscribe('safe-wasi:operation', onEvent);
  try {
    return { value: await f(events), events };
  } finally {
    unsubscribe('safe-wasi:operation', onEvent);
  }
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const bytes of stream) parts.push(bytes);
  return Buffer.concat(parts);
}

const starts = (events: OperationEvent[]) => events.filter((e) => e.phase === 'start').length;
const ends = (events: OperationEvent[]) => events.filter((e) => e.phase === 'end');

describe('filesGetStream', () => {
  it('streams a whole file in windows of two pieces, in order, reporting progress', async () => {
    const progress: Progress[] = [];
    const { value, events } = await watchCalls(async () => collect(await safe.filesGetStream(bigUrl, undefined, { onProgress: (p) => progress.push(p) })));
    expect(value.equals(Buffer.from(big))).toBe(true);
    // One filesGet per window, each ended without error.
    expect(starts(events)).toBe(Math.ceil(big.length / WINDOW));
    expect(ends(events).every((e) => e.error === undefined)).toBe(true);
    expect(progress.at(-1)).toEqual({ done: big.length, total: big.length, unit: 'bytes' });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThan(progress[i - 1]!.done);
  });

  it('reads a range across piece and window boundaries, clamping the end', async () => {
    for (const [start, end] of [
      [PIECE - 10, 3 * PIECE + 10],
      [WINDOW - 1, WINDOW + 1],
      [5 * PIECE + 7, big.length + 1000],
      [big.length, big.length],
    ] as const) {
      const got = await collect(await safe.filesGetStream(bigUrl, [start, end]));
      expect(got.equals(Buffer.from(big.subarray(start, Math.min(end, big.length)))), `[${start}, ${end})`).toBe(true);
    }
    const e = await failure(() => safe.filesGetStream(bigUrl, [big.length + 1]));
    expect(e.code).toBe('InvalidArgument');
  });

  it('streams an empty file and tiny files', async () => {
    for (const size of [0, 1, 2, 3, 1000]) {
      const data = noise(size);
      const url = await safe.storeBytes(data);
      const progress: Progress[] = [];
      const got = await collect(await safe.filesGetStream(url, undefined, { onProgress: (p) => progress.push(p) }));
      expect(got.equals(Buffer.from(data)), `${size} bytes`).toBe(true);
      expect(progress.at(-1)).toEqual({ done: size, total: size, unit: 'bytes' });
    }
  });

  it('cancelling the stream mid-way aborts the calls in flight and starts no more', async () => {
    const { events } = await watchCalls(async (events) => {
      const stream = await safe.filesGetStream(bigUrl);
      const reader = stream.getReader();
      const first = await reader.read();
      expect(first.value?.length).toBe(WINDOW);
      await reader.cancel('enough');
      // Every call started ends promptly, and nothing new starts.
      const deadline = Date.now() + 5_000;
      while (ends(events).length < starts(events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
    });
    expect(starts(events)).toBeLessThanOrEqual(1 + READ_AHEAD);
    expect(starts(events)).toBeLessThan(Math.ceil(big.length / WINDOW));
    expect(ends(events).length).toBe(starts(events));
    // The first window was delivered; what was still in flight was aborted (or had just finished).
    expect(ends(events).filter((e) => e.error === 'Aborted').length + ends(events).filter((e) => e.error === undefined).length).toBe(starts(events));
    // The Safe is still usable.
    expect((await safe.filesGet(bigUrl, [0, 4])).length).toBe(4);
  });

  it('an AbortSignal errors the stream with Aborted and stops the calls', async () => {
    const controller = new AbortController();
    const { value, events } = await watchCalls(async (events) => {
      const reader = (await safe.filesGetStream(bigUrl, undefined, { signal: controller.signal })).getReader();
      await reader.read();
      controller.abort(new Error('user gave up'));
      let error: unknown;
      try {
        for (;;) if ((await reader.read()).done) break;
      } catch (e) {
        error = e;
      }
      const deadline = Date.now() + 5_000;
      while (ends(events).length < starts(events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return error;
    });
    expect(value).toBeInstanceOf(SafeError);
    expect((value as SafeError).code).toBe('Aborted');
    expect(starts(events)).toBeLessThanOrEqual(1 + READ_AHEAD);
    expect(ends(events).length).toBe(starts(events));
    // An already aborted signal fails before any work.
    const e = await failure(() => safe.filesGetStream(bigUrl, undefined, { signal: AbortSignal.abort() }));
    expect(e.code).toBe('Aborted');
  });

  it('resolves paths in a container, and refuses what is not a file', async () => {
    const container = await safe.filesContainerCreate();
    await safe.filesContainerAddFromRaw(Buffer.from('hello stream'), `${container}/docs/hello.txt`);
    expect((await collect(await safe.filesGetStream(`${container}/docs/hello.txt`))).toString()).toBe('hello stream');
    const e = await failure(() => safe.filesGetStream(container));
    expect(e.code).toBe('InvalidArgument');
    expect((await failure(() => safe.filesGetStream('http://nope'))).code).toBe('InvalidUrl');
  });
});

describe('filesGetToPath', () => {
  it('writes the file, and leaves nothing behind when it fails', async () => {
    const target = join(dir.path, 'big.bin');
    expect(await safe.filesGetToPath(bigUrl, target)).toBe(big.length);
    expect(readFileSync(target).equals(Buffer.from(big))).toBe(true);

    const controller = new AbortController();
    const other = join(dir.path, 'aborted.bin');
    const e = await failure(() =>
      safe.filesGetToPath(bigUrl, other, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= WINDOW) controller.abort();
        },
      }),
    );
    expect(e.code).toBe('Aborted');
    expect(existsSync(other)).toBe(false);
    expect(readdirSync(dir.path).sort()).toEqual(['big.bin']);

    const kept = await failure(() => safe.filesGetToPath(bigUrl, target, { overwrite: false }));
    expect(kept.code).toBe('InvalidArgument');
    const noFolder = await failure(() => safe.filesGetToPath(bigUrl, join(dir.path, 'no', 'such', 'dir', 'x')));
    expect(noFolder.code).toBe('InvalidArgument');
    expect(noFolder.message).toMatch(/ENOENT/);
  });
});
