/**
 * `safe files ...`: FilesContainers from the command line, as sn_cli had them (put, get, sync,
 * add, rm, ls, tree). Human output follows sn_cli: the container URL, then one line per path
 * (`+ ./site/index.html  safe://...`); `--json` prints one object per command (README, "CLI").
 * `--dry-run` (put, sync, add) runs the verb on a dry runner: nothing is written.
 */
import { mkdir, stat, symlink } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

import { SafeError } from '../core/errors.js';
import { SafeUrl } from '../api/safe-url.js';
import type { FileInfo, FilesContainer, FilesMap, ProcessedFiles, SafeData } from '../api/types.js';
import type { Context, Values, Verb } from './context.js';
import { filesTable, filesTree, humanBytes, print, processedTable, progressLine, UsageError } from './output.js';

const changeOptions = {
  'update-nrs': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

/** Whether the command is a dry run (`--dry-run`: the dry runner, which writes nothing). */
function dryRun(values: Values): boolean {
  return values['dry-run'] === true;
}

/**
 * Prints what a change to a container did (or, in a dry run, would do): its version, URL and
 * the processed table. `--json` adds `dryRun: true` to a dry run's object.
 */
function printChange(ctx: Context, what: string, url: string, version: string | null, processed: ProcessedFiles, filesMap: FilesMap, dry: boolean): void {
  print(ctx.json, { url, version, processed, filesMap, ...(dry ? { dryRun: true } : {}) }, () => {
    const head =
      version === null
        ? `No changes ${dry ? 'would be' : 'were'} made to the FilesContainer at "${url}"`
        : dry
          ? `FilesContainer not ${what} since running in dry-run mode (it would be version ${version}): "${versioned(url, version)}"`
          : `FilesContainer ${what} (version ${version}): "${versioned(url, version)}"`;
    const table = processedTable(processed);
    return table === '' ? head : `${head}\n${table}`;
  });
}

function versioned(url: string, version: string): string {
  try {
    const parsed = SafeUrl.parse(url);
    return parsed.isNrs ? url : parsed.withContentVersion(version).toString();
  } catch {
    return url;
  }
}

const put: Verb = {
  usage: 'safe files put <location> [dst] [--recursive] [--follow-links]',
  help: `Stores the local file or folder <location> in a new FilesContainer and prints its URL and
what was stored. As sn_cli: "./site/" puts the folder's contents at the root, "./site" the
folder itself; [dst] is the path in the container to put it under.

  -r, --recursive    descend into sub-folders
  --follow-links     store what symlinks point to, not the links
  --dry-run          store nothing: print the URLs the files would have (needs no network)`,
  options: { recursive: { type: 'boolean', short: 'r' }, 'follow-links': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  positionals: [1, 2],
  async run(ctx, [location, dst], values) {
    const dry = dryRun(values);
    const safe = dry ? ctx.offline(true) : await ctx.connect(true);
    const progress = progressLine(dry ? 'encrypting' : 'storing');
    try {
      const [url, processed, filesMap] = await safe.filesContainerCreateFrom(location!, dst ?? null, {
        recursive: values['recursive'] === true,
        followLinks: values['follow-links'] === true,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.end();
      const head = dry ? 'FilesContainer not created since running in dry-run mode' : `FilesContainer created at: "${url}"`;
      print(ctx.json, { url, processed, filesMap, ...(dry ? { dryRun: true } : {}) }, () => `${head}\n${processedTable(processed)}`);
    } finally {
      progress.end();
    }
  },
};

const sync: Verb = {
  usage: 'safe files sync <location> <url> [--recursive] [--delete] [--update-nrs]',
  help: `Makes the FilesContainer at <url> (under its path) match the local <location>: new and
changed files are stored; with --delete what is gone locally is removed (needs --recursive).

  -r, --recursive    descend into sub-folders
  --delete           remove what the container has under the path but the folder does not
  --update-nrs       when <url> is an NRS name, point it at the new version
  --follow-links     store what symlinks point to, not the links
  --dry-run          change nothing: print what the sync would do (reads the container)`,
  options: { recursive: { type: 'boolean', short: 'r' }, delete: { type: 'boolean' }, 'follow-links': { type: 'boolean' }, ...changeOptions },
  positionals: [2, 2],
  async run(ctx, [location, url], values) {
    const dry = dryRun(values);
    const safe = await ctx.connect(true, dry);
    const progress = progressLine('syncing');
    try {
      const [version, processed, filesMap] = await safe.filesContainerSync(location!, url!, {
        recursive: values['recursive'] === true,
        delete: values['delete'] === true,
        updateNrs: values['update-nrs'] === true,
        followLinks: values['follow-links'] === true,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.end();
      printChange(ctx, dry ? 'synced' : 'synced up', url!, version, processed, filesMap, dry);
    } finally {
      progress.end();
    }
  },
};

const add: Verb = {
  usage: 'safe files add <location> <url> [--force] [--update-nrs] [--follow-links]',
  help: `Adds the local file <location> to the FilesContainer at <url>, at the URL's path (ending
in "/": inside that folder). A file already there is kept, and reported, unless --force.

  -f, --force        replace a file already at the path
  --update-nrs       when <url> is an NRS name, point it at the new version
  --follow-links     store what a symlink points to, not the link
  --dry-run          change nothing: print what the add would do (reads the container)`,
  options: { force: { type: 'boolean', short: 'f' }, 'follow-links': { type: 'boolean' }, ...changeOptions },
  positionals: [2, 2],
  async run(ctx, [location, url], values) {
    const dry = dryRun(values);
    const safe = await ctx.connect(true, dry);
    const [version, processed, filesMap] = await safe.filesContainerAdd(location!, url!, {
      force: values['force'] === true,
      updateNrs: values['update-nrs'] === true,
      followLinks: values['follow-links'] === true,
    });
    printChange(ctx, 'updated', url!, version, processed, filesMap, dry);
  },
};

const rm: Verb = {
  usage: 'safe files rm <url> [--recursive] [--update-nrs]',
  help: `Removes the file (with --recursive, the folder) at <url>'s path from its FilesContainer.

  -r, --recursive    remove a folder and everything under it
  --update-nrs       when <url> is an NRS name, point it at the new version`,
  options: { recursive: { type: 'boolean', short: 'r' }, 'update-nrs': { type: 'boolean' } },
  positionals: [1, 1],
  async run(ctx, [url], values) {
    const safe = await ctx.connect(true);
    const [version, processed, filesMap] = await safe.filesContainerRemovePath(url!, {
      recursive: values['recursive'] === true,
      updateNrs: values['update-nrs'] === true,
    });
    printChange(ctx, 'updated', url!, version, processed, filesMap, false);
  },
};

/** What a URL names, for ls and tree: a container or folder, or one file. */
async function listing(ctx: Context, url: string): Promise<{ data: SafeData; filesMap: FilesMap; under: string }> {
  const safe = await ctx.connect();
  const data = await safe.fetch(url);
  if (data.type === 'FilesContainer') return { data, filesMap: data.filesMap, under: folderPath(url) };
  if (data.type === 'PublicFile') {
    const path = SafeUrl.parse(url).pathDecoded() || `/${data.xorname}`;
    return { data, filesMap: { [path]: data.metadata ?? { link: data.xorurl, size: String(data.size), type: data.mediaType ?? 'Raw' } }, under: path.slice(0, path.lastIndexOf('/')) || '/' };
  }
  throw new SafeError('InvalidArgument', `'${url}' names a ${data.type}, not a FilesContainer: give a container's URL`);
}

/** The decoded path of a URL, as a folder in a FilesMap ('/' for the root). */
function folderPath(url: string): string {
  const path = SafeUrl.parse(url).pathDecoded().replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

const ls: Verb = {
  usage: 'safe files ls <url>',
  help: 'Lists the files and folders at <url>: a FilesContainer, a folder in it, or one file.',
  positionals: [1, 1],
  async run(ctx, [url]) {
    const { data, filesMap, under } = await listing(ctx, url!);
    const version = data.type === 'FilesContainer' ? data.version : null;
    const shown = Object.fromEntries(Object.entries(filesMap).filter(([p]) => under === '/' || p === under || p.startsWith(`${under}/`)));
    print(ctx.json, { url: data.xorurl, version, filesMap: shown }, () => {
      const files = Object.values(shown).filter((i) => i['type'] !== 'inode/directory');
      const size = files.reduce((n, i) => n + Number(i['size'] ?? 0), 0);
      const head = data.type === 'FilesContainer' ? `Files of FilesContainer (version ${version}) at "${url}":` : `File at "${url}":`;
      return `${head}\nFiles: ${files.length}   Size: ${humanBytes(size)}\n${filesTable(shown, under)}`;
    });
  },
};

const tree: Verb = {
  usage: 'safe files tree <url>',
  help: 'Shows the files and folders at <url> as a tree.',
  positionals: [1, 1],
  async run(ctx, [url]) {
    const { data, filesMap, under } = await listing(ctx, url!);
    const below = under === '/' ? '' : under;
    const shown = Object.fromEntries(Object.entries(filesMap).flatMap(([p, i]) => (below === '' ? [[p, i]] : p.startsWith(`${below}/`) ? [[p.slice(below.length), i]] : [])));
    print(ctx.json, { url: data.xorurl, filesMap: shown }, () => filesTree(shown, url!));
  },
};

/** One file of a download: where it goes locally and what it is. */
interface Planned {
  path: string;
  local: string;
  info: FileInfo;
}

const get: Verb = {
  usage: 'safe files get <url> [dest] [--exists overwrite|preserve]',
  help: `Downloads the file, folder or FilesContainer at <url> to [dest] (default: the current
folder). A file goes to [dest] itself, or into it when it is a folder; a container's or
folder's files go under [dest], which is created. Each file is streamed into a temporary file
renamed when it is complete, so nothing is left half-written.

  --exists preserve    keep local files that exist already, and say so (the default)
  --exists overwrite   replace them`,
  options: { exists: { type: 'string' } },
  positionals: [1, 2],
  async run(ctx, [url, dest], values) {
    const exists = (values['exists'] as string | undefined) ?? 'preserve';
    if (exists !== 'overwrite' && exists !== 'preserve') throw new UsageError(`--exists must be overwrite or preserve, got '${exists}'`);
    const safe = await ctx.connect();
    // inspect, not fetch, tells a file apart: see resolveFile in api/stream.ts.
    const last = (await safe.inspect(url!)).at(-1);
    const data = last?.type === 'PublicFile' ? last : await safe.fetch(url!);
    const target = resolve(dest ?? '.');
    let plan: Planned[];
    let folders: string[] = [];
    if (data.type === 'PublicFile') {
      const name = basename(SafeUrl.parse(url!).pathDecoded()) || data.xorname;
      const isDir = await stat(target).then((s) => s.isDirectory(), () => false);
      const local = isDir ? join(target, name) : target;
      plan = [{ path: name, local, info: { link: data.xorurl, size: String(data.size) } }];
    } else if (data.type === 'FilesContainer') {
      ({ plan, folders } = planContainer(data, url!, target));
    } else {
      throw new SafeError('InvalidArgument', `'${url}' names a ${data.type}: only files and FilesContainers can be downloaded`);
    }

    const total = plan.reduce((n, f) => n + Number(f.info['size'] ?? 0), 0);
    const progress = progressLine('downloading');
    const downloaded: { path: string; local: string; link: string; size: number }[] = [];
    const preserved: string[] = [];
    let before = 0;
    try {
      for (const folder of folders) await mkdir(folder, { recursive: true });
      for (const f of plan) {
        await mkdir(resolve(f.local, '..'), { recursive: true });
        const present = await stat(f.local).then(() => true, () => false);
        if (present && exists === 'preserve') {
          preserved.push(f.local);
          before += Number(f.info['size'] ?? 0);
          continue;
        }
        if (f.info['type'] === 'inode/symlink') {
          await symlink(f.info['symlink_target'] ?? '', f.local);
          continue;
        }
        const at = before;
        const size = await safe.filesGetToPath(f.info['link']!, f.local, {
          ...(progress.onProgress ? { onProgress: (p) => progress.onProgress!({ done: at + p.done, total, unit: 'bytes', item: f.path }) } : {}),
        });
        before += size;
        downloaded.push({ path: f.path, local: f.local, link: f.info['link']!, size });
      }
    } finally {
      progress.end();
    }
    print(ctx.json, { url, dest: target, downloaded, preserved }, () => {
      const bytes = downloaded.reduce((n, d) => n + d.size, 0);
      const lines = [`Downloaded ${downloaded.length} ${downloaded.length === 1 ? 'file' : 'files'} (${humanBytes(bytes)}) from "${url}" to ${target}`];
      for (const d of downloaded) lines.push(`+ ${relativeShown(d.local)}  ${d.link}`);
      for (const p of preserved) lines.push(`= ${relativeShown(p)}  <exists: kept (use --exists overwrite to replace it)>`);
      return lines.join('\n');
    });
  },
};

function relativeShown(path: string): string {
  const r = relative(process.cwd(), path);
  return r.startsWith('..') ? path : `.${sep}${r}`;
}

/** The files and folders of a container (under the URL's path) and where each goes under `target`. */
function planContainer(data: FilesContainer, url: string, target: string): { plan: Planned[]; folders: string[] } {
  const under = folderPath(url);
  const prefix = under === '/' ? '/' : `${under}/`;
  const plan: Planned[] = [];
  const folders = [target];
  for (const [path, info] of Object.entries(data.filesMap)) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const parts = rest.split('/');
    // A FilesMap comes from the network: none of its paths may leave the destination.
    if (rest === '' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
      throw new SafeError('Protocol', `the FilesContainer at '${url}' lists the path '${path}', which would leave ${target}: nothing was downloaded`);
    }
    const local = join(target, ...parts);
    if (info['type'] === 'inode/directory') folders.push(local);
    else plan.push({ path, local, info });
  }
  return { plan, folders };
}

/** The `files` verbs by name. */
export const filesVerbs: Record<string, Verb> = { put, get, sync, add, rm, ls, tree };
