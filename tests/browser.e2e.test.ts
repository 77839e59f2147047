// The browser host end to end, for what only a page has: dist/browser/safe-wasi.js in a real
// headless Chromium (Debian's chromium, driven by playwright-core), the client component in its
// Web Worker, datagrams over a WebSocket to a real `safe relay` (in this process), real UDP to a
// real local testnet (5 nodes, R = 3): Blobs streamed with progress, the methods on local paths
// refused, AbortSignal, SafeUrl in the page, the relay refusing what is not the network's, and a
// page's main thread free of long tasks during a 16 MiB store. The API itself, and Node and the
// page reading what the other stored, are the shared acceptance suite's
// (tests/acceptance.e2e.test.ts), which runs every case that fits a page here too.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { ErrorCodes, Safe, SafeUrl } from '../dist/index.js';
import { parseContact } from '../dist/core/contacts.js';
import { FRAME_VERSION, MAX_FRAME, encodeFrames, type RelayNotice } from '../dist/relay/frame.js';
import { startRelay, type Relay } from '../dist/relay/server.js';
import { toWitAddress } from '../dist/engine/address.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { launchChromium, openTestPage, serveBundle, type BundleServer } from './browser-page.js';
import { tempDir } from './support.js';

const MiB = 1024 * 1024;
const root = join(import.meta.dirname, '..');

let dir: ReturnType<typeof tempDir>;
let testnet: Testnet;
let relay: Relay;
let relayLog: string[] = [];
let server: BundleServer;
let browser: Browser;
let page: Page;
let node: Safe;
/** A UDP socket the relay is told to allow (--allow), and one outside the network. */
let allowedUdp: Socket;
let outsideUdp: Socket;

function bindUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

beforeAll(async () => {
  dir = tempDir('safe-browser-');
  allowedUdp = await bindUdp();
  outsideUdp = await bindUdp();
  const [net, web, chromium] = await Promise.all([
    startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null }),
    serveBundle(),
    launchChromium(),
  ]);
  testnet = net;
  server = web;
  browser = chromium;
  const bootstrap = await Promise.all(testnet.contacts.map(parseContact));
  relay = await startRelay({ port: 0, bootstrap, allow: [{ ip: '127.0.0.1', port: (allowedUdp.address() as AddressInfo).port }], log: (line) => relayLog.push(line) });
  node = new Safe(null, 60);
  page = await openTestPage(browser, server.origin);
  // Without bootstrap: the relay names the contacts.
  await Promise.all([
    node.connect({ bootstrap: testnet.contacts }),
    page.evaluate(async (url) => {
      const w = globalThis as unknown as { safeWasi: typeof import('../dist/browser/index.js'); safe: unknown };
      const safe = new w.safeWasi.Safe(null, 60);
      w.safe = safe;
      await safe.connect({ relay: url });
    }, relay.url),
  ]);
}, 90_000);

afterAll(async () => {
  await page?.evaluate(() => (globalThis as unknown as { safe?: { close(): Promise<void> } }).safe?.close()).catch(() => undefined);
  await browser?.close();
  await node?.close();
  await relay?.close();
  await server?.close();
  allowedUdp?.close();
  outsideUdp?.close();
  await testnet?.stop();
  dir?.remove();
});

type PageSafe = import('../dist/browser/index.js').Safe;
type PageModule = typeof import('../dist/browser/index.js');

/** Runs `f(safe, module, arg)` in the page. */
function inPage<A, R>(f: (safe: PageSafe, m: PageModule, arg: A) => Promise<R>, arg: A): Promise<R> {
  return page.evaluate(
    async ([source, a]) => {
      const w = globalThis as unknown as { safe: PageSafe; safeWasi: PageModule };
      const fn = new Function(`return (${source})`)() as (safe: PageSafe, m: PageModule, arg: unknown) => Promise<unknown>;
      return fn(w.safe, w.safeWasi, a);
    },
    [f.toString(), arg] as const,
  ) as Promise<R>;
}

