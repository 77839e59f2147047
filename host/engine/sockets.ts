/**
 * The `udp-socket` resource of the WIT world in Node, implemented on `node:dgram`: the host binds the
 * socket and lends it to the component, which sends through it; what arrives is collected and
 * handed to the component in batches (one batch per turn of the event loop).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

import { debug } from '../core/debug.js';
import type { Datagram, IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';
import { toHostAddress, toWitAddress } from './address.js';
import type { LentSocket } from './driver.js';
import type { SendGate, Transmitter } from './gate.js';

export { toHostAddress, toWitAddress };

/**
 * The receive buffer a socket asks for. The kernel's default (about 208 KiB) holds a dozen of
 * the 16 KiB datagrams nodes send on loopback, fewer than arrive while the component works
 * through one batch; what overflows is lost and resent. The kernel grants at most
 * `net.core.rmem_max`.
 */
export const RECEIVE_BUFFER = 4 * 1024 * 1024;

/** Asks for a {@link RECEIVE_BUFFER}-byte receive buffer; the kernel's default stays if refused. */
export function widenReceiveBuffer(socket: Socket): void {
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER);
  } catch (e) {
    debug('udp receive buffer left at the default: %s', (e as Error).message);
  }
}

/** A bound UDP socket lent to the component; what it sends passes the {@link SendGate}. */
export class UdpSocket implements Transmitter, LentSocket {
  readonly #socket: Socket;
  readonly #local: IpSocketAddress;
  readonly #gate: SendGate;
  #inbox: Datagram[] = [];
  #flushScheduled = false;
  #inFlight = 0;
  #onIdle: (() => void) | undefined;

  private constructor(socket: Socket, gate: SendGate) {
    this.#socket = socket;
    this.#gate = gate;
    const { address, port } = socket.address();
    this.#local = toWitAddress(address, port);
    // Send errors (an unreachable peer, a full buffer) are datagram loss: QUIC recovers.
    socket.on('error', (e) => debug('udp socket error: %s', e.message));
  }

  /** Binds a socket of `type` to an ephemeral port on all interfaces, sending through `gate`. */
  static bind(type: 'udp4' | 'udp6', gate: SendGate): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type, ipv6Only: type === 'udp6' });
      socket.once('error', reject);
      socket.bind({ port: 0, address: type === 'udp4' ? '0.0.0.0' : '::' }, () => {
        socket.off('error', reject);
        widenReceiveBuffer(socket);
        resolve(new UdpSocket(socket, gate));
      });
    });
  }

  /** WIT: the address the socket is bound to. */
  localAddress(): IpSocketAddress {
    return this.#local;
  }

  /** WIT: queues datagrams for sending (those the gate allows) and returns at once. */
  send(datagrams: Datagram[]): void {
    for (const d of datagrams) this.#gate.send(this, d);
  }

  /** Puts one datagram on the wire (the gate allowed it). */
  transmit(d: Datagram): void {
    const [ip, port] = toHostAddress(d.remote);
    this.#inFlight++;
    this.#socket.send(d.data, port, ip, (err) => {
      if (err) debug('udp send to %s:%d failed: %s', ip, port, err.message);
      if (--this.#inFlight === 0) this.#onIdle?.();
    });
  }

  /** Calls `handler` with each batch of datagrams that arrived in one turn of the event loop. */
  onDatagrams(handler: (batch: Datagram[]) => void): void {
    this.#socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
      this.#inbox.push({ remote: toWitAddress(rinfo.address, rinfo.port), data });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          const batch = this.#inbox;
          this.#inbox = [];
          handler(batch);
        });
      }
    });
  }

  /** Closes the socket once queued datagrams have left (or after `graceMs`). */
  async close(graceMs = 200): Promise<void> {
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
