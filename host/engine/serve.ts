/**
 * The body of an engine worker, the same in every host: instantiates the client component with
 * the imports the host gives (its socket class, `ByteSource`, WASI), creates the {@link Driver}
 * and serves the main thread's messages through it. Messages that arrive while the component is
 * still loading are kept and handled, in order, once it is ready.
 */
import type { instantiate as Instantiate } from '../../pkg/js/safe_client.js';
import { Driver, type DriverHost, type Post } from './driver.js';
import type { EngineOptions, Relay, Shutdown, ToWorker } from './protocol.js';

/** The component's `instantiate`, as jco generates it. */
export type InstantiateFn = typeof Instantiate;

/** What the host's worker entry gives {@link serveEngine}. */
export interface EngineWorker {
  options: EngineOptions;
  post: Post;
  /** Registers the handler of every message from the main thread. */
  onMessage(handler: (message: ToWorker[] | Shutdown | Relay) => void): void;
  /** Ends the worker's side of the channel (after `closed` is posted). */
  close(): void;
  /** Runs once the client is dropped and its sockets closed, before `closed` is posted. */
  beforeClose?(): Promise<void>;
  /** Loads the component's bindings and its core modules. */
  load(): Promise<{ instantiate: InstantiateFn; compile: (name: string) => Promise<WebAssembly.Module> }>;
  /** The host-specific part of the component's imports (`safe:client/datagram`, WASI). */
  imports: Record<string, unknown>;
  host: DriverHost;
  /** Handles a {@link Relay} message (hosts without relays answer `relay-failed`). */
  relay?(message: Relay, driver: Driver): void;
}

/** Runs the engine in the current worker until the main thread asks it to shut down. */
export async function serveEngine(w: EngineWorker): Promise<void> {
  let driver: Driver | undefined;
  const early: Array<ToWorker[] | Relay> = [];
  let shuttingDown = false;

  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    await driver?.shutdown();
    await w.beforeClose?.();
    w.post({ type: 'closed' });
    w.close();
  };
  const dispatch = (d: Driver, message: ToWorker[] | Relay) => {
    if (Array.isArray(message)) d.handle(message);
    else if (w.relay) w.relay(message, d);
    else w.post({ type: 'relay-failed', error: { code: 'InvalidArgument', message: 'this host has its own sockets: a relay is for browsers' } });
  };
  w.onMessage((message) => {
    if (!Array.isArray(message) && message.type === 'shutdown') {
      void shutdown();
      return;
    }
    if (driver) dispatch(driver, message);
    else early.push(message);
  });

  try {
    const { instantiate, compile } = await w.load();
    const root = await instantiate(compile, w.imports as unknown as Parameters<InstantiateFn>[1]);
    driver = await Driver.create(root.client, w.options, w.post, w.host);
    w.post({ type: 'ready' });
    for (const message of early.splice(0)) dispatch(driver, message);
  } catch (e) {
    w.post({ type: 'fatal', error: { code: 'Internal', message: `could not start the Safe client component: ${e instanceof Error ? e.message : String(e)}` } });
  }
}
