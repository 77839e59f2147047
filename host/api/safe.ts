/**
 * `Safe`: the user-facing API. Each method checks its arguments, takes the instance's lock
 * (`connect` and `close` write, everything else reads), and runs its operation in the client
 * component through the engine worker.
 *
 * The lock is what makes one `Safe` safe to share across concurrent async code: two `fetch`es
 * run at once, a `connect` waits for running reads and holds back new ones until it is done,
 * and `close` first rejects what is in flight, then takes the lock and stops the engine.
 */
import { hasSubscribers } from 'node:diagnostics_channel';
import { resolve } from 'node:path';

import { parseContact, readContactsFile, type Contact } from '../core/contacts.js';
import { debug, operationChannel, type OperationEvent } from '../core/debug.js';
import { SafeError } from '../core/errors.js';
import { RwLock } from '../core/lock.js';
import { Engine } from '../engine/engine.js';
import type { OpRequest } from '../engine/protocol.js';
import * as args from './args.js';
import type { ByteRange, CallOptions, ConnectOptions, Keypair, NetworkInfo, RegisterEntry, SafeData, XorUrlBase } from './types.js';

const BASES: readonly XorUrlBase[] = ['base32z', 'base32', 'base64'];
/** Large buffers travel to the engine in pieces of this size, one per turn of the event loop. */
const PIECE = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_SECS = 120;
/** About 136 years: the timeout in milliseconds must fit the component's u64. */
const MAX_TIMEOUT_SECS = 2 ** 32;

/** Stops the engine of a `Safe` that was garbage-collected without `close()`. */
const finalizer = new FinalizationRegistry<Engine>((engine) => engine.terminate());

let instances = 0;

/**
 * A client of the Safe Network.
 *
 * @example
 * const safe = new Safe(null, 120);          // default XOR-URL base, 120 s timeout
 * await safe.connect();                      // reads $SAFE_HOME/network_contacts/default
 * const url = await safe.storeBytes(new TextEncoder().encode('hello'));
 * const file = await safe.fetch(url);        // { type: 'PublicFile', data, ... }
 * await safe.close();
 */
export class Safe implements AsyncDisposable {
  readonly #lock = new RwLock();
  readonly #engine: Engine;
  readonly #instance = ++instances;
  #calls = 0;
  #connected = false;
  #closed = false;
  #network: NetworkInfo | undefined;

  /**
   * @param xorurlBase the base of the XOR-URLs this client writes: `'base32z'` (default, also
   *   for `null`), `'base32'` or `'base64'`
   * @param timeoutSecs how long an operation may take before it fails with `Timeout`
   *   (default 120, also for `null`)
   */
  constructor(xorurlBase: XorUrlBase | null = null, timeoutSecs: number | null = null) {
    const base = xorurlBase ?? 'base32z';
    if (!BASES.includes(base)) {
      throw new SafeError('InvalidArgument', `xorurlBase must be one of ${BASES.join(', ')} or null, got ${String(xorurlBase)}`);
    }
    const timeout = timeoutSecs ?? DEFAULT_TIMEOUT_SECS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_SECS) {
      throw new SafeError('InvalidArgument', `timeoutSecs must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECS}, or null, got ${String(timeoutSecs)}`);
    }
    this.#engine = new Engine({ timeoutMs: Math.ceil(timeout * 1000), xorurlBase: base });
    finalizer.register(this, this.#engine, this);
  }

  /** Whether `connect()` has succeeded and the instance is not closed. */
  get isConnected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** The network as seen at the last successful `connect()`. */
  get network(): NetworkInfo | undefined {
    return this.#closed ? undefined : this.#network;
  }

