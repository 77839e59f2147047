/**
 * Observability: `NODE_DEBUG=safe-wasi` debug logging, and `diagnostics_channel` events that let
 * tools (and tests) watch operations start and end without patching anything.
 */
import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** Logs when `NODE_DEBUG` includes `safe-wasi`. */
export const debug = debuglog('safe-wasi');

/** Published on the channel `safe-wasi:operation`. */
export interface OperationEvent {
  /** `start`: handed to the client component; `end`: its result is back. */
  phase: 'start' | 'end';
  /** The API method, e.g. `fetch`. */
  name: string;
  /** Unique per Safe instance and call. */
  id: number;
  /** For `end`: the error code, if the operation failed. */
  error?: string;
}

/** Channel of {@link OperationEvent}s. */
export const operationChannel = channel('safe-wasi:operation');

/**
 * Published on the channel `safe-wasi:send-refused` when the send allowlist dropped datagrams
 * the client component sent to an address that is neither a bootstrap contact, nor a node of
 * its network map, nor allowed by `connect({ allow })`.
 */
export interface SendRefusedEvent {
  /** The destination, `ip:port` (IPv6 as `[groups]:port`). */
  address: string;
  /** How many datagrams were dropped. */
  datagrams: number;
}

/** Channel of {@link SendRefusedEvent}s. */
export const sendRefusedChannel = channel('safe-wasi:send-refused');
