// The browser host as the acceptance suite drives it: `Safe` instances of dist/browser/safe-wasi.js
// in one Chromium page (each with its engine in a Web Worker), connected through `safe relay`.
// Each call is a `page.evaluate` that runs the method in the page; arguments and results cross
// as JSON with bytes tagged `{ $bytes: base64 }` (and bigints `{ $bigint }`), and a rejection
// comes back as its code and message, rebuilt here as a SafeError. The relay URL is added to
// every `connect`, which is all a page does differently.
import type { Page } from 'playwright-core';

import { SafeError, type ErrorCode } from '../../../dist/index.js';
import { CAPABILITIES, forwarding, type Host, type HostSafe } from '../host.js';

/** The longest one call may take before the driver gives up on the page. */
const CALL_LIMIT_MS = 300_000;

/**
 * The page's side, as plain JavaScript (so the test's compiler never rewrites it): a table of
 * instances and a `call` that decodes the arguments, runs the method and encodes its outcome.
 */
const BRIDGE = `(() => {
  const toBase64 = (bytes) => {
    if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
    let text = '';
    for (let at = 0; at < bytes.length; at += 0x8000) text += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
    return btoa(text);
  };
  const fromBase64 = (text) => {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  };
  const decode = (v) => {
    if (Array.isArray(v)) return v.map(decode);
    if (v === null || typeof v !== 'object') return v;
    if (typeof v.$bytes === 'string') return fromBase64(v.$bytes);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  };
  const encode = (v) => {
    if (v instanceof Uint8Array) return { $bytes: toBase64(v) };
    if (typeof v === 'bigint') return { $bigint: String(v) };
    if (Array.isArray(v)) return v.map(encode);
    if (v === null || typeof v !== 'object') return v === undefined ? null : v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  };
  const safes = new Map();
  let next = 0;
  globalThis.acceptance = {
    open(timeoutSecs) {
      safes.set(++next, new globalThis.safeWasi.Safe(null, timeoutSecs));
      return next;
    },
    async call(handle, method, argsJson, relay) {
      try {
        const args = decode(JSON.parse(argsJson));
        if (method === 'connect') args[0] = { ...(args[0] ?? {}), relay };
        const safe = safes.get(handle);
        return JSON.stringify({ ok: encode(await safe[method](...args)) });
      } catch (e) {
        const safeError = e instanceof globalThis.safeWasi.SafeError;
        return JSON.stringify({ error: { safeError, code: safeError ? e.code : undefined, message: String(e && e.message ? e.message : e) } });
      }
    },
    async closeAll() {
      await Promise.all([...safes.values()].map((s) => s.close()));
    },
  };
})()`;

type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

/** An argument in the page's JSON form. */
function encode(value: unknown): Tagged {
  if (value === undefined) return null;
  if (ArrayBuffer.isView(value)) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (typeof value === 'bigint') return { $bigint: String(value) };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value as Tagged;
}

/** A result from the page's JSON form. */
function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (typeof v['$bytes'] === 'string') {
    const b = Buffer.from(v['$bytes'], 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (typeof v['$bigint'] === 'string') return BigInt(v['$bigint']);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
}

/** Bounds a page call, saying which one hung. */
function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the page did not answer ${what} within ${CALL_LIMIT_MS / 1000} s`)), CALL_LIMIT_MS);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The browser host in `page` (the bundle loaded), connecting through the relay at `relay`. */
export async function browserHost(page: Page, relay: string): Promise<Host> {
  await page.evaluate(BRIDGE);
  return {
    name: 'browser',
    capabilities: CAPABILITIES.browser,
    async open(timeoutSecs = 120): Promise<HostSafe> {
      const handle = await page.evaluate((t) => (globalThis as unknown as { acceptance: { open(t: number): number } }).acceptance.open(t), timeoutSecs);
      return forwarding(async (method, args) => {
        const json = await bounded(
          method,
          page.evaluate(
            ([h, m, a, r]) => (globalThis as unknown as { acceptance: { call(h: number, m: string, a: string, r: string): Promise<string> } }).acceptance.call(h, m, a, r),
            [handle, method, JSON.stringify(args.map(encode)), relay] as const,
          ),
        );
        const answer = JSON.parse(json) as { ok?: unknown; error?: { safeError: boolean; code?: ErrorCode; message: string } };
        if (answer.error) {
          if (!answer.error.safeError || !answer.error.code) throw new Error(`${method} in the page failed with something other than a SafeError: ${answer.error.message}`);
          throw new SafeError(answer.error.code, answer.error.message);
        }
        const value = decode(answer.ok);
        return method === 'connect' || method === 'setKeypair' || method === 'close' ? undefined : value;
      });
    },
    async stop() {
      await page.evaluate(() => (globalThis as unknown as { acceptance: { closeAll(): Promise<void> } }).acceptance.closeAll());
    },
  };
}
