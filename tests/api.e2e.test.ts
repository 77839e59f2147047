// The whole Safe API end to end against a real local testnet (5 nodes, R = 3): FilesContainers
// from a folder tree and back, versions, NRS names and sub names, multimaps, fetch and inspect of
// every kind of data, a 64 MiB file with ranged reads across chunk boundaries, and aborts that
// leave nothing half-written. Every call goes TS -> component -> QUIC -> nodes -> disk and back.
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl, type FilesMap, type Progress, type SafeData } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { failure, noise, pattern, tempDir } from './support.js';

const MiB = 1024 * 1024;
/** The size of self-encryption's pieces (.cargo/config.toml): chunk boundaries of a large file. */
const PIECE = 1_044_480;

let testnet: Testnet;
let dir: ReturnType<typeof tempDir>;
let safe: Safe;

beforeAll(async () => {
  dir = tempDir('safe-api-');
  testnet = await startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null });
  safe = new Safe(null, 120);
  await safe.connect({ bootstrap: testnet.contacts });
}, 60_000);

afterAll(async () => {
  await safe?.close();
  await testnet?.stop();
  dir?.remove();
});

/** A URL without its query (`?v=...`). */
function unversioned(url: string): string {
  return url.split('?')[0]!;
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A local folder tree: nested folders, an empty one, several kinds of file. */
function makeTree(root: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>([
    ['index.html', text('<h1>home</h1>')],
    ['a.txt', text('alpha')],
    ['sub/b.json', text('{"b":1}')],
    ['sub/deeper/c.bin', pattern(300_000, 7)],
    ['sub/deeper/tiny', text('t')],
  ]);
  for (const [path, data] of files) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  mkdirSync(join(root, 'empty'), { recursive: true });
  return files;
}

/** Reads back every file of a FilesMap through the network into `into`, as a local tree. */
async function download(base: string, map: FilesMap, into: string): Promise<void> {
  for (const [path, info] of Object.entries(map)) {
    const local = join(into, path);
    if (info.type === 'inode/directory') mkdirSync(local, { recursive: true });
    else {
      mkdirSync(join(local, '..'), { recursive: true });
      const file = await safe.fetch(`${base}${path}`);
      expect(file.type).toBe('PublicFile');
      writeFileSync(local, (file as Extract<SafeData, { type: 'PublicFile' }>).data);
    }
  }
}

/** Every file under `root` and its bytes, by '/'-separated relative path. */
function readTree(root: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path).isDirectory()) for (const [k, v] of readTree(path, rel)) out.set(k, v);
    else out.set(rel, readFileSync(path));
  }
  return out;
}

