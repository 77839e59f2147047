/**
 * The browser's {@link EnginePort}: the engine in a module Web Worker loaded from
 * `safe-wasi-worker.js` next to the page's `safe-wasi.js` (by `import.meta.url`, so the two
 * files and the core wasm modules can be served from any folder).
 */
import type { EnginePort } from '../engine/engine.js';
import type { EngineOptions, FromWorker } from '../engine/protocol.js';
import { soon, web } from './web.js';

/** The worker bundle, a sibling of the main bundle (scripts/build-browser.mjs writes both). */
export const WORKER_FILE = './safe-wasi-worker.js';

/** Starts an engine Web Worker for a client with `options`. */
export function browserEnginePort(options: EngineOptions): EnginePort {
  const worker = new web.Worker(new URL(WORKER_FILE, import.meta.url), { type: 'module', name: 'safe-wasi engine' });
  worker.postMessage({ type: 'init', options });
  const debugging = () => (globalThis as { SAFE_WASI_DEBUG?: boolean }).SAFE_WASI_DEBUG === true;
  const debug = (format: string, ...args: unknown[]) => {
    if (debugging()) console.debug(`safe-wasi: ${format}`, ...args);
  };
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (handler) => worker.addEventListener('message', (event) => handler(event.data as FromWorker)),
    onError: (handler) => worker.addEventListener('error', (event) => handler(new Error(event.message ?? 'the engine worker failed to load'))),
    // A Web Worker does not exit by itself; close() terminates it after the goodbye.
    onExit: () => {},
    ref: () => {},
    unref: () => {},
    terminate: async () => worker.terminate(),
    nextTurn: () => new Promise((resolve) => soon(() => resolve(undefined))),
    debug,
    refused: (address, datagrams) => debug('the send allowlist dropped %d datagram(s) to %s', datagrams, address),
  };
}