  /**
   * Connects to a network: fetches its map from the first bootstrap contact that answers.
   * Without `bootstrap`, reads the contacts file `$SAFE_HOME/network_contacts/default`
   * (SAFE_HOME defaults to `~/.safe`), which `safe testnet start` writes.
   */
  async connect(options: ConnectOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      throw new SafeError('InvalidArgument', 'connect options must be an object, e.g. { bootstrap: ["127.0.0.1:12000"] }');
    }
    const { bootstrap, signal } = options;
    if (bootstrap !== undefined && (!Array.isArray(bootstrap) || bootstrap.length === 0)) {
      throw new SafeError('InvalidArgument', 'bootstrap must be a non-empty array of "host:port" strings');
    }
    checkSignal(signal);
    const contacts: Contact[] = bootstrap ? await Promise.all(bootstrap.map(parseContact)) : await readContactsFile();
    await this.#run('connect', 'write', { op: 'connect', contacts }, { ...(signal ? { signal } : {}) }, undefined, (info) => {
      this.#network = info as NetworkInfo;
      this.#connected = true;
    });
  }

  /**
   * Stores `bytes` as a public file and returns its XOR-URL. `mediaType` (a MIME type the
   * XOR-URL format knows, e.g. `'text/html'`) goes into the URL; without it the file is Raw.
   */
  async storeBytes(bytes: Uint8Array, mediaType?: string, options?: CallOptions): Promise<string> {
    const data = args.bytes(bytes, 'bytes');
    const type = args.mediaType(mediaType);
    const request: OpRequest = { op: 'storeFile', source: { kind: 'pieces' }, ...(type ? { mediaType: type } : {}) };
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += PIECE) pieces.push(data.subarray(at, at + PIECE));
    return (await this.#run('storeBytes', 'read', request, args.options(options), pieces)) as string;
  }

  /**
   * Stores the local file at `path` as a public file and returns its XOR-URL. The file is read
   * a chunk at a time as it is encrypted and uploaded, so its size does not matter.
   */
  async storeFile(path: string, mediaType?: string, options?: CallOptions): Promise<string> {
    if (typeof path !== 'string' || path === '') throw new SafeError('InvalidArgument', 'path must be the path of a local file');
    const type = args.mediaType(mediaType);
    const request: OpRequest = { op: 'storeFile', source: { kind: 'path', path: resolve(path) }, ...(type ? { mediaType: type } : {}) };
    return (await this.#run('storeFile', 'read', request, args.options(options))) as string;
  }

  /** Reads a file's bytes, or bytes `[start, end)` of it. */
  async filesGet(url: string, range?: ByteRange, options?: CallOptions): Promise<Uint8Array> {
    const request: OpRequest = { op: 'filesGet', url: args.url(url), ...args.range(range) };
    return (await this.#run('filesGet', 'read', request, args.options(options))) as Uint8Array;
  }

  /** Resolves a `safe://` URL to the data it names; for a file, optionally a byte range. */
  async fetch(url: string, range?: ByteRange, options?: CallOptions): Promise<SafeData> {
    const request: OpRequest = { op: 'fetch', url: args.url(url), ...args.range(range) };
    return (await this.#run('fetch', 'read', request, args.options(options))) as SafeData;
  }

  // ---- keys ------------------------------------------------------------------------------

  /** A fresh ed25519 key pair (made inside the client; nothing is sent). */
  async newKeypair(options?: CallOptions): Promise<Keypair> {
    return (await this.#run('newKeypair', 'read', { op: 'newKeypair' }, args.options(options))) as Keypair;
  }

  /** The key pair this Safe signs with: it owns the registers it creates. */
  async getKeypair(options?: CallOptions): Promise<Keypair> {
    return (await this.#run('getKeypair', 'read', { op: 'getKeypair' }, args.options(options))) as Keypair;
  }

  /** Makes this Safe sign with `keypair` (or the key pair of a secret key) from now on. */
  async setKeypair(keypair: Keypair | string, options?: CallOptions): Promise<void> {
    const request: OpRequest = { op: 'setKeypair', secretKey: args.secretKey(keypair, 'keypair') };
    await this.#run('setKeypair', 'write', request, args.options(options));
  }

  /**
   * A new key whose account the test network's faucet preloads with `amount` coins (a decimal
   * string). Returns the key's SafeKey URL and its key pair.
   */
  async keysCreatePreloadTestCoins(amount: string, options?: CallOptions): Promise<[string, Keypair]> {
    const request: OpRequest = { op: 'keysCreatePreloadTestCoins', amount: args.amount(amount) };
    return (await this.#run('keysCreatePreloadTestCoins', 'read', request, args.options(options))) as [string, Keypair];
  }

  /** A new key preloaded with `amount` coins from `fromSecretKey`'s account (or the faucet). */
  async keysCreateAndPreload(amount: string, fromSecretKey?: string, options?: CallOptions): Promise<[string, Keypair]> {
    const from = fromSecretKey === undefined || fromSecretKey === null ? {} : { fromSecretKey: args.secretKey(fromSecretKey, 'fromSecretKey') };
    const request: OpRequest = { op: 'keysCreateAndPreload', amount: args.amount(amount), ...from };
    return (await this.#run('keysCreateAndPreload', 'read', request, args.options(options))) as [string, Keypair];
  }

  /** The balance of the key with `secretKey`, as a decimal string in shortest form (`'9'`). */
  async keysBalance(secretKey: string, options?: CallOptions): Promise<string> {
    const request: OpRequest = { op: 'keysBalance', secretKey: args.secretKey(secretKey) };
    return (await this.#run('keysBalance', 'read', request, args.options(options))) as string;
  }

  /** Pays `amount` coins from `fromSecretKey`'s account to the key at `toUrl`; returns the transfer id. */
  async keysTransfer(amount: string, fromSecretKey: string, toUrl: string, options?: CallOptions): Promise<string> {
    const request: OpRequest = {
      op: 'keysTransfer',
      amount: args.amount(amount),
      fromSecretKey: args.secretKey(fromSecretKey, 'fromSecretKey'),
      toUrl: args.url(toUrl, 'toUrl'),
    };
    return (await this.#run('keysTransfer', 'read', request, args.options(options))) as string;
  }

  // ---- registers -------------------------------------------------------------------------

  /**
   * Creates a register owned by this Safe's key pair at `name` (64 hex; random when null) and
   * type tag `tag`, holding entries of `contentType` (a MIME type, or Raw). Returns its URL.
   */
  async registerCreate(name: string | null | undefined, tag: number | bigint, contentType?: string, options?: CallOptions): Promise<string> {
    const named = name === undefined || name === null ? {} : { name: Uint8Array.from(Buffer.from(args.hex64(name, 'name'), 'hex')) };
    const type = args.mediaType(contentType, 'contentType');
    const request: OpRequest = { op: 'registerCreate', tag: args.u64(tag, 'tag'), ...named, ...(type ? { contentType: type } : {}) };
    return (await this.#run('registerCreate', 'read', request, args.options(options))) as string;
  }

  /** The register's current entries: those no later entry supersedes (several after concurrent writes). */
  async registerRead(url: string, options?: CallOptions): Promise<RegisterEntry[]> {
    const request: OpRequest = { op: 'registerRead', url: args.url(url) };
    return (await this.#run('registerRead', 'read', request, args.options(options))) as RegisterEntry[];
  }

  /** One entry of the register, by its hash. */
  async registerReadEntry(url: string, hash: string, options?: CallOptions): Promise<Uint8Array> {
    const request: OpRequest = { op: 'registerReadEntry', url: args.url(url), hash: args.hex64(hash, 'hash') };
    return (await this.#run('registerReadEntry', 'read', request, args.options(options))) as Uint8Array;
  }

  /**
   * Writes `entry` to the register, superseding `parents` (entry hashes; by default the current
   * entries). Returns the new entry's hash. Only the register's owner can write it.
   */
  async registerWrite(url: string, entry: Uint8Array, parents?: string[], options?: CallOptions): Promise<string> {
    const list = args.hashes(parents, 'parents');
    const request: OpRequest = { op: 'registerWrite', url: args.url(url), entry: args.bytes(entry, 'entry'), ...(list ? { parents: list } : {}) };
    return (await this.#run('registerWrite', 'read', request, args.options(options))) as string;
  }

  /**
   * Closes the instance: operations in flight reject with `Closed`, the nodes are told, the
   * sockets are released. Later calls reject with `Closed`. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    finalizer.unregister(this);
    const closing = this.#engine.close(closedError());
    const release = await this.#lock.write();
    try {
      await closing;
    } finally {
      release();
    }
  }

  /** `await using safe = new Safe()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(
    name: string,
    mode: 'read' | 'write',
    request: OpRequest,
    options: CallOptions,
    pieces?: Uint8Array[],
    onSuccess?: (value: unknown) => void,
  ): Promise<unknown> {
    const { signal, onProgress } = options;
    if (this.#closed) throw closedError();
    checkSignal(signal);
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new SafeError('InvalidArgument', 'onProgress must be a function');
    }
    const release = mode === 'write' ? await this.#lock.write() : await this.#lock.read();
    try {
      if (this.#closed) throw closedError();
      checkSignal(signal);
      const id = ++this.#calls;
      const { call, result } = this.#engine.run(request, { onProgress, ...(pieces ? { pieces } : {}) });
      publish({ phase: 'start', name, id });
      debug('%s #%d.%d started', name, this.#instance, id);
      const onAbort = () => this.#engine.cancel(call, abortedError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const value = await result;
        onSuccess?.(value);
        publish({ phase: 'end', name, id });
        return value;
      } catch (e) {
        publish({ phase: 'end', name, id, error: (e as SafeError).code });
        debug('%s #%d.%d failed: %s', name, this.#instance, id, (e as Error).message);
        throw e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      release();
    }
  }
}

function publish(event: OperationEvent): void {
  if (hasSubscribers('safe-wasi:operation')) operationChannel.publish(event);
}

function closedError(): SafeError {
  return new SafeError('Closed', 'this Safe has been closed: create a new Safe to go on');
}

function abortedError(signal: AbortSignal): SafeError {
  return new SafeError('Aborted', 'the operation was aborted by its AbortSignal', { cause: signal.reason });
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (!(signal instanceof AbortSignal)) throw new SafeError('InvalidArgument', 'signal must be an AbortSignal');
  if (signal.aborted) throw abortedError(signal);
}
