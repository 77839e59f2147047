// The shared acceptance suite, written once against the small `Host` interface (./host.ts) and
// run against every host by tests/acceptance.e2e.test.ts: Node, the Rust host in wasmtime and
// natively (`safe-wasmtime serve`), and a Chromium page. Per host (`hostSuite`): files of 0, 1,
// 3 bytes, 1 MiB and 9 MiB with ranges across chunk boundaries; a FilesContainer from a folder
// (in a page, from bytes), nested fetch and versions; NRS names and sub names; registers with
// concurrent writes that merge; multimaps; test coins and a transfer; the lock's order; and
// every error code that bad input can reach, the same code for the same input on every host.
// Across hosts (`crossHostSuite`): each host reads what every other host stored, writes at once
// to one register with the others, pays the next host, and cannot change what another owns.
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { SafeUrl, type FilesMap, type Keypair, type SafeData } from '../../dist/index.js';
import { failure, noise, pattern, publicFile } from '../support.js';
import { CAPABILITIES, HOST_NAMES, type Host, type HostName, type HostSafe } from './host.js';

const MiB = 1024 * 1024;
/** The size of self-encryption's pieces: a large file's chunk boundaries. */
export const PIECE = 1_044_480;
/** The file sizes every host stores and reads. */
export const SIZES = [0, 1, 3, MiB, 9 * MiB] as const;
/** Ranges of the 9 MiB file across chunk boundaries (end left out: to the end of the file). */
const RANGES: ReadonlyArray<readonly [number, number?]> = [
  [0, 1],
  [PIECE - 10, PIECE + 10],
  [2 * PIECE - 1, 5 * PIECE + 1],
  [9 * MiB - 5, 9 * MiB],
  [8 * PIECE + 3],
];

/** A small local folder tree: nested folders, several kinds of file (and, locally, an empty folder). */
const TREE: ReadonlyArray<readonly [string, Uint8Array]> = [
  ['index.html', text('<h1>home</h1>')],
  ['a.txt', text('alpha')],
  ['sub/b.json', text('{"b":1}')],
  ['sub/deeper/c.bin', pattern(300_000, 7)],
  ['sub/deeper/tiny', text('t')],
];

/** What one host stored, for the others to read. */
export interface Stored {
  files?: Array<{ size: number; url: string; data: Uint8Array }>;
  container?: { base: string; latest: string; v1: string; files: Array<[string, Uint8Array]> };
  nrs?: { top: string; index: Uint8Array; blogAt: string; blog: Uint8Array };
  register?: { url: string; heads: string[]; entry: string };
  multimap?: { url: string; hash: string; key: string; value: string };
  coins?: { url: string; keypair: Keypair; balance: string };
  /** The host's container, for another host to try to change. */
  owned?: { container: string };
}

/** What the suite runs in: the hosts, the network, a folder for local files, the shared record. */
export interface SuiteEnv {
  host(name: HostName): Host;
  /** The test network's contacts (`id@ip:port`). */
  readonly contacts: string[];
  /** A temporary folder for local files. */
  readonly dir: string;
  /** What each host stored. */
  readonly stored: Map<HostName, Stored>;
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function decoded(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Asserts equal bytes without printing megabytes when they differ. */
function expectBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  expect(Buffer.compare(Buffer.from(got), Buffer.from(want)), `${what}: bytes`).toBe(0);
}

/** A URL without its query (`?v=...`). */
function unversioned(url: string): string {
  return url.split('?')[0]!;
}

/** The code a call fails with, `ok` if it succeeds. */
async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && e instanceof Error && e.name === 'SafeError' ? code : `not a SafeError: ${String(e)}`;
  }
}

/** A loopback UDP port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `data` as a file, failing the test with its type if it is something else. */
function container(data: SafeData): Extract<SafeData, { type: 'FilesContainer' }> {
  expect(data.type).toBe('FilesContainer');
  if (data.type !== 'FilesContainer') throw new Error(`expected a FilesContainer, got a ${data.type}`);
  return data;
}

/** What `name` stored, failing clearly when its own cases did not get that far. */
function storedBy<K extends keyof Stored>(env: SuiteEnv, name: HostName, what: K): NonNullable<Stored[K]> {
  const value = env.stored.get(name)?.[what];
  if (value === undefined) throw new Error(`the ${name} host stored no ${what} (its own cases failed or did not run)`);
  return value as NonNullable<Stored[K]>;
}

function record(env: SuiteEnv, name: HostName, what: Partial<Stored>): void {
  env.stored.set(name, { ...env.stored.get(name), ...what });
}

