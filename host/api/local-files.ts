/**
 * Reading a local file or folder for a FilesContainer operation: what is there, with the
 * metadata sn_api recorded (size, mode bits, read-only, creation and modification times,
 * symlink targets). Contents are not read here: each file is read later, a chunk at a time, by
 * the engine as the component stores it.
 */
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';

import { SafeError } from '../core/errors.js';

/** One thing found under the location. */
export interface LocalEntry {
  /** Path relative to the location, '/'-separated; '' for the location itself. */
  path: string;
  /** Its absolute path on this machine (for the engine to read a file from). */
  absolute: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Bytes, for a file; 0 otherwise. */
  size: number;
  /** Unix mode bits. */
  modeBits: number;
  readonly: boolean;
  /** RFC 3339, when the file system knows. */
  created?: string;
  modified?: string;
  /** For a symlink (not followed): its target as written, and what that target is. */
  symlinkTarget?: string;
  symlinkTargetType?: 'file' | 'dir' | 'unknown';
}

/** How to walk. */
export interface WalkOptions {
  /** Descend into sub-folders (otherwise only the folder's own entries). */
  recursive: boolean;
  /** Treat symlinks as what they point to (otherwise record them as links). */
  followLinks: boolean;
}

/** Most entries one operation takes. */
export const MAX_ENTRIES = 100_000;

/**
 * Lists `location` (a file or a folder) for a FilesContainer operation. The location itself
 * comes first (as '' ), then what is under it, depth first, names sorted.
 */
export async function walk(location: string, options: WalkOptions): Promise<LocalEntry[]> {
  const root = resolve(location);
  const first = await statOf(root, true).catch((e: NodeJS.ErrnoException) => {
    throw new SafeError('InvalidArgument', `cannot read ${location}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}`, { cause: e });
  });
  const entries: LocalEntry[] = [];
  await visit(root, '', first, 0, new Set());
  return entries;

  /** `ancestors` holds the folders being walked above this one (device:inode). */
  async function visit(absolute: string, path: string, info: Stats, depth: number, ancestors: Set<string>): Promise<void> {
    if (entries.length >= MAX_ENTRIES) {
      throw new SafeError('InvalidArgument', `${location} holds more than ${MAX_ENTRIES} files and folders: store it in parts`);
    }
    let entry: LocalEntry;
    if (info.isSymbolicLink()) {
      entry = { ...common(absolute, path, info), kind: 'symlink', size: 0, ...(await linkTarget(absolute)) };
      entries.push(entry);
      return;
    }
    if (info.isFile()) {
      entries.push({ ...common(absolute, path, info), kind: 'file', size: info.size });
      return;
    }
    if (!info.isDirectory()) return; // sockets, devices, FIFOs: nothing to store
    entries.push({ ...common(absolute, path, info), kind: 'dir', size: 0 });
    if (depth > 0 && !options.recursive) return;
    // A followed link can lead back to a folder being walked (a loop): list it, do not enter.
    const identity = `${info.dev}:${info.ino}`;
    if (ancestors.has(identity)) return;
    const inside = new Set(ancestors).add(identity);
    const names = (await readdir(absolute)).sort();
    for (const name of names) {
      const child = join(absolute, name);
      let childInfo: Stats;
      try {
        childInfo = await statOf(child, options.followLinks);
      } catch {
        // A broken followed link: record it as a link, as sn_api did.
        childInfo = await lstat(child);
      }
      await visit(child, path === '' ? name : `${path}/${name}`, childInfo, depth + 1, inside);
    }
  }
}

async function statOf(path: string, follow: boolean): Promise<Stats> {
  return follow ? stat(path) : lstat(path);
}

function common(absolute: string, path: string, info: Stats) {
  const times: { created?: string; modified?: string } = {};
  if (info.birthtimeMs > 0) times.created = info.birthtime.toISOString();
  if (info.mtimeMs > 0) times.modified = info.mtime.toISOString();
  return {
    path,
    absolute,
    modeBits: info.mode,
    // sn_api recorded Rust's Permissions::readonly(): no write bit for anyone.
    readonly: (info.mode & 0o222) === 0,
    ...times,
  };
}

async function linkTarget(absolute: string): Promise<{ symlinkTarget: string; symlinkTargetType: 'file' | 'dir' | 'unknown' }> {
  const target = (await readlink(absolute)).split(sep).join('/');
  let type: 'file' | 'dir' | 'unknown' = 'unknown';
  try {
    type = (await stat(absolute)).isDirectory() ? 'dir' : 'file';
  } catch {
    // A broken link: its target's type cannot be known.
  }
  return { symlinkTarget: target, symlinkTargetType: type };
}
