/**
 * The driving loop around one client component instance, inside the engine worker.
 *
 * Who owns what: the driver owns the component instance, the UDP sockets lent to it and the one
 * timer the component asks for. Everything reaches the component through the driver, one call
 * at a time: operations from the main thread, datagram batches from the sockets, the timer.
 * After each call it drains completions (posting them back) and re-arms the timer with the
 * component's next deadline. Nothing here blocks or waits; if the component traps, the driver
 * stops and reports it, and every later call fails.
 *
 * The driver is the same in every host; what differs (which sockets, how a local file or a Blob
 * is read, how to run something soon, where debug output goes) comes in as a {@link DriverHost}:
 * Node's is in engine/node/worker.ts, the browser's in browser/worker.ts.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { Datagram, IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';
import { fromComponentError } from '../core/errors.js';
import { toWitAddress } from './address.js';
import { ByteSource } from './byte-source.js';
import { SendGate, addressKey } from './gate.js';
import type { EngineOptions, FromWorker, Request, Sendable, SourceSpec, ToWorker, WireError } from './protocol.js';

type ClientExports = { Client: typeof Wit.Client };
/** Posts a message to the main thread. */
export type Post = (message: FromWorker, transfer?: ArrayBuffer[]) => void;

/**
 * A socket lent to the component: the WIT `udp-socket` (`localAddress`, `send`), fed by the
 * host (`onDatagrams`). Its class must be the one the host put in the component's imports.
 */
export interface LentSocket {
  localAddress(): IpSocketAddress;
  send(datagrams: Datagram[]): void;
  /** Calls `handler` with each batch of datagrams that arrived (one batch per turn). */
  onDatagrams(handler: (batch: Datagram[]) => void): void;
  close(): Promise<void>;
}

/** What the driver needs from the host it runs in. */
export interface DriverHost {
  /** The sockets to lend the client at once (a host may lend more later: {@link Driver.attach}). */
  sockets(gate: SendGate): Promise<LentSocket[]>;
  /** Opens a source other than `pieces`; a {@link WireError} fails the call with it. */
  openSource(spec: Exclude<SourceSpec, { kind: 'pieces' }>): ByteSource | WireError;
  /** Runs `f` after pending I/O (Node's `setImmediate`); returns a function that cancels it. */
  soon(f: () => void): () => void;

  /** Debug logging. */
  debug(format: string, ...args: unknown[]): void;
}

export class Driver {
  readonly #client: Wit.Client;
  readonly #post: Post;
  readonly #host: DriverHost;
  readonly #sockets: LentSocket[] = [];
  /** Where the component may send (see gate.ts). */
  readonly #gate = new SendGate();
  /** Operation id (component) -> call id (main thread), and back. */
  readonly #calls = new Map<bigint, number>();
  readonly #ops = new Map<number, bigint>();
  /** Bytes sent ahead for calls whose source is `pieces`. */
  readonly #pieces = new Map<number, Uint8Array[]>();
  /** Cancels the armed timer. */
  #timer: (() => void) | undefined;
  #failure: WireError | undefined;
  /** The network map's addresses as last posted (`map` messages go out only on a change). */
  #map = '';

  private constructor(client: Wit.Client, post: Post, host: DriverHost) {
    this.#client = client;
    this.#post = post;
    this.#host = host;
  }

