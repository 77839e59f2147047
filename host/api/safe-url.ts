/**
 * `safe://` URLs, the format of sn_api 0.66-0.82: read, inspect and write XOR-URLs and NRS URLs
 * without a network or the wasm component.
 *
 * A URL is `safe://[sub names.]top name[/path][?query][#fragment]`. When the top name is the
 * multibase encoding (base32z `h`, base32 `b` or base64 `m`) of
 *
 *     [0x01 version][content type u16 BE][data type u8][xorname, 32 bytes][type tag]
 *
 * (the type tag as its big-endian bytes without leading zeros, 0 to 8 of them, so 36 to 44
 * bytes in all), the URL is a XOR-URL and names the data directly. Any other top name is an NRS
 * name: it names the NRS map register at SHA3-256 of the top name, type tag 1500. The query's
 * last `v` is the content version, a version hash (`h` + z-base-32 of a 32-byte register entry
 * hash).
 *
 * This mirrors the Rust `SafeUrl` of crates/types (src/url.rs) rule for rule: both run the same
 * vectors (tests/vectors/safeurl.json). It is synchronous and needs nothing but SHA3-256 (of NRS
 * names), from @noble/hashes, which runs the same in Node and in browsers.
 */
import { sha3_256 } from '@noble/hashes/sha3.js';

import { SafeError } from '../core/errors.js';
import { MEDIA_TYPES } from './media-types.js';
import type { XorUrlBase } from './types.js';

/** Which kind of network data a URL names. */
export type DataType = 'SafeKey' | 'File' | 'Register' | 'Spentbook';

/**
 * What the named data holds: one of the names below, or a MIME type the XOR-URL format has a
 * code for (such as `'text/html'`).
 */
export type ContentType = 'Raw' | 'Wallet' | 'FilesContainer' | 'NrsMapContainer' | 'Multimap' | (string & {});

/** Arguments of {@link SafeUrl.encode}. */
export interface SafeUrlEncodeOptions {
  /** The address: 64 hex characters (either case) or 32 bytes. */
  xorname: string | Uint8Array;
  /** 0 (the default) to 2^64-1; a bigint beyond `Number.MAX_SAFE_INTEGER`. */
  typeTag?: number | bigint;
  /** `'Raw'`, `'Wallet'`, `'FilesContainer'`, `'NrsMapContainer'`, `'Multimap'` or a known MIME type. */
  contentType: ContentType;
  dataType: DataType;
  /** `'base32z'` (the default), `'base32'` or `'base64'`. */
  base?: XorUrlBase;
}

const SCHEME = 'safe';
const ENCODING_VERSION = 1;
const XORNAME_LEN = 32;
const MIN_ENCODED_LEN = 4 + XORNAME_LEN;
const MAX_ENCODED_LEN = MIN_ENCODED_LEN + 8;
const NRS_MAP_TYPE_TAG = 1500n;
const MAX_TYPE_TAG = (1n << 64n) - 1n;
const VERSION_KEY = 'v';

const BASES: readonly XorUrlBase[] = ['base32z', 'base32', 'base64'];
const DATA_TYPES: readonly DataType[] = ['SafeKey', 'File', 'Register', 'Spentbook'];
/** Content types by code 0..4. */
const NAMED_CONTENT_TYPES = ['Raw', 'Wallet', 'FilesContainer', 'NrsMapContainer', 'Multimap'] as const;

/** MIME types by code (generated from crates/types/media-types.txt: see ./media-types.ts). */
const MEDIA_TYPE_BY_CODE: ReadonlyMap<number, string> = new Map(MEDIA_TYPES);
/** Codes by MIME type. */
const MEDIA_TYPE_CODES: ReadonlyMap<string, number> = new Map(MEDIA_TYPES.map(([code, type]) => [type, code]));

function contentTypeCode(contentType: string): number | undefined {
  const named = (NAMED_CONTENT_TYPES as readonly string[]).indexOf(contentType);
  return named >= 0 ? named : MEDIA_TYPE_CODES.get(contentType);
}

function contentTypeOf(code: number): ContentType | undefined {
  return code < NAMED_CONTENT_TYPES.length ? NAMED_CONTENT_TYPES[code] : MEDIA_TYPE_BY_CODE.get(code);
}

