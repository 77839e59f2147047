/**
 * The wire format between a page and `safe relay`, over one WebSocket. Shared by the relay
 * (host/relay/server.ts) and the browser's relay socket (host/browser/relay-socket.ts), so it
 * imports nothing platform-specific.
 *
 * Binary frames carry UDP datagrams, in both directions, one or more per frame (what arrived or
 * was sent in one turn travels together: one WebSocket message, not one per datagram). A frame
 * is a sequence of records:
 *
 *     offset  size    field
 *     0       1       address family: 4 (IPv4) or 6 (IPv6)
 *     1       4 | 16  the IP address (IPv6: eight 16-bit groups, big-endian)
 *     5 | 17  2       the UDP port, big-endian
 *     7 | 19  2       the payload's length, big-endian (0 to MAX_DATAGRAM)
 *     9 | 21  length  the datagram's payload
 *
 * Page to relay the address is where to send the datagram; relay to page it is where the
 * datagram came from. The payload is what the client component's QUIC endpoint sent or is
 * given: encrypted QUIC packets; the relay never has a key to read them. A frame is at most
 * MAX_FRAME bytes; a malformed frame is dropped whole.
 *
 * Text frames are JSON control messages, relay to page only ({@link RelayNotice}): a `hello`
 * first (before any binary frame), then a `refused` whenever the relay dropped datagrams the
 * page sent to an address outside the network. A page that sends a text frame is closed.
 */
import type { IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';

/** The version of this format, in the `hello`. */
export const FRAME_VERSION = 2;
/** The largest payload of one datagram: the largest UDP payload (and the client's QUIC limit). */
export const MAX_DATAGRAM = 65_527;
/** The largest binary frame (several datagrams; always room for one of MAX_DATAGRAM). */
export const MAX_FRAME = 256 * 1024;

/** One datagram of a frame: where to (or from), and its payload. */
export interface FrameRecord {
  address: IpSocketAddress;
  payload: Uint8Array;
}

/** A control message from the relay. */
export type RelayNotice =
  /**
   * The first message: the relay's format version, the network contacts it forwards to
   * (`[id@]ip:port`, for a page given no bootstrap), and the address of the UDP socket it opened
   * for this page (what the component sees as its socket's local address).
   */
  | { type: 'hello'; version: number; contacts: string[]; local: { ip: string; port: number } }
  /** The relay dropped `datagrams` the page sent to `address`: not an address of the network. */
  | { type: 'refused'; address: string; datagrams: number };

function recordSize(r: FrameRecord): number {
  return (r.address.tag === 'ipv4' ? 9 : 21) + r.payload.byteLength;
}

/** Datagrams as binary frames: as few as fit MAX_FRAME, in order. */
export function encodeFrames(records: readonly FrameRecord[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < records.length) {
    let size = 0;
    let end = at;
    while (end < records.length && (end === at || size + recordSize(records[end]!) <= MAX_FRAME)) size += recordSize(records[end++]!);
    const frame = new Uint8Array(size);
    const view = new DataView(frame.buffer);
    let o = 0;
    for (const { address, payload } of records.slice(at, end)) {
      if (address.tag === 'ipv4') {
        frame[o] = 4;
        frame.set(address.val.address, o + 1);
        o += 5;
      } else {
        frame[o] = 6;
        address.val.address.forEach((group, i) => view.setUint16(o + 1 + 2 * i, group));
        o += 17;
      }
      view.setUint16(o, address.val.port);
      view.setUint16(o + 2, payload.byteLength);
      frame.set(payload, o + 4);
      o += 4 + payload.byteLength;
    }
    frames.push(frame);
    at = end;
  }
  return frames;
}

/** A binary frame's datagrams (payloads are views of `frame`), or why it is malformed. */
export function decodeFrame(frame: Uint8Array): { records: FrameRecord[] } | { error: string } {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const records: FrameRecord[] = [];
  if (frame.byteLength > MAX_FRAME) return { error: `a ${frame.byteLength}-byte frame is over ${MAX_FRAME} bytes` };
  let o = 0;
  while (o < frame.byteLength) {
    const family = frame[o];
    if (family !== 4 && family !== 6) return { error: `unknown address family ${String(family)} at byte ${o}` };
    const head = family === 4 ? 9 : 21;
    if (frame.byteLength - o < head) return { error: `the frame ends inside a record's header (byte ${o})` };
    const port = view.getUint16(o + head - 4);
    const length = view.getUint16(o + head - 2);
    if (length > MAX_DATAGRAM) return { error: `a ${length}-byte datagram is over ${MAX_DATAGRAM} bytes` };
    if (frame.byteLength - o - head < length) return { error: `the frame ends inside a ${length}-byte datagram (byte ${o})` };
    let address: IpSocketAddress;
    if (family === 4) {
      address = { tag: 'ipv4', val: { port, address: [frame[o + 1]!, frame[o + 2]!, frame[o + 3]!, frame[o + 4]!] } };
    } else {
      const g = Array.from({ length: 8 }, (_, i) => view.getUint16(o + 1 + 2 * i)) as [number, number, number, number, number, number, number, number];
      address = { tag: 'ipv6', val: { port, flowInfo: 0, scopeId: 0, address: g } };
    }
    records.push({ address, payload: frame.subarray(o + head, o + head + length) });
    o += head + length;
  }
  return { records };
}
