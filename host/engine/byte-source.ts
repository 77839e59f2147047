/**
 * The `byte-source` resource of the WIT world: bytes the component pulls on demand, from
 * whatever the host has (a local file in Node, a Blob in a browser, buffers sent ahead). Reads
 * are synchronous (the component expects an answer within the call) and bounded by what the
 * component asks for, a chunk at a time, so a large file is never read whole. This runs in the
 * engine worker, never on the main thread; it imports nothing platform-specific (the sources
 * over files are in sources.ts, over Blobs in host/browser/).
 */
type ReadResult = { tag: 'ok'; val: Uint8Array } | { tag: 'err'; val: string };

/** A file's or a buffer's bytes, read front to back. */
export class ByteSource {
  readonly #size: number;
  readonly #readAt: (buffer: Uint8Array, position: number) => number;
  readonly #close: () => void;
  #position = 0;
  #closed = false;

  private constructor(size: number, readAt: (buffer: Uint8Array, position: number) => number, close: () => void) {
    this.#size = size;
    this.#readAt = readAt;
    this.#close = close;
  }

  /**
   * A source of `size` bytes that `readAt` fills from `position` (returning how many it wrote,
   * 0 only at an unexpected end); `close` releases what it holds.
   */
  static of(size: number, readAt: (buffer: Uint8Array, position: number) => number, close: () => void = () => {}): ByteSource {
    return new ByteSource(size, readAt, close);
  }

  /** A source over buffers, one after another (never concatenated). */
  static fromPieces(pieces: Uint8Array[]): ByteSource {
    const size = pieces.reduce((sum, p) => sum + p.length, 0);
    return new ByteSource(
      size,
      (buffer, position) => {
        let skip = position;
        let written = 0;
        for (const piece of pieces) {
          if (skip >= piece.length) {
            skip -= piece.length;
            continue;
          }
          const take = Math.min(piece.length - skip, buffer.length - written);
          buffer.set(piece.subarray(skip, skip + take), written);
          written += take;
          skip = 0;
          if (written === buffer.length) break;
        }
        return written;
      },
      () => {},
    );
  }

  /** WIT: the total size. */
  size(): bigint {
    return BigInt(this.#size);
  }

  /** WIT: the next bytes, at most `max`; fewer only at the end. */
  read(max: number): Uint8Array {
    const result = this.#read(max);
    // jco lowers a returned `{ tag: 'err' }` as the result's error.
    return result as unknown as Uint8Array;
  }

  #read(max: number): ReadResult {
    if (this.#closed) return { tag: 'err', val: 'the source was closed' };
    const want = Math.min(max, this.#size - this.#position);
    if (want <= 0) return { tag: 'ok', val: new Uint8Array(0) };
    const buffer = new Uint8Array(want);
    try {
      let got = 0;
      while (got < want) {
        const n = this.#readAt(buffer.subarray(got), this.#position + got);
        if (n === 0) return { tag: 'err', val: `the file ended ${this.#size - this.#position - got} bytes early (was it truncated while being stored?)` };
        got += n;
      }
    } catch (e) {
      return { tag: 'err', val: e instanceof Error ? e.message : String(e) };
    }
    this.#position += want;
    return { tag: 'ok', val: buffer };
  }

  /** Releases the file (jco calls this when the component drops the resource). */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#close();
  }
}
