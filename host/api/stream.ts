/**
 * Streaming reads of a file: `Safe#filesGetStream` and `Safe#filesGetToPath`.
 *
 * A file is read as a sequence of ranged `filesGet` calls, each over a window of
 * {@link WINDOW_PIECES} self-encryption pieces (a piece is {@link PIECE_BYTES} bytes: every piece
 * of a file of 3 pieces or more is that size but the last, so windows start and end on chunk
 * boundaries and no chunk is fetched twice). At most {@link READ_AHEAD} windows are in flight,
 * and a window is asked for only when the reader has taken the one before the last, so what the
 * stream holds is bounded (about `(READ_AHEAD + 1) * WINDOW_PIECES` pieces) whatever the size of
 * the file. Cancelling the stream or firing the caller's `AbortSignal` aborts the calls in
 * flight, which cancels their network work inside the client, and starts no more.
 *
 * The cost of this design, which needs no change to the component: every window is a separate
 * `filesGet`, so each re-reads and decodes the file's data map (one extra chunk request per
 * window: the map lists 80 bytes per piece, about 80 KiB for a 1 GiB file, so about 4 % more
 * bytes read at 2 MiB windows for such a file, growing with the file: 2 MiB of map per window for
 * a 25 GiB file). A reader kept open in the component (its `FileReader`, holding the map) would
 * avoid that; it needs a WIT operation that returns pieces as they come, which this host does
 * not have yet.
 */
import { SafeError } from '../core/errors.js';
import * as args from './args.js';
import type { ByteRange, CallOptions, PublicFile, SafeData } from './types.js';

/** The size of a self-encryption piece: 1 MiB - 4 KiB (see the README's "Limits"). */
export const PIECE_BYTES = 1_044_480;
/** How many pieces one `filesGet` call of a stream reads. */
export const WINDOW_PIECES = 2;
/** How many windows may be in flight at once. */
export const READ_AHEAD = 2;
const WINDOW_BYTES = WINDOW_PIECES * PIECE_BYTES;

/** The calls of a `Safe` a stream is made of. */
export interface FileReads {
  inspect(url: string, options?: CallOptions): Promise<SafeData[]>;
  filesGet(url: string, range?: ByteRange, options?: CallOptions): Promise<Uint8Array>;
}

/** Options of {@link openFileStream}: `signal` and `onProgress` (`unit: 'bytes'`). */
export type FileStreamOptions = CallOptions;

/** Options of `filesGetToPath` (its Node implementation is in ./download.ts). */
export interface ToPathOptions extends CallOptions {
  /** Replace a file already at `path` (default true); false fails with `InvalidArgument`. */
  overwrite?: boolean;
}

/**
 * Resolves `url` to a file (a XOR-URL, or a path in a container), then returns a stream of its
 * bytes, or of bytes `[start, end)` of it (end clamped to the size, as `filesGet`).
 * Errors of the resolution (a bad URL, `NotFound`, not a file) reject the returned Promise;
 * errors while reading error the stream.
 */
export async function openFileStream(
  reads: FileReads,
  url: string,
  range?: ByteRange,
  options?: FileStreamOptions,
): Promise<ReadableStream<Uint8Array>> {
  const { signal, onProgress } = args.options(options);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new SafeError('InvalidArgument', 'onProgress must be a function');
  const wanted = args.range(range);
  const file = await resolveFile(reads, args.url(url), signal);
  const size = file.size;
  const start = wanted === undefined ? 0 : Number(wanted.start);
  if (start > size) throw new SafeError('InvalidArgument', `range starts at byte ${start}, past the end of the ${size}-byte file`);
  const end = wanted?.end === undefined ? size : Math.min(size, Number(wanted.end));
  const total = end - start;

  // One controller for every call of this stream: cancel and the caller's signal both abort it.
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal?.reason);
  if (signal) {
    if (signal.aborted) throw aborted(signal);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const settle = () => signal?.removeEventListener('abort', onAbort);

  const inFlight: Promise<Uint8Array>[] = [];
  let next = start;
  let done = 0;
  const fill = () => {
    while (inFlight.length < READ_AHEAD && next < end && !inner.signal.aborted) {
      const to = Math.min(end, (Math.floor(next / WINDOW_BYTES) + 1) * WINDOW_BYTES);
      const window = reads.filesGet(file.xorurl, [next, to], { signal: inner.signal });
      // Rejections are taken when the window's turn comes; until then they must not be unhandled.
      window.catch(() => undefined);
      inFlight.push(window);
      next = to;
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (total === 0) {
          settle();
          controller.close();
          onProgress?.({ done: 0, total: 0, unit: 'bytes' });
        }
      },
      async pull(controller) {
        if (inner.signal.aborted && inFlight.length === 0) {
          settle();
          throw signal?.aborted ? aborted(signal) : new SafeError('Cancelled', 'the stream was cancelled');
        }
        fill();
        const window = inFlight.shift();
        if (window === undefined) {
          settle();
          throw new SafeError('Protocol', `the file ended after ${done} of its ${total} bytes: read it again`);
        }
        let bytes: Uint8Array;
        try {
          bytes = await window;
        } catch (e) {
          inner.abort(e);
          inFlight.length = 0;
          settle();
          // An abort by the caller's signal reads as such, whichever call noticed it first.
          throw signal?.aborted ? aborted(signal) : e;
        }
        fill();
        done += bytes.byteLength;
        controller.enqueue(bytes);
        onProgress?.({ done, total, unit: 'bytes' });
        if (done >= total) {
          settle();
          controller.close();
        }
      },
      cancel(reason) {
        inner.abort(reason);
        inFlight.length = 0;
        settle();
      },
    },
    // Nothing is read ahead by the stream itself: the windows in flight are the read-ahead.
    { highWaterMark: 0 },
  );
}

/**
 * The file `url` names, without its content. `inspect` rather than `fetch`: it gives the same
 * size and XOR-URL, and a `fetch` of a file made the component's memory grow with every byte
 * read by later `filesGet` calls (60 MiB read after it: 123 MiB of linear memory instead of 14).
 */
async function resolveFile(reads: FileReads, url: string, signal: AbortSignal | undefined): Promise<PublicFile> {
  const steps = await reads.inspect(url, signal ? { signal } : {});
  const data = steps.at(-1);
  if (data?.type !== 'PublicFile') {
    throw new SafeError('InvalidArgument', `'${url}' names a ${data?.type ?? 'nothing'}, not a file: give the URL of a file (e.g. a path inside the container)`);
  }
  return data;
}

function aborted(signal: AbortSignal): SafeError {
  return new SafeError('Aborted', 'the operation was aborted by its AbortSignal', { cause: signal.reason });
}
