// The test network over an emulated WAN (host/testnet/wan.ts): five nodes, R = 3, each node in
// a network namespace of its own and the client in the root namespace, every hop 20 ms each way
// with 1 % of packets lost, 1 % duplicated and 1 % reordered (netem where the kernel has it,
// else the user-space forwarder of crates/wan-link). The API tour's operations and a 16 MiB
// file must work as they do on loopback. The link is measured before the network starts and its
// counters are checked at the end, so the suite cannot pass on a link that impairs nothing.
// Skipped, saying why, where the machine cannot make namespaces (not Linux, not root, no TUN).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl, type Progress } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { Wan, wanSupport, type LinkProbe } from '../dist/testnet/wan.js';
import { failure, noise, pattern, publicFile, tempDir } from './support.js';

const MiB = 1024 * 1024;
const DELAY_MS = 20;
const LOSS = 0.01;
const support = wanSupport();
if (!support.ok) console.warn(`[wan.e2e] skipped: ${support.reason}`);

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe.skipIf(!support.ok)(`a test network over a lossy, latent WAN${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  let wan: Wan;
  let probe: LinkProbe;
  let testnet: Testnet;
  let safe: Safe;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    dir = tempDir('safe-wan-');
    wan = await Wan.create({ sites: 5, delayMs: DELAY_MS, loss: LOSS, duplicate: 0.01, reorder: 0.01 });
    probe = await wan.probe(200, 5);
    testnet = await startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null, place: wan.place });
    // Operations take several times as long as on loopback (a 16 MiB store about 40 s on a busy
    // 2-core machine): a timeout with room, so that only a real stall fails.
    safe = new Safe(null, 240);
    await safe.connect({ bootstrap: testnet.contacts });
  }, 120_000);

  afterAll(async () => {
    // Clients and nodes first: nothing may still send when the WAN's routes go.
    await safe?.close();
    await testnet?.stop();
    await wan?.destroy();
    dir?.remove();
  });

  it('delays every packet: an echo through the link takes two hops of delay', () => {
    console.log(`[wan.e2e] ${wan.emulator} emulator; UDP echo root -> site 1 -> root: p50 ${probe.p50.toFixed(1)} ms, ${probe.sent - probe.rtts.length} of ${probe.sent} lost`);
    // Most echoes come back (2 % are expected lost; a reordered one may come back early, so
    // the median is what is checked).
    expect(probe.rtts.length).toBeGreaterThan(probe.sent * 0.9);
    expect(probe.p50).toBeGreaterThanOrEqual(2 * DELAY_MS * 0.95);
  });

  it('puts every node in its own namespace, on the addresses of the WAN only', () => {
    const ips = testnet.nodes.map((n) => n.addr.split(':')[0]);
    expect(ips).toEqual(wan.sites.map((s) => s.ip));
    expect(safe.network?.nodes).toBe(5);
    for (const node of testnet.nodes) expect(node.prefix).toEqual(['ip', 'netns', 'exec', expect.stringMatching(/^safewan-/)]);
    expect(new Set(testnet.nodes.map((n) => n.prefix[3])).size).toBe(5);
  });

  it('files: store, fetch, ranged reads, two reads at once, a local file with progress, streaming', async () => {
    const url = await safe.storeBytes(text('<h1>hi</h1>'), 'text/html');
    const file = publicFile(await safe.fetch(url));
    expect(decode(file.data)).toBe('<h1>hi</h1>');
    expect(file.mediaType).toBe('text/html');
    expect(decode(await safe.filesGet(url, [4, 6]))).toBe('hi');
    const [a, b] = await Promise.all([safe.fetch(url), safe.fetch(url)]);
    expect(decode(publicFile(a).data)).toBe(decode(publicFile(b).data));

    const path = join(dir.path, 'video.bin');
    const data = pattern(3 * MiB, 5);
    writeFileSync(path, data);
    const progress: Progress[] = [];
    const big = await safe.storeFile(path, 'video/mp4', { onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)).toMatchObject({ done: data.length, total: data.length, unit: 'bytes' });
    const parts: Uint8Array[] = [];
    for await (const bytes of await safe.filesGetStream(big, [MiB - 7, 3 * MiB])) parts.push(bytes);
    expect(Buffer.concat(parts).equals(Buffer.from(data.subarray(MiB - 7)))).toBe(true);
    const copy = join(dir.path, 'video-copy.bin');
    expect(await safe.filesGetToPath(big, copy)).toBe(data.length);
  }, 90_000);

  it('FilesContainers: from a folder, add, add raw, sync, remove, older versions', async () => {
    const site = join(dir.path, 'site');
    mkdirSync(join(site, 'img'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<h1>home</h1>');
    writeFileSync(join(site, 'img', 'logo.png'), pattern(50_000, 2));
    const [url, processed, filesMap] = await safe.filesContainerCreateFrom(`${site}/`, null, { recursive: true });
    expect(Object.values(processed).every((p) => p.change === 'Added')).toBe(true);
    expect(filesMap['/index.html']?.type).toBe('text/html');
    expect(filesMap['/img']?.type).toBe('inode/directory');
    const base = url.split('?')[0]!;
    expect(decode(publicFile(await safe.fetch(`${base}/index.html`)).data)).toBe('<h1>home</h1>');

    const [v2] = await safe.filesContainerAddFromRaw(text('new'), `${base}/new.txt`);
    const notes = join(dir.path, 'notes.md');
    writeFileSync(notes, '# notes');
    const [, added] = await safe.filesContainerAdd(notes, `${base}/docs/`, { force: true });
    expect(Object.values(added)[0]?.change).toBe('Added');
    writeFileSync(join(site, 'index.html'), '<h1>home, again</h1>');
    const [, synced] = await safe.filesContainerSync(`${site}/`, base, { recursive: true, delete: true });
    expect(Object.entries(synced).find(([p]) => p.endsWith('index.html'))?.[1]?.change).toBe('Updated');
    const [, , afterRemove] = await safe.filesContainerRemovePath(`${base}/img`, { recursive: true });
    expect(Object.keys(afterRemove).some((p) => p.startsWith('/img'))).toBe(false);

    const [version, latest] = await safe.filesContainerGet(base);
    expect(version).toBeTruthy();
    expect(latest['/img/logo.png']).toBeUndefined();
    const [, older] = await safe.filesContainerGet(`${base}?v=${v2}`);
    expect(older['/img/logo.png']).toBeDefined();
    expect(older['/new.txt']).toBeDefined();
    expect(decode(publicFile(await safe.fetch(`${base}/index.html`)).data)).toBe('<h1>home, again</h1>');
    const [emptyVersion, empty] = await safe.filesContainerGet(await safe.filesContainerCreate());
    expect([emptyVersion, empty]).toEqual([null, {}]);
  }, 120_000);

  it('NRS: names and sub names through a container to files; get, inspect and remove', async () => {
    const site = join(dir.path, 'nrs-site');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'index.html'), '<h1>named</h1>');
    const [container] = await safe.filesContainerCreateFrom(`${site}/`);
    const url = await safe.storeBytes(text('a blog'), 'text/plain');
    const name = `wan${Date.now().toString(36)}`;

    await safe.nrsCreate(name);
    await safe.nrsAssociate(name, container);
    const [, created] = await safe.nrsAdd(`blog.${name}`, url);
    expect(created).toBe(false);
    expect(decode(publicFile(await safe.fetch(`safe://${name}/index.html`)).data)).toBe('<h1>named</h1>');
    expect(decode(publicFile(await safe.fetch(`safe://blog.${name}`)).data)).toBe('a blog');
    const steps = await safe.inspect(`safe://${name}/index.html`);
    expect(steps.map((s) => s.type)).toEqual(['NrsEntry', 'FilesContainer', 'PublicFile']);
    const [link, nrsMap] = await safe.nrsGet(name);
    expect(link).toBe(container);
    expect(nrsMap[`blog.${name}`]).toBe(url);
    await safe.nrsRemove(`blog.${name}`);
    expect((await failure(() => safe.fetch(`safe://blog.${name}`))).code).toBe('NotFound');
    expect(SafeUrl.parse(`safe://blog.${name}`).isNrs).toBe(true);
  }, 90_000);

  it('registers and multimaps: write, supersede, read by hash and key, remove', async () => {
    const reg = await safe.registerCreate(null, 1200);
    const h1 = await safe.registerWrite(reg, text('v1'));
    const h2 = await safe.registerWrite(reg, text('v2'));
    expect((await safe.registerRead(reg)).map((e) => [e.hash, decode(e.entry)])).toEqual([[h2, 'v2']]);
    expect(decode(await safe.registerReadEntry(reg, h1))).toBe('v1');

    const mm = await safe.multimapCreate(null, 20_000);
    const k = text('colour');
    const red = await safe.multimapInsert(mm, [k, text('red')]);
    const blue = await safe.multimapInsert(mm, [k, text('blue')], [red]);
    expect((await safe.multimapGetByKey(mm, k)).map((e) => [e.hash, decode(e.value)])).toEqual([[blue, 'blue']]);
    expect(decode((await safe.multimapGetByHash(mm, red)).value)).toBe('red');
    await safe.multimapRemove(mm, [blue]);
    expect(await safe.multimapGetByKey(mm, k)).toEqual([]);
  }, 90_000);

  it('keys: test coins, balances, a preloaded key and a transfer', async () => {
    const [aliceUrl, alice] = await safe.keysCreatePreloadTestCoins('9');
    expect(await safe.keysBalance(alice.secretKey)).toBe('9');
    const [, bob] = await safe.keysCreateAndPreload('2.5', alice.secretKey);
    await safe.keysTransfer('0.5', bob.secretKey, aliceUrl);
    expect(await safe.keysBalance(alice.secretKey)).toBe('7');
    expect(await safe.keysBalance(bob.secretKey)).toBe('2');
    expect((await safe.fetch(aliceUrl)).type).toBe('SafeKey');
  }, 90_000);

  it('round-trips a 16 MiB file byte for byte', async () => {
    const data = noise(16 * MiB);
    const url = await safe.storeBytes(data);
    const back = await safe.filesGet(url);
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
  }, 240_000);

  it('really impaired the traffic: packets were lost, duplicated and reordered on the way', async () => {
    const stats = await wan.stats();
    console.log(`[wan.e2e] link counters: ${JSON.stringify(stats)}`);
    expect(stats.forwarder.received).toBeGreaterThan(10_000);
    if (stats.emulator === 'user') {
      const { received, lost, duplicated, reordered } = stats.forwarder;
      // Binomial counts over tens of thousands of packets: far inside these bounds.
      expect(lost / received).toBeGreaterThan(LOSS / 2);
      expect(lost / received).toBeLessThan(LOSS * 2);
      expect(duplicated).toBeGreaterThan(0);
      expect(reordered).toBeGreaterThan(0);
    } else {
      expect(stats.netemDropped).toBeGreaterThan(0);
    }
  });
});