describe('FilesContainers', () => {
  it('round-trips a nested folder tree through a container and back', async () => {
    const src = join(dir.path, 'site');
    const files = makeTree(src);
    const [url, processed, map] = await safe.filesContainerCreateFrom(`${src}/`, null, { recursive: true });
    const parsed = SafeUrl.parse(url);
    expect(parsed.contentType).toBe('FilesContainer');
    expect(parsed.dataType).toBe('Register');
    expect(parsed.typeTag).toBe(1100);
    expect(parsed.contentVersion).toBeTruthy();

    // Every local file was added, and the map lists files and folders with sn_api's attributes.
    for (const path of files.keys()) {
      const change = Object.entries(processed).find(([local]) => local.endsWith(path))?.[1];
      expect(change?.change, path).toBe('Added');
      const info = map[`/${path}`]!;
      expect(info, path).toBeDefined();
      expect(info.size).toBe(String(files.get(path)!.length));
      expect(info.link).toMatch(/^safe:\/\//);
      expect(info.modified).toBeTruthy();
      expect(info.mode_bits).toMatch(/^\d+$/);
    }
    expect(map['/index.html']!.type).toBe('text/html');
    expect(map['/sub']!.type).toBe('inode/directory');
    expect(map['/empty']!.type).toBe('inode/directory');

    // Back: the whole tree read through the network is byte for byte the local one.
    const back = join(dir.path, 'site-back');
    await download(unversioned(url), map, back);
    const [got, want] = [readTree(back), readTree(src)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, bytes] of want) expect(got.get(path)!.equals(bytes), path).toBe(true);
    expect(readdirSync(join(back, 'empty'))).toEqual([]);

    // The container itself, and a folder inside it.
    const container = await safe.fetch(unversioned(url));
    expect(container.type).toBe('FilesContainer');
    if (container.type !== 'FilesContainer') return;
    expect(container.version).toBe(parsed.contentVersion);
    expect(Object.keys(container.filesMap).sort()).toEqual(Object.keys(map).sort());
    const folder = await safe.fetch(`${unversioned(url)}/sub`);
    expect(folder.type).toBe('FilesContainer');
    if (folder.type === 'FilesContainer') expect(Object.keys(folder.filesMap).every((p) => p.startsWith('/sub/'))).toBe(true);

    // A file inside, with its metadata, and a missing path.
    const page = await safe.fetch(`${unversioned(url)}/index.html`);
    expect(page.type).toBe('PublicFile');
    if (page.type === 'PublicFile') {
      expect(new TextDecoder().decode(page.data)).toBe('<h1>home</h1>');
      expect(page.metadata?.type).toBe('text/html');
      expect(page.resolvedFrom).toBe(`${unversioned(url)}/index.html`);
    }
    expect((await failure(() => safe.fetch(`${unversioned(url)}/nope.txt`))).code).toBe('NotFound');
  });

  it('puts a folder under its own name without a trailing slash, and under dst', async () => {
    const src = join(dir.path, 'named');
    makeTree(src);
    const [, , plain] = await safe.filesContainerCreateFrom(src);
    expect(plain['/named/index.html']).toBeDefined();
    const [, , under] = await safe.filesContainerCreateFrom(`${src}/`, '/www');
    expect(under['/www/index.html']).toBeDefined();
    const [, , flat] = await safe.filesContainerCreateFrom(`${src}/`, null, { recursive: false });
    expect(flat['/a.txt']).toBeDefined();
    expect(flat['/sub/b.json']).toBeUndefined();
  });

  it('adds, replaces, syncs and removes, each a new version; older versions stay readable', async () => {
    const src = join(dir.path, 'versions');
    makeTree(src);
    const [url] = await safe.filesContainerCreateFrom(`${src}/`);
    const base = unversioned(url);
    const [v0] = await safe.filesContainerGet(base);
    expect(v0).toBe(SafeUrl.parse(url).contentVersion);

    const [v1, added, map1] = await safe.filesContainerAddFromRaw(text('new'), `${base}/new.txt`);
    expect(v1).toBeTruthy();
    expect(v1).not.toBe(v0);
    expect(added['/new.txt']?.change).toBe('Added');
    expect(map1['/new.txt']).toBeDefined();

    // Without force an existing path is left alone and reported; with force it is replaced.
    const [, refused] = await safe.filesContainerAddFromRaw(text('other'), `${base}/new.txt`);
    expect(refused['/new.txt']?.change).toBe('Failed');
    const [v2, replaced] = await safe.filesContainerAddFromRaw(text('other'), `${base}/new.txt`, { force: true });
    expect(replaced['/new.txt']?.change).toBe('Updated');

    // A local file added into a folder of the container.
    const extra = join(dir.path, 'extra.md');
    writeFileSync(extra, '# extra');
    const [v3, addedFile, map3] = await safe.filesContainerAdd(extra, `${base}/sub/`);
    expect(Object.values(addedFile)[0]?.change).toBe('Added');
    expect(map3['/sub/extra.md']).toBeDefined();

    // Old versions, by ?v=.
    const [, old] = await safe.filesContainerGet(`${base}?v=${v0}`);
    expect(old['/new.txt']).toBeUndefined();
    const atV1 = await safe.fetch(`${base}/new.txt?v=${v1}`);
    const atV2 = await safe.fetch(`${base}/new.txt?v=${v2}`);
    if (atV1.type !== 'PublicFile' || atV2.type !== 'PublicFile') throw new Error('expected files');
    expect(new TextDecoder().decode(atV1.data)).toBe('new');
    expect(new TextDecoder().decode(atV2.data)).toBe('other');
    expect((await failure(() => safe.fetch(`${base}/new.txt?v=${v0}`))).code).toBe('NotFound');

    // Sync: a changed file, a deleted one, a new one.
    writeFileSync(join(src, 'a.txt'), 'alpha, changed');
    rmSync(join(src, 'sub', 'b.json'));
    writeFileSync(join(src, 'fresh.txt'), 'fresh');
    const [v4, synced, map4] = await safe.filesContainerSync(`${src}/`, base, { delete: true });
    expect(v4).toBeTruthy();
    const changeOf = (suffix: string) => Object.entries(synced).find(([p]) => p.endsWith(suffix))?.[1]?.change;
    expect(changeOf('a.txt')).toBe('Updated');
    expect(changeOf('fresh.txt')).toBe('Added');
    expect(changeOf('b.json')).toBe('Removed');
    expect(map4['/sub/b.json']).toBeUndefined();
    const changed = await safe.fetch(`${base}/a.txt`);
    if (changed.type === 'PublicFile') expect(new TextDecoder().decode(changed.data)).toBe('alpha, changed');

    // Remove a file, then a folder (recursive needed).
    const [, removedFile] = await safe.filesContainerRemovePath(`${base}/fresh.txt`);
    expect(removedFile['/fresh.txt']?.change).toBe('Removed');
    expect((await failure(() => safe.filesContainerRemovePath(`${base}/sub`))).code).toBe('InvalidArgument');
    const [v6, , map6] = await safe.filesContainerRemovePath(`${base}/sub`, { recursive: true });
    expect(Object.keys(map6).some((p) => p.startsWith('/sub'))).toBe(false);
    const [latest] = await safe.filesContainerGet(base);
    expect(latest).toBe(v6);
    expect(v3).toBeTruthy();

    // A well-formed version that is not this container's (another container's), and a path
    // that is not there.
    const [otherUrl] = await safe.filesContainerCreateFrom(extra);
    const foreign = SafeUrl.parse(otherUrl).contentVersion!;
    const missing = await failure(() => safe.filesContainerGet(`${base}?v=${foreign}`));
    expect(missing.code).toBe('NotFound');
    expect(missing.message).toMatch(/version/);
    expect((await failure(() => safe.fetch(`${base}/a.txt?v=${foreign}`))).code).toBe('NotFound');
    expect((await failure(() => safe.filesContainerRemovePath(`${base}/not-there`))).code).toBe('NotFound');
  });

  it('starts empty, and refuses changes from anyone but the owner', async () => {
    const url = await safe.filesContainerCreate();
    const [version, map] = await safe.filesContainerGet(url);
    expect(version).toBeNull();
    expect(map).toEqual({});
    const [v1] = await safe.filesContainerAddFromRaw(text('x'), `${url}/x.txt`);
    expect(v1).toBeTruthy();

    await using other = new Safe(null, 60);
    await other.connect({ bootstrap: testnet.contacts });
    expect((await failure(() => other.filesContainerAddFromRaw(text('y'), `${url}/y.txt`))).code).toBe('NotOwner');
    const [after, mapAfter] = await safe.filesContainerGet(url);
    expect(after).toBe(v1);
    expect(mapAfter['/y.txt']).toBeUndefined();
  });

  it('records symlinks as links unless told to follow them', async () => {
    const src = join(dir.path, 'links');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'target.txt'), 'pointed at');
    symlinkSync('target.txt', join(src, 'link.txt'));
    const [, , kept] = await safe.filesContainerCreateFrom(`${src}/`);
    expect(kept['/link.txt']?.type).toBe('inode/symlink');
    expect(kept['/link.txt']?.symlink_target).toBe('target.txt');
    const [, , followed] = await safe.filesContainerCreateFrom(`${src}/`, null, { followLinks: true });
    expect(followed['/link.txt']?.type).not.toBe('inode/symlink');
    expect(followed['/link.txt']?.link).toBe(followed['/target.txt']?.link);
  });
});

