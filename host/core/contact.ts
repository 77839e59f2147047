/**
 * A bootstrap contact and its text form `[<64 hex node id>@]host:port`, parsed without any
 * platform API (a host name is resolved by a function the caller gives), so that a browser
 * parses contacts exactly as Node does. core/contacts.ts adds DNS and the contacts file.
 */
import { SafeError } from './errors.js';

/** A resolved bootstrap contact. */
export interface Contact {
  /** An IP address (v4 or v6), never a host name. */
  ip: string;
  port: number;
  /** The node id in hex, when known. */
  id?: string;
}

const ID = /^[0-9a-f]{64}$/;

/**
 * Parses `[id@]host:port` (IPv6 in brackets). A host name is resolved by `resolveHost`; without
 * one (a browser) only IP addresses are accepted.
 */
export async function parseContactWith(text: string, resolveHost?: (host: string) => Promise<string>): Promise<Contact> {
  const bad = (why: string) =>
    new SafeError('InvalidArgument', `bootstrap contact '${text}' is invalid: ${why}; write it as host:port, e.g. 127.0.0.1:12000`);
  if (typeof text !== 'string') throw bad('not a string');
  let rest = text.trim();
  let id: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    id = rest.slice(0, at).toLowerCase();
    rest = rest.slice(at + 1);
    if (!ID.test(id)) throw bad('the node id before @ must be 64 hex characters');
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(rest) ?? /^([^:[\]]+):(\d+)$/.exec(rest);
  if (!m) throw bad('no port');
  const host = m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('the port must be 1 to 65535');
  let ip = host;
  if (!isIP(host)) {
    if (!resolveHost) throw bad('here the host must be an IP address');
    try {
      ip = await resolveHost(host);
    } catch (cause) {
      throw new SafeError('InvalidArgument', `bootstrap contact '${text}': cannot resolve host '${host}'`, { cause });
    }
  }
  return id === undefined ? { ip, port } : { ip, port, id };
}

/** Whether `host` is an IPv4 or IPv6 address (not a name). */
function isIP(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((g) => Number(g) <= 255);
  return host.includes(':') && /^[0-9a-fA-F:.]+(%[\w.-]+)?$/.test(host);
}
