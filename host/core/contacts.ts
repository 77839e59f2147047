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
import { homedir } from 'node:os';
import { join } from 'node:path';

import { parseContactWith, type Contact } from './contact.js';
import { SafeError } from './errors.js';

export type { Contact };

/** The directory safe-wasi keeps its files in: `$SAFE_HOME`, or `~/.safe`. */
export function safeHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['SAFE_HOME'] || join(homedir(), '.safe');
}

/** Where the default network's contacts live. */
export function contactsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(safeHome(env), 'network_contacts', 'default');
}

/** Parses `[id@]host:port` (IPv6 in brackets), resolving a host name to an address. */
export function parseContact(text: string): Promise<Contact> {
  return parseContactWith(text, async (host) => (await lookup(host)).address);
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
