/**
 * `Safe#filesGetToPath` in Node: a file's stream (./stream.ts) written to a local path through
 * a temporary file, so the path never holds a partial file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { SafeError } from '../core/errors.js';
import * as args from './args.js';
import { openFileStream, type FileReads, type ToPathOptions } from './stream.js';

/**
 * Streams the file at `url` into the local file `path`: into a temporary file next to it, which
 * is renamed to `path` once every byte is written and flushed, and removed on any failure, so
 * `path` never holds a partial file. Returns the number of bytes written.
 */
export async function downloadToPath(reads: FileReads, url: string, path: string, options?: ToPathOptions): Promise<number> {
  const opts = args.options(options) as ToPathOptions;
  const target = resolve(args.text(path, 'path', './file.bin'));
  const overwrite = args.flag(opts.overwrite, 'overwrite', true);
  if (!overwrite && (await exists(target))) throw new SafeError('InvalidArgument', `${target} exists already: remove it, or allow overwriting`);
  const stream = await openFileStream(reads, url, undefined, opts);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
  let written = 0;
  let handle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (cause) {
    await stream.cancel();
    throw localError(`cannot create a file in ${dirname(target)}`, cause);
  }
  try {
    for await (const bytes of stream) {
      let at = 0;
      while (at < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, at);
        at += bytesWritten;
      }
      written += bytes.byteLength;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (!overwrite && (await exists(target))) throw new SafeError('InvalidArgument', `${target} exists already: remove it, or allow overwriting`);
    try {
      await rename(temp, target);
    } catch (cause) {
      throw localError(`cannot write ${target}`, cause);
    }
    return written;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw e instanceof SafeError ? e : localError(`cannot write ${target}`, e);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function localError(what: string, cause: unknown): SafeError {
  const why = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
  return new SafeError('InvalidArgument', `${what} (${why}): check the path and its permissions`, { cause });
}
