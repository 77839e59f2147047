/**
 * Node's {@link EnginePort}: the engine in a `worker_threads` Worker (./worker.ts), which is
 * unref'd while idle so that an idle `Safe` never holds the process open. The worker gets the
 * component's compiled core modules from the process's cache (./modules.ts) on a port of its own.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

import { debug, sendRefusedChannel, type SendRefusedEvent } from '../../core/debug.js';
import type { EnginePort } from '../engine.js';
import type { EngineOptions, FromWorker } from '../protocol.js';
import { componentEntry, coreModules, type LentModules } from './modules.js';

/** Starts an engine worker thread for a client with `options`. */
export function nodeEnginePort(options: EngineOptions): EnginePort {
  const entry = componentEntry();
  // Not closed here: the worker closes its end once the modules (or the reason) arrived.
  const modules = new MessageChannel();
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { options, entry: entry.href, modules: modules.port2 },
    transferList: [modules.port2],
    // The worker runs only this package's code: it needs none of the process's flags, and some
    // break it (--input-type of `node -e`, a user's loaders).
    execArgv: [],
  });
  const lend = (message: LentModules) => modules.port1.postMessage(message);
  coreModules(entry).then(
    (compiled) => lend({ ok: true, modules: compiled }),
    (e: unknown) => lend({ ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (handler) => worker.on('message', (m: FromWorker) => handler(m)),
    onError: (handler) => worker.on('error', handler),
    onExit: (handler) => worker.once('exit', handler),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
    nextTurn: () => new Promise((resolve) => setImmediate(resolve)),
    debug,
    refused(address, datagrams) {
      if (sendRefusedChannel.hasSubscribers) sendRefusedChannel.publish({ address, datagrams } satisfies SendRefusedEvent);
    },
  };
}
