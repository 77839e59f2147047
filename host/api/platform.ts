/**
 * What a `Safe` needs from the platform it runs on, given to it by its host's entry: Node's in
 * ./safe.ts (a worker thread, `node:dgram`, the contacts file, local files), the browser's in
 * host/browser/safe.ts (a Web Worker, a WebSocket relay, Blobs). The API itself (./safe-base.ts)
 * imports nothing platform-specific, so both hosts run the same class.
 */
import type { Contact } from '../core/contact.js';
import type { OperationEvent } from '../core/debug.js';
import type { Engine } from '../engine/engine.js';
import type { EngineOptions, SourceSpec } from '../engine/protocol.js';
import type { LocalEntry, WalkOptions } from './local-files.js';
import type { FileReads, ToPathOptions } from './stream.js';
import type { ConnectOptions } from './types.js';

/** Local files (Node only). */
export interface LocalFiles {
  /** The absolute form of `path`. */
  resolve(path: string): string;
  walk(location: string, options: WalkOptions): Promise<LocalEntry[]>;
  download(reads: FileReads, url: string, path: string, options?: ToPathOptions): Promise<number>;
}

export interface Platform {
  /** What `connect` and `new Safe()` call a host in messages, e.g. `Node` or `a browser`. */
  name: string;
  /** Starts the engine of one `Safe`. */
  engine(options: EngineOptions): Engine;
  /**
   * The contacts `connect(options)` bootstraps from, and those its `allow` adds. A browser also
   * lends the engine its relay socket here.
   */
  contacts(engine: Engine, options: ConnectOptions): Promise<{ bootstrap: Contact[]; allow: Contact[] }>;
  /** Local files, where the platform has them. */
  files?: LocalFiles;
  /** The source of `storeBlob`'s Blob; throws a `SafeError` where Blobs cannot be streamed. */
  blob(blob: unknown): SourceSpec;
  /** Buffers travel to the engine in pieces of this size, one per turn of the event loop. */
  pieceBytes: number;
  /** Publishes an operation's start or end (Node: `diagnostics_channel`). */
  publish(event: OperationEvent): void;
  debug(format: string, ...args: unknown[]): void;
}
