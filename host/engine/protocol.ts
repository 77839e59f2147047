/**
 * Messages between a `Safe` (main thread) and its engine worker, which owns the component
 * instance, the UDP sockets and the timer. Plain data only: it crosses a thread boundary.
 */
import type { LocalEntry } from '../api/local-files.js';
import type { Contact } from '../core/contacts.js';

/** Options the worker needs to create the client. */
export interface EngineOptions {
  timeoutMs: number;
  xorurlBase: 'base32z' | 'base32' | 'base64';
}

/** A byte range `[start, end)`; no `end` means to the end. */
export interface WireRange {
  start: bigint;
  end?: bigint;
}

/** An operation, as the host asks for it. */
export type OpRequest =
  | { op: 'connect'; contacts: Contact[] }
  | { op: 'storeBytes'; data: Uint8Array; mediaType?: string }
  /** A file's bytes: a local path, or the pieces sent ahead in `piece` messages. */
  | { op: 'storeFile'; source: SourceSpec; mediaType?: string }
  | { op: 'filesGet'; url: string; range?: WireRange }
  | { op: 'fetch'; url: string; range?: WireRange }
  | { op: 'newKeypair' }
  | { op: 'getKeypair' }
  | { op: 'setKeypair'; secretKey: string }
  | { op: 'registerCreate'; name?: Uint8Array; tag: bigint; contentType?: string }
  | { op: 'registerRead'; url: string }
  | { op: 'registerReadEntry'; url: string; hash: string }
  | { op: 'registerWrite'; url: string; entry: Uint8Array; parents?: string[] }
  | { op: 'keysCreatePreloadTestCoins'; amount: string }
  | { op: 'keysCreateAndPreload'; amount: string; fromSecretKey?: string }
  | { op: 'keysBalance'; secretKey: string }
  | { op: 'keysTransfer'; amount: string; fromSecretKey: string; toUrl: string }
  | { op: 'inspect'; url: string }
  | { op: 'filesContainerCreate' }
  | { op: 'filesContainerCreateFrom'; local: WireLocal; dst?: string }
  | { op: 'filesContainerAdd'; local: WireLocal; url: string; force: boolean; updateNrs: boolean }
  | { op: 'filesContainerAddFromRaw'; data: Uint8Array; url: string; force: boolean; updateNrs: boolean }
  | { op: 'filesContainerSync'; local: WireLocal; url: string; delete: boolean; updateNrs: boolean }
  | { op: 'filesContainerRemovePath'; url: string; recursive: boolean; updateNrs: boolean }
  | { op: 'filesContainerGet'; url: string }
  | { op: 'nrsCreate'; topName: string }
  | { op: 'nrsAssociate'; name: string; link: string }
  | { op: 'nrsAdd'; name: string; link: string }
  | { op: 'nrsRemove'; name: string }
  | { op: 'nrsGet'; name: string; version?: string }
  | { op: 'multimapCreate'; name?: Uint8Array; tag: bigint }
  | { op: 'multimapGetByKey'; url: string; key: Uint8Array }
  | { op: 'multimapGetByHash'; url: string; hash: string }
  | { op: 'multimapInsert'; url: string; key: Uint8Array; value: Uint8Array; replace: string[] }
  | { op: 'multimapRemove'; url: string; hashes: string[] };

/**
 * What the host found at a local location for a FilesContainer operation: the location as the
 * user wrote it and what `walk` listed. The worker opens each file only when the component
 * starts reading it.
 */
export interface WireLocal {
  location: string;
  entries: LocalEntry[];
}

/** Where a file's bytes come from. */
export type SourceSpec = { kind: 'path'; path: string } | { kind: 'pieces' };

/** Main thread to worker: a batch of these per message. */
export type ToWorker =
  | { type: 'start'; call: number; request: OpRequest }
  | { type: 'cancel'; call: number }
  /** Part of the bytes of call `call`'s `pieces` source, sent before its start. */
  | { type: 'piece'; call: number; data: Uint8Array }
  /** Addresses the component may send to from now on (bootstrap contacts, the user's allowlist). */
  | { type: 'allow'; addresses: Array<Pick<Contact, 'ip' | 'port'>> };

/** Main thread to worker, alone: drop the client, close the sockets, then say `closed`. */
export type Shutdown = { type: 'shutdown' };

/** A failure in plain form. */
export interface WireError {
  code: string;
  message: string;
}

/** Worker to main thread. */
export type FromWorker =
  | { type: 'ready' }
  /** How far call `call` has got. */
  | { type: 'progress'; call: number; done: number; total: number; unit: 'bytes' | 'files'; item?: string }
  | { type: 'done'; call: number; ok: true; value: unknown }
  | { type: 'done'; call: number; ok: false; error: WireError }
  /** The send allowlist dropped `datagrams` the component sent to `address` (`ip:port`). */
  | { type: 'refused'; address: string; datagrams: number }
  /** The engine cannot go on (the component trapped, or failed to load). */
  | { type: 'fatal'; error: WireError }
  /** Answer to a shutdown request: sockets are closed. */
  | { type: 'closed' };