describe('NRS', () => {
  it('resolves names and sub names through containers to files, with versions', async () => {
    const src = join(dir.path, 'mysite');
    makeTree(src);
    const [container] = await safe.filesContainerCreateFrom(`${src}/`);

    await safe.nrsCreate('mysite');
    expect((await failure(() => safe.nrsCreate('mysite'))).code).toMatch(/Conflict|InvalidArgument/);
    const v1Url = await safe.nrsAssociate('mysite', container);
    expect(v1Url).toMatch(/^safe:\/\/mysite\?v=/);
    const page = await safe.fetch('safe://mysite/index.html');
    expect(page.type).toBe('PublicFile');
    if (page.type === 'PublicFile') expect(new TextDecoder().decode(page.data)).toBe('<h1>home</h1>');

    // A sub name to a single file, added without creating the top name again.
    const fileUrl = await safe.storeBytes(text('a blog post'), 'text/plain');
    const [blogUrl, created] = await safe.nrsAdd('blog.mysite', fileUrl);
    expect(created).toBe(false);
    expect(blogUrl).toMatch(/^safe:\/\/blog\.mysite\?v=/);
    const post = await safe.fetch('safe://blog.mysite');
    if (post.type !== 'PublicFile') throw new Error(`expected a file, got ${post.type}`);
    expect(new TextDecoder().decode(post.data)).toBe('a blog post');
    expect(post.mediaType).toBe('text/plain');

    // A sub name resolving to a path inside a container.
    await safe.nrsAssociate('docs.mysite', container);
    const nested = await safe.fetch('safe://docs.mysite/sub/b.json');
    if (nested.type !== 'PublicFile') throw new Error(`expected a file, got ${nested.type}`);
    expect(new TextDecoder().decode(nested.data)).toBe('{"b":1}');

    // inspect: the whole chain, without contents.
    const chain = await safe.inspect('safe://mysite/sub/b.json');
    expect(chain.map((s) => s.type)).toEqual(['NrsEntry', 'FilesContainer', 'PublicFile']);
    const last = chain[2]!;
    if (last.type === 'PublicFile') {
      expect(last.data.length).toBe(0);
      expect(last.size).toBe(7);
    }
    const entry = chain[0]!;
    if (entry.type === 'NrsEntry') {
      expect(entry.publicName).toBe('mysite');
      expect(entry.resolvesInto).toBe(container);
    }

    // nrsGet, now and at the first version; remove.
    const [link, map] = await safe.nrsGet('mysite');
    expect(link).toBe(container);
    expect(Object.keys(map).sort()).toEqual(['blog.mysite', 'docs.mysite', 'mysite']);
    const firstVersion = SafeUrl.parse(v1Url).contentVersion!;
    const [, oldMap] = await safe.nrsGet('mysite', firstVersion);
    expect(Object.keys(oldMap)).toEqual(['mysite']);
    // nrsGetSubnamesMap: the same map, through any name under the top name (one without a link too).
    expect(await safe.nrsGetSubnamesMap('mysite')).toEqual(map);
    expect(await safe.nrsGetSubnamesMap('nolink.mysite')).toEqual(map);
    expect(await safe.nrsGetSubnamesMap('mysite', firstVersion)).toEqual(oldMap);
    const removed = await safe.nrsRemove('blog.mysite');
    expect(removed).toMatch(/^safe:\/\/blog\.mysite\?v=/);
    expect((await failure(() => safe.fetch('safe://blog.mysite'))).code).toBe('NotFound');
    // The old version still resolves the removed name.
    const before = await safe.fetch(`safe://blog.mysite?v=${SafeUrl.parse(blogUrl).contentVersion}`);
    expect(before.type).toBe('PublicFile');
  });

  it('points a name at each new version of its container with updateNrs', async () => {
    const page = join(dir.path, 'live.md');
    writeFileSync(page, '# live');
    const [container] = await safe.filesContainerCreateFrom(page);
    await safe.nrsAdd('live-site', container);
    const [version, processed] = await safe.filesContainerAddFromRaw(text('fresh news'), 'safe://live-site/news.txt', { updateNrs: true });
    expect(processed['/news.txt']?.change).toBe('Added');
    const [link] = await safe.nrsGet('live-site');
    expect(SafeUrl.parse(link!).contentVersion).toBe(version);
    const news = await safe.fetch('safe://live-site/news.txt');
    if (news.type !== 'PublicFile') throw new Error(`expected a file, got ${news.type}`);
    expect(new TextDecoder().decode(news.data)).toBe('fresh news');
    // Without updateNrs the container changes but the name keeps the version it had.
    const [v2] = await safe.filesContainerAddFromRaw(text('draft'), 'safe://live-site/draft.txt');
    expect(v2).not.toBe(version);
    expect((await failure(() => safe.fetch('safe://live-site/draft.txt'))).code).toBe('NotFound');
  });

  it('creates a top name on nrsAdd, refuses other owners, bad names and unversioned containers', async () => {
    const fileUrl = await safe.storeBytes(text('hello'));
    const [url, created] = await safe.nrsAdd('fresh-name', fileUrl);
    expect(created).toBe(true);
    expect(url).toMatch(/^safe:\/\/fresh-name\?v=/);
    const top = await safe.fetch('safe://fresh-name');
    expect(top.type).toBe('PublicFile');

    await using other = new Safe(null, 60);
    await other.connect({ bootstrap: testnet.contacts });
    expect((await failure(() => other.nrsAssociate('fresh-name', fileUrl))).code).toBe('NotOwner');
    expect((await failure(() => other.nrsAssociate('sub.fresh-name', fileUrl))).code).toBe('NotOwner');
    expect((await failure(() => safe.nrsAssociate('nobody-made-this', fileUrl))).code).toBe('NotFound');
    expect((await failure(() => safe.nrsAssociate('bad..name', fileUrl))).code).toBe('InvalidUrl');
    const container = await safe.filesContainerCreate();
    expect((await failure(() => safe.nrsAssociate('fresh-name', container))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.fetch('safe://never-registered'))).code).toBe('NotFound');
  });

  it('follows at most 10 links', async () => {
    // hop0 -> the file; hopN -> hop(N-1) (a versioned NRS URL, as nrsAdd returns it).
    let link = await safe.storeBytes(text('end of the chain'));
    for (let i = 0; i <= 10; i++) [link] = await safe.nrsAdd(`hop${i}`, link);
    // safe://hop9 takes 10 links to reach the file; safe://hop10 would take 11.
    const nine = await safe.fetch('safe://hop9');
    expect(nine.type).toBe('PublicFile');
    expect((await safe.inspect('safe://hop9')).filter((s) => s.type === 'NrsEntry')).toHaveLength(10);
    const tooFar = await failure(() => safe.fetch('safe://hop10'));
    expect(tooFar.message).toMatch(/10/);
  });
});