// ---------------------------------------------------------------- codecs

const BASE32Z = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PREFIX: Record<XorUrlBase, string> = { base32z: 'h', base32: 'b', base64: 'm' };
const ALPHABET: Record<XorUrlBase, string> = { base32z: BASE32Z, base32: BASE32, base64: BASE64 };
const BITS: Record<XorUrlBase, 5 | 6> = { base32z: 5, base32: 5, base64: 6 };

/** Bytes to characters of `bits` bits each, most significant first, the last zero-padded. */
function encodeBits(bytes: Uint8Array, alphabet: string, bits: 5 | 6): string {
  const mask = (1 << bits) - 1;
  let out = '';
  let acc = 0;
  let held = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    held += 8;
    while (held >= bits) {
      held -= bits;
      out += alphabet[(acc >> held) & mask];
    }
    acc &= (1 << held) - 1;
  }
  if (held > 0) out += alphabet[(acc << (bits - held)) & mask];
  return out;
}

/**
 * The inverse of {@link encodeBits}, as strictly as the Rust multibase crate decodes: every
 * character in the alphabet, no character that carries no whole byte, padding bits zero.
 */
function decodeBits(text: string, alphabet: string, bits: 5 | 6): Uint8Array | undefined {
  const out: number[] = [];
  let acc = 0;
  let held = 0;
  for (const ch of text) {
    const v = ch.length === 1 ? alphabet.indexOf(ch) : -1;
    if (v < 0) return undefined;
    acc = (acc << bits) | v;
    held += bits;
    if (held >= 8) {
      held -= 8;
      out.push((acc >> held) & 0xff);
    }
    acc &= (1 << held) - 1;
  }
  return held >= bits || acc !== 0 ? undefined : Uint8Array.from(out);
}

const lowerAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** A multibase name in one of the three XOR-URL bases; undefined for anything else. */
function decodeMultibase(name: string): Uint8Array | undefined {
  const body = name.slice(1);
  switch (name[0]) {
    case 'h':
      return decodeBits(body, BASE32Z, 5);
    case 'b': // RFC 4648 base32 is case-insensitive
      return decodeBits(lowerAscii(body), BASE32, 5);
    case 'm':
      return decodeBits(body, BASE64, 6);
    default:
      return undefined;
  }
}

const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF, as Rust's String::from_utf8(_lossy) does.
const utf8Lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function hexDigit(b: number | undefined): number | undefined {
  if (b === undefined) return undefined;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return undefined;
}

/** `%XX` to the byte XX (a `%` without two hex digits stays), `+` to a space when asked. */
function percentDecode(s: string, plusIsSpace: boolean): Uint8Array {
  const bytes = utf8.encode(s);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const hi = b === 0x25 ? hexDigit(bytes[i + 1]) : undefined;
    const lo = hi === undefined ? undefined : hexDigit(bytes[i + 2]);
    if (hi !== undefined && lo !== undefined) {
      out.push((hi << 4) | lo);
      i += 2;
    } else {
      out.push(b === 0x2b && plusIsSpace ? 0x20 : b);
    }
  }
  return Uint8Array.from(out);
}

/** The non-empty `&`-separated pieces of a query, as written. */
const queryPieces = (query: string): string[] => query.split('&').filter((p) => p !== '');

/** A query piece as a decoded (key, value) pair: form-urlencoded rules, lossy UTF-8. */
function decodePair(piece: string): [string, string] {
  const eq = piece.indexOf('=');
  const [key, value] = eq < 0 ? [piece, ''] : [piece.slice(0, eq), piece.slice(eq + 1)];
  return [utf8Lossy.decode(percentDecode(key, true)), utf8Lossy.decode(percentDecode(value, true))];
}

// ---------------------------------------------------------------- version hashes

const VERSION_HASH_ENCODING =
  "a version hash is written in base32z: 'h' then z-base-32 (alphabet ybndrfg8ejkmcpqxot1uwisza345h769) of 32 bytes";

