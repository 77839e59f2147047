/**
 * Argument checks of the public API: each throws a `SafeError` naming the argument and saying
 * what it should be, before anything reaches the component.
 */
import { SafeError } from '../core/errors.js';
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { ByteRange, CallOptions, Keypair } from './types.js';

const HEX64 = /^[0-9a-fA-F]{64}$/;
const U64_MAX = 2n ** 64n - 1n;

function invalid(message: string): SafeError {
  return new SafeError('InvalidArgument', message);
}

/** A `safe://` URL argument (its syntax is checked by the component). */
export function url(value: unknown, name = 'url'): string {
  if (typeof value !== 'string') throw new SafeError('InvalidUrl', `${name} must be a string such as "safe://hy...", got ${typeof value}`);
  return value;
}

/**
 * Bytes, as a `Uint8Array` view of the caller's memory (nothing copied): any `ArrayBufferView`
 * (a `Buffer`, a `Uint8Array`, another typed array, a `DataView`), over an `ArrayBuffer` or a
 * `SharedArrayBuffer`. The caller's buffer is only ever read: what leaves for the engine is a
 * copy (see {@link ownedBytes} and `Engine#sendPieces`), never the buffer itself, since a Node
 * `Buffer` is often a view of a larger pool that other code uses.
 */
export function bytes(value: unknown, name: string): Uint8Array {
  if (!ArrayBuffer.isView(value)) throw invalid(`${name} must be a Uint8Array, a Buffer or another ArrayBufferView`);
  try {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } catch {
    throw invalid(`${name} is a view of a detached ArrayBuffer (it was transferred elsewhere): pass bytes you still hold`);
  }
}

/**
 * A copy of the bytes of `value` in a buffer of their exact size, owned by this call: taken when
 * the call is made, so a later change to the caller's buffer does not change what is stored,
 * and posting it to the engine copies only these bytes (posting a view would clone the whole
 * buffer behind it, or share it when it is a `SharedArrayBuffer`).
 */
export function ownedBytes(value: unknown, name: string): Uint8Array {
  const view = bytes(value, name);
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/** An optional MIME type; none for an empty string. */
export function mediaType(value: unknown, name = 'mediaType'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string such as "text/plain", or undefined`);
  return value === '' ? undefined : value;
}

/** 64 hex characters (a key, a hash, a name), returned in lower case. */
export function hex64(value: unknown, name: string): string {
  if (typeof value !== 'string' || !HEX64.test(value)) throw invalid(`${name} must be 64 hex characters`);
  return value.toLowerCase();
}

/** A secret key, given as 64 hex characters or as a key pair. */
export function secretKey(value: unknown, name = 'secretKey'): string {
  const secret = typeof value === 'object' && value !== null ? (value as Partial<Keypair>).secretKey : value;
  return hex64(secret, name);
}

/** An amount of coins: a decimal string with at most 9 decimals ("9", "0.5"). */
export function amount(value: unknown, name = 'amount'): string {
  if (typeof value !== 'string' || !/^(\d+(\.\d{1,9})?|\.\d{1,9})$/.test(value)) {
    throw invalid(`${name} must be a decimal string of coins with at most 9 decimals, e.g. "9" or "0.5"`);
  }
  return value;
}

/** A 64-bit unsigned integer (a type tag). */
export function u64(value: unknown, name: string): bigint {
  const big = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (big === undefined || big < 0n || big > U64_MAX) throw invalid(`${name} must be an integer from 0 to 2^64-1 (a number or a bigint)`);
  return big;
}

/** A list of entry hashes, or undefined. */
export function hashes(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(`${name} must be an array of entry hashes (64 hex characters each)`);
  return value.map((h, i) => hex64(h, `${name}[${i}]`));
}

/** The options bag every call takes. */
export function options(value: unknown): CallOptions {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw invalid('options must be an object such as { signal }');
  return value as CallOptions;
}

/** A byte range `[start, end?)` in its WIT form. */
export function range(value: ByteRange | undefined): Wit.ByteRange | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length < 1 || value.length > 2) {
    throw invalid('range must be [start] or [start, end], byte offsets with end exclusive');
  }
  const start = u64(value[0], 'range start');
  if (value[1] === undefined) return { start };
  const end = u64(value[1], 'range end');
  if (end < start) throw invalid(`range [${start}, ${end}) ends before it starts`);
  return { start, end };
}

/** A boolean option, `fallback` when not given. */
export function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
  return value;
}

/** A non-empty string (a name, a path). */
export function text(value: unknown, name: string, example: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${name} must be a non-empty string such as ${JSON.stringify(example)}`);
  return value;
}

/** An NRS public name such as "mysite" or "blog.mysite" (its syntax is checked by the component). */
export function publicName(value: unknown, name = 'name'): string {
  if (typeof value !== 'string' || value === '') throw new SafeError('InvalidUrl', `${name} must be a public name such as "mysite" or "blog.mysite"`);
  return value.startsWith('safe://') ? value.slice('safe://'.length) : value;
}
