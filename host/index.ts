/**
 * safe-wasi: a Safe Network client compiled to a WebAssembly component, run by this Node host.
 *
 * @example
 * import { Safe } from 'safe-wasi';
 * const safe = new Safe();
 * await safe.connect({ bootstrap: ['127.0.0.1:12000'] });
 */
export { Safe } from './api/safe.js';
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
} from './api/types.js';
export type { ResolvedUrl } from './api/safe-base.js';
export { ErrorCodes, SafeError, type ErrorCode } from './core/errors.js';
export { SafeUrl, type ContentType, type DataType, type SafeUrlEncodeOptions } from './api/safe-url.js';
export type { ToPathOptions } from './api/stream.js';
export { RwLock, type Release } from './core/lock.js';
export type { OperationEvent } from './core/debug.js';
