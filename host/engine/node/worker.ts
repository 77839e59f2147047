/**
 * Entry point of the Node engine worker thread: the shared engine body (../serve.ts) with Node's
 * parts: UDP sockets on `node:dgram` (an IPv4 one, and an IPv6 one where the host has IPv6),
 * sources over local files, `setImmediate`, `NODE_DEBUG` logging, and a CPU profile of the
 * thread when `SAFE_WASI_CPU_PROFILE` names a directory (./profile.ts). Running here, the
 * component's CPU work never stalls the main event loop.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

import { debug } from '../../core/debug.js';
import type { DriverHost, LentSocket } from '../driver.js';
import type { EngineOptions, FromWorker } from '../protocol.js';
import { serveEngine, type InstantiateFn } from '../serve.js';
import type { CoreModules, LentModules } from './modules.js';
import { startProfile } from './profile.js';
import { UdpSocket } from '../sockets.js';
import { ByteSource, fileSource, listedFileSource } from '../sources.js';
import { wasiImports } from '../wasi.js';

const port = parentPort!;
const data = workerData as { options: EngineOptions; entry: string; modules: MessagePort };
const { options } = data;
/** The component's bindings (./modules.ts `componentEntry`, resolved by the main thread). */
const entry = new URL(data.entry);
const bindings = new URL('./', entry);
/**
 * The core modules the main thread compiled for the whole process; if it could not, this worker
 * compiles them itself (and fails with the compiler's own error if they are broken).
 */
const lent = new Promise<CoreModules>((resolve) => {
  data.modules.once('message', (message: LentModules) => {
    data.modules.close();
    if (!message.ok) debug('the shared component modules did not compile (%s): compiling in the worker', message.message);
    resolve(message.ok ? message.modules : {});
  });
});
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
    compile: async (name) => (await lent)[name] ?? WebAssembly.compile(await readFile(new URL(name, bindings))),
  }),
  imports: { ...wasiImports(), 'safe:client/datagram': { UdpSocket }, 'safe:client/source': { ByteSource } },
  host,
});
