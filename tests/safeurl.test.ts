// SafeUrl against the shared vectors (tests/vectors/safeurl.json, also run by the Rust SafeUrl in
// crates/types/tests/vectors.rs), then seeded random round trips checked against encodings this
// file computes itself: the byte layout written out here, base64 from Buffer, base32/base32z from
// a BigInt conversion unrelated to the implementation's bit buffer.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { SafeError, SafeUrl, type DataType, type XorUrlBase } from '../dist/index.js';

interface Expect {
  isNrs: boolean;
  encodingVersion: number;
  contentType: string;
  dataType: string;
  typeTag: number | string;
  xorname: string;
  publicName: string;
  topName: string;
  subNames: string[];
  path: string;
  pathDecoded: string | null;
  queryString: string;
  query: [string, string][];
  fragment: string;
  contentVersion: string | null;
  toString: string;
  toXorUrl: Record<XorUrlBase, string>;
}

interface Vector {
  name: string;
  kind: 'parse' | 'parseXorUrl' | 'encode' | 'edit' | 'mediaType';
  url?: string;
  encode?: Record<string, unknown>;
  op?: 'contentVersion' | 'subNames' | 'path';
  arg?: unknown;
  expect?: Expect | string;
  error?: { code: string; message: string };
  ambiguousIn?: XorUrlBase[];
  /** `mediaType`: the MIME type and its code (`0x5000`). */
  mediaType?: string;
  code?: string;
  derivation: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(new URL('./vectors/safeurl.json', import.meta.url), 'utf8'));
/** The media-type table both SafeUrls are generated from: `[code, MIME type]` per line. */
const mediaTypes: [string, string][] = readFileSync(new URL('../crates/types/media-types.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split(/\s+/) as [string, string]);
const BASES: XorUrlBase[] = ['base32z', 'base32', 'base64'];

/** A type tag as the vectors write it: a number, or a decimal string beyond 2^53 (a bigint). */
const tagOf = (t: unknown): number | bigint => (typeof t === 'string' ? BigInt(t) : (t as number));

/** Runs `f`, which must throw a SafeError with `code` whose message says `fragment`. */
function expectSafeError(f: () => unknown, code: string, fragment: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'throws').toBeInstanceOf(SafeError);
  const e = thrown as SafeError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(fragment);
}

const addressOf = (u: SafeUrl) => [u.xorname, u.typeTag, u.contentType, u.dataType];

function checkFields(u: SafeUrl, want: Expect, ambiguous: XorUrlBase[]): void {
  expect(u.isNrs).toBe(want.isNrs);
  expect(u.encodingVersion).toBe(want.encodingVersion);
  expect(u.contentType).toBe(want.contentType);
  expect(u.dataType).toBe(want.dataType);
  // A number when safe, else a bigint: toBe checks the type too.
  expect(u.typeTag).toBe(tagOf(want.typeTag));
  expect(u.xorname).toBe(want.xorname);
  expect(u.publicName).toBe(want.publicName);
  expect(u.topName).toBe(want.topName);
  expect(u.subNames).toEqual(want.subNames);
  expect(u.path).toBe(want.path);
  if (want.pathDecoded === null) {
    expectSafeError(() => u.pathDecoded(), 'InvalidUrl', 'not UTF-8');
  } else {
    expect(u.pathDecoded()).toBe(want.pathDecoded);
  }
  expect(u.queryString).toBe(want.queryString);
  expect(u.query).toEqual(want.query);
  expect(u.fragment).toBe(want.fragment);
  expect(u.contentVersion).toBe(want.contentVersion);
  expect(u.toString()).toBe(want.toString);
  expect(String(u)).toBe(want.toString);
  expect(JSON.stringify({ u })).toBe(JSON.stringify({ u: want.toString }));
  for (const base of BASES) {
    const xorurl = u.toXorUrl(base);
    expect(xorurl, base).toBe(want.toXorUrl[base]);
    if (!ambiguous.includes(base)) {
      const back = SafeUrl.parseXorUrl(xorurl);
      expect(addressOf(back), `toXorUrl(${base}) reads back`).toEqual(addressOf(u));
    }
  }
  expect(u.toXorUrl()).toBe(want.toXorUrl.base32z);
  const again = SafeUrl.parse(u.toString());
  expect(again.toString()).toBe(u.toString());
  expect(addressOf(again)).toEqual(addressOf(u));
  const bare = u.subNames.length === 0 && u.path === '' && u.queryString === '' && u.fragment === '';
  if (bare) {
    for (const base of BASES) {
      const args = { xorname: u.xorname, typeTag: u.typeTag, contentType: u.contentType, dataType: u.dataType, base };
      expect(SafeUrl.encode(args), `encode(${base})`).toBe(u.toXorUrl(base));
    }
  }
}

function runParse(v: Vector): void {
  const parse = v.kind === 'parseXorUrl' ? SafeUrl.parseXorUrl : SafeUrl.parse;
  if (v.error) {
    expectSafeError(() => parse(v.url!), v.error.code, v.error.message);
    return;
  }
  const u = parse(v.url!);
  checkFields(u, v.expect as Expect, v.ambiguousIn ?? []);
  if (u.isNrs) {
    expectSafeError(() => SafeUrl.parseXorUrl(v.url!), 'InvalidUrl', '36 to 44 bytes');
  } else {
    expect(SafeUrl.parseXorUrl(v.url!).toString()).toBe(u.toString());
  }
}

function runEncode(v: Vector): void {
  const args = { ...v.encode } as Record<string, unknown>;
  if (args.typeTag !== undefined) args.typeTag = tagOf(args.typeTag);
  const encode = () => SafeUrl.encode(args as unknown as Parameters<typeof SafeUrl.encode>[0]);
  if (v.error) {
    expectSafeError(encode, v.error.code, v.error.message);
  } else {
    expect(encode()).toBe(v.expect);
  }
}

function runEdit(v: Vector): void {
  const u = SafeUrl.parse(v.url!);
  const edit = (): SafeUrl => {
    switch (v.op) {
      case 'contentVersion':
        return u.withContentVersion(v.arg as string | null);
      case 'subNames':
        return u.withSubNames(v.arg as string[]);
      case 'path':
        return u.withPath(v.arg as string);
      default:
        throw new Error(`unknown op ${v.op}`);
    }
  };
  if (v.error) {
    expectSafeError(edit, v.error.code, v.error.message);
    return;
  }
  const after = edit();
  expect(after.toString()).toBe(v.expect);
  expect(SafeUrl.parse(v.expect as string).toString()).toBe(v.expect);
  expect(u.toString(), 'the original is unchanged').toBe(SafeUrl.parse(v.url!).toString());
  if (v.op === 'contentVersion') expect(after.contentVersion).toBe(v.arg);
}

/** A file at xorname 0 with the vector's media type: encodes to its URL and parses back. */
function runMediaType(v: Vector): void {
  expect(SafeUrl.encode({ xorname: '00'.repeat(32), contentType: v.mediaType!, dataType: 'File', base: 'base32z' })).toBe(v.url);
  const u = SafeUrl.parseXorUrl(v.url!);
  expect(u.contentType).toBe(v.mediaType);
  expect(u.dataType).toBe('File');
}

describe('SafeUrl vectors', () => {
  it('cover what they should', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
    for (const v of vectors) expect(v.derivation, v.name).not.toBe('');
  });

  it('cover every media type of the table, with its code', () => {
    const covered = vectors.filter((v) => v.kind === 'mediaType').map((v) => [v.code, v.mediaType]);
    expect(mediaTypes.length).toBeGreaterThan(0);
    expect(covered).toEqual(mediaTypes);
  });

  for (const v of vectors) {
    it(`${v.kind} ${v.name}`, () => {
      if (v.kind === 'parse' || v.kind === 'parseXorUrl') runParse(v);
      else if (v.kind === 'encode') runEncode(v);
      else if (v.kind === 'mediaType') runMediaType(v);
      else runEdit(v);
    });
  }
});

