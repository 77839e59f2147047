/**
 * `Safe` for Node: the shared API (./safe-base.ts) on Node's platform: the engine in a
 * `worker_threads` Worker lending the component `node:dgram` sockets, contacts from the
 * arguments or the contacts file (host names resolved by DNS), local files and folders,
 * `diagnostics_channel` events and `NODE_DEBUG=safe-wasi` logging.
 */
import { hasSubscribers } from 'node:diagnostics_channel';
import { resolve } from 'node:path';

import { parseContact, readContactsFile, type Contact } from '../core/contacts.js';
import { debug, operationChannel } from '../core/debug.js';
import { SafeError } from '../core/errors.js';
import { Engine } from '../engine/engine.js';
import { nodeEnginePort } from '../engine/node/port.js';
import { downloadToPath } from './download.js';
import { walk } from './local-files.js';
import type { Platform } from './platform.js';
import { SafeBase } from './safe-base.js';
import type { SafeOptions, XorUrlBase } from './types.js';

const node: Platform = {
  name: 'Node',
  engine: (options) => new Engine(nodeEnginePort(options)),
  async contacts(_engine, { bootstrap, allow, relay }) {
    if (relay !== undefined) throw new SafeError('InvalidArgument', 'relay is for browsers: in Node the client has its own UDP sockets (pass bootstrap, or nothing)');
    const contacts: Contact[] = bootstrap ? await Promise.all(bootstrap.map(parseContact)) : await readContactsFile();
    return { bootstrap: contacts, allow: await Promise.all((allow ?? []).map(parseContact)) };
  },
  files: { resolve: (path) => resolve(path), walk, download: downloadToPath },
  blob() {
    throw new SafeError('InvalidArgument', 'storeBlob streams a Blob in a browser; in Node use storeFile(path) or storeBytes(bytes)');
  },
  pieceBytes: 4 * 1024 * 1024,
  publish(event) {
    if (hasSubscribers('safe-wasi:operation')) operationChannel.publish(event);
  },
  debug,
};

/**
 * A client of the Safe Network.
 *
 * @example
 * const safe = new Safe(null, 120);          // default XOR-URL base, 120 s timeout
 * await safe.connect();                      // reads $SAFE_HOME/network_contacts/default
 * const url = await safe.storeBytes(new TextEncoder().encode('hello'));
 * const file = await safe.fetch(url);        // { type: 'PublicFile', data, ... }
 * await safe.close();
 */
export class Safe extends SafeBase {
  /**
   * @param xorurlBase the base of the XOR-URLs this client writes: `'base32z'` (default, also
   *   for `null`), `'base32'` or `'base64'`
   * @param timeoutSecs how long an operation may take before it fails with `Timeout`
   *   (default 120, also for `null`)
   * @param options `{ dryRun: true }` makes a dry runner (as `Safe.dryRunner()`)
   */
  constructor(xorurlBase: XorUrlBase | null = null, timeoutSecs: number | null = null, options: SafeOptions = {}) {
    super(node, xorurlBase, timeoutSecs, options);
  }
}