/** Why `s` is not a version hash, or undefined when it is one. */
function versionHashError(s: string): string | undefined {
  const bytes = s.startsWith('h') ? decodeBits(s.slice(1), BASE32Z, 5) : undefined;
  if (bytes === undefined) return VERSION_HASH_ENCODING;
  if (bytes.length !== 32) return `a version hash is 32 bytes, this one decodes to ${bytes.length} bytes`;
  return undefined;
}

/** The content version of a query (its last `v`, checked): [version or null] or [null, why not]. */
function contentVersionOf(query: string): [string | null, string?] {
  const vs = queryPieces(query).map(decodePair).filter(([k]) => k === VERSION_KEY);
  const last = vs[vs.length - 1];
  if (last === undefined) return [null];
  const err = versionHashError(last[1]);
  return err === undefined ? [last[1]] : [null, `${VERSION_KEY}=${last[1]} is not a version hash: ${err}`];
}

// ---------------------------------------------------------------- parsing

/** Rust's `{c:?}` for the characters these messages show. */
function debugChar(c: string): string {
  const escapes: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n', '\0': '\\0', "'": "\\'", '\\': '\\\\' };
  if (escapes[c] !== undefined) return `'${escapes[c]}'`;
  const cp = c.codePointAt(0) ?? 0;
  if (cp === 0x20 || !/[\p{White_Space}\p{Cc}\p{Cs}]/u.test(c)) return `'${c}'`;
  return `'\\u{${cp.toString(16)}}'`;
}

const isSpaceOrControl = (c: string): boolean => /^[\p{White_Space}\p{Cc}]$/u.test(c);
const isNameChar = (c: string): boolean => !isSpaceOrControl(c) && !'/\\?#@:%[]<>"'.includes(c);

function checkComponent(s: string): string | undefined {
  for (const c of s) {
    if (isSpaceOrControl(c)) return `the character ${debugChar(c)} must be percent-encoded`;
  }
  for (let i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
    if (hexDigit(s.charCodeAt(i + 1)) === undefined || hexDigit(s.charCodeAt(i + 2)) === undefined) {
      return "'%' must be followed by two hex digits";
    }
  }
  return undefined;
}

function checkPath(path: string): string | undefined {
  if (path.includes('//')) return "'//' (an empty path segment) is not allowed";
  return checkComponent(path);
}

/** Why a label of a parsed host cannot be one, if it cannot. */
function labelError(label: string): string | undefined {
  if (label === '') return 'it has an empty label (two dots, or a dot at an end)';
  for (const c of label) {
    // A '/' can only be in the host when splitHost found a base64 XOR-URL there.
    if (!isNameChar(c) && c !== '/') return `the character ${debugChar(c)} is not allowed in a name`;
  }
  return undefined;
}

const invalidUrl = (message: string): SafeError => new SafeError('InvalidUrl', message);
const invalidArgument = (message: string): SafeError => new SafeError('InvalidArgument', message);

/** The address fields a XOR-URL name carries. */
interface Address {
  xorname: Uint8Array;
  typeTag: bigint;
  contentType: ContentType;
  dataType: DataType;
}

type Decoded = { address: Address } | { notXorUrl: true } | { invalid: string };

function decodeName(name: string): Decoded {
  const bytes = decodeMultibase(name);
  if (bytes === undefined || bytes.length < MIN_ENCODED_LEN || bytes.length > MAX_ENCODED_LEN) {
    return { notXorUrl: true };
  }
  if (bytes[0] !== ENCODING_VERSION) {
    return { invalid: `encoding version ${bytes[0]} is not supported (only ${ENCODING_VERSION})` };
  }
  const code = (bytes[1]! << 8) | bytes[2]!;
  const contentType = contentTypeOf(code);
  if (contentType === undefined) return { invalid: `unknown content type code 0x${code.toString(16).padStart(4, '0')}` };
  const dataType = DATA_TYPES[bytes[3]!];
  if (dataType === undefined) return { invalid: `unknown data type code ${bytes[3]}` };
  let typeTag = 0n;
  for (const b of bytes.subarray(MIN_ENCODED_LEN)) typeTag = (typeTag << 8n) | BigInt(b);
  return { address: { xorname: bytes.slice(4, MIN_ENCODED_LEN), typeTag, contentType, dataType } };
}