// ---------------------------------------------------------------- round trips

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Content types with their codes, written out from the format's table. */
const CONTENT_CODES: [string, number][] = [
  ['Raw', 0], ['Wallet', 1], ['FilesContainer', 2], ['NrsMapContainer', 3], ['Multimap', 4],
  ['application/x-abiword', 0x5000], ['application/json', 0x500d], ['application/rdf+xml', 0x5025],
  ['audio/aac', 0x8000], ['audio/mpeg', 0x8009], ['font/woff2', 0x9003], ['image/png', 0xa004],
  ['multipart/byteranges', 0xd000], ['text/html', 0xe002], ['text/plain', 0xe006], ['video/mp4', 0xf007],
];
const DATA_CODES: [DataType, number][] = [['SafeKey', 0], ['File', 1], ['Register', 2], ['Spentbook', 3]];
const PREFIX: Record<XorUrlBase, string> = { base32z: 'h', base32: 'b', base64: 'm' };

/** Base32 by arithmetic: the bytes as one big number, shifted to a whole number of digits. */
function refBase32(bytes: Uint8Array, alphabet: string): string {
  if (bytes.length === 0) return '';
  const bits = bytes.length * 8;
  const digits = Math.ceil(bits / 5);
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`) << BigInt(digits * 5 - bits);
  let out = '';
  for (let i = 0; i < digits; i++, n >>= 5n) out = alphabet[Number(n & 31n)] + out;
  return out;
}

function refName(bytes: Uint8Array, base: XorUrlBase): string {
  if (base === 'base64') return `m${Buffer.from(bytes).toString('base64').replace(/=+$/, '')}`;
  const alphabet = base === 'base32' ? 'abcdefghijklmnopqrstuvwxyz234567' : 'ybndrfg8ejkmcpqxot1uwisza345h769';
  return PREFIX[base] + refBase32(bytes, alphabet);
}

function tagBytes(tag: bigint): number[] {
  const out: number[] = [];
  for (let t = tag; t > 0n; t >>= 8n) out.unshift(Number(t & 0xffn));
  return out;
}

describe('SafeUrl round trips', () => {
  const seed = 20240611;

  it('the reference encoders agree with hand-derived names', () => {
    const zero = Uint8Array.from([1, 0, 0, 1, ...new Uint8Array(32)]);
    expect(refName(zero, 'base32z')).toBe(`hyryyyyey${'y'.repeat(50)}`);
    expect(refName(zero, 'base32')).toBe(`baeaaaaia${'a'.repeat(50)}`);
    expect(refName(zero, 'base64')).toBe(`mAQAAAQAA${'A'.repeat(40)}`);
  });

  it(`encode and parse random addresses in each base (seed ${seed})`, () => {
    const random = rng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    for (let i = 0; i < 600; i++) {
      const xorname = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
      // Tags of every byte length 0..8, and their edges.
      const bits = Math.floor(random() * 65);
      let tag = 0n;
      for (let b = 0; b < bits; b++) tag = (tag << 1n) | (random() < 0.5 ? 0n : 1n);
      if (bits > 0) tag |= 1n << BigInt(bits - 1);
      const [contentType, ctCode] = pick(CONTENT_CODES);
      const [dataType, dtCode] = pick(DATA_CODES);
      const layout = Uint8Array.from([1, ctCode >> 8, ctCode & 0xff, dtCode, ...xorname, ...tagBytes(tag)]);
      const typeTag = tag <= BigInt(Number.MAX_SAFE_INTEGER) && random() < 0.5 ? Number(tag) : tag;
      const hex = Buffer.from(xorname).toString('hex');
      const ctx = `case ${i}: ${hex} ${tag} ${contentType} ${dataType}`;
      for (const base of BASES) {
        const url = SafeUrl.encode({ xorname: random() < 0.5 ? hex : xorname, typeTag, contentType, dataType, base });
        expect(url, ctx).toBe(`safe://${refName(layout, base)}`);
        // A base64 name whose tag part holds '/' may also read as a shorter name and a path (see
        // the vector base64-ambiguous-tag-2-pow-53-minus-1); the others read back exactly.
        if (base === 'base64' && url.slice('safe://m'.length + 48).includes('/')) continue;
        const u = SafeUrl.parse(`${url}/p?x=1`);
        expect(u.isNrs, ctx).toBe(false);
        expect(u.xorname, ctx).toBe(hex);
        expect(u.typeTag, ctx).toBe(tag <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tag) : tag);
        expect([u.contentType, u.dataType, u.path, u.queryString], ctx).toEqual([contentType, dataType, '/p', 'x=1']);
        for (const other of BASES) expect(u.toXorUrl(other), ctx).toBe(`safe://${refName(layout, other)}/p?x=1`);
        expect(SafeUrl.parseXorUrl(url).toString(), ctx).toBe(url);
      }
    }
  });

  it(`parse random NRS names and read their XOR-URLs back (seed ${seed + 1})`, () => {
    const random = rng(seed + 1);
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 200; i++) {
      const label = () =>
        Array.from({ length: 1 + Math.floor(random() * 12) }, () => letters[Math.floor(random() * letters.length)]).join('');
      const top = `x${label()}`; // 'x' is no multibase prefix of a XOR-URL base
      const subs = Array.from({ length: Math.floor(random() * 3) }, label);
      const url = `safe://${[...subs, top].join('.')}/a/b%20c?k=v#f`;
      const u = SafeUrl.parse(url);
      const hash = createHash('sha3-256').update(top).digest();
      const fields = [u.isNrs, u.xorname, u.typeTag, u.contentType, u.dataType];
      expect(fields, url).toEqual([true, hash.toString('hex'), 1500, 'NrsMapContainer', 'Register']);
      expect(u.toString()).toBe(url);
      const layout = Uint8Array.from([1, 0, 3, 2, ...hash, 0x05, 0xdc]);
      for (const base of BASES) {
        const xorurl = u.toXorUrl(base);
        const host = [...subs, refName(layout, base)].join('.');
        expect(xorurl, url).toBe(`safe://${host}/a/b%20c?k=v#f`);
        const back = SafeUrl.parseXorUrl(xorurl);
        expect([back.xorname, back.typeTag, back.subNames, back.path], url).toEqual([u.xorname, 1500, subs, '/a/b%20c']);
      }
    }
  });

  it('checks its arguments, naming them', () => {
    expectSafeError(() => SafeUrl.parse(42 as unknown as string), 'InvalidArgument', 'url');
    const u = SafeUrl.parse('safe://site');
    expectSafeError(() => u.toXorUrl('base58' as XorUrlBase), 'InvalidArgument', 'base');
    expectSafeError(() => u.withPath(7 as unknown as string), 'InvalidArgument', 'path');
    expectSafeError(() => u.withSubNames('a' as unknown as string[]), 'InvalidArgument', 'subNames');
    expectSafeError(() => u.withContentVersion(5 as unknown as string), 'InvalidArgument', 'version');
    expectSafeError(() => SafeUrl.encode(null as never), 'InvalidArgument', 'options');
    expect(Object.isFrozen(u) && Object.isFrozen(u.subNames) && Object.isFrozen(u.query)).toBe(true);
  });
});
