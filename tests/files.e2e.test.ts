// End to end: a TypeScript call, through the component in its worker, over QUIC on a real UDP
// socket, to a real safe-node that keeps the bytes on disk, and back.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeError, type OperationEvent, type Progress } from '../dist/index.js';
import { fileChunks, pattern, publicFile, sha3, startNode, tempDir, xorUrlFields } from './support.js';

let node: Awaited<ReturnType<typeof startNode>>;
let safe: Safe;

beforeAll(async () => {
  node = await startNode();
  safe = new Safe(null, 30);
  await safe.connect({ bootstrap: [node.addr] });
});

afterAll(async () => {
  await safe?.close();
  await node?.cleanup();
});

describe('storeBytes and fetch through a real node', () => {
  it('is connected to the one-node network', () => {
    expect(safe.isConnected).toBe(true);
    expect(safe.network).toEqual({ nodes: 1, epoch: 1, replicationFactor: 4 });
  });

  for (const [label, size] of [
    ['1 byte', 1],
    ['1 KiB', 1024],
    ['1 MiB', 1024 * 1024],
  ] as const) {
    it(`round-trips ${label} byte for byte`, async () => {
      const data = pattern(size, size);
      const url = await safe.storeBytes(data);
      expect(url).toMatch(/^safe:\/\/h[ybndrfg8ejkmcpqxot1uwisza345h769]+$/);

      const file = publicFile(await safe.fetch(url));
      expect(file.type).toBe('PublicFile');
      expect(file.xorurl).toBe(url);
      expect(file.resolvedFrom).toBe(url);
      expect(file.size).toBe(size);
      expect(file.xorname).toBe(xorUrlFields(url).xorname);
      expect(Buffer.from(file.data).equals(Buffer.from(data))).toBe(true);

      const bytes = await safe.filesGet(url);
      expect(Buffer.from(bytes).equals(Buffer.from(data))).toBe(true);

      // The node keeps every chunk on disk under its SHA3-256 address: one raw chunk for a
      // file under 3 bytes; otherwise the data map and the (at least 3) encrypted chunks it lists.
      const chunks = fileChunks(url, [node.root]);
      if (size < 3) expect(chunks).toEqual([sha3(data)]);
      else expect(chunks.length).toBeGreaterThanOrEqual(4);
      for (const hex of chunks) expect(existsSync(join(node.root, 'chunks', hex.slice(0, 2), hex)), hex).toBe(true);
    });
  }

  it('gives the same URL for the same content', async () => {
    const data = pattern(500, 42);
    expect(await safe.storeBytes(data)).toBe(await safe.storeBytes(Uint8Array.from(data)));
  });

  it('puts the media type into the URL and returns it', async () => {
    const data = new TextEncoder().encode('<h1>hello</h1>');
    const url = await safe.storeBytes(data, 'text/html');
    const file = publicFile(await safe.fetch(url));
    expect(file.mediaType).toBe('text/html');
    expect(new TextDecoder().decode(file.data)).toBe('<h1>hello</h1>');
    const raw = publicFile(await safe.fetch(await safe.storeBytes(data)));
    expect(raw.mediaType).toBeUndefined();
    expect(raw.xorname).toBe(file.xorname);
  });

  it('reads byte ranges [start, end)', async () => {
    const data = pattern(100_000, 7);
    const url = await safe.storeBytes(data);
    const cases: Array<[[number, number?], Uint8Array]> = [
      [[0, 1], data.subarray(0, 1)],
      [[10, 20], data.subarray(10, 20)],
      [[99_990], data.subarray(99_990)],
      [[5, 5], data.subarray(5, 5)],
      [[90_000, 200_000], data.subarray(90_000)],
      [[100_000], new Uint8Array()],
    ];
    for (const [range, expected] of cases) {
      const got = await safe.filesGet(url, range);
      expect(Buffer.from(got).equals(Buffer.from(expected)), `range ${JSON.stringify(range)}`).toBe(true);
    }
    const part = publicFile(await safe.fetch(url, [1000, 1010n]));
    expect(part.size).toBe(100_000);
    expect(Buffer.from(part.data).equals(Buffer.from(data.subarray(1000, 1010)))).toBe(true);
  });

  it('stores a local file by path, reading it as it goes, and reports progress', async () => {
    const dir = tempDir();
    try {
      const data = pattern(300_000, 11);
      const path = join(dir.path, 'file.bin');
      writeFileSync(path, data);
      const reports: Progress[] = [];
      const url = await safe.storeFile(path, undefined, { onProgress: (p) => reports.push(p) });
      expect(Buffer.from(await safe.filesGet(url)).equals(Buffer.from(data))).toBe(true);
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.at(-1)).toMatchObject({ done: data.length, total: data.length, unit: 'bytes' });
      // The same bytes through storeBytes give the same URL.
      expect(await safe.storeBytes(data)).toBe(url);
      const missing = await safe.storeFile(join(dir.path, 'nope.bin')).catch((e: SafeError) => e);
      expect((missing as SafeError).code).toBe('InvalidArgument');
      expect((missing as SafeError).message).toMatch(/nope\.bin/);
    } finally {
      dir.remove();
    }
  });

  it('runs two fetches at once (both in flight before either ends)', async () => {
    const [u1, u2] = await Promise.all([safe.storeBytes(pattern(300_000, 1)), safe.storeBytes(pattern(300_000, 2))]);
    const events: OperationEvent[] = [];
    const listener = (e: unknown) => events.push(e as OperationEvent);
    subscribe('safe-wasi:operation', listener);
    try {
      const [a, b] = await Promise.all([safe.fetch(u1).then(publicFile), safe.fetch(u2).then(publicFile)]);
      expect(a.xorname).toBe(xorUrlFields(u1).xorname);
      expect(b.xorname).toBe(xorUrlFields(u2).xorname);
      expect(Buffer.from(a.data).equals(Buffer.from(pattern(300_000, 1)))).toBe(true);
      expect(Buffer.from(b.data).equals(Buffer.from(pattern(300_000, 2)))).toBe(true);
    } finally {
      unsubscribe('safe-wasi:operation', listener);
    }
    const phases = events.filter((e) => e.name === 'fetch').map((e) => e.phase);
    // A lock that ran readers one at a time would give start, end, start, end.
    expect(phases).toEqual(['start', 'start', 'end', 'end']);
  });

  it('keeps both fetches pending while the node is frozen, then completes both', async () => {
    const [u1, u2] = await Promise.all([safe.storeBytes(pattern(2000, 3)), safe.storeBytes(pattern(2000, 4))]);
    const started: number[] = [];
    const ended: number[] = [];
    const listener = (e: unknown) => {
      const ev = e as OperationEvent;
      if (ev.name === 'fetch') (ev.phase === 'start' ? started : ended).push(ev.id);
    };
    subscribe('safe-wasi:operation', listener);
    await node.pause();
    try {
      const both = Promise.all([safe.fetch(u1).then(publicFile), safe.fetch(u2).then(publicFile)]);
      await new Promise((r) => setTimeout(r, 300));
      expect(started).toHaveLength(2);
      expect(ended).toHaveLength(0);
      node.resume();
      const [a, b] = await both;
      expect(a.data).toEqual(pattern(2000, 3));
      expect(b.data).toEqual(pattern(2000, 4));
      expect(ended).toHaveLength(2);
    } finally {
      node.resume();
      unsubscribe('safe-wasi:operation', listener);
    }
  });
});