describe('multimaps, registers and keys through fetch', () => {
  it('inserts, replaces, reads by key and hash, removes; fetch gives the multimap', async () => {
    const url = await safe.multimapCreate(null, 20_000);
    const h1 = await safe.multimapInsert(url, [text('colour'), text('red')]);
    const h2 = await safe.multimapInsert(url, [text('size'), text('large')]);
    expect((await safe.multimapGetByKey(url, text('colour'))).map((e) => new TextDecoder().decode(e.value))).toEqual(['red']);
    const h3 = await safe.multimapInsert(url, [text('colour'), text('blue')], [h1]);
    const colours = await safe.multimapGetByKey(url, text('colour'));
    expect(colours.map((e) => [e.hash, new TextDecoder().decode(e.value)])).toEqual([[h3, 'blue']]);
    const byHash = await safe.multimapGetByHash(url, h2);
    expect(new TextDecoder().decode(byHash.key)).toBe('size');
    await safe.multimapRemove(url, [h2]);
    expect(await safe.multimapGetByKey(url, text('size'))).toEqual([]);

    const data = await safe.fetch(url);
    expect(data.type).toBe('Multimap');
    if (data.type === 'Multimap') expect(data.entries.map((e) => e.hash)).toEqual([h3]);

    await using other = new Safe(null, 60);
    await other.connect({ bootstrap: testnet.contacts });
    expect((await failure(() => other.multimapInsert(url, [text('k'), text('v')]))).code).toBe('NotOwner');
    expect((await failure(() => safe.multimapGetByHash(url, 'ab'.repeat(32)))).code).toBe('NotFound');
  });

  it('fetches registers and SafeKeys, and reads a register entry by hash', async () => {
    const reg = await safe.registerCreate(null, 30_000);
    const hash = await safe.registerWrite(reg, text('one'));
    expect(new TextDecoder().decode(await safe.registerReadEntry(reg, hash))).toBe('one');
    const data = await safe.fetch(reg);
    expect(data.type).toBe('Register');
    if (data.type === 'Register') {
      expect(data.typeTag).toBe(30_000);
      expect(data.entries.map((e) => e.hash)).toEqual([hash]);
    }
    const [keyUrl] = await safe.keysCreatePreloadTestCoins('1');
    const key = await safe.fetch(keyUrl);
    expect(key.type).toBe('SafeKey');
    expect(key.xorurl).toBe(keyUrl);
  });

  it('rejects malformed URLs with InvalidUrl', async () => {
    for (const bad of ['http://example.com', 'safe://', 'safe://a..b', 'safe://has space', `safe://x/a//b`]) {
      expect((await failure(() => safe.fetch(bad))).code, bad).toBe('InvalidUrl');
    }
    expect((await failure(() => safe.filesContainerGet('safe://a..b'))).code).toBe('InvalidUrl');
  });
});

