/**
 * Entry point of the Node engine worker thread: the shared engine body (../serve.ts) with Node's
 * parts: UDP sockets on `node:dgram` (an IPv4 one, and an IPv6 one where the host has IPv6),
 * sources over local files, `setImmediate`, `NODE_DEBUG` logging, and a CPU profile of the
 * thread when `SAFE_WASI_CPU_PROFILE` names a directory (./profile.ts). Running here, the
 * component's CPU work never stalls the main event loop.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

import { debug } from '../../core/debug.js';
import type { DriverHost, LentSocket } from '../driver.js';
import type { EngineOptions, FromWorker } from '../protocol.js';
import { serveEngine, type InstantiateFn } from '../serve.js';
import { startProfile } from './profile.js';
import { UdpSocket } from '../sockets.js';
import { ByteSource, fileSource, listedFileSource } from '../sources.js';
import { wasiImports } from '../wasi.js';

const port = parentPort!;
const { options } = workerData as { options: EngineOptions };
/**
 * The component's bindings: `pkg/js/safe_client.js`, or (for tests of the hosts against another
 * build, such as the fault-injection one in `pkg/faults/`) the file `SAFE_WASI_COMPONENT` names.
 */
const entry = process.env['SAFE_WASI_COMPONENT']
  ? pathToFileURL(resolve(process.env['SAFE_WASI_COMPONENT']))
  : new URL('../../../pkg/js/safe_client.js', import.meta.url);
const bindings = new URL('./', entry);
const stopProfile = await startProfile(process.env['SAFE_WASI_CPU_PROFILE']);

const host: DriverHost = {
  async sockets(gate) {
    const sockets = await Promise.allSettled([UdpSocket.bind('udp4', gate), UdpSocket.bind('udp6', gate)]);
    const bound: LentSocket[] = [];
    for (const s of sockets) {
      if (s.status === 'fulfilled') bound.push(s.value);
      else debug('could not bind a socket: %s', String(s.reason));
    }
    if (bound.length === 0) throw new Error('could not bind any UDP socket');
    return bound;
  },
  openSource(spec) {
    if (spec.kind === 'listed') return listedFileSource(spec.path, spec.size);
    if (spec.kind === 'blob') return { code: 'InvalidArgument', message: 'a Blob source needs a browser host' };
    try {
      return fileSource(spec.path);
    } catch (e) {
      return { code: 'InvalidArgument', message: `cannot read ${spec.path}: ${(e as Error).message}` };
    }
  },
  soon(f) {
    const immediate = setImmediate(f);
    return () => clearImmediate(immediate);
  },
  debug,
};

await serveEngine({
  options,
  post: (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer),
  onMessage: (handler) => port.on('message', handler),
  close: () => port.close(),
  ...(stopProfile ? { beforeClose: stopProfile } : {}),
  load: async () => ({
    instantiate: ((await import(entry.href)) as { instantiate: InstantiateFn }).instantiate,
    compile: async (name) => WebAssembly.compile(await readFile(new URL(name, bindings))),
  }),
  imports: { ...wasiImports(), 'safe:client/datagram': { UdpSocket }, 'safe:client/source': { ByteSource } },
  host,
});