/** Builds the TREE as a container: from a local folder where the host has files, else from bytes. */
async function treeContainer(safe: HostSafe, host: Host, dir: string): Promise<{ url: string; map: FilesMap }> {
  if (host.capabilities.localFiles) {
    const src = join(dir, `${host.name}-site`);
    for (const [path, data] of TREE) {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), data);
    }
    mkdirSync(join(src, 'empty'), { recursive: true });
    const [url, processed, map] = await safe.filesContainerCreateFrom(`${src}/`, null, { recursive: true });
    for (const [path] of TREE) {
      const change = Object.entries(processed).find(([local]) => local.endsWith(path))?.[1];
      expect(change?.change, path).toBe('Added');
    }
    expect(map['/empty']?.type).toBe('inode/directory');
    return { url, map };
  }
  // A page has no local folders: the same tree, one file at a time.
  const base = await safe.filesContainerCreate();
  const [none, empty] = await safe.filesContainerGet(base);
  expect(none).toBeNull();
  expect(empty).toEqual({});
  let version: string | null = null;
  let map: FilesMap = {};
  for (const [path, data] of TREE) {
    const [v, processed, m] = await safe.filesContainerAddFromRaw(data, `${base}/${path}`);
    expect(processed[`/${path}`]?.change, path).toBe('Added');
    version = v;
    map = m;
  }
  return { url: `${base}?v=${version}`, map };
}

