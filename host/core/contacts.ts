/**
 * Network contacts: where `connect()` finds the nodes to bootstrap from.
 *
 * A contact is `host:port`, optionally prefixed by the node's id (`<64 hex>@host:port`), which
 * the client then requires the node's TLS key to match. With no bootstrap list `connect()` reads
 * the contacts file `$SAFE_HOME/network_contacts/default` (SAFE_HOME defaults to `~/.safe`),
 * which `safe testnet start` writes:
 *
 *     { "version": 1, "contacts": [{ "id": "<64 hex>", "addr": "127.0.0.1:12000" }] }
 */
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { SafeError } from './errors.js';

/** A resolved bootstrap contact. */
export interface Contact {
  /** An IP address (v4 or v6), never a host name. */
  ip: string;
  port: number;
  /** The node id in hex, when known. */
  id?: string;
}

/** The directory safe-wasi keeps its files in: `$SAFE_HOME`, or `~/.safe`. */
export function safeHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['SAFE_HOME'] || join(homedir(), '.safe');
}

/** Where the default network's contacts live. */
export function contactsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(safeHome(env), 'network_contacts', 'default');
}

const ID = /^[0-9a-f]{64}$/;

/** Parses `[id@]host:port` (IPv6 in brackets), resolving a host name to an address. */
export async function parseContact(text: string): Promise<Contact> {
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
  if (isIP(host) === 0) {
    try {
      ip = (await lookup(host)).address;
    } catch (cause) {
      throw new SafeError('InvalidArgument', `bootstrap contact '${text}': cannot resolve host '${host}'`, { cause });
    }
  }
  return id === undefined ? { ip, port } : { ip, port, id };
}

/** Reads the contacts file; fails with `NoContacts` when there is none or it is unreadable. */
export async function readContactsFile(path = contactsPath()): Promise<Contact[]> {
  const hint = 'start a local network with `npx safe testnet start`, or pass connect({ bootstrap: ["127.0.0.1:12000"] })';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SafeError('NoContacts', `no network contacts file at ${path}: ${hint}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new SafeError('NoContacts', `the contacts file ${path} is not valid JSON: ${hint}`, { cause });
  }
  const list = (parsed as { contacts?: unknown })?.contacts;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SafeError('NoContacts', `the contacts file ${path} lists no contacts: ${hint}`);
  }
  return Promise.all(
    list.map((c: { id?: unknown; addr?: unknown }) =>
      parseContact(typeof c?.id === 'string' ? `${c.id}@${String(c.addr)}` : String(c?.addr)),
    ),
  );
}
