/**
 * safe-wasi in a browser page: the same `Safe` API as in Node, the same client component in a
 * Web Worker, its encrypted datagrams carried over a WebSocket by `safe relay`. Bundled by
 * scripts/build-browser.mjs into `dist/browser/safe-wasi.js` (plus its worker and core wasm).
 *
 * @example
 * import { Safe, SafeError } from './safe-wasi.js';
 * const safe = new Safe();
 * await safe.connect({ relay: 'ws://127.0.0.1:8787' });
 */
export { Safe } from './safe.js';
export type {
  ByteRange,
  ChunkReplicas,
  CallOptions,
  ConnectOptions,
  FileChange,
  FileInfo,
  FileReplicas,
  FilesContainer,
  FilesContainerAddOptions,
  FilesContainerOptions,
  FilesContainerRemoveOptions,
  FilesContainerSyncOptions,
  FilesMap,
  Keypair,
  Multimap,
  MultimapEntry,
  NetworkInfo,
  NrsEntry,
  NrsMap,
  NrsMapContainer,
  ProcessedFiles,
  Progress,
  PublicFile,
  Register,
  RegisterEntry,
  Replica,
  SafeData,
  SafeKey,
  SafeOptions,
  XorUrlBase,
} from '../api/types.js';
export type { ResolvedUrl } from '../api/safe-base.js';
export { ErrorCodes, SafeError, type ErrorCode } from '../core/errors.js';
export { SafeUrl, type ContentType, type DataType, type SafeUrlEncodeOptions } from '../api/safe-url.js';
export { RwLock, type Release } from '../core/lock.js';
