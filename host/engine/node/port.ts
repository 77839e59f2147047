/**
 * Node's {@link EnginePort}: the engine in a `worker_threads` Worker (./worker.ts), which is
 * unref'd while idle so that an idle `Safe` never holds the process open.
 */
import { Worker } from 'node:worker_threads';

import { debug, sendRefusedChannel, type SendRefusedEvent } from '../../core/debug.js';
import type { EnginePort } from '../engine.js';
import type { EngineOptions, FromWorker } from '../protocol.js';

/** Starts an engine worker thread for a client with `options`. */
export function nodeEnginePort(options: EngineOptions): EnginePort {
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { options },
    // The worker runs only this package's code: it needs none of the process's flags, and some
    // break it (--input-type of `node -e`, a user's loaders).
    execArgv: [],
  });
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
