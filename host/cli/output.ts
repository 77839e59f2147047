/**
 * What the `safe` command prints, and how it fails: human output or one JSON object per command
 * on stdout, progress on stderr (only on a terminal), and the exit codes (0 ok, 1 an error with
 * its `SafeError` code, 2 a usage error).
 *
 * The progress line is a small renderer of this module rather than a library (cli-progress,
 * ora): the package has no runtime dependency but preview2-shim, and a one-line counter that
 * rewrites itself with `\r` at most every 100 ms is all the CLI shows.
 */
import { SafeError } from '../core/errors.js';
import type { FilesMap, ProcessedFiles, Progress } from '../api/types.js';

/** A wrong command line: printed with the verb's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** JSON with bigints as numbers where safe (else strings) and bytes as UTF-8 or hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    },
    2,
  );
}

/** Prints the command's result: `json` under `--json`, else the `human` lines. */
export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${toJson(value)}\n` : ensureNewline(human()));
}

function ensureNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** The sign sn_cli showed before a processed path. */
function sign(change: string): string {
  switch (change) {
    case 'Added':
      return '+';
    case 'Updated':
      return '*';
    case 'Removed':
      return '-';
    default:
      return 'E';
  }
}

/**
 * sn_cli's table of what an operation did: `+ ./site/index.html  safe://...`, one line per path,
 * the failed ones with their reason.
 */
export function processedTable(processed: ProcessedFiles): string {
  const rows = Object.entries(processed).map(([path, c]) => [sign(c.change), path, c.change === 'Failed' ? `<${c.reason}>` : c.link]);
  const width = Math.max(0, ...rows.map((r) => r[1]!.length));
  return rows.map(([s, path, what]) => `${s} ${path!.padEnd(width)}  ${what}`).join('\n');
}

/** A FilesMap as `ls` shows it: type, size, modified time and name of each entry. */
export function filesTable(filesMap: FilesMap, under = '/'): string {
  const prefix = under.endsWith('/') ? under : `${under}/`;
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const [path, info] of Object.entries(filesMap)) {
    if (!path.startsWith(prefix) && path !== under) continue;
    const rest = path.slice(prefix.length);
    if (rest === '') continue;
    const slash = rest.indexOf('/');
    // A deeper path shows as its first folder, once.
    const name = slash < 0 ? rest : rest.slice(0, slash);
    if (seen.has(name)) continue;
    seen.add(name);
    const folder = slash >= 0 || info['type'] === 'inode/directory';
    // A folder's own entry carries its times; a deeper path seen first does not.
    const own = folder ? (filesMap[`${prefix}${name}`] ?? info) : info;
    rows.push([folder ? 'dir' : (info['type'] ?? ''), folder ? '' : (info['size'] ?? ''), own['modified'] ?? '', folder ? `${name}/` : name]);
  }
  if (rows.length === 0) return '';
  const header = ['TYPE', 'SIZE', 'MODIFIED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === 3 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A FilesMap as a tree of its paths under `root`, as `tree` shows it, with the counts. */
export function filesTree(filesMap: FilesMap, root: string): string {
  interface Node {
    path: string;
    children: Map<string, Node>;
  }
  const top: Node = { path: '', children: new Map() };
  for (const path of Object.keys(filesMap).sort()) {
    let node = top;
    for (const part of path.split('/').filter((p) => p !== '')) {
      let child = node.children.get(part);
      if (!child) {
        child = { path: `${node.path}/${part}`, children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
  }
  const lines = [root];
  let files = 0;
  let folders = 0;
  const draw = (node: Node, indent: string) => {
    const entries = [...node.children.values()];
    entries.forEach((child, i) => {
      const last = i === entries.length - 1;
      const folder = child.children.size > 0 || filesMap[child.path]?.['type'] === 'inode/directory';
      if (folder) folders++;
      else files++;
      lines.push(`${indent}${last ? '└── ' : '├── '}${child.path.slice(child.path.lastIndexOf('/') + 1)}`);
      draw(child, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  draw(top, '');
  lines.push('', `${folders} ${folders === 1 ? 'directory' : 'directories'}, ${files} ${files === 1 ? 'file' : 'files'}`);
  return lines.join('\n');
}

/** A size in bytes for people: `20.0 MiB`. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A progress reporter for `onProgress`: a line on stderr rewritten in place, when stderr is a
 * terminal; nothing otherwise. `end()` clears the line.
 */
export function progressLine(label: string): { onProgress?: (p: Progress) => void; end(): void } {
  if (!process.stderr.isTTY) return { end() {} };
  let last = 0;
  let shown = false;
  const show = (p: Progress) => {
    const now = Date.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    shown = true;
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
    const amount = p.unit === 'bytes' ? `${humanBytes(p.done)} / ${humanBytes(p.total)}` : `${p.done} / ${p.total} files`;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const item = p.item ? `  ${p.item}` : '';
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}%  ${amount}${item}`;
    const columns = process.stderr.columns || 80;
    process.stderr.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  };
  return {
    onProgress: show,
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

/** The exit code and stderr line for an error that ended a command. */
export function report(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`safe: ${e.message}\n${e.usage ? `\n${e.usage}\n` : ''}`);
    return 2;
  }
  if (e instanceof SafeError) {
    process.stderr.write(`safe: error [${e.code}]: ${e.message}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  // A local file the command could not read or write (mkdir, symlink, stat of a destination).
  if (typeof (e as NodeJS.ErrnoException)?.code === 'string' && (e as NodeJS.ErrnoException).syscall) {
    process.stderr.write(`safe: error [InvalidArgument]: ${message}: check the local path and its permissions\n`);
    return 1;
  }
  process.stderr.write(`safe: error [Internal]: ${message}\n`);
  return 1;
}
