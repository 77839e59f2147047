/**
 * The send allowlist: where the component may send datagrams through the sockets this host
 * lends it. By default, the bootstrap contacts of each `connect` and the nodes of the client's
 * network map (`client.node-addresses`), plus what the user allowed (`connect({ allow })`).
 *
 * A datagram to any other address is held, not sent, while the component's call runs (the host
 * may not call back into the component from inside `udp-socket.send`). After the call the
 * driver asks the component for its map's addresses once and settles what was held: sent when
 * the map now lists the address (the map was refreshed), dropped and reported otherwise. So a
 * component that tries to reach an address outside the network never gets a byte there, and
 * nothing is refused that the network map explains.
 */
import type { Datagram, IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';

/** A canonical `ip:port` key of a WIT address (IPv6 groups in full, lower-case hex). */
export function addressKey(a: IpSocketAddress): string {
  if (a.tag === 'ipv4') return `${a.val.address.join('.')}:${a.val.port}`;
  return `[${a.val.address.map((g) => g.toString(16)).join(':')}]:${a.val.port}`;
}

/** Something that can put a datagram on the wire. */
export interface Transmitter {
  transmit(datagram: Datagram): void;
}

export class SendGate {
  readonly #allowed = new Set<string>();
  #held: Array<{ via: Transmitter; datagram: Datagram }> = [];

  /** Allows sending to these addresses from now on. */
  allow(addresses: Iterable<IpSocketAddress>): void {
    for (const a of addresses) this.#allowed.add(addressKey(a));
  }

  /** Sends `datagram` through `via` now if its destination is allowed, or holds it. */
  send(via: Transmitter, datagram: Datagram): void {
    if (this.#allowed.has(addressKey(datagram.remote))) via.transmit(datagram);
    else this.#held.push({ via, datagram });
  }

  /** Whether datagrams are waiting for {@link settle}. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /**
   * Allows the network map's `nodes`, then sends what was held for them and drops the rest,
   * telling `refused` each address dropped (once per settle).
   */
  settle(nodes: IpSocketAddress[], refused: (address: string, datagrams: number) => void): void {
    this.allow(nodes);
    const held = this.#held;
    this.#held = [];
    const dropped = new Map<string, number>();
    for (const { via, datagram } of held) {
      const key = addressKey(datagram.remote);
      if (this.#allowed.has(key)) via.transmit(datagram);
      else dropped.set(key, (dropped.get(key) ?? 0) + 1);
    }
    for (const [address, count] of dropped) refused(address, count);
  }
}