describe('the browser host', () => {
  it('connects through the relay alone, and has the same SafeUrl as Node', async () => {
    const out = await inPage(async (safe, m) => {
      const url = m.SafeUrl.encode({ xorname: 'ab'.repeat(32), contentType: 'text/plain', dataType: 'File' });
      return { connected: safe.isConnected, nodes: safe.network?.nodes, url, parsed: m.SafeUrl.parse(url).contentType, nrs: m.SafeUrl.parse('safe://blog.mysite/a').toXorUrl() };
    }, null);
    expect(out.connected).toBe(true);
    expect(out.nodes).toBe(testnet.contacts.length);
    expect(out.url).toBe(SafeUrl.encode({ xorname: 'ab'.repeat(32), contentType: 'text/plain', dataType: 'File' }));
    expect(out.parsed).toBe('text/plain');
    // SafeUrl hashes NRS names with SHA3 (the bundle's own, without node:crypto) as Node does.
    expect(out.nrs).toBe(SafeUrl.parse('safe://blog.mysite/a').toXorUrl());
  });

  it('streams a Blob into the network, with progress, and Node reads it', async () => {
    const size = 3 * MiB + 12_345;
    const out = await inPage(async (safe, _m, n) => {
      const bytes = new Uint8Array(n);
      let x = 7 * 2654435761;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[i] = x >>> 24;
      }
      const progress: number[] = [];
      const url = await safe.storeBlob(new Blob([bytes.subarray(0, 1000), bytes.subarray(1000)]), undefined, { onProgress: (p) => progress.push(p.done) });
      return { url, progress };
    }, size);
    const data = await node.filesGet(out.url);
    expect(data.length).toBe(size);
    expect(sha256(data)).toBe(sha256(pageBytes(size)));
    expect(out.progress.length).toBeGreaterThan(1);
    expect(out.progress.at(-1)).toBe(size);
  });

  it('rejects the methods on local paths with InvalidArgument, saying they need Node', async () => {
    const out = await inPage(async (safe, m) => {
      const results = [];
      for (const call of [() => safe.storeFile('/etc/hostname'), () => safe.filesContainerCreateFrom('./site/'), () => safe.filesGetToPath('safe://hy', '/tmp/x')]) {
        try {
          await call();
          results.push({ ok: true });
        } catch (e) {
          results.push({ ok: false, isSafeError: e instanceof m.SafeError, code: (e as { code?: string }).code, message: (e as Error).message });
        }
      }
      return results;
    }, null);
    for (const r of out) {
      expect(r).toMatchObject({ ok: false, isSafeError: true, code: 'InvalidArgument' });
      expect((r as { message: string }).message).toMatch(/needs Node/);
    }
  });

  it('rejects an aborted call with Aborted, a non-Blob and a second relay with InvalidArgument, and knows every code', async () => {
    const url = await node.storeBytes(new TextEncoder().encode('shared'));
    const out = await inPage(async (safe, m, u) => {
      const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof m.SafeError ? e.code : `not a SafeError: ${String(e)}`));
      return {
        aborted: await code(safe.filesGet(u, undefined, { signal: AbortSignal.abort() })),
        blob: await code(safe.storeBlob('not a blob' as unknown as Blob)),
        relayAgain: await code(safe.connect({ relay: 'ws://127.0.0.1:1' })),
        after: new TextDecoder().decode(await safe.filesGet(u)),
        codes: m.ErrorCodes.length,
      };
    }, url);
    expect(out.aborted).toBe('Aborted');
    expect(out.blob).toBe('InvalidArgument');
    expect(out.relayAgain).toBe('InvalidArgument');
    expect(out.after).toBe('shared');
    expect(out.codes).toBe(ErrorCodes.length);
  });

  it('keeps the main thread free of long tasks during a 16 MiB store', async () => {
    const out = await inPage(async (safe) => {
      // Random bytes, which do not compress: 16 MiB of chunks to encrypt and upload.
      const bytes = new Uint8Array(16 * 1024 * 1024);
      for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      const longTasks: number[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      });
      // 'longtask' is Chromium's; the test's types are Node's.
      observer.observe({ type: 'longtask' } as unknown as Parameters<typeof observer.observe>[0]);
      const start = performance.now();
      const url = await safe.storeBytes(bytes);
      const ms = performance.now() - start;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const during = [...longTasks];
      // The counter-test: a task of 120 ms is seen, so the observer was watching.
      const until = performance.now() + 120;
      while (performance.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const entry of observer.takeRecords()) longTasks.push(entry.duration);
      observer.disconnect();
      return { url, ms, during, after: longTasks.slice(during.length) };
    }, null);
    expect(out.url).toMatch(/^safe:\/\//);
    console.log(`16 MiB stored from the page in ${(out.ms / 1000).toFixed(1)} s`);
    expect(out.during).toEqual([]);
    expect(out.after.length).toBeGreaterThan(0);
  }, 90_000);
});

