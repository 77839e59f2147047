/**
 * Entry point of the engine worker thread: instantiates the client component with the host's
 * imports (UDP sockets, closed-sandbox WASI) and serves the main thread's messages through a
 * {@link Driver}. Running here, the component's CPU work never stalls the main event loop.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

import { Driver } from './driver.js';
import type { EngineOptions, FromWorker, Shutdown, ToWorker } from './protocol.js';
import { UdpSocket } from './sockets.js';
import { ByteSource } from './sources.js';
import { wasiImports } from './wasi.js';

const port = parentPort!;
const { options } = workerData as { options: EngineOptions };
/**
 * The component's bindings: `pkg/js/safe_client.js`, or (for tests of the hosts against another
 * build, such as the fault-injection one in `pkg/faults/`) the file `SAFE_WASI_COMPONENT` names.
 */
const entry = process.env['SAFE_WASI_COMPONENT']
  ? pathToFileURL(resolve(process.env['SAFE_WASI_COMPONENT']))
  : new URL('../../pkg/js/safe_client.js', import.meta.url);
const bindings = new URL('./', entry);

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let driver: Driver | undefined;
const early: ToWorker[][] = [];
let shuttingDown = false;

port.on('message', (message: ToWorker[] | Shutdown) => {
  if (!Array.isArray(message)) {
    void shutdown();
    return;
  }
  if (driver) driver.handle(message);
  else early.push(message);
});

async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  await driver?.shutdown();
  post({ type: 'closed' });
  port.close();
}

try {
  const { instantiate } = (await import(entry.href)) as typeof import('../../pkg/js/safe_client.js');
  const root = await instantiate(
    async (name) => WebAssembly.compile(await readFile(new URL(name, bindings))),
    { ...wasiImports(), 'safe:client/datagram': { UdpSocket }, 'safe:client/source': { ByteSource } } as unknown as Parameters<typeof instantiate>[1],
  );
  driver = await Driver.create(root.client, options, post);
  post({ type: 'ready' });
  for (const batch of early.splice(0)) driver.handle(batch);
} catch (e) {
  post({ type: 'fatal', error: { code: 'Internal', message: `could not start the Safe client component: ${e instanceof Error ? e.message : String(e)}` } });
}
