// The dry runner (`Safe.dryRunner()`) and `parseAndResolveUrl` against a real local testnet
// (3 nodes, R = 3): dry stores and dry container operations give exactly what the real ones give,
// and the network holds nothing of them (each dry URL is NotFound until the real store); NRS
// names resolve to their links, XOR-URLs to themselves.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl, type FilesMap } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { failure, noise, tempDir } from './support.js';

const MiB = 1024 * 1024;

let testnet: Testnet;
let dir: ReturnType<typeof tempDir>;
let safe: Safe;

beforeAll(async () => {
  dir = tempDir('safe-dry-');
  testnet = await startTestnet({ nodes: 3, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null });
  safe = new Safe(null, 120);
  await safe.connect({ bootstrap: testnet.contacts });
}, 60_000);

afterAll(async () => {
  await safe?.close();
  await testnet?.stop();
  dir?.remove();
});

/** Each path of a FilesMap and its link (none for folders): what does not depend on the time. */
function links(map: FilesMap): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(map).map(([path, info]) => [path, info['link']]));
}

describe('Safe.dryRunner', () => {
  it('storeBytes (a Node Buffer) and storeFile give the real store URL, without connect, and store nothing', async () => {
    const dry = Safe.dryRunner(null, 60);
    expect(dry.isDryRun).toBe(true);
    expect(safe.isDryRun).toBe(false);
    try {
      for (const size of [0, 1, 3, 1024, 2 * MiB + 3]) {
        const data = Buffer.from(noise(size));
        const url = await dry.storeBytes(data, 'text/plain');
        const path = join(dir.path, `file ${size}.txt`);
        writeFileSync(path, data);
        expect(await dry.storeFile(path, 'text/plain'), `${size} bytes`).toBe(url);
        // The dry run wrote nothing: the URL names nothing until the real store.
        expect((await failure(() => safe.fetch(url))).code, `${size} bytes`).toBe('NotFound');
        expect(await safe.storeBytes(data, 'text/plain'), `${size} bytes`).toBe(url);
        expect(Buffer.from(await safe.filesGet(url)).equals(data), `${size} bytes`).toBe(true);
      }
      expect(dry.isConnected).toBe(false);
    } finally {
      await dry.close();
    }
  }, 120_000);

  it('a container from a folder with spaces in its paths: the real links, and nothing written; dry syncs change nothing', async () => {
    const site = join(dir.path, 'my site');
    mkdirSync(join(site, 'sub folder'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<h1>dry</h1>');
    writeFileSync(join(site, 'sub folder', 'a b.txt'), 'spaces');
    writeFileSync(join(site, 'sub folder', 'big.bin'), noise(MiB + MiB / 2));
    const dry = Safe.dryRunner();
    try {
      const [dryUrl, dryProcessed, dryMap] = await dry.filesContainerCreateFrom(`${site}/`, null, { recursive: true });
      const parsed = SafeUrl.parse(dryUrl);
      expect(parsed.contentType).toBe('FilesContainer');
      expect(parsed.contentVersion).toMatch(/^h/);
      expect(dry.isConnected).toBe(false);
      const fileLinks = Object.values(links(dryMap)).filter((l): l is string => l !== undefined);
      expect(fileLinks).toHaveLength(3);
      expect((await failure(() => safe.fetch(dryUrl))).code).toBe('NotFound');
      for (const link of fileLinks) expect((await failure(() => safe.fetch(link))).code, link).toBe('NotFound');

      const [url, processed, map] = await safe.filesContainerCreateFrom(`${site}/`, null, { recursive: true });
      expect(links(dryMap)).toEqual(links(map));
      expect(dryProcessed).toEqual(processed);
      expect(processed[`${site}/sub folder/a b.txt`]).toMatchObject({ change: 'Added' });

      // A connected dry runner with the owner's key reads the container and writes no version.
      await dry.setKeypair(await safe.getKeypair());
      await dry.connect({ bootstrap: testnet.contacts });
      writeFileSync(join(site, 'sub folder', 'new file.txt'), 'new');
      const base = url.split('?')[0]!;
      const [dryVersion, drySynced, drySyncedMap] = await dry.filesContainerSync(`${site}/`, base, { recursive: true });
      expect(dryVersion).toMatch(/^h/);
      expect(drySynced[`${site}/sub folder/new file.txt`]).toMatchObject({ change: 'Added' });
      const [latest, unchanged] = await safe.filesContainerGet(base);
      expect(latest).toBe(SafeUrl.parse(url).contentVersion);
      expect(latest).not.toBe(dryVersion);
      expect(Object.keys(unchanged)).not.toContain('/sub folder/new file.txt');
      const [version, synced, syncedMap] = await safe.filesContainerSync(`${site}/`, base, { recursive: true });
      expect(version).not.toBeNull();
      expect(drySynced).toEqual(synced);
      expect(links(drySyncedMap)).toEqual(links(syncedMap));
    } finally {
      await dry.close();
    }
  }, 120_000);
});

describe('parseAndResolveUrl', () => {
  it('resolves NRS names (not their paths) to their links, and a XOR-URL to itself', async () => {
    const fileUrl = await safe.storeBytes(new TextEncoder().encode('resolved'), 'text/plain');
    const [container] = await safe.filesContainerCreateFrom(`${join(dir.path, 'my site')}/`, null, { recursive: true });
    await safe.nrsAdd('resolvesite', container);
    await safe.nrsAdd('file.resolvesite', fileUrl);

    const site = await safe.parseAndResolveUrl('safe://resolvesite/sub%20folder/a%20b.txt');
    expect(site.parsed.isNrs).toBe(true);
    expect(site.parsed.topName).toBe('resolvesite');
    expect(site.resolved.isNrs).toBe(false);
    expect(site.resolved.xorname).toBe(SafeUrl.parse(container).xorname);
    expect(site.resolved.contentVersion).toBe(SafeUrl.parse(container).contentVersion);
    expect(site.resolved.pathDecoded()).toBe('/sub folder/a b.txt');

    const file = await safe.parseAndResolveUrl('safe://file.resolvesite');
    expect(file.parsed.subNames).toEqual(['file']);
    expect(file.resolved.toString()).toBe(fileUrl);

    // Only the name is resolved: a path that does not exist is carried over as it is.
    expect((await safe.parseAndResolveUrl('safe://resolvesite/not/there')).resolved.path).toBe('/not/there');

    const xor = await safe.parseAndResolveUrl(fileUrl);
    expect(xor.parsed.isNrs).toBe(false);
    expect(xor.resolved.toString()).toBe(fileUrl);

    expect((await failure(() => safe.parseAndResolveUrl('safe://nobody-has-this-name'))).code).toBe('NotFound');
    expect((await failure(() => safe.parseAndResolveUrl('http://x'))).code).toBe('InvalidUrl');
  }, 120_000);
});
