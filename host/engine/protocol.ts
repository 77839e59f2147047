/**
 * Messages between a `Safe` (main thread) and its engine worker, which owns the component
 * instance, the UDP sockets and the timer.
 *
 * Operations cross as the WIT's own types, as jco generates them from `wit/safe-client.wit`
 * (`pkg/js/interfaces/safe-client-client.d.ts`): structured clone carries their bigints and
 * Uint8Arrays as they are. Only a resource cannot cross a thread: where the WIT takes a
 * `byte-source`, the main thread sends a {@link SourceSpec} instead ({@link Sendable}) and the
 * worker opens the source.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { ErrorCode } from '../core/errors.js';
import type { Contact } from '../core/contacts.js';

/** Options the worker needs to create the client. */
export interface EngineOptions {
  timeoutMs: number;
  xorurlBase: Wit.XorurlBase;
  /** A dry runner: the component sends no writes (the WIT's `options.dry-run`); default false. */
  dryRun?: boolean;
}

/** Where the bytes of a `byte-source` come from. */
export type SourceSpec =
  /** A local file, opened when the operation starts (one that cannot be opened fails the call). */
  | { kind: 'file'; path: string }
  /**
   * A local file a walk listed at `size` bytes: opened at its first read and closed once read
   * (a folder of many files never holds them all open); a changed size fails the read.
   */
  | { kind: 'listed'; path: string; size: number }
  /** The bytes sent ahead in `piece` messages for the same call. */
  | { kind: 'pieces' }
  /** A browser's Blob (or File), read a slice at a time by the worker, never whole. */
  | { kind: 'blob'; blob: Blob };

/** `T` with every `byte-source` in it replaced by a {@link SourceSpec}. */
export type Sendable<T> = T extends Wit.ByteSource
  ? SourceSpec
  : T extends Uint8Array | bigint | string | number | boolean | null | undefined
    ? T
    : { [K in keyof T]: Sendable<T[K]> };

/** An operation as the main thread asks for it: the WIT request, its sources described. */
export type Request = Sendable<Wit.Request>;

/**
 * The WIT response of the case `T`. The WIT gives `start` one `response` variant for every
 * request; each method of the API says which case its operation gives (the engine checks each
 * completion against it), so the pairing lives next to the method that makes the request.
 */
export type ResponseTo<T extends Wit.Response['tag']> = Extract<Wit.Response, { tag: T }>;

/** Main thread to worker: a batch of these per message. */
export type ToWorker =
  | { type: 'start'; call: number; request: Request }
  | { type: 'cancel'; call: number }
  /** Part of the bytes of call `call`'s `pieces` source, sent before its start. */
  | { type: 'piece'; call: number; data: Uint8Array }
  /** Addresses the component may send to from now on (bootstrap contacts, the user's allowlist). */
  | { type: 'allow'; addresses: Array<Pick<Contact, 'ip' | 'port'>> };

/** Main thread to worker, alone: drop the client, close the sockets, then say `closed`. */
export type Shutdown = { type: 'shutdown' };

/**
 * Main thread to worker, alone (browser): lend the component a socket over the WebSocket relay
 * at `url` (once; again with the same URL does nothing), then say `relayed` or `relay-failed`.
 */
export type Relay = { type: 'relay'; url: string };

/** A failure in plain form: a `SafeError`'s code and message. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** Worker to main thread. */
export type FromWorker =
  | { type: 'ready' }
  /** How far call `call` has got. */
  | { type: 'progress'; call: number; done: number; total: number; unit: Wit.ProgressUnit; item?: string }
  | { type: 'done'; call: number; ok: true; response: Wit.Response }
  | { type: 'done'; call: number; ok: false; error: WireError }
  /** The send allowlist dropped `datagrams` the component sent to `address` (`ip:port`). */
  | { type: 'refused'; address: string; datagrams: number }
  /** The engine cannot go on (the component trapped, or failed to load). */
  | { type: 'fatal'; error: WireError }
  /** Answer to a shutdown request: sockets are closed. */
  | { type: 'closed' }
  /** The addresses (`ip:port`) of the nodes of the client's network map, each time it changes. */
  | { type: 'map'; addresses: string[] }
  /** Answer to {@link Relay}: the socket is lent; the relay names these network contacts. */
  | { type: 'relayed'; contacts: string[] }
  /** Answer to {@link Relay}: the relay could not be reached or refused the page. */
  | { type: 'relay-failed'; error: WireError };