describe('a 64 MiB file', () => {
  it('round-trips from a local path, with ranged reads across chunk boundaries and progress', async () => {
    const path = join(dir.path, 'big.bin');
    const data = noise(64 * MiB);
    writeFileSync(path, data);
    const progress: Progress[] = [];
    const url = await safe.storeFile(path, undefined, { onProgress: (p) => progress.push(p) });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ done: 64 * MiB, total: 64 * MiB, unit: 'bytes' });

    const back = await safe.filesGet(url);
    expect(back.length).toBe(data.length);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);

    for (const [start, end] of [
      [PIECE - 10, PIECE + 10],
      [PIECE * 2 - 1, PIECE * 4 + 1],
      [64 * MiB - 5, 64 * MiB],
      [0, 1],
    ] as const) {
      const part = await safe.filesGet(url, [start, end]);
      expect(Buffer.from(part).equals(Buffer.from(data.subarray(start, end))), `${start}..${end}`).toBe(true);
    }
    const ranged = await safe.fetch(url, [PIECE * 3 - 2, PIECE * 3 + 2]);
    if (ranged.type === 'PublicFile') {
      expect(ranged.size).toBe(64 * MiB);
      expect(Buffer.from(ranged.data).equals(Buffer.from(data.subarray(PIECE * 3 - 2, PIECE * 3 + 2)))).toBe(true);
    }
  }, 300_000);

  it('aborts a store with Aborted, and the same file stores and reads whole afterwards', async () => {
    const path = join(dir.path, 'abort.bin');
    const data = noise(16 * MiB);
    writeFileSync(path, data);
    const controller = new AbortController();
    const aborted = safe.storeFile(path, undefined, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort();
      },
    });
    expect((await failure(() => aborted)).code).toBe('Aborted');
    const url = await safe.storeFile(path);
    expect(Buffer.from(await safe.filesGet(url)).equals(Buffer.from(data))).toBe(true);
  }, 300_000);

  it('an aborted container sync leaves the container as it was, and the next sync completes', async () => {
    const src = join(dir.path, 'abort-sync');
    makeTree(src);
    const [url] = await safe.filesContainerCreateFrom(`${src}/`);
    const base = unversioned(url);
    const [before, mapBefore] = await safe.filesContainerGet(base);
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `big-${i}.bin`), noise(2 * MiB));
    const controller = new AbortController();
    const aborted = safe.filesContainerSync(`${src}/`, base, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort();
      },
    });
    expect((await failure(() => aborted)).code).toBe('Aborted');
    const [after, mapAfter] = await safe.filesContainerGet(base);
    expect(after).toBe(before);
    expect(mapAfter).toEqual(mapBefore);
    const [v, processed, map] = await safe.filesContainerSync(`${src}/`, base);
    expect(v).not.toBe(before);
    expect(Object.values(processed).filter((c) => c.change === 'Added')).toHaveLength(4);
    expect(map['/big-3.bin']?.size).toBe(String(2 * MiB));
  }, 300_000);
});