  /** Creates the client and lends it the sockets the host has from the start. */
  static async create(api: ClientExports, options: EngineOptions, post: Post, host: DriverHost): Promise<Driver> {
    const client = new api.Client({ timeoutMs: BigInt(options.timeoutMs), xorurlBase: options.xorurlBase, dryRun: options.dryRun === true });
    const driver = new Driver(client, post, host);
    for (const socket of await host.sockets(driver.#gate)) driver.attach(socket);
    return driver;
  }

  /** The send allowlist every socket lent to this client sends through. */
  get gate(): SendGate {
    return this.#gate;
  }

  /** Lends the client one more socket (e.g. the browser's relay socket, once it is open). */
  attach(socket: LentSocket): void {
    const index = this.#client.attachSocket(socket as unknown as Wit.UdpSocket);
    this.#sockets.push(socket);
    socket.onDatagrams((batch) => this.#call(() => this.#client.handleDatagrams(index, batch)));
  }

  /** Handles a batch of messages from the main thread. */
  handle(batch: ToWorker[]): void {
    for (const message of batch) {
      if (message.type === 'start') this.#start(message.call, message);
      else if (message.type === 'piece') this.#piece(message.call, message.data);
      else if (message.type === 'allow') this.#gate.allow(message.addresses.map((a) => toWitAddress(a.ip, a.port)));
      else this.#cancel(message.call);
    }
    this.#afterCall();
  }

  #piece(call: number, data: Uint8Array): void {
    const pieces = this.#pieces.get(call) ?? [];
    pieces.push(data);
    this.#pieces.set(call, pieces);
  }

  /**
   * The WIT request for `request`: each source it describes opened as a `byte-source`. Throws a
   * {@link SourceError} when a local file cannot be opened.
   */
  #open(call: number, request: Request): Wit.Request {
    const open = (spec: SourceSpec): ByteSource => this.#openSource(call, spec);
    const openLocal = ({ location, items }: Sendable<Wit.LocalItems>): Wit.LocalItems => ({
      location,
      items: items.map((item): Wit.LocalItem => (item.kind.tag === 'file' ? { ...item, kind: { tag: 'file', val: open(item.kind.val) } } : { ...item, kind: item.kind })),
    });
    switch (request.tag) {
      case 'store-file': {
        const [spec, mediaType] = request.val;
        return { tag: 'store-file', val: [open(spec), mediaType] };
      }
      case 'files-container-create-from':
        return { tag: request.tag, val: { ...request.val, local: openLocal(request.val.local) } };
      case 'files-container-add':
        return { tag: request.tag, val: { ...request.val, local: openLocal(request.val.local) } };
      case 'files-container-sync':
        return { tag: request.tag, val: { ...request.val, local: openLocal(request.val.local) } };
      default:
        return request;
    }
  }

  #openSource(call: number, spec: SourceSpec): ByteSource {
    if (spec.kind === 'pieces') {
      const pieces = this.#pieces.get(call) ?? [];
      this.#pieces.delete(call);
      return ByteSource.fromPieces(pieces);
    }
    const source = this.#host.openSource(spec);
    if (!(source instanceof ByteSource)) throw new SourceError(source);
    return source;
  }

  /** Drops the client (which tells the nodes it is leaving) and closes the sockets. */
  async shutdown(): Promise<void> {
    this.#clearTimer();
    if (!this.#failure) {
      try {
        (this.#client as Partial<Disposable>)[Symbol.dispose]?.();
      } catch (e) {
        this.#host.debug('dropping the client failed: %s', String(e));
      }
    }
    await Promise.all(this.#sockets.map((s) => s.close()));
  }

  #start(call: number, message: Extract<ToWorker, { type: 'start' }>): void {
    if (this.#failure) {
      this.#post({ type: 'done', call, ok: false, error: this.#failure });
      return;
    }
    let request: Wit.Request;
    try {
      request = this.#open(call, message.request);
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      this.#post({ type: 'done', call, ok: false, error: e.error });
      return;
    }
    let id: bigint;
    try {
      id = this.#client.start(request);
    } catch (e) {
      const payload = componentError(e);
      if (payload) {
        this.#post({ type: 'done', call, ok: false, error: payload });
        return;
      }
      this.#die(e);
      return;
    }
    this.#calls.set(id, call);
    this.#ops.set(call, id);
  }

  #cancel(call: number): void {
    this.#pieces.delete(call);
    const id = this.#ops.get(call);
    if (id !== undefined) this.#guard(() => this.#client.cancel(id));
  }

  /** Runs one call into the component, then settles what finished and re-arms the timer. */
  #call(f: () => void): void {
    if (this.#failure) return;
    this.#guard(f);
    this.#afterCall();
  }