/** The cases one host runs on its own. */
export function hostSuite(name: HostName, env: () => SuiteEnv): void {
  const caps = CAPABILITIES[name];
  let host: Host;
  /** The host's main instance, and another with its own key (another owner). */
  let safe: HostSafe;
  let other: HostSafe;

  beforeAll(async () => {
    host = env().host(name);
    [safe, other] = await Promise.all([host.open(), host.open()]);
    await Promise.all([safe.connect({ bootstrap: env().contacts }), other.connect({ bootstrap: env().contacts })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([safe?.close(), other?.close()]);
  });

  it('stores files of 0, 1, 3 bytes, 1 MiB and 9 MiB and reads them whole and in ranges across chunk boundaries', async () => {
    const files: NonNullable<Stored['files']> = [];
    for (const size of SIZES) {
      const data = noise(size);
      const url = await safe.storeBytes(data);
      expect(url).toMatch(/^safe:\/\//);
      if (caps.localFiles) {
        // The same bytes from a local file, read a piece at a time: the same address.
        const path = join(env().dir, `${name}-${size}.bin`);
        writeFileSync(path, data);
        expect(await safe.storeFile(path), `${size} bytes from a file`).toBe(url);
      }
      expectBytes(await safe.filesGet(url), data, `${size} bytes`);
      if (size <= MiB) {
        const file = publicFile(await safe.fetch(url));
        expect(file).toMatchObject({ xorurl: url, size, resolvedFrom: url });
        expectBytes(file.data, data, `fetch of ${size} bytes`);
      }
      files.push({ size, url, data });
    }
    const big = files.at(-1)!;
    for (const [start, end] of RANGES) {
      expectBytes(await safe.filesGet(big.url, end === undefined ? [start] : [start, end]), big.data.subarray(start, end), `range ${start}..${end ?? 'end'}`);
    }
    // An end past the size is clamped to it.
    expectBytes(await safe.filesGet(big.url, [9 * MiB - 3, 10 * MiB]), big.data.subarray(9 * MiB - 3), 'a range past the end');
    const ranged = publicFile(await safe.fetch(big.url, [3 * PIECE - 2, 3 * PIECE + 2]));
    expect(ranged.size).toBe(9 * MiB);
    expectBytes(ranged.data, big.data.subarray(3 * PIECE - 2, 3 * PIECE + 2), 'a ranged fetch');

    // checkReplicas: the data map, then the pieces, each on the R nodes of the network (ids and
    // addresses as the contacts give them), a majority of which say they hold it.
    const where = new Map(env().contacts.map((c) => [c.split('@')[0]!, c.split('@')[1]!]));
    for (const file of [big, files[0]!]) {
      const replicas = await safe.checkReplicas(file.url);
      expect(replicas.xorurl).toBe(file.url);
      const pieces = file.size < 3 ? 0 : Math.max(3, Math.ceil(file.size / PIECE));
      expect(replicas.chunks.map((c) => c.kind)).toEqual(['root', ...new Array<string>(pieces).fill('piece')]);
      expect(new Set(replicas.chunks.map((c) => c.address)).size).toBe(pieces + 1);
      for (const chunk of replicas.chunks) {
        expect(chunk.address).toMatch(/^[0-9a-f]{64}$/);
        expect(chunk.holders).toHaveLength(replicas.replicationFactor);
        for (const h of chunk.holders) expect(where.get(h.nodeId), `holder ${h.nodeId}`).toBe(h.address);
        expect(chunk.holders.filter((h) => h.state === 'held').length * 2, chunk.address).toBeGreaterThan(replicas.replicationFactor);
      }
    }

    // A media type goes into the URL; inspect gives the file without its data.
    const page = await safe.storeBytes(text('<h1>hosts</h1>'), 'text/html');
    expect(SafeUrl.parse(page).contentType).toBe('text/html');
    const fetched = publicFile(await safe.fetch(page));
    expect(fetched).toMatchObject({ xorurl: page, mediaType: 'text/html', size: 14, resolvedFrom: page });
    expect(decoded(fetched.data)).toBe('<h1>hosts</h1>');
    const chain = await safe.inspect(page);
    expect(chain).toHaveLength(1);
    const step = publicFile(chain[0]!);
    expect(step).toMatchObject({ xorurl: page, size: 14 });
    expect(step.data.length).toBe(0);
    record(env(), name, { files });
  }, 300_000);

  it('runs reads together and makes a connect wait for the reads in flight', async () => {
    const data = noise(2 * MiB);
    const url = await safe.storeBytes(data);
    const order: string[] = [];
    const reads = [0, 1].map(async () => {
      expectBytes(await safe.filesGet(url), data, 'a read in flight');
      order.push('read');
    });
    // Called after the reads, on the same instance: the write lock waits for both.
    const connect = safe.connect({ bootstrap: env().contacts }).then(() => order.push('connect'));
    await Promise.all([...reads, connect]);
    expect(order).toEqual(['read', 'read', 'connect']);
    expectBytes(await safe.filesGet(url, [5, 9]), data.subarray(5, 9), 'a read after the connect');
  }, 120_000);

  it(`builds a FilesContainer from a ${caps.localFiles ? 'local folder' : 'tree of bytes (a page has no local folders)'}: nested fetch and versions`, async () => {
    const { url, map } = await treeContainer(safe, host, env().dir);
    const parsed = SafeUrl.parse(url);
    expect(parsed).toMatchObject({ contentType: 'FilesContainer', dataType: 'Register', typeTag: 1100 });
    const v0 = parsed.contentVersion!;
    expect(v0).toBeTruthy();
    const base = unversioned(url);
    for (const [path, data] of TREE) {
      expect(map[`/${path}`]?.size, path).toBe(String(data.length));
      expect(map[`/${path}`]?.link, path).toMatch(/^safe:\/\//);
    }
    expect(map['/index.html']?.type).toBe('text/html');

    // The container, a folder in it, files at every depth, a path that is not there.
    const whole = container(await safe.fetch(base));
    expect(whole.version).toBe(v0);
    expect(Object.keys(whole.filesMap).sort()).toEqual(Object.keys(map).sort());
    const folder = container(await safe.fetch(`${base}/sub`));
    expect(Object.keys(folder.filesMap).length).toBeGreaterThan(0);
    expect(Object.keys(folder.filesMap).every((p) => p.startsWith('/sub/'))).toBe(true);
    for (const [path, data] of TREE) expectBytes(publicFile(await safe.fetch(`${base}/${path}`)).data, data, path);
    const page = publicFile(await safe.fetch(`${base}/index.html`));
    expect(page.metadata?.type).toBe('text/html');
    expect(page.resolvedFrom).toBe(`${base}/index.html`);
    expect((await failure(() => safe.fetch(`${base}/nope.txt`))).code).toBe('NotFound');

    // Versions: an add, a refused add, a forced one, each (but the refused) a new version.
    const [v1, added, map1] = await safe.filesContainerAddFromRaw(text('new'), `${base}/new.txt`);
    expect(v1).toBeTruthy();
    expect(v1).not.toBe(v0);
    expect(added['/new.txt']?.change).toBe('Added');
    expect(map1['/new.txt']).toBeDefined();
    const [none, refused] = await safe.filesContainerAddFromRaw(text('other'), `${base}/new.txt`);
    expect(none).toBeNull();
    expect(refused['/new.txt']?.change).toBe('Failed');
    const [v2, replaced] = await safe.filesContainerAddFromRaw(text('other'), `${base}/new.txt`, { force: true });
    expect(replaced['/new.txt']?.change).toBe('Updated');
    if (caps.localFiles) {
      mkdirSync(join(env().dir, `${name}-extra`));
      const extra = join(env().dir, `${name}-extra`, 'extra.md');
      writeFileSync(extra, '# extra');
      const [v3, addedFile, map3] = await safe.filesContainerAdd(extra, `${base}/sub/`);
      expect(v3).toBeTruthy();
      expect(Object.values(addedFile)[0]?.change).toBe('Added');
      expect(map3['/sub/extra.md']).toBeDefined();
    }

    // Older versions stay readable by ?v=.
    const [, old] = await safe.filesContainerGet(`${base}?v=${v0}`);
    expect(old['/new.txt']).toBeUndefined();
    expect(decoded(publicFile(await safe.fetch(`${base}/new.txt?v=${v1}`)).data)).toBe('new');
    expect(decoded(publicFile(await safe.fetch(`${base}/new.txt?v=${v2}`)).data)).toBe('other');
    expect((await failure(() => safe.fetch(`${base}/new.txt?v=${v0}`))).code).toBe('NotFound');

    if (caps.localFiles) {
      // Sync: a changed file, a deleted one, a new one.
      const src = join(env().dir, `${name}-site`);
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
      expect(decoded(publicFile(await safe.fetch(`${base}/a.txt`)).data)).toBe('alpha, changed');
    }

    // Removals: a file, then a folder and all under it.
    const [, removedFile, mapRemoved] = await safe.filesContainerRemovePath(`${base}/a.txt`);
    expect(removedFile['/a.txt']?.change).toBe('Removed');
    expect(mapRemoved['/a.txt']).toBeUndefined();
    const [latest, , mapLatest] = await safe.filesContainerRemovePath(`${base}/sub`, { recursive: true });
    expect(Object.keys(mapLatest).some((p) => p.startsWith('/sub'))).toBe(false);
    const [now] = await safe.filesContainerGet(base);
    expect(now).toBe(latest);
    record(env(), name, { container: { base, latest: latest!, v1: v1!, files: [['/index.html', TREE[0]![1]]] }, owned: { container: base } });
  }, 300_000);

  it('resolves NRS names and sub names through containers to files, with versions', async () => {
    const top = `${name}-site`;
    const c = await safe.filesContainerCreate();
    await safe.filesContainerAddFromRaw(text(`<h1>${name}</h1>`), `${c}/index.html`);
    const [v] = await safe.filesContainerAddFromRaw(text('{"b":1}'), `${c}/sub/b.json`);
    const site = `${c}?v=${v}`;

    expect(await safe.nrsCreate(top)).toMatch(/^safe:\/\//);
    const v1Url = await safe.nrsAssociate(top, site);
    expect(v1Url).toMatch(new RegExp(`^safe://${top}\\?v=`));
    expect(decoded(publicFile(await safe.fetch(`safe://${top}/index.html`)).data)).toBe(`<h1>${name}</h1>`);

    // A sub name to a file, added without creating the top name again.
    const fileUrl = await safe.storeBytes(text(`a post from ${name}`), 'text/plain');
    const [blogUrl, created] = await safe.nrsAdd(`blog.${top}`, fileUrl);
    expect(created).toBe(false);
    expect(blogUrl).toMatch(new RegExp(`^safe://blog\\.${top}\\?v=`));
    const post = publicFile(await safe.fetch(`safe://blog.${top}`));
    expect(decoded(post.data)).toBe(`a post from ${name}`);
    expect(post.mediaType).toBe('text/plain');

    // A sub name to a container, read at a nested path; inspect shows every step.
    await safe.nrsAssociate(`docs.${top}`, site);
    expect(decoded(publicFile(await safe.fetch(`safe://docs.${top}/sub/b.json`)).data)).toBe('{"b":1}');
    const chain = await safe.inspect(`safe://${top}/sub/b.json`);
    expect(chain.map((s) => s.type)).toEqual(['NrsEntry', 'FilesContainer', 'PublicFile']);
    const [entry, , last] = chain;
    expect(entry).toMatchObject({ type: 'NrsEntry', publicName: top, resolvesInto: site });
    expect(publicFile(last!).data.length).toBe(0);
    expect(publicFile(last!).size).toBe(7);

    // The map now and at its first version; a removed name, still there in the old version.
    const [link, nrsMap] = await safe.nrsGet(top);
    expect(link).toBe(site);
    expect(Object.keys(nrsMap).sort()).toEqual([`blog.${top}`, `docs.${top}`, top].sort());
    const [, firstMap] = await safe.nrsGet(top, SafeUrl.parse(v1Url).contentVersion);
    expect(Object.keys(firstMap)).toEqual([top]);
    // The same maps through nrsGetSubnamesMap, by a sub name without a link of its own.
    expect(await safe.nrsGetSubnamesMap(`nolink.${top}`)).toEqual(nrsMap);
    expect(await safe.nrsGetSubnamesMap(top, SafeUrl.parse(v1Url).contentVersion)).toEqual(firstMap);
    expect(await safe.nrsRemove(`blog.${top}`)).toMatch(new RegExp(`^safe://blog\\.${top}\\?v=`));
    expect((await failure(() => safe.fetch(`safe://blog.${top}`))).code).toBe('NotFound');
    const blogAt = `safe://blog.${top}?v=${SafeUrl.parse(blogUrl).contentVersion}`;
    expect(decoded(publicFile(await safe.fetch(blogAt)).data)).toBe(`a post from ${name}`);

    // nrsAdd creates a top name when there is none.
    const [freshUrl, createdTop] = await safe.nrsAdd(`${name}-fresh`, fileUrl);
    expect(createdTop).toBe(true);
    expect(freshUrl).toMatch(new RegExp(`^safe://${name}-fresh\\?v=`));
    record(env(), name, { nrs: { top, index: text(`<h1>${name}</h1>`), blogAt, blog: text(`a post from ${name}`) } });
  }, 180_000);

  it('merges concurrent register writes, and reads entries by hash', async () => {
    const reg = await safe.registerCreate(null, 30_000);
    const root = await safe.registerWrite(reg, text('root'));
    expect((await safe.registerRead(reg)).map((e) => [e.hash, decoded(e.entry)])).toEqual([[root, 'root']]);

    // Another instance signing with the owner's key: two writers on the same entry at once.
    const twin = await host.open();
    try {
      await twin.connect({ bootstrap: env().contacts });
      const owner = await safe.getKeypair();
      await twin.setKeypair(owner);
      expect(await twin.getKeypair()).toEqual(owner);
      const [left, right] = await Promise.all([safe.registerWrite(reg, text('left'), [root]), twin.registerWrite(reg, text('right'), [root])]);
      const heads = await safe.registerRead(reg);
      expect(heads.map((e) => e.hash).sort()).toEqual([left, right].sort());
      expect(heads.map((e) => decoded(e.entry)).sort()).toEqual(['left', 'right']);
      expect(decoded(await twin.registerReadEntry(reg, root))).toBe('root');
      // A write on top of both (the default parents: the current entries) merges them.
      const merged = await twin.registerWrite(reg, text('merged'));
      expect((await safe.registerRead(reg)).map((e) => e.hash)).toEqual([merged]);
      const data = await safe.fetch(reg);
      expect(data).toMatchObject({ type: 'Register', xorurl: reg, typeTag: 30_000 });
      if (data.type === 'Register') expect(data.entries.map((e) => [e.hash, decoded(e.entry)])).toEqual([[merged, 'merged']]);
      record(env(), name, { register: { url: reg, heads: [merged], entry: 'merged' } });
    } finally {
      await twin.close();
    }

    // A register at a chosen name, with a content type.
    const chosen = Buffer.from(noise(32)).toString('hex');
    const named = await safe.registerCreate(chosen, 30_001, 'text/plain');
    expect(SafeUrl.parse(named)).toMatchObject({ xorname: chosen, typeTag: 30_001, dataType: 'Register' });
    expect(await safe.registerRead(named)).toEqual([]);
  }, 120_000);

  it('inserts, replaces, reads by key and hash, and removes multimap entries', async () => {
    const url = await safe.multimapCreate(null, 20_000);
    const h1 = await safe.multimapInsert(url, [text('colour'), text('red')]);
    const h2 = await safe.multimapInsert(url, [text('size'), text('large')]);
    expect((await safe.multimapGetByKey(url, text('colour'))).map((e) => decoded(e.value))).toEqual(['red']);
    const h3 = await safe.multimapInsert(url, [text('colour'), text('blue')], [h1]);
    expect((await safe.multimapGetByKey(url, text('colour'))).map((e) => [e.hash, decoded(e.value)])).toEqual([[h3, 'blue']]);
    const byHash = await safe.multimapGetByHash(url, h2);
    expect([byHash.hash, decoded(byHash.key), decoded(byHash.value)]).toEqual([h2, 'size', 'large']);
    expect(await safe.multimapRemove(url, [h2])).toMatch(/^[0-9a-f]{64}$/);
    expect(await safe.multimapGetByKey(url, text('size'))).toEqual([]);
    const data = await safe.fetch(url);
    expect(data).toMatchObject({ type: 'Multimap', xorurl: url, typeTag: 20_000 });
    if (data.type === 'Multimap') expect(data.entries.map((e) => e.hash)).toEqual([h3]);
    record(env(), name, { multimap: { url, hash: h3, key: 'colour', value: 'blue' } });
  }, 120_000);

  it('preloads test coins, pays from one key to another, and refuses to overspend', async () => {
    const fresh = await safe.newKeypair();
    expect(fresh.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh).not.toEqual(await safe.getKeypair());

    const [aliceUrl, alice] = await safe.keysCreatePreloadTestCoins('9');
    expect(await safe.keysBalance(alice.secretKey)).toBe('9');
    const [bobUrl, bob] = await safe.keysCreateAndPreload('2.5', alice.secretKey);
    expect(bobUrl).not.toBe(aliceUrl);
    expect(await safe.keysBalance(alice.secretKey)).toBe('6.5');
    const id = await safe.keysTransfer('0.5', bob.secretKey, aliceUrl);
    expect(typeof id).toBe('string');
    expect(id.length).toBeGreaterThan(0);
    expect(await safe.keysBalance(alice.secretKey)).toBe('7');
    expect(await safe.keysBalance(bob.secretKey)).toBe('2');
    expect((await failure(() => safe.keysTransfer('2.000000001', bob.secretKey, aliceUrl))).code).toBe('InsufficientBalance');
    expect(await safe.keysBalance(bob.secretKey)).toBe('2');
    const [, carol] = await safe.keysCreateAndPreload('1');
    expect(await safe.keysBalance(carol.secretKey)).toBe('1');
    expect(await safe.fetch(aliceUrl)).toMatchObject({ type: 'SafeKey', xorurl: aliceUrl, resolvedFrom: aliceUrl });
    record(env(), name, { coins: { url: aliceUrl, keypair: alice, balance: '7' } });
  }, 120_000);

  it('rejects bad input with the same error code as every other host', async () => {
    const contacts = env().contacts;
    const file = await safe.storeBytes(pattern(10, 3));
    const c = await safe.filesContainerCreate();
    const [cv] = await safe.filesContainerAddFromRaw(text('x'), `${c}/sub/x.txt`);
    const foreign = await safe.filesContainerCreate();
    const [otherVersion] = await safe.filesContainerAddFromRaw(text('y'), `${foreign}/y.txt`);
    const reg = await safe.registerCreate(null, 31_000);
    await safe.registerWrite(reg, text('mine'));
    const mm = await safe.multimapCreate(null, 21_000);
    const top = `${name}-owned`;
    await safe.nrsCreate(top);
    const [richUrl] = await safe.keysCreatePreloadTestCoins('1');
    const [, poor] = await safe.keysCreatePreloadTestCoins('1');
    const absentFile = SafeUrl.encode({ xorname: Buffer.from(noise(32)).toString('hex'), contentType: 'Raw', dataType: 'File' });
    const hash = 'ab'.repeat(32);

    // Instances for what is about the instance: not connected, unreachable contacts, closed.
    const [unconnected, unreachable, noContacts, closed] = await Promise.all([host.open(), host.open(), host.open(), host.open()]);
    await closed.connect({ bootstrap: contacts });
    await closed.close();
    const dead = await deadPort();
    // Started first: a contact that never answers takes the 5 s handshake limit.
    const slow = codeOf(() => unreachable.connect({ bootstrap: [`127.0.0.1:${dead}`] }));

    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['fetch of another scheme', () => safe.fetch('http://example.com'), 'InvalidUrl'],
      ['fetch of safe:// alone', () => safe.fetch('safe://'), 'InvalidUrl'],
      ['fetch of an empty label', () => safe.fetch('safe://a..b'), 'InvalidUrl'],
      ['fetch with a space', () => safe.fetch('safe://has space'), 'InvalidUrl'],
      ['fetch with // in the path', () => safe.fetch('safe://x/a//b'), 'InvalidUrl'],
      ['filesGet of not a URL', () => safe.filesGet('not a url'), 'InvalidUrl'],
      ['checkReplicas of not a URL', () => safe.checkReplicas('not a url'), 'InvalidUrl'],
      ['filesContainerGet of a bad URL', () => safe.filesContainerGet('safe://a..b'), 'InvalidUrl'],
      ['registerRead of a bad URL', () => safe.registerRead('safe://a..b'), 'InvalidUrl'],
      ['nrsAssociate of a bad name', () => safe.nrsAssociate('bad..name', file), 'InvalidUrl'],
      ['nrsCreate of a bad name', () => safe.nrsCreate('has space'), 'InvalidUrl'],
      ['keysTransfer to a bad URL', () => safe.keysTransfer('0.1', poor.secretKey, 'http://x'), 'InvalidUrl'],

      ['checkReplicas of a container, not a file', () => safe.checkReplicas(`${c}?v=${cv}`), 'InvalidArgument'],
      ['a range that ends before it starts', () => safe.filesGet(file, [5, 2]), 'InvalidArgument'],
      ['a range past the end', () => safe.filesGet(file, [11]), 'InvalidArgument'],
      ['an unknown media type', () => safe.storeBytes(text('abc'), 'text/unknown'), 'InvalidArgument'],
      ['a folder removed without recursive', () => safe.filesContainerRemovePath(`${c}/sub`), 'InvalidArgument'],
      ['a name linked to an unversioned container', () => safe.nrsAssociate(top, c), 'InvalidArgument'],
      ['a register name that is not 64 hex', () => safe.registerCreate('abc', 1), 'InvalidArgument'],
      ['a secret key that is not 64 hex', () => safe.keysBalance('not a key'), 'InvalidArgument'],
      ['an amount with 10 decimals', () => safe.keysTransfer('0.0000000001', poor.secretKey, richUrl), 'InvalidArgument'],
      ['an amount that is not a number', () => safe.keysCreatePreloadTestCoins('lots'), 'InvalidArgument'],
      ['a bootstrap contact without a port', () => unconnected.connect({ bootstrap: ['no-port'] }), 'InvalidArgument'],
      ['a multimap removal of no entries', () => safe.multimapRemove(mm, []), 'InvalidArgument'],
      ['a register parent that is not a hash', () => safe.registerWrite(reg, text('x'), ['not a hash']), 'InvalidArgument'],
      ['a register entry hash that is not a hash', () => safe.registerReadEntry(reg, 'xyz'), 'InvalidArgument'],
      ['a multimap entry hash that is not a hash', () => safe.multimapGetByHash(mm, 'xyz'), 'InvalidArgument'],
      ['a key pair that is not 64 hex', () => unconnected.setKeypair('not a key'), 'InvalidArgument'],
      ['a paying key that is not 64 hex', () => safe.keysCreateAndPreload('1', 'not a key'), 'InvalidArgument'],

      ['fetch of a file nobody stored', () => safe.fetch(absentFile), 'NotFound'],
      ['filesGet of a file nobody stored', () => safe.filesGet(absentFile), 'NotFound'],
      ['checkReplicas of a file nobody stored', () => safe.checkReplicas(absentFile), 'NotFound'],
      ['checkReplicas of a path not in the container', () => safe.checkReplicas(`${c}/nope.txt`), 'NotFound'],
      ['fetch of a name nobody registered', () => safe.fetch('safe://never-registered'), 'NotFound'],
      ['fetch of a path not in the container', () => safe.fetch(`${c}/nope.txt`), 'NotFound'],
      ["a container read at another's version", () => safe.filesContainerGet(`${c}?v=${otherVersion}`), 'NotFound'],
      ['removal of a path not in the container', () => safe.filesContainerRemovePath(`${c}/not-there`), 'NotFound'],
      ['nrsAssociate under a top name nobody made', () => safe.nrsAssociate('nobody-made-this', file), 'NotFound'],
      ['a multimap entry nobody wrote', () => safe.multimapGetByHash(mm, hash), 'NotFound'],
      ['a register entry nobody wrote', () => safe.registerReadEntry(reg, hash), 'NotFound'],

      ["a write to another key's container", () => other.filesContainerAddFromRaw(text('y'), `${c}/y.txt`), 'NotOwner'],
      ["a write to another key's register", () => other.registerWrite(reg, text('forged')), 'NotOwner'],
      ["an insert into another key's multimap", () => other.multimapInsert(mm, [text('k'), text('v')]), 'NotOwner'],
      ["a link under another key's top name", () => other.nrsAssociate(top, file), 'NotOwner'],
      ["a sub name under another key's top name", () => other.nrsAssociate(`sub.${top}`, file), 'NotOwner'],

      ['a top name that exists', () => safe.nrsCreate(top), 'Conflict'],
      ['a transfer over the balance', () => safe.keysTransfer('1.5', poor.secretKey, richUrl), 'InsufficientBalance'],

      ['a store before connect', () => unconnected.storeBytes(text('abc')), 'NotConnected'],
      ['a fetch before connect', () => unconnected.fetch(file), 'NotConnected'],
      ['a fetch after close', () => closed.fetch(file), 'Closed'],
      ['a store after close', () => closed.storeBytes(text('abc')), 'Closed'],
    ];
    if (caps.localFiles) {
      const missing = join(env().dir, `${name}-does-not-exist`);
      // An empty folder: should a host sync it anyway, the container loses nothing that matters.
      const empty = join(env().dir, `${name}-empty`);
      mkdirSync(empty);
      cases.push(
        ['storeFile of a missing file', () => safe.storeFile(missing), 'InvalidArgument'],
        ['a container from a missing folder', () => safe.filesContainerCreateFrom(`${missing}/`), 'InvalidArgument'],
        ['a sync with delete but not recursive', () => safe.filesContainerSync(empty, c, { delete: true, recursive: false }), 'InvalidArgument'],
      );
    }
    if (caps.contactsFile) {
      // The suite runs with an empty $SAFE_HOME: no contacts file.
      cases.push(['connect without bootstrap or contacts file', () => noContacts.connect(), 'NoContacts']);
    }

    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [label, call, code] of cases) {
      got[label] = await codeOf(call);
      want[label] = code;
    }
    got['connect to a contact that never answers'] = await slow;
    want['connect to a contact that never answers'] = 'Network';
    expect(got).toEqual(want);

    // None of that harmed the instances: they still work.
    expect(cv).toBeTruthy();
    expect(publicFile(await safe.fetch(file)).size).toBe(10);
    await unreachable.connect({ bootstrap: contacts });
    expect((await unreachable.filesGet(file, [2, 5])).length).toBe(3);
    await Promise.all([unconnected, unreachable, noContacts].map((s) => s.close()));
  }, 180_000);
}

/** The cases that take every host at once: run after every host's own cases. */
export function crossHostSuite(env: () => SuiteEnv): void {
  const safes = new Map<HostName, HostSafe>();

  beforeAll(async () => {
    await Promise.all(
      HOST_NAMES.map(async (name) => {
        const safe = await env().host(name).open();
        await safe.connect({ bootstrap: env().contacts });
        safes.set(name, safe);
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...safes.values()].map((s) => s.close()));
  });

  const pairs = (): Array<[HostName, HostName]> => HOST_NAMES.flatMap((reader) => HOST_NAMES.filter((w) => w !== reader).map((writer): [HostName, HostName] => [reader, writer]));

  it('every host reads the files every other host stored, whole and across chunk boundaries', async () => {
    for (const [reader, writer] of pairs()) {
      const safe = safes.get(reader)!;
      for (const { size, url, data } of storedBy(env(), writer, 'files')) {
        expectBytes(await safe.filesGet(url), data, `${reader} reading ${writer}'s ${size} bytes`);
        if (size === 9 * MiB) {
          expectBytes(await safe.filesGet(url, [PIECE - 10, PIECE + 10]), data.subarray(PIECE - 10, PIECE + 10), `${reader} reading a range of ${writer}'s`);
          expectBytes(await safe.filesGet(url, [8 * PIECE + 3]), data.subarray(8 * PIECE + 3), `${reader} reading the tail of ${writer}'s`);
        }
      }
    }
  }, 600_000);

  it("every host reads every other host's containers and their versions, NRS names, registers, multimaps and balances", async () => {
    for (const [reader, writer] of pairs()) {
      const safe = safes.get(reader)!;
      const who = `${reader} reading ${writer}'s`;
      const c = storedBy(env(), writer, 'container');
      const [latest] = await safe.filesContainerGet(c.base);
      expect(latest, `${who} container`).toBe(c.latest);
      for (const [path, data] of c.files) expectBytes(publicFile(await safe.fetch(`${c.base}${path}`)).data, data, `${who} ${path}`);
      expect(decoded(publicFile(await safe.fetch(`${c.base}/new.txt?v=${c.v1}`)).data), `${who} container at an old version`).toBe('new');

      const n = storedBy(env(), writer, 'nrs');
      expectBytes(publicFile(await safe.fetch(`safe://${n.top}/index.html`)).data, n.index, `${who} NRS name`);
      expectBytes(publicFile(await safe.fetch(n.blogAt)).data, n.blog, `${who} removed sub name at its old version`);

      const r = storedBy(env(), writer, 'register');
      const entries = await safe.registerRead(r.url);
      expect(entries.map((e) => [e.hash, decoded(e.entry)]), `${who} register`).toEqual(r.heads.map((h) => [h, r.entry]));

      const m = storedBy(env(), writer, 'multimap');
      const values = await safe.multimapGetByKey(m.url, text(m.key));
      expect(values.map((e) => [e.hash, decoded(e.value)]), `${who} multimap`).toEqual([[m.hash, m.value]]);

      const k = storedBy(env(), writer, 'coins');
      expect(await safe.keysBalance(k.keypair.secretKey), `${who} balance`).toBe(k.balance);
    }
  }, 300_000);

  it('merges a register written at once from every host with the same key', async () => {
    const [first] = HOST_NAMES;
    const owner = safes.get(first)!;
    const url = await owner.registerCreate(null, 32_000);
    const root = await owner.registerWrite(url, text('root'));
    const keypair = await owner.getKeypair();
    // An instance per host signing with the owner's key; all write on top of the root at once.
    const writers = await Promise.all(
      HOST_NAMES.map(async (name) => {
        const w = await env().host(name).open();
        await w.connect({ bootstrap: env().contacts });
        await w.setKeypair(keypair);
        return w;
      }),
    );
    try {
      const hashes = await Promise.all(writers.map((w, i) => w.registerWrite(url, text(`from ${HOST_NAMES[i]}`), [root])));
      expect(new Set(hashes).size).toBe(HOST_NAMES.length);
      for (const name of HOST_NAMES) {
        const heads = await safes.get(name)!.registerRead(url);
        expect(heads.map((e) => e.hash).sort(), `${name} sees every host's write`).toEqual([...hashes].sort());
        expect(heads.map((e) => decoded(e.entry)).sort()).toEqual(HOST_NAMES.map((n) => `from ${n}`).sort());
      }
      const merged = await writers.at(-1)!.registerWrite(url, text('merged'));
      for (const name of HOST_NAMES) expect((await safes.get(name)!.registerRead(url)).map((e) => e.hash), `${name} after the merge`).toEqual([merged]);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  }, 180_000);

  it("pays the next host's key from each host's, and no host can change what another host's key owns", async () => {
    // A ring: each host pays 1 coin from its key to the next host's; every balance stays 7.
    for (const [i, name] of HOST_NAMES.entries()) {
      const next = HOST_NAMES[(i + 1) % HOST_NAMES.length]!;
      await safes.get(name)!.keysTransfer('1', storedBy(env(), name, 'coins').keypair.secretKey, storedBy(env(), next, 'coins').url);
    }
    for (const reader of HOST_NAMES) {
      for (const name of HOST_NAMES) expect(await safes.get(reader)!.keysBalance(storedBy(env(), name, 'coins').keypair.secretKey), `${reader} reading ${name}'s balance`).toBe('7');
    }
    for (const [i, name] of HOST_NAMES.entries()) {
      const owner = HOST_NAMES[(i + 1) % HOST_NAMES.length]!;
      const target = storedBy(env(), owner, 'owned').container;
      const e = await failure(() => safes.get(name)!.filesContainerAddFromRaw(text('intruder'), `${target}/intruder.txt`));
      expect(e.code, `${name} writing ${owner}'s container`).toBe('NotOwner');
      const r = storedBy(env(), owner, 'register');
      expect((await failure(() => safes.get(name)!.registerWrite(r.url, text('intruder')))).code, `${name} writing ${owner}'s register`).toBe('NotOwner');
    }
  }, 180_000);
}