function encodeName(a: Address, base: XorUrlBase): string {
  const code = contentTypeCode(a.contentType);
  if (code === undefined) throw new SafeError('Internal', `content type ${a.contentType} has no code`);
  const tag: number[] = [];
  for (let t = a.typeTag; t > 0n; t >>= 8n) tag.unshift(Number(t & 0xffn));
  const bytes = Uint8Array.from([ENCODING_VERSION, code >> 8, code & 0xff, DATA_TYPES.indexOf(a.dataType), ...a.xorname, ...tag]);
  return PREFIX[base] + encodeBits(bytes, ALPHABET[base], BITS[base]);
}

/**
 * Splits `host[/path]` where the host ends: at the first `/`, except that a base64 XOR-URL name
 * may itself hold `/`. Such a name is a whole encoding of 36 to 44 bytes that decodes to a valid
 * XOR-URL and is followed by the end or a `/`; the shortest fit whose remaining path holds no
 * `//` wins (or, failing that, the shortest fit). Exactly the Rust rule: see `split_host`.
 */
function splitHost(s: string): [string, string] {
  const slash = s.indexOf('/');
  const plain = slash < 0 ? s.length : slash;
  const topStart = s.slice(0, plain).lastIndexOf('.') + 1;
  const top = s.slice(topStart, plain);
  if (plain < s.length && top.startsWith('m') && !('address' in decodeName(top))) {
    let firstFit: number | undefined;
    for (let bytes = MIN_ENCODED_LEN; bytes <= MAX_ENCODED_LEN; bytes++) {
      const end = topStart + 1 + Math.ceil((bytes * 4) / 3);
      if (end > s.length) break;
      const candidate = s.slice(topStart, end);
      const endsThere = end === s.length || s[end] === '/';
      if (endsThere && /^[A-Za-z0-9+/]*$/.test(candidate.slice(1)) && 'address' in decodeName(candidate)) {
        if (!s.slice(end).includes('//')) return [s.slice(0, end), s.slice(end)];
        firstFit ??= end;
      }
    }
    if (firstFit !== undefined) return [s.slice(0, firstFit), s.slice(firstFit)];
  }
  return [s.slice(0, plain), s.slice(plain)];
}

interface Parts {
  names: string[];
  path: string;
  query: string;
  fragment: string;
}

function splitParts(url: string): Parts {
  const sep = url.indexOf('://');
  if (sep < 0 || lowerAscii(url.slice(0, sep)) !== SCHEME) {
    throw invalidUrl(`'${url}' is not a safe:// URL: it must start with safe://`);
  }
  if (/\p{Cs}/u.test(url)) throw invalidUrl(`'${url}' is not a safe:// URL: it holds a lone UTF-16 surrogate`);
  const rest = url.slice(sep + 3);
  const hash = rest.indexOf('#');
  const [beforeFragment, fragment] = hash < 0 ? [rest, ''] : [rest.slice(0, hash), rest.slice(hash + 1)];
  const q = beforeFragment.indexOf('?');
  const [beforeQuery, query] = q < 0 ? [beforeFragment, ''] : [beforeFragment.slice(0, q), beforeFragment.slice(q + 1)];
  const [host, path] = splitHost(beforeQuery);
  if (host === '') throw invalidUrl(`invalid name in '${url}': the name is empty`);
  const names = host.split('.');
  for (const label of names) {
    const err = labelError(label);
    if (err !== undefined) throw invalidUrl(`invalid name in '${url}': ${err}`);
  }
  for (const [part, err] of [
    ['path', checkPath(path)],
    ['query', checkComponent(query)],
    ['fragment', checkComponent(fragment)],
  ] as const) {
    if (err !== undefined) throw invalidUrl(`invalid ${part} in '${url}': ${err}`);
  }
  return { names, path, query, fragment };
}

// ---------------------------------------------------------------- the class

interface Fields extends Address {
  isNrs: boolean;
  topName: string;
  subNames: readonly string[];
  path: string;
  queryString: string;
  fragment: string;
  contentVersion: string | null;
}

