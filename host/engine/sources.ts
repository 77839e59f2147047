/**
 * Node's `byte-source`s over local files, read synchronously in the engine worker a chunk at a
 * time (see byte-source.ts); the `ByteSource` class itself is re-exported for the Node worker's
 * import object.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { ByteSource } from './byte-source.js';

export { ByteSource };

/** A source over the local file at `path` (opened now, closed when the component drops it). */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    return ByteSource.of(stat.size, (buffer, position) => readSync(fd, buffer, 0, buffer.length, position), () => closeSync(fd));
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * A source over the local file at `path`, of the `size` a walk found, opened at the first
 * read and closed once read to the end (a folder of many files never holds them all open).
 * A file that changed size since the walk fails the read, saying so.
 */
export function listedFileSource(path: string, size: number): ByteSource {
  let fd: number | undefined;
  const close = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  const readAt = (buffer: Uint8Array, position: number): number => {
    if (fd === undefined) {
      fd = openSync(path, 'r');
      const now = fstatSync(fd).size;
      if (now !== size) throw new Error(`${path} changed while it was being stored (${size} bytes when listed, ${now} now): store it again`);
    }
    const n = readSync(fd, buffer, 0, buffer.length, position);
    if (position + n >= size) close();
    return n;
  };
  return ByteSource.of(size, readAt, close);
}
