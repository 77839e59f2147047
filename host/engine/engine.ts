/**
 * The main thread's handle on an engine worker: it starts operations there and settles their
 * Promises when the results come back.
 *
 * Calls made in the same turn of the event loop travel to the worker in one message, so
 * operations started together (e.g. `Promise.all` of two fetches) start together in the
 * component. While operations are pending the worker keeps the process alive; when none are,
 * it is unref'd, so an idle `Safe` never holds the process open.
 *
 * This is the same in every host; the worker itself comes in as an {@link EnginePort} (a
 * `worker_threads` Worker in Node, engine/node/port.ts; a Web Worker in a browser,
 * browser/port.ts).
 */
import type { Contact } from '../core/contacts.js';
import { SafeError, revive } from '../core/errors.js';
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { FromWorker, Relay, Request, ResponseTo, Shutdown, ToWorker } from './protocol.js';

/** The main thread's end of an engine worker. */
export interface EnginePort {
  post(message: ToWorker[] | Shutdown | Relay, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** The worker failed (it threw, or could not load). */
  onError(handler: (error: Error) => void): void;
  /** The worker is gone (hosts whose workers cannot exit on their own never call it). */
  onExit(handler: () => void): void;
  /** Keeps the process alive while the worker works (no-op where nothing can hold a process). */
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
  /** Resolves after one turn of the event loop. */
  nextTurn(): Promise<void>;
  debug(format: string, ...args: unknown[]): void;
  /** The send allowlist dropped `datagrams` to `address`. */
  refused(address: string, datagrams: number): void;
}

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
  readonly #worker: EnginePort;
  readonly #pending = new Map<number, Pending>();
  readonly #mapListeners = new Set<(addresses: string[]) => void>();
  #relayed: { url: string; contacts: Promise<string[]> } | undefined;
  #networkMap: string[] = [];
  #outbox: ToWorker[] = [];
  #nextCall = 1;
  #failure: SafeError | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  constructor(port: EnginePort) {
    this.#worker = port;
    this.#worker.unref();
    this.#worker.onMessage((m: FromWorker) => this.#onMessage(m));
    this.#worker.onError((e) => this.#fail(new SafeError('Internal', `the Safe client engine failed: ${e.message}`, { cause: e })));
    this.#worker.onExit(() => {
      this.#exited = true;
      this.#fail(new SafeError('Closed', 'the Safe client engine has stopped: create a new Safe'));
    });
  }

  /** The addresses (`ip:port`) of the nodes in the client's network map, as last reported. */
  get networkMap(): readonly string[] {
    return this.#networkMap;
  }

  /** Calls `listener` each time the client's network map changes; returns an unsubscriber. */
  onNetworkMap(listener: (addresses: string[]) => void): () => void {
    this.#mapListeners.add(listener);
    return () => this.#mapListeners.delete(listener);
  }

  /**
   * Has the worker lend the component a socket over the datagram relay at `url` (a browser
   * host); resolves with the contacts the relay names. Once per engine: again with the same URL
   * gives the same answer, another URL fails.
   */
  relay(url: string): Promise<string[]> {
    if (this.#relayed) {
      if (this.#relayed.url === url) return this.#relayed.contacts;
      return Promise.reject(new SafeError('InvalidArgument', `this Safe is already connected through the relay ${this.#relayed.url}: create a new Safe for ${url}`));
    }
    if (this.#failure) return Promise.reject(this.#failure);
    const contacts = new Promise<string[]>((resolve, reject) => {
      this.#relayWaiter = { resolve, reject };
    });
    this.#relayed = { url, contacts };
    contacts.catch(() => {
      if (this.#relayed?.contacts === contacts) this.#relayed = undefined;
    });
    this.#worker.ref();
    this.#worker.post({ type: 'relay', url } satisfies Relay);
    return contacts;
  }

  #relayWaiter: { resolve(contacts: string[]): void; reject(error: SafeError): void } | undefined;

  /**
   * Starts an operation in the worker; its response, which must be the case `expects` (the one
   * that operation gives), or its error settles the Promise.
   */
  run<T extends Wit.Response['tag']>(request: Request, expects: T, extras: RunExtras = {}): { call: number; result: Promise<ResponseTo<T>> } {
    const call = this.#nextCall++;
    const result = new Promise<ResponseTo<T>>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      // Safe: `#onMessage` resolves only with a response whose tag is `expects`.
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
      this.#worker.post([{ type: 'piece', call, data } satisfies ToWorker], [data.buffer]);
      await this.#worker.nextTurn();
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
        this.#onClosed = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#worker.onExit(() => this.#onClosed?.());
      });
      this.#worker.post({ type: 'shutdown' } satisfies Shutdown);
      await closed;
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #onClosed: (() => void) | undefined;

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
    this.#worker.post(batch);
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
      case 'refused':
        this.#worker.debug('the send allowlist dropped %d datagram(s) to %s', m.datagrams, m.address);
        this.#worker.refused(m.address, m.datagrams);
        return;
      case 'map':
        this.#networkMap = m.addresses;
        for (const listener of this.#mapListeners) listener(m.addresses);
        return;
      case 'relayed':
      case 'relay-failed': {
        const waiter = this.#relayWaiter;
        this.#relayWaiter = undefined;
        if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
        if (m.type === 'relayed') waiter?.resolve(m.contacts);
        else waiter?.reject(revive(m.error));
        return;
      }
      case 'fatal':
        this.#fail(revive(m.error));
        return;
      case 'closed':
        this.#onClosed?.();
        return;
      case 'ready':
        return;
    }
  }

  #settled(call: number): void {
    this.#pending.delete(call);
    if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
  }

  #fail(error: SafeError): void {
    this.#failure ??= error;
    this.#relayWaiter?.reject(error);
    this.#relayWaiter = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
    if (!this.#closing) this.#worker.unref();
  }
}
