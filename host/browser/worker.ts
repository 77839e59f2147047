/**
 * Entry point of the browser's engine Web Worker (bundled as `safe-wasi-worker.js`): the shared
 * engine body (engine/serve.ts) with the browser's parts: the component's core modules fetched
 * from next to this script, a socket over the WebSocket relay (lent when `connect` names it),
 * Blob sources, preview2-shim's browser WASI. The page's main thread never runs QUIC or crypto.
 *
 * The first message from the page is `{ type: 'init', options }`; then the engine protocol.
 */
import { instantiate } from '../../pkg/js/safe_client.js';
import { ByteSource } from '../engine/byte-source.js';
import type { DriverHost } from '../engine/driver.js';
import type { EngineOptions, FromWorker } from '../engine/protocol.js';
import { serveEngine } from '../engine/serve.js';
import { wasiImports } from '../engine/wasi.js';
import { blobSource } from './blob-source.js';
import { RelaySocket } from './relay-socket.js';
import { soon, type WorkerScope } from './web.js';

const scope = globalThis as unknown as WorkerScope;
const debugging = (globalThis as { SAFE_WASI_DEBUG?: boolean }).SAFE_WASI_DEBUG === true;

const host: DriverHost = {
  sockets: async () => [],
  openSource(spec) {
    if (spec.kind === 'blob') return blobSource(spec.blob);
    return { code: 'InvalidArgument', message: 'local files need Node: in a browser store a Blob or bytes' };
  },
  soon,
  debug(format, ...args) {
    if (debugging) console.debug(`safe-wasi worker: ${format}`, ...args);
  },
};

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => scope.postMessage(message, transfer);

scope.onmessage = (event) => {
  const { options } = event.data as { type: 'init'; options: EngineOptions };
  void serveEngine({
    options,
    post,
    onMessage(handler) {
      scope.onmessage = (e) => handler(e.data as Parameters<typeof handler>[0]);
    },
    close: () => scope.close(),
    load: async () => ({
      instantiate,
      compile: async (name) => {
        const response = await fetch(new URL(name, import.meta.url));
        if (!response.ok) throw new Error(`cannot load ${name}: HTTP ${response.status}`);
        return WebAssembly.compile(await response.arrayBuffer());
      },
    }),
    // The relay socket is the component's `udp-socket`: jco checks the class of what is lent.
    imports: { ...wasiImports(), 'safe:client/datagram': { UdpSocket: RelaySocket }, 'safe:client/source': { ByteSource } },
    host,
    relay({ url }, driver) {
      RelaySocket.open(
        url,
        driver.gate,
        (notice) => {
          if (notice.type === 'refused') post({ type: 'refused', address: notice.address, datagrams: notice.datagrams });
        },
        (why) => host.debug('the relay closed the connection: %s', why),
      ).then(
        ({ socket, contacts }) => {
          driver.attach(socket);
          post({ type: 'relayed', contacts });
        },
        (e: unknown) => {
          const code = (e as { code?: string }).code === 'InvalidArgument' ? 'InvalidArgument' : 'Network';
          post({ type: 'relay-failed', error: { code, message: e instanceof Error ? e.message : String(e) } });
        },
      );
    },
  });
};
