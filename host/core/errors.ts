/**
 * Errors: every failure a user can meet is a `SafeError` with a stable `code` to match on and a
 * message that says what to do. Codes from the component (`InvalidUrl`, `NotFound`, ...) come
 * through unchanged; the host adds its own (`Closed`, `NoContacts`, `Aborted`, ...).
 */

/** Stable error codes. Match on these, not on messages. */
export const ErrorCodes = [
  /** An argument is malformed or out of range. */
  'InvalidArgument',
  /** A string is not a valid safe:// URL. */
  'InvalidUrl',
  /** The network holds nothing at the address. */
  'NotFound',
  /** The operation did not finish within the Safe's timeout. */
  'Timeout',
  /** The operation needs `connect()` first. */
  'NotConnected',
  /** Nodes could not be reached, or dropped the connection. */
  'Network',
  /** A node answered something the protocol does not allow (including forged data). */
  'Protocol',
  /** The operation was cancelled inside the client. */
  'Cancelled',
  /** The change needs the owner's key: the register or account belongs to another key. */
  'NotOwner',
  /** The paying account's balance does not cover the amount. */
  'InsufficientBalance',
  /** The change conflicts with a concurrent one (e.g. the same coins spent twice): re-read and retry. */
  'Conflict',
  /** The Safe was closed; create a new one. */
  'Closed',
  /** `connect()` found no contacts file and was given no bootstrap contacts. */
  'NoContacts',
  /** The caller's AbortSignal fired (the error's `cause` is the signal's reason). */
  'Aborted',
  /** A bug in safe-wasi: please report it. */
  'Internal',
] as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/**
 * The error every safe-wasi call rejects or throws with.
 *
 * @example
 * try { await safe.fetch(url) } catch (e) { if (e instanceof SafeError && e.code === 'NotFound') ... }
 */
export class SafeError extends Error {
  override readonly name = 'SafeError';
  /** What kind of failure; stable across versions. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Maps the component's kebab-case error codes (`not-found`) to ours (`NotFound`). */
export function fromComponentCode(code: string): ErrorCode {
  const camel = code.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
  return (ErrorCodes as readonly string[]).includes(camel) ? (camel as ErrorCode) : 'Internal';
}

/** A `SafeError` rebuilt from its plain form after crossing a thread boundary. */
export function revive(e: { code: string; message: string }): SafeError {
  const code = (ErrorCodes as readonly string[]).includes(e.code) ? (e.code as ErrorCode) : 'Internal';
  return new SafeError(code, e.message);
}
