// Every error a user can meet gets a SafeError with a stable code, and the instance stays
// usable after the ones that are not about the instance itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeError } from '../dist/index.js';
import { failure, pattern, publicFile, startNode, tempDir } from './support.js';

let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.cleanup();
});

/** A loopback port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('errors', () => {
  it('rejects a malformed URL with InvalidUrl and stays usable', async () => {
    await using safe = new Safe(null, 30);
    await safe.connect({ bootstrap: [node.addr] });
    for (const bad of ['http://example.com', 'safe://', 'safe://a..b', 'safe://hy/a//b', 'not a url']) {
      const e = await failure(() => safe.fetch(bad));
      expect(e.code, bad).toBe('InvalidUrl');
    }
    // A well-formed NRS URL of a name nobody registered.
    const nrs = await failure(() => safe.fetch('safe://mysite/index.html'));
    expect(nrs.code).toBe('NotFound');
    expect(nrs.message).toMatch(/mysite/);
    const url = await safe.storeBytes(pattern(10));
    expect(publicFile(await safe.fetch(url)).size).toBe(10);
  });

  it('rejects an unknown address with NotFound and stays usable', async () => {
    await using safe = new Safe(null, 30);
    await safe.connect({ bootstrap: [node.addr] });
    const url = await safe.storeBytes(pattern(64, 9));
    // Same URL layout, different content hash: flip a character of the encoded name.
    const unknown = url.slice(0, -3) + (url.at(-3) === 'y' ? 'b' : 'y') + url.slice(-2);
    const e = await failure(() => safe.fetch(unknown));
    expect(e.code).toBe('NotFound');
    expect(e.message).toMatch(/check the URL/);
    expect((await safe.filesGet(url)).length).toBe(64);
  });

  it('fails an unreachable bootstrap with Network and can connect afterwards', async () => {
    await using safe = new Safe(null, 2);
    const port = await deadPort();
    const e = await failure(() => safe.connect({ bootstrap: [`127.0.0.1:${port}`] }));
    expect(e.code).toBe('Network');
    expect(e.message).toMatch(/bootstrap/);
    expect(safe.isConnected).toBe(false);
    await safe.connect({ bootstrap: [node.addr] });
    expect(safe.isConnected).toBe(true);
  });

  it('gives up an unreachable bootstrap within 10 s, whatever the Safe\'s timeout', async () => {
    await using safe = new Safe(null, 120);
    const ports = [await deadPort(), await deadPort()];
    const started = performance.now();
    const e = await failure(() => safe.connect({ bootstrap: ports.map((p) => `127.0.0.1:${p}`) }));
    const seconds = (performance.now() - started) / 1000;
    expect(e.code).toBe('Network');
    expect(e.message).toMatch(/no answer/);
    // The contacts are tried at once, each given up after the 5 s handshake limit.
    expect(seconds).toBeLessThan(10);
  });

  it('connects through a live contact without waiting for an unreachable one', async () => {
    await using safe = new Safe(null, 120);
    const started = performance.now();
    await safe.connect({ bootstrap: [`127.0.0.1:${await deadPort()}`, node.addr] });
    expect(safe.isConnected).toBe(true);
    expect((performance.now() - started) / 1000).toBeLessThan(5);
  });

  it('refuses a node whose key does not match the pinned id', async () => {
    await using safe = new Safe(null, 5);
    const wrongId = 'ab'.repeat(32);
    const e = await failure(() => safe.connect({ bootstrap: [`${wrongId}@${node.addr}`] }));
    expect(e.code).toBe('Network');
    await safe.connect({ bootstrap: [node.contact] });
    expect(safe.isConnected).toBe(true);
  });

  it('asks for connect() first with NotConnected', async () => {
    await using safe = new Safe();
    expect((await failure(() => safe.storeBytes(pattern(3)))).code).toBe('NotConnected');
    expect((await failure(() => safe.fetch('safe://hyryyyyxqa79r5ynejonkkbxgry6doesgxajhhgdx7oxky81s1aqh4hub3e'))).code).toBe('NotConnected');
  });

  it('rejects every call on a closed instance with Closed', async () => {
    const safe = new Safe();
    await safe.connect({ bootstrap: [node.addr] });
    await safe.close();
    expect(safe.isConnected).toBe(false);
    expect((await failure(() => safe.storeBytes(pattern(3)))).code).toBe('Closed');
    expect((await failure(() => safe.fetch('safe://x'))).code).toBe('Closed');
    expect((await failure(() => safe.connect({ bootstrap: [node.addr] }))).code).toBe('Closed');
    await safe.close(); // a second close does nothing
  });

  it('checks arguments, naming the bad one', () => {
    expect(() => new Safe('base58' as never)).toThrow(/xorurlBase/);
    expect(() => new Safe(null, -1)).toThrow(/timeoutSecs/);
    expect(() => new Safe(null, Number.NaN)).toThrow(SafeError);
    expect(() => new Safe(null, 1e300)).toThrow(/timeoutSecs/);
  });

  it('checks call arguments with InvalidArgument', async () => {
    await using safe = new Safe(null, 30);
    await safe.connect({ bootstrap: [node.addr] });
    expect((await failure(() => safe.storeBytes('text' as never))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.storeBytes(pattern(3), 'text/unknown'))).code).toBe('InvalidArgument');
    const url = await safe.storeBytes(pattern(10));
    expect((await failure(() => safe.filesGet(url, [5, 2]))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.filesGet(url, [-1]))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.filesGet(url, [11]))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.connect({ bootstrap: ['no-port'] }))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.connect({ bootstrap: [] }))).code).toBe('InvalidArgument');
    expect((await safe.filesGet(url, [2, 5])).length).toBe(3);
  });

  it('rejects with Aborted when the signal fires, and with an already aborted signal', async () => {
    await using safe = new Safe(null, 30);
    await safe.connect({ bootstrap: [node.addr] });
    const url = await safe.storeBytes(pattern(100));
    const early = await failure(() => safe.fetch(url, undefined, { signal: AbortSignal.abort('stop') }));
    expect(early.code).toBe('Aborted');
    expect(early.cause).toBe('stop');
    await node.pause();
    try {
      const controller = new AbortController();
      const pending = failure(() => safe.fetch(url, undefined, { signal: controller.signal }));
      setTimeout(() => controller.abort(new Error('user gave up')), 50);
      const e = await pending;
      expect(e.code).toBe('Aborted');
      expect((e.cause as Error).message).toBe('user gave up');
    } finally {
      node.resume();
    }
    expect(publicFile(await safe.fetch(url)).size).toBe(100);
  });

  it('times out with Timeout when the node does not answer', async () => {
    await using safe = new Safe(null, 1);
    await safe.connect({ bootstrap: [node.addr] });
    const url = await safe.storeBytes(pattern(5));
    await node.pause();
    try {
      const e = await failure(() => safe.fetch(url));
      expect(e.code).toBe('Timeout');
      expect(e.message).toMatch(/within 1 s/);
    } finally {
      node.resume();
    }
    expect(publicFile(await safe.fetch(url)).size).toBe(5);
  });
});

describe('connect() without bootstrap reads the contacts file', () => {
  it('fails with NoContacts when there is no file', async () => {
    const home = tempDir();
    const before = process.env['SAFE_HOME'];
    process.env['SAFE_HOME'] = home.path;
    try {
      await using safe = new Safe();
      const e = await failure(() => safe.connect());
      expect(e.code).toBe('NoContacts');
      expect(e.message).toContain(join(home.path, 'network_contacts', 'default'));
      expect(e.message).toMatch(/safe testnet start/);
    } finally {
      process.env['SAFE_HOME'] = before;
      if (before === undefined) delete process.env['SAFE_HOME'];
      home.remove();
    }
  });

  it('connects to the nodes the file lists, pinned by id', async () => {
    const home = tempDir();
    const before = process.env['SAFE_HOME'];
    process.env['SAFE_HOME'] = home.path;
    try {
      mkdirSync(join(home.path, 'network_contacts'), { recursive: true });
      writeFileSync(join(home.path, 'network_contacts', 'default'), JSON.stringify({ version: 1, contacts: [{ id: node.id, addr: node.addr }] }));
      await using safe = new Safe();
      await safe.connect();
      expect(safe.network?.nodes).toBe(1);
      writeFileSync(join(home.path, 'network_contacts', 'default'), '{ not json');
      await using other = new Safe();
      expect((await failure(() => other.connect())).code).toBe('NoContacts');
    } finally {
      process.env['SAFE_HOME'] = before;
      if (before === undefined) delete process.env['SAFE_HOME'];
      home.remove();
    }
  });
});
