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

import { SafeError, revive } from '../core/errors.js';
import type { EngineOptions, FromWorker, OpRequest, Shutdown, ToWorker } from './protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
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

  /** Starts an operation in the worker; its result or error settles the Promise. */
  run(request: OpRequest): { call: number; result: Promise<unknown> } {
    const call = this.#nextCall++;
    const result = new Promise<unknown>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      this.#pending.set(call, { resolve, reject });
      this.#send({ type: 'start', call, request });
    });
    return { call, result };
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
        if (m.ok) pending.resolve(m.value);
        else pending.reject(revive(m.error));
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
