/**
 * Errors: every failure a user can meet is a `SafeError` with a stable `code` to match on and a
 * message that says what to do.
 *
 * The codes come from one list, the WIT enum `error-code` (`wit/safe-client.wit`): its cases,
 * renamed to PascalCase (`not-found` -> `NotFound`), are the component's codes, and the compiler
 * checks {@link ComponentErrorCodes} against the enum jco generates from it, so a case added to or
 * removed from the WIT fails the build here until it is listed. The host adds its own codes
 * ({@link HostErrorCodes}) for what only the host can see.
 */
import type { ErrorCode as WitErrorCode } from '../../pkg/js/interfaces/safe-client-client.js';

/** A kebab-case WIT name in PascalCase: `not-found` -> `NotFound`. */
type Pascal<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Capitalize<Head>}${Pascal<Tail>}` : Capitalize<S>;

/** The component's codes (the WIT enum `error-code`), by their WIT names. */
export const ComponentErrorCodes = {
  /** An argument is malformed or out of range. */
  'invalid-argument': 'InvalidArgument',
  /** A string is not a valid safe:// URL. */
  'invalid-url': 'InvalidUrl',
  /** The network holds nothing at the address. */
  'not-found': 'NotFound',
  /** The operation did not finish within the Safe's timeout. */
  timeout: 'Timeout',
  /** The operation needs `connect()` first. */
  'not-connected': 'NotConnected',
  /** Nodes could not be reached, or dropped the connection. */
  network: 'Network',
  /** A node answered something the protocol does not allow (including forged data). */
  protocol: 'Protocol',
  /** The operation was cancelled inside the client. */
  cancelled: 'Cancelled',
  /** The change needs the owner's key: the register or account belongs to another key. */
  'not-owner': 'NotOwner',
  /** The paying account's balance does not cover the amount. */
  'insufficient-balance': 'InsufficientBalance',
  /** The change conflicts with a concurrent one (e.g. the same coins spent twice): re-read and retry. */
  conflict: 'Conflict',
  /** A bug in safe-wasi: please report it. */
  internal: 'Internal',
} as const satisfies { readonly [K in WitErrorCode]: Pascal<K> };

/** Codes only the host gives: the component never sees these failures. */
export const HostErrorCodes = [
  /** The Safe was closed; create a new one. */
  'Closed',
  /** `connect()` found no contacts file and was given no bootstrap contacts. */
  'NoContacts',
  /** The caller's AbortSignal fired (the error's `cause` is the signal's reason). */
  'Aborted',
] as const;

/** Stable error codes. Match on these, not on messages. */
export const ErrorCodes: readonly ErrorCode[] = [...Object.values(ComponentErrorCodes), ...HostErrorCodes];

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ComponentErrorCodes)[WitErrorCode] | (typeof HostErrorCodes)[number];

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

/**
 * The code and message of a component error, as a `SafeError`'s. jco lifts the enum only to one
 * of its cases, so `code` is always known; should bindings and component ever disagree, the
 * error says so rather than passing for an ordinary failure.
 */
export function fromComponentError(e: { code: WitErrorCode; message: string }): { code: ErrorCode; message: string } {
  const code: ErrorCode | undefined = Object.hasOwn(ComponentErrorCodes, e.code) ? ComponentErrorCodes[e.code] : undefined;
  if (code !== undefined) return { code, message: e.message };
  return { code: 'Internal', message: `the component failed with the error code "${String(e.code)}", which this host does not know (are pkg/js and the host from the same build?): ${e.message}` };
}

/** A `SafeError` rebuilt from its plain form after crossing a thread boundary. */
export function revive(e: { code: ErrorCode; message: string }): SafeError {
  return new SafeError(e.code, e.message);
}