  #afterCall(): void {
    if (this.#failure) return;
    this.#guard(() => {
      for (const p of this.#client.drainProgress()) {
        const call = this.#calls.get(p.id);
        if (call === undefined) continue;
        const item = p.item === undefined ? {} : { item: p.item };
        this.#post({ type: 'progress', call, done: Number(p.done), total: Number(p.total), unit: p.unit, ...item });
      }
      for (const c of this.#client.drainCompletions()) this.#complete(c);
      if (this.#gate.holding) {
        const nodes = this.#client.nodeAddresses();
        this.#gate.settle(nodes, (address, datagrams) => {
          this.#host.debug('dropped %d datagram(s) to %s: not a bootstrap contact nor a node of the network map', datagrams, address);
          this.#post({ type: 'refused', address, datagrams });
        });
        this.#postMap(nodes);
      }
      this.#arm(this.#client.nextTimeout());
    });
  }

  /** Tells the main thread the network map's addresses when they changed. */
  #postMap(nodes: IpSocketAddress[]): void {
    const addresses = nodes.map(addressKey).sort();
    const key = addresses.join(' ');
    if (key === this.#map) return;
    this.#map = key;
    this.#post({ type: 'map', addresses });
  }

  #complete(c: Wit.Completion): void {
    const call = this.#calls.get(c.id);
    if (call === undefined) return;
    this.#calls.delete(c.id);
    this.#ops.delete(call);
    if (c.outcome.tag === 'ok') {
      const response = c.outcome.val;
      // The map first: whoever awaits the connect finds the engine's map up to date.
      if (response.tag === 'connected') this.#postMap(this.#client.nodeAddresses());
      this.#post({ type: 'done', call, ok: true, response }, [...ownBuffers(response)]);
    } else {
      this.#post({ type: 'done', call, ok: false, error: fromComponentError(c.outcome.val) });
    }
  }

  #arm(micros: bigint | undefined): void {
    this.#clearTimer();
    if (micros === undefined) return;
    const fire = () => {
      this.#timer = undefined;
      this.#call(() => this.#client.handleTimeout());
    };
    if (micros === 0n) {
      this.#timer = this.#host.soon(fire);
    } else {
      const timer = setTimeout(fire, Math.ceil(Number(micros) / 1000));
      this.#timer = () => clearTimeout(timer);
    }
  }

  #clearTimer(): void {
    this.#timer?.();
    this.#timer = undefined;
  }

  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#die(e);
    }
  }

  /** The component trapped (a bug): nothing more can run on this instance. */
  #die(e: unknown): void {
    if (this.#failure) return;
    const message = `the Safe client component stopped: ${e instanceof Error ? e.message : String(e)}; create a new Safe (and please report this)`;
    this.#failure = { code: 'Internal', message };
    this.#clearTimer();
    this.#post({ type: 'fatal', error: this.#failure });
  }
}

/**
 * The error record of a `result` the component returned, if `e` is one. jco throws the record
 * itself (older versions wrapped it in a `ComponentError` with `.payload`); a trap is an Error.
 */
function componentError(e: unknown): WireError | undefined {
  const record = e instanceof Error && 'payload' in e ? e.payload : e;
  if (isWitError(record)) return fromComponentError(record);
  return undefined;
}

function isWitError(value: unknown): value is Wit.Error {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'string' && 'message' in value && typeof value.message === 'string';
}

/** A local file of a request could not be opened: the call fails with `error`. */
class SourceError extends Error {
  constructor(readonly error: WireError) {
    super(error.message);
  }
}

/**
 * The buffers of the Uint8Arrays in `value` that own their whole buffer, to transfer (not copy)
 * to the main thread. jco lifts each `list<u8>` into a buffer of its own; a view of anything
 * larger (the component's memory) is left to be copied.
 */
function ownBuffers(value: unknown, found = new Set<ArrayBuffer>()): Set<ArrayBuffer> {
  if (value instanceof Uint8Array) {
    const { buffer } = value;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength) found.add(buffer);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) ownBuffers(v, found);
  }
  return found;
}