/**
 * A parsed `safe://` URL: a XOR-URL or an NRS URL. Immutable; the `with...` methods return
 * changed copies. Invalid input throws a `SafeError`: `InvalidUrl` for a URL, `InvalidArgument`
 * for other arguments.
 *
 * @example
 * const url = SafeUrl.parse('safe://blog.mysite/posts/1?lang=en#top');
 * url.isNrs;          // true: 'mysite' is an NRS name
 * url.subNames;       // ['blog']
 * url.typeTag;        // 1500, the NRS map register of 'mysite'
 * url.toXorUrl();     // 'safe://blog.hyryyg.../posts/1?lang=en#top'
 */
export class SafeUrl {
  /** XOR-URL encoding version: always 1. */
  readonly encodingVersion = 1;
  /** Whether the top name is an NRS name rather than an encoded address. */
  readonly isNrs: boolean;
  /** What the named data holds; NrsMapContainer for an NRS URL. */
  readonly contentType: ContentType;
  /** Which kind of network data is named; Register for an NRS URL. */
  readonly dataType: DataType;
  /** The type tag: a number when it is a safe integer, else a bigint. 1500 for an NRS URL. */
  readonly typeTag: number | bigint;
  /** The address, 64 lower-case hex characters. For an NRS URL: SHA3-256 of the top name. */
  readonly xorname: string;
  /** The last label of the host: `name` in `safe://a.b.name`, as written. */
  readonly topName: string;
  /** The labels before the top name: `['a', 'b']` in `safe://a.b.name`. */
  readonly subNames: readonly string[];
  /** The path as written (percent-encoded): empty or starting with `/`. */
  readonly path: string;
  /** The query as written, without `?`. */
  readonly queryString: string;
  /** The query's pairs in order, decoded (form-urlencoded: `+` is a space; `&&` skipped). */
  readonly query: readonly (readonly [string, string])[];
  /** The fragment as written, without `#`. */
  readonly fragment: string;
  /** The content version: the query's last `v`, a version hash; null without one. */
  readonly contentVersion: string | null;
  readonly #address: Address;

  private constructor(f: Fields) {
    this.#address = { xorname: f.xorname, typeTag: f.typeTag, contentType: f.contentType, dataType: f.dataType };
    this.isNrs = f.isNrs;
    this.contentType = f.contentType;
    this.dataType = f.dataType;
    this.typeTag = f.typeTag <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(f.typeTag) : f.typeTag;
    this.xorname = toHex(f.xorname);
    this.topName = f.topName;
    this.subNames = Object.freeze([...f.subNames]);
    this.path = f.path;
    this.queryString = f.queryString;
    this.query = Object.freeze(queryPieces(f.queryString).map((p) => Object.freeze(decodePair(p))));
    this.fragment = f.fragment;
    this.contentVersion = f.contentVersion;
    Object.freeze(this);
  }

  /**
   * Parses a XOR-URL or an NRS URL. A host that is no valid XOR-URL is an NRS name, but a name
   * that decodes to 36-44 bytes with a bad version, content type or data type is an error.
   *
   * @example
   * SafeUrl.parse('safe://hyryyyyey...').dataType  // 'File'
   */
  static parse(url: string): SafeUrl {
    return SafeUrl.#parse(url, false);
  }

  /**
   * Parses a URL that must be a XOR-URL: an NRS name is an `InvalidUrl` error.
   *
   * @example
   * SafeUrl.parseXorUrl('safe://mysite')  // throws SafeError InvalidUrl
   */
  static parseXorUrl(url: string): SafeUrl {
    return SafeUrl.#parse(url, true);
  }

