/**
 * `Safe` for browsers: the shared API (host/api/safe-base.ts) on the browser's platform: the
 * engine in a Web Worker, datagrams over a WebSocket to `safe relay` (`connect({ relay })`),
 * Blobs streamed from the worker. Methods on local paths reject with `InvalidArgument`.
 */
import type { Platform } from '../api/platform.js';
import { SafeBase } from '../api/safe-base.js';
import type { SafeOptions, XorUrlBase } from '../api/types.js';
import { parseContactWith } from '../core/contact.js';
import { SafeError } from '../core/errors.js';
import { Engine } from '../engine/engine.js';
import { browserEnginePort } from './port.js';

const browser: Platform = {
  name: 'a browser',
  engine: (options) => new Engine(browserEnginePort(options)),
  async contacts(engine, { relay, bootstrap, allow }) {
    if (typeof relay !== 'string' || !/^wss?:\/\//.test(relay)) {
      throw new SafeError('InvalidArgument', `in a browser connect needs relay, the ws:// URL of a \`safe relay\`, e.g. connect({ relay: 'ws://127.0.0.1:8787' }); got ${String(relay)}`);
    }
    const named = await engine.relay(relay);
    const texts = bootstrap ?? named;
    if (texts.length === 0) throw new SafeError('NoContacts', `the relay at ${relay} names no network contacts: pass connect({ relay, bootstrap: ["127.0.0.1:12000"] })`);
    const parse = (text: string) => parseContactWith(text);
    return { bootstrap: await Promise.all(texts.map(parse)), allow: await Promise.all((allow ?? []).map(parse)) };
  },
  blob(blob) {
    if (typeof Blob === 'undefined' || !(blob instanceof Blob)) throw new SafeError('InvalidArgument', 'blob must be a Blob or a File');
    return { kind: 'blob', blob };
  },
  // Small pieces: copying one must never make a long task on the page's main thread.
  pieceBytes: 1024 * 1024,
  publish: () => {},
  debug: (format, ...args) => {
    if ((globalThis as { SAFE_WASI_DEBUG?: boolean }).SAFE_WASI_DEBUG === true) console.debug(`safe-wasi: ${format}`, ...args);
  },
};

/**
 * A client of the Safe Network in a browser page.
 *
 * @example
 * import { Safe } from './safe-wasi.js';
 * const safe = new Safe();
 * await safe.connect({ relay: 'ws://127.0.0.1:8787' });
 * const url = await safe.storeBlob(fileInput.files[0]);
 */
export class Safe extends SafeBase {
  /**
   * @param xorurlBase the base of the XOR-URLs this client writes (default `'base32z'`)
   * @param timeoutSecs how long an operation may take before it fails with `Timeout` (default 120)
   * @param options `{ dryRun: true }` makes a dry runner (as `Safe.dryRunner()`)
   */
  constructor(xorurlBase: XorUrlBase | null = null, timeoutSecs: number | null = null, options: SafeOptions = {}) {
    super(browser, xorurlBase, timeoutSecs, options);
  }
}
