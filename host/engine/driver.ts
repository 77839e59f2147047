/**
 * The driving loop around one client component instance, inside the engine worker.
 *
 * Who owns what: the driver owns the component instance, the UDP sockets lent to it and the one
 * timer the component asks for. Everything reaches the component through the driver, one call
 * at a time: operations from the main thread, datagram batches from the sockets, the timer.
 * After each call it drains completions (posting them back) and re-arms the timer with the
 * component's next deadline. Nothing here blocks or waits; if the component traps, the driver
 * stops and reports it, and every later call fails.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import { debug } from '../core/debug.js';
import { fromComponentError } from '../core/errors.js';
import { SendGate } from './gate.js';
import type { EngineOptions, FromWorker, Request, SourceSpec, ToWorker, WireError } from './protocol.js';
import { UdpSocket, toWitAddress } from './sockets.js';
import { ByteSource } from './sources.js';

type ClientExports = { Client: typeof Wit.Client };
type Post = (message: FromWorker, transfer?: ArrayBuffer[]) => void;

export class Driver {
  readonly #client: Wit.Client;
  readonly #post: Post;
  readonly #sockets: UdpSocket[] = [];
  /** Where the component may send (see gate.ts). */
  readonly #gate = new SendGate();
  /** Operation id (component) -> call id (main thread), and back. */
  readonly #calls = new Map<bigint, number>();
  readonly #ops = new Map<number, bigint>();
  /** Bytes sent ahead for calls whose source is `pieces`. */
  readonly #pieces = new Map<number, Uint8Array[]>();
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #failure: WireError | undefined;

  private constructor(client: Wit.Client, post: Post) {
    this.#client = client;
    this.#post = post;
  }

  /** Creates the client and lends it an IPv4 socket (and an IPv6 one where the host has IPv6). */
  static async create(api: ClientExports, options: EngineOptions, post: Post): Promise<Driver> {
    const client = new api.Client({ timeoutMs: BigInt(options.timeoutMs), xorurlBase: options.xorurlBase });
    const driver = new Driver(client, post);
    const sockets = await Promise.allSettled([UdpSocket.bind('udp4', driver.#gate), UdpSocket.bind('udp6', driver.#gate)]);
    for (const s of sockets) {
      if (s.status === 'fulfilled') driver.#attach(s.value);
      else debug('could not bind a socket: %s', String(s.reason));
    }
    if (driver.#sockets.length === 0) throw new Error('could not bind any UDP socket');
    return driver;
  }

  #attach(socket: UdpSocket): void {
    const index = this.#client.attachSocket(socket);
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
    switch (request.tag) {
      case 'store-file': {
        const [spec, mediaType] = request.val;
        return { tag: 'store-file', val: [open(spec), mediaType] };
      }
      case 'files-container-create-from':
      case 'files-container-add':
      case 'files-container-sync': {
        const { local } = request.val;
        const items = local.items.map((item): Wit.LocalItem => (item.kind.tag === 'file' ? { ...item, kind: { tag: 'file', val: open(item.kind.val) } } : { ...item, kind: item.kind }));
        return { tag: request.tag, val: { ...request.val, local: { location: local.location, items } } };
      }
      default:
        return request;
    }
  }

  #openSource(call: number, spec: SourceSpec): ByteSource {
    switch (spec.kind) {
      case 'pieces': {
        const pieces = this.#pieces.get(call) ?? [];
        this.#pieces.delete(call);
        return ByteSource.fromPieces(pieces);
      }
      case 'listed':
        return ByteSource.lazyFile(spec.path, spec.size);
      case 'file':
        try {
          return ByteSource.fromFile(spec.path);
        } catch (e) {
          throw new SourceError({ code: 'InvalidArgument', message: `cannot read ${spec.path}: ${(e as Error).message}` });
        }
    }
  }

  /** Drops the client (which tells the nodes it is leaving) and closes the sockets. */
  async shutdown(): Promise<void> {
    this.#clearTimer();
    if (!this.#failure) {
      try {
        (this.#client as Partial<Disposable>)[Symbol.dispose]?.();
      } catch (e) {
        debug('dropping the client failed: %s', String(e));
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
        this.#gate.settle(this.#client.nodeAddresses(), (address, datagrams) => {
          debug('dropped %d datagram(s) to %s: not a bootstrap contact nor a node of the network map', datagrams, address);
          this.#post({ type: 'refused', address, datagrams });
        });
      }
      this.#arm(this.#client.nextTimeout());
    });
  }

  #complete(c: Wit.Completion): void {
    const call = this.#calls.get(c.id);
    if (call === undefined) return;
    this.#calls.delete(c.id);
    this.#ops.delete(call);
    if (c.outcome.tag === 'ok') {
      const response = c.outcome.val;
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
    this.#timer = micros === 0n ? setImmediate(fire) : setTimeout(fire, Math.ceil(Number(micros) / 1000));
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
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
