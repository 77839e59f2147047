/**
 * Socket addresses between their WIT form (`ip-socket-address`) and `ip`/`port` pairs: shared
 * by every transport (Node's UDP sockets, the browser's relay socket, the relay itself), so it
 * imports nothing platform-specific.
 */
import type { IpSocketAddress } from '../../pkg/js/interfaces/safe-client-datagram.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Whether `ip` is a dotted-quad IPv4 address. */
export function isIPv4(ip: string): boolean {
  const m = IPV4.exec(ip);
  return m !== null && m.slice(1).every((g) => Number(g) <= 255);
}

/** Converts a WIT socket address to the `[ip, port]` a socket API wants. */
export function toHostAddress(a: IpSocketAddress): [string, number] {
  if (a.tag === 'ipv4') return [a.val.address.join('.'), a.val.port];
  return [a.val.address.map((s) => s.toString(16)).join(':'), a.val.port];
}

/** Converts an IP address and port to a WIT socket address. */
export function toWitAddress(ip: string, port: number): IpSocketAddress {
  if (isIPv4(ip)) {
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    return { tag: 'ipv4', val: { port, address: [a, b, c, d] } };
  }
  return { tag: 'ipv6', val: { port, flowInfo: 0, scopeId: 0, address: expandIPv6(ip) } };
}

function expandIPv6(ip: string): [number, number, number, number, number, number, number, number] {
  const [head, tail = ''] = ip.split('%')[0]!.split('::') as [string, string?];
  const parse = (s: string) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const h = parse(head);
  const t = ip.includes('::') ? parse(tail) : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return groups as [number, number, number, number, number, number, number, number];
}
