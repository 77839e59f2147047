/**
 * The main thread's handle on an engine worker: it starts operations there and settles their
 * Promises when the results come back.
 *
 * Calls made in the same turn of the event loop travel to the worker in one message, so
 * operations started together (e.g. `Promise.all` of two fetches) start together in the
 * component. While operations are pending the worker keeps the process alive; when none are,
 * it is unref'd, so an idle `Safe` never holds the process open.
 */
import { Worker } from 'node:worker_threads';

import type { Contact } from '../core/contacts.js';
import { debug, sendRefusedChannel, type SendRefusedEvent } from '../core/debug.js';
import { SafeError, revive } from '../core/errors.js';
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import { RESPONSES, type EngineOptions, type FromWorker, type Request, type ResponseTo, type Shutdown, type ToWorker } from './protocol.js';

interface Pending {
  /** The response variant the operation must complete with. */
  expects: Wit.Response['tag'];
  resolve(response: Wit.Response): void;
  reject(error: unknown): void;
  onProgress?: ((progress: Progress) => void) | undefined;
}

/** How far a long operation has got, as the API reports it. */
export interface Progress {
  done: number;
  total: number;
  unit: 'bytes' | 'files';
  item?: string;
}

/** What `run` may take besides the request. */
export interface RunExtras {
  /** Told how far the operation has got. */
  onProgress?: ((progress: Progress) => void) | undefined;
  /** The bytes of a `pieces` source, sent ahead one per turn of the event loop. */
  pieces?: Uint8Array[];
}

export class Engine {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #outbox: ToWorker[] = [];
  #nextCall = 1;
  #failure: SafeError | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  constructor(options: EngineOptions) {
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { options },
      // The worker runs only this package's code: it needs none of the process's flags, and some
      // break it (--input-type of `node -e`, a user's loaders).
      execArgv: [],
    });
    this.#worker.unref();
    this.#worker.on('message', (m: FromWorker) => this.#onMessage(m));
    this.#worker.on('error', (e) => this.#fail(new SafeError('Internal', `the Safe client engine failed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', () => {
      this.#exited = true;
      this.#fail(new SafeError('Closed', 'the Safe client engine has stopped: create a new Safe'));
    });
  }

  /**
   * Starts an operation in the worker; its response (the WIT variant that operation gives) or its
   * error settles the Promise.
   */
  run<R extends Request>(request: R, extras: RunExtras = {}): { call: number; result: Promise<ResponseTo<R['tag']>> } {
    const call = this.#nextCall++;
    const result = new Promise<ResponseTo<R['tag']>>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      const expects: Wit.Response['tag'] = RESPONSES[request.tag];
      // Safe: `#onMessage` resolves only with a response whose tag is `expects`, i.e. RESPONSES[R['tag']].
      const settle = resolve as (response: Wit.Response) => void;
      this.#pending.set(call, { expects, resolve: settle, reject, onProgress: extras.onProgress });
      if (extras.pieces && extras.pieces.length > 0) {
        void this.#sendPieces(call, extras.pieces).then(() => this.#send({ type: 'start', call, request }));
      } else {
        this.#send({ type: 'start', call, request });
      }
    });
    return { call, result };
  }

  /**
   * Sends the pieces of a buffer ahead of the call that reads them, one per turn of the event
   * loop, each copied into a buffer of its own and that copy transferred: the main thread never
   * copies more than one piece at a time, and the caller's memory is only read. (Not
   * `piece.slice()`: on a `Buffer` that is a view, and transferring its `.buffer` would detach
   * the caller's buffer, or the pool it shares with other Buffers.)
   */
  async #sendPieces(call: number, pieces: Uint8Array[]): Promise<void> {
    for (const piece of pieces) {
      if (!this.#pending.has(call) || this.#exited) return;
      const data = new Uint8Array(piece.byteLength);
      data.set(piece);
      this.#worker.ref();
      this.#worker.postMessage([{ type: 'piece', call, data } satisfies ToWorker], [data.buffer]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Lets the component send to these addresses (before the call that needs it starts). */
  allow(addresses: Array<Pick<Contact, 'ip' | 'port'>>): void {
    this.#send({ type: 'allow', addresses: addresses.map(({ ip, port }) => ({ ip, port })) });
  }

  /** Asks the worker to cancel a call and rejects it now with `error`. */
  cancel(call: number, error: SafeError): void {
    const pending = this.#pending.get(call);
    if (!pending) return;
    this.#settled(call);
    pending.reject(error);
    this.#send({ type: 'cancel', call });
  }

  /** Rejects everything pending with `error`, lets the client say goodbye, and stops the worker. */
  close(error: SafeError): Promise<void> {
    this.#closing ??= (async () => {
      this.#fail(error);
      if (this.#exited) return;
      this.#worker.ref();
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#worker.on('message', (m: FromWorker) => {
          if (m.type === 'closed') {
            clearTimeout(timer);
            resolve();
          }
        });
        this.#worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#worker.postMessage({ type: 'shutdown' } satisfies Shutdown);
      await closed;
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  /** Stops the worker at once, without the goodbye (used when a Safe is garbage-collected). */
  terminate(): void {
    void this.#worker.terminate();
  }

  #send(message: ToWorker): void {
    if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#outbox.push(message);
  }

  #flush(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    if (batch.length === 0 || this.#exited) return;
    this.#worker.ref();
    this.#worker.postMessage(batch);
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'done': {
        const pending = this.#pending.get(m.call);
        if (!pending) return;
        this.#settled(m.call);
        if (!m.ok) pending.reject(revive(m.error));
        else if (m.response.tag === pending.expects) pending.resolve(m.response);
        else pending.reject(new SafeError('Internal', `the Safe client component answered "${m.response.tag}" where "${pending.expects}" was due; please report this`));
        return;
      }
      case 'progress': {
        const pending = this.#pending.get(m.call);
        if (!pending?.onProgress) return;
        const { done, total, unit, item } = m;
        try {
          pending.onProgress(item === undefined ? { done, total, unit } : { done, total, unit, item });
        } catch {
          // A throwing progress callback must not break the engine.
        }
        return;
      }
      case 'refused': {
        debug('the send allowlist dropped %d datagram(s) to %s', m.datagrams, m.address);
        if (sendRefusedChannel.hasSubscribers) sendRefusedChannel.publish({ address: m.address, datagrams: m.datagrams } satisfies SendRefusedEvent);
        return;
      }
      case 'fatal':
        this.#fail(revive(m.error));
        return;
      case 'ready':
      case 'closed':
        return;
    }
  }

  #settled(call: number): void {
    this.#pending.delete(call);
    if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
  }

  #fail(error: SafeError): void {
    this.#failure ??= error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
    if (!this.#closing) this.#worker.unref();
  }
}