  static #parse(url: string, xorOnly: boolean): SafeUrl {
    if (typeof url !== 'string') throw invalidArgument(`url must be a string, got ${typeof url}`);
    const parts = splitParts(url);
    const topName = parts.names[parts.names.length - 1]!;
    const decoded = decodeName(topName);
    let address: Address;
    if ('address' in decoded) {
      address = decoded.address;
    } else if ('invalid' in decoded) {
      throw invalidUrl(`invalid XOR-URL '${topName}': ${decoded.invalid}`);
    } else if (xorOnly) {
      throw invalidUrl(
        `invalid XOR-URL '${topName}': it is not the multibase (base32z, base32 or base64) encoding of 36 to 44 bytes`,
      );
    } else {
      address = {
        xorname: sha3_256(utf8.encode(topName)),
        typeTag: NRS_MAP_TYPE_TAG,
        contentType: 'NrsMapContainer',
        dataType: 'Register',
      };
    }
    const [contentVersion, versionError] = contentVersionOf(parts.query);
    if (versionError !== undefined) throw invalidUrl(`invalid query in '${url}': ${versionError}`);
    return new SafeUrl({
      ...address,
      isNrs: !('address' in decoded),
      topName,
      subNames: parts.names.slice(0, -1),
      path: parts.path,
      queryString: parts.query,
      fragment: parts.fragment,
      contentVersion,
    });
  }

  /**
   * The XOR-URL of the data at an address.
   *
   * @example
   * SafeUrl.encode({ xorname: '00'.repeat(32), contentType: 'text/html', dataType: 'File' })
   * // 'safe://hy8oyryey...'
   */
  static encode(options: SafeUrlEncodeOptions): string {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
    const { xorname, typeTag = 0, contentType, dataType, base = 'base32z' } = options;
    let bytes: Uint8Array;
    if (typeof xorname === 'string' && /^[0-9a-fA-F]{64}$/.test(xorname)) {
      bytes = Uint8Array.from(xorname.match(/../g)!, (h) => parseInt(h, 16));
    } else if (xorname instanceof Uint8Array && xorname.length === XORNAME_LEN) {
      bytes = Uint8Array.from(xorname);
    } else {
      throw invalidArgument(`xorname must be 64 hex characters or 32 bytes, got ${describe(xorname)}`);
    }
    let tag: bigint;
    if (typeof typeTag === 'bigint' && typeTag >= 0n && typeTag <= MAX_TYPE_TAG) {
      tag = typeTag;
    } else if (typeof typeTag === 'number' && Number.isSafeInteger(typeTag) && typeTag >= 0) {
      tag = BigInt(typeTag);
    } else {
      throw invalidArgument(`typeTag must be a non-negative safe integer or a bigint below 2^64, got ${describe(typeTag)}`);
    }
    if (typeof contentType !== 'string' || contentTypeCode(contentType) === undefined) {
      throw invalidArgument(
        `contentType ${describe(contentType)} is not supported by the XOR-URL format: use 'Raw', 'Wallet', ` +
          `'FilesContainer', 'NrsMapContainer', 'Multimap' or a known MIME type (store others as 'Raw')`,
      );
    }
    if (!DATA_TYPES.includes(dataType)) {
      throw invalidArgument(`dataType must be 'SafeKey', 'File', 'Register' or 'Spentbook', got ${describe(dataType)}`);
    }
    checkBase(base);
    return `${SCHEME}://${encodeName({ xorname: bytes, typeTag: tag, contentType, dataType }, base)}`;
  }

  /** Sub names and top name: `a.b.name` in `safe://a.b.name`. */
  get publicName(): string {
    return [...this.subNames, this.topName].join('.');
  }

  /**
   * The path percent-decoded (`+` stays `+`); throws `InvalidUrl` when the bytes are not UTF-8.
   *
   * @example
   * SafeUrl.parse('safe://site/caf%C3%A9%20x').pathDecoded()  // '/café x'
   */
  pathDecoded(): string {
    try {
      return utf8Strict.decode(percentDecode(this.path, false));
    } catch {
      throw invalidUrl(`invalid path in '${this.toString()}': it percent-decodes to bytes that are not UTF-8`);
    }
  }

  /**
   * The URL as written (the scheme in lower case; an empty query or fragment left out).
   *
   * @example
   * SafeUrl.parse('SAFE://site?#').toString()  // 'safe://site'
   */
  toString(): string {
    return this.#format(this.topName);
  }

  /** The URL as a string, for JSON.stringify. */
  toJSON(): string {
    return this.toString();
  }

  /**
   * The same URL with its top name written as a XOR-URL in `base`, keeping sub names, path,
   * query and fragment. For an NRS URL it names the NRS map register.
   *
   * @example
   * SafeUrl.parse('safe://a.b.name/p?q=1#f').toXorUrl('base64')  // 'safe://a.b.mAQAD.../p?q=1#f'
   */
  toXorUrl(base: XorUrlBase = 'base32z'): string {
    checkBase(base);
    return this.#format(encodeName(this.#address, base));
  }

  /**
   * A copy with the content version set (`null` removes it). The first `v` pair takes the new
   * value where it stood, later `v` pairs and empty pieces go, other pairs stay as written; a
   * version is appended when there was no `v`.
   *
   * @example
   * SafeUrl.parse('safe://site?a=1').withContentVersion(hash).toString()  // 'safe://site?a=1&v=h...'
   */
  withContentVersion(version: string | null): SafeUrl {
    if (version !== null) {
      const err = typeof version === 'string' ? versionHashError(version) : 'it is not a string';
      if (err !== undefined) throw invalidArgument(`version ${describe(version)} is not a version hash: ${err}`);
    }
    const pieces: string[] = [];
    let placed = false;
    for (const piece of queryPieces(this.queryString)) {
      if (decodePair(piece)[0] !== VERSION_KEY) {
        pieces.push(piece);
      } else if (version !== null && !placed) {
        pieces.push(`${VERSION_KEY}=${version}`);
        placed = true;
      }
    }
    if (version !== null && !placed) pieces.push(`${VERSION_KEY}=${version}`);
    return this.#with({ queryString: pieces.join('&'), contentVersion: version });
  }

  /**
   * A copy with other sub names: non-empty labels without `.` or characters a name cannot hold.
   *
   * @example
   * SafeUrl.parse('safe://site').withSubNames(['a', 'b']).toString()  // 'safe://a.b.site'
   */
  withSubNames(subNames: readonly string[]): SafeUrl {
    if (!Array.isArray(subNames)) throw invalidArgument('subNames must be an array of strings');
    for (const label of subNames) {
      const err = typeof label === 'string' ? subNameError(label) : `${describe(label)} is not a string`;
      if (err !== undefined) throw invalidArgument(`subNames: ${err}`);
    }
    return this.#with({ subNames });
  }

  /**
   * A copy with another path, percent-encoded; a leading `/` is added when missing, `''` removes
   * the path.
   *
   * @example
   * SafeUrl.parse('safe://site').withPath('docs/a%20b').toString()  // 'safe://site/docs/a%20b'
   */
  withPath(path: string): SafeUrl {
    if (typeof path !== 'string') throw invalidArgument(`path must be a string, got ${typeof path}`);
    const full = path === '' || path.startsWith('/') ? path : `/${path}`;
    const err = /\p{Cs}/u.test(full) ? 'it holds a lone UTF-16 surrogate' : checkPath(full);
    if (err !== undefined) throw invalidArgument(`path: ${err}`);
    return this.#with({ path: full });
  }

  #with(change: Partial<Fields>): SafeUrl {
    return new SafeUrl({
      ...this.#address,
      isNrs: this.isNrs,
      topName: this.topName,
      subNames: this.subNames,
      path: this.path,
      queryString: this.queryString,
      fragment: this.fragment,
      contentVersion: this.contentVersion,
      ...change,
    });
  }

  #format(top: string): string {
    const host = [...this.subNames, top].join('.');
    const query = this.queryString === '' ? '' : `?${this.queryString}`;
    const fragment = this.fragment === '' ? '' : `#${this.fragment}`;
    return `${SCHEME}://${host}${this.path}${query}${fragment}`;
  }
}

/** Why a label cannot be a sub name (a '.' would make it two labels), if it cannot. */
function subNameError(label: string): string | undefined {
  if (label === '') return 'it has an empty label';
  if (/\p{Cs}/u.test(label)) return 'it holds a lone UTF-16 surrogate';
  for (const c of label) {
    if (!isNameChar(c) || c === '.') return `the character ${debugChar(c)} is not allowed in a name`;
  }
  return undefined;
}

function checkBase(base: unknown): asserts base is XorUrlBase {
  if (!BASES.includes(base as XorUrlBase)) {
    throw invalidArgument(`base must be 'base32z', 'base32' or 'base64', got ${describe(base)}`);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return String(v);
}
