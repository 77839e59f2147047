/**
 * The browser worker's `udp-socket`: a WebSocket to `safe relay`, which owns a real UDP socket
 * for this page. What the component sends passes the page's own send allowlist (the
 * {@link SendGate}, as in Node) and leaves as binary frames (host/relay/frame.ts), all that one
 * call into the component sent in as few frames as fit; what arrives is handed to the component
 * in batches, one per task. QUIC and TLS stay in the component: the
 * relay only ever carries encrypted datagrams.
 */
import type { Datagram, IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';
import { SafeError } from '../core/errors.js';
import { toWitAddress } from '../engine/address.js';
import type { LentSocket } from '../engine/driver.js';
import type { SendGate, Transmitter } from '../engine/gate.js';
import { FRAME_VERSION, decodeFrame, encodeFrames, type FrameRecord, type RelayNotice } from '../relay/frame.js';
import { soon, web, type WebSocketLike } from './web.js';

/** How long opening the WebSocket and getting the relay's `hello` may take. */
const OPEN_TIMEOUT_MS = 10_000;

export class RelaySocket implements LentSocket, Transmitter {
  readonly #ws: WebSocketLike;
  readonly #gate: SendGate;
  readonly #local: IpSocketAddress;
  #inbox: Datagram[] = [];
  #outbox: FrameRecord[] = [];
  #handler: ((batch: Datagram[]) => void) | undefined;
  #scheduled = false;

  private constructor(ws: WebSocketLike, gate: SendGate, local: IpSocketAddress) {
    this.#ws = ws;
    this.#gate = gate;
    this.#local = local;
  }

  /**
   * Opens a WebSocket to the relay at `url` and waits for its `hello`; resolves with the socket
   * and the contacts the relay names. `onNotice` is told of every later control message.
   */
  static open(url: string, gate: SendGate, onNotice: (notice: RelayNotice) => void, onClose: (why: string) => void): Promise<{ socket: RelaySocket; contacts: string[] }> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new web.WebSocket(url);
      } catch (e) {
        reject(new SafeError('InvalidArgument', `relay '${url}' is not a WebSocket URL: ${(e as Error).message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      let socket: RelaySocket | undefined;
      const fail = (why: string) => {
        clearTimeout(timer);
        ws.close();
        reject(new SafeError('Network', `cannot use the relay at ${url}: ${why} (is \`safe relay\` running there?)`));
      };
      const timer = setTimeout(() => fail(`no hello within ${OPEN_TIMEOUT_MS / 1000} s`), OPEN_TIMEOUT_MS);
      ws.onmessage = (event) => {
        if (typeof event.data !== 'string') {
          if (socket) socket.#receive(new Uint8Array(event.data));
          return;
        }
        let notice: RelayNotice;
        try {
          notice = JSON.parse(event.data) as RelayNotice;
        } catch {
          return;
        }
        if (notice.type === 'hello' && !socket) {
          clearTimeout(timer);
          if (notice.version !== FRAME_VERSION) {
            fail(`it speaks frame version ${notice.version}, this page ${FRAME_VERSION}`);
            return;
          }
          socket = new RelaySocket(ws, gate, toWitAddress(notice.local.ip, notice.local.port));
          resolve({ socket, contacts: notice.contacts });
        } else {
          onNotice(notice);
        }
      };
      ws.onclose = (event) => {
        if (!socket) fail(`it closed the connection (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        else onClose(`${event.code}${event.reason ? `: ${event.reason}` : ''}`);
      };
      ws.onerror = () => {
        if (!socket) fail('the WebSocket failed');
      };
    });
  }

  /** WIT: the address of the relay's UDP socket for this page. */
  localAddress(): IpSocketAddress {
    return this.#local;
  }

  /** WIT: queues datagrams for sending (those the gate allows) and returns at once. */
  send(datagrams: Datagram[]): void {
    for (const d of datagrams) this.#gate.send(this, d);
  }

  /**
   * Queues one datagram for the WebSocket (the gate allowed it); what the current call sends
   * leaves together once it returns. Loss on a closed socket: QUIC recovers or times out.
   */
  transmit(d: Datagram): void {
    if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#outbox.push({ address: d.remote, payload: d.data });
  }

  #flush(): void {
    const records = this.#outbox;
    this.#outbox = [];
    if (this.#ws.readyState !== 1) return;
    for (const frame of encodeFrames(records)) this.#ws.send(frame);
  }

  onDatagrams(handler: (batch: Datagram[]) => void): void {
    this.#handler = handler;
  }

  #receive(frame: Uint8Array): void {
    const decoded = decodeFrame(frame);
    if ('error' in decoded) return;
    for (const r of decoded.records) this.#inbox.push({ remote: r.address, data: r.payload });
    if (this.#scheduled) return;
    this.#scheduled = true;
    soon(() => {
      this.#scheduled = false;
      const batch = this.#inbox;
      this.#inbox = [];
      this.#handler?.(batch);
    });
  }

  async close(): Promise<void> {
    this.#ws.close(1000, 'client closed');
  }
}
