/**
 * `safe cat` and `safe dog`: what a URL holds, and how it resolves. `cat` streams a file's bytes
 * to stdout (a few pieces at a time, see api/stream.ts), so a large file never sits in memory;
 * for anything else it prints a listing.
 */
import type { SafeData } from '../api/types.js';
import type { Verb } from './context.js';
import { filesTable, print, toJson } from './output.js';

/** Resolves when stdout has drained or closed, leaving no listener behind. */
function drained(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('close', done);
  });
}

/** Writes the stream to stdout, waiting for it to drain; stops quietly when stdout closes (`| head`). */
async function toStdout(stream: ReadableStream<Uint8Array>): Promise<void> {
  let closed = false;
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
  };
  process.stdout.on('error', onError);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (closed) break;
      if (!process.stdout.write(value)) await drained();
    }
  } finally {
    if (closed) await reader.cancel();
    reader.releaseLock();
    process.stdout.off('error', onError);
  }
}

function listingOf(data: SafeData): string {
  switch (data.type) {
    case 'FilesContainer':
      return `Files of FilesContainer (version ${data.version}) at "${data.resolvedFrom}":\n${filesTable(data.filesMap, commonFolder(Object.keys(data.filesMap)))}`;
    case 'NrsMapContainer':
      return `NRS map of "safe://${data.publicName}" (version ${data.version}):\n${Object.entries(data.nrsMap)
        .map(([k, v]) => `  ${k}  ${v}`)
        .join('\n')}`;
    case 'SafeKey':
      return `No content to show since the URL targets a SafeKey. Use \`safe dog ${data.resolvedFrom}\` to inspect it.`;
    case 'Register':
      return `Register at "${data.resolvedFrom}", current entries:\n${data.entries.map((e) => `  ${e.hash}  ${Buffer.from(e.entry).toString('utf8')}`).join('\n')}`;
    case 'Multimap':
      return `Multimap at "${data.resolvedFrom}", current entries:\n${data.entries.map((e) => `  ${e.hash}  ${Buffer.from(e.key).toString('utf8')} = ${Buffer.from(e.value).toString('utf8')}`).join('\n')}`;
    default:
      return toJson(data);
  }
}

/** The folder a folder's listing (full paths) is under. */
function commonFolder(paths: string[]): string {
  if (paths.length === 0) return '/';
  const parts = paths.map((p) => p.split('/').slice(0, -1));
  const first = parts[0]!;
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/') || '/';
}

const cat: Verb = {
  usage: 'safe cat <url>',
  help: `Writes the file at <url> to stdout, streamed; for a FilesContainer, an NRS map, a key, a
register or a multimap, prints what it holds (with --json: as JSON).`,
  positionals: [1, 1],
  async run(ctx, [url]) {
    const safe = await ctx.connect();
    // inspect, not fetch, tells a file apart: see resolveFile in api/stream.ts.
    const last = (await safe.inspect(url!)).at(-1);
    if (last?.type === 'PublicFile') {
      await toStdout(await safe.filesGetStream(last.xorurl));
      return;
    }
    const data = await safe.fetch(url!);
    print(ctx.json, data, () => listingOf(data));
  },
};

function stepLines(data: SafeData, i: number): string {
  const lines = [`== URL resolution step ${i + 1} ==`, `Resolved from: ${data.resolvedFrom}`, `= ${data.type} =`];
  for (const [key, value] of Object.entries(data)) {
    if (key === 'type' || key === 'resolvedFrom' || key === 'data') continue;
    if (key === 'filesMap' || key === 'nrsMap' || key === 'entries') {
      lines.push(`${key}: ${Object.keys(value as object).length} entries`);
      continue;
    }
    lines.push(`${key}: ${typeof value === 'object' && value !== null ? toJson(value).replace(/\n\s*/g, ' ') : String(value)}`);
  }
  return lines.join('\n');
}

const dog: Verb = {
  usage: 'safe dog <url>',
  help: "Shows every step of <url>'s resolution (NRS names, the container, the file), without content.",
  positionals: [1, 1],
  async run(ctx, [url]) {
    const safe = await ctx.connect();
    const steps = await safe.inspect(url!);
    print(ctx.json, { url, steps }, () => steps.map(stepLines).join('\n\n'));
  },
};

/** `cat` and `dog`. */
export const inspectVerbs: Record<string, Verb> = { cat, dog };