describe('the relay', () => {
  it('forwards only to the network: it refuses another destination, and passes an allowed one', async () => {
    const ws = new WebSocket(relay.url);
    const notices: RelayNotice[] = [];
    const refused = new Promise<Extract<RelayNotice, { type: 'refused' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no refused notice within 10 s')), 10_000);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const notice = JSON.parse(String(data)) as RelayNotice;
        notices.push(notice);
        if (notice.type === 'hello') {
          // One frame, two datagrams: the relay judges each.
          const [frame] = encodeFrames([
            { address: toWitAddress('127.0.0.1', (outsideUdp.address() as AddressInfo).port), payload: Buffer.from('to outside') },
            { address: toWitAddress('127.0.0.1', (allowedUdp.address() as AddressInfo).port), payload: Buffer.from('to allowed') },
          ]);
          ws.send(frame!);
        }
        if (notice.type === 'refused') {
          clearTimeout(timer);
          resolve(notice);
        }
      });
    });
    const outside: string[] = [];
    outsideUdp.on('message', (m) => outside.push(String(m)));
    const arrived = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the allowed datagram did not arrive within 10 s')), 10_000);
      allowedUdp.once('message', (m) => {
        clearTimeout(timer);
        resolve(String(m));
      });
    });
    try {
      const notice = await refused;
      expect(notice).toEqual({ type: 'refused', address: `127.0.0.1:${(outsideUdp.address() as AddressInfo).port}`, datagrams: 1 });
      expect(await arrived).toBe('to allowed');
      expect(outside).toEqual([]);
      expect(relayLog.some((l) => l.includes('refused 1 datagram(s)') && l.includes(notice.address))).toBe(true);
      expect(notices[0]).toMatchObject({ type: 'hello', version: FRAME_VERSION });
      expect((notices[0] as { contacts: string[] }).contacts.length).toBe(testnet.contacts.length);
    } finally {
      ws.close();
    }
  });

  it('is bounded: an oversized frame or a text frame closes the page, a page over the limit is turned away', async () => {
    const closed = (ws: WebSocket) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('not closed within 10 s')), 10_000);
        ws.once('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    const hello = (ws: WebSocket) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no hello within 10 s')), 10_000);
        ws.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const big = new WebSocket(relay.url);
    await hello(big);
    const bigClosed = closed(big);
    big.send(new Uint8Array(MAX_FRAME + 1));
    expect(await bigClosed).toBe(1009);
    const text = new WebSocket(relay.url);
    await hello(text);
    const textClosed = closed(text);
    text.send('hello?');
    expect(await textClosed).toBe(1003);

    const small = await startRelay({ port: 0, bootstrap: await Promise.all(testnet.contacts.map(parseContact)), maxConnections: 1, log: (line) => relayLog.push(line) });
    try {
      const first = new WebSocket(small.url);
      await hello(first);
      const second = new WebSocket(small.url);
      expect(await closed(second)).toBe(1013);
      expect(first.readyState).toBe(WebSocket.OPEN);
      first.close();
    } finally {
      await small.close();
    }
    expect(relayLog.some((l) => /already 1 connections/.test(l))).toBe(true);
  });

  it('runs as `safe relay` and stops cleanly on SIGINT', async () => {
    // One bootstrap contact: the relay learns the other nodes from the network map.
    const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'relay', '--json', '--listen', '127.0.0.1:0', '--bootstrap', testnet.contacts[0]!], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const started = await new Promise<{ url: string; allowed: string[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 20 s; stderr: ${stderr}`)), 20_000);
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += String(d);
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(JSON.parse(stdout) as { url: string; allowed: string[] });
        }
      });
    });
    expect(started.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const nodes = testnet.contacts.map((c) => c.split('@').at(-1)!);
    expect(nodes.length).toBe(5);
    expect(started.allowed.sort()).toEqual([...nodes].sort());
    const exited = new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still running 10 s after SIGINT')), 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/relay: stopping/);
  });
});

/** The bytes the Blob test makes in the page, made again here. */
function pageBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  let x = 7 * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

