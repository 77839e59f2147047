/**
 * `safe nrs ...`: public names (create, add, remove, get), owned by the CLI's key pair.
 */
import { SafeError } from '../core/errors.js';
import type { Verb } from './context.js';
import { print } from './output.js';

/** The top name of "blog.mysite" (or "safe://blog.mysite"): "mysite". */
function topName(name: string): string {
  const host = name.replace(/^safe:\/\//, '').split(/[/?#]/)[0] ?? '';
  return host.slice(host.lastIndexOf('.') + 1);
}

function table(map: Record<string, string>): string {
  const width = Math.max(0, ...Object.keys(map).map((k) => k.length));
  return Object.entries(map)
    .map(([name, link]) => `  ${name.padEnd(width)}  ${link}`)
    .join('\n');
}

const create: Verb = {
  usage: 'safe nrs create <name> [--link URL]',
  help: `Registers the top name of <name> to this CLI's key pair; with --link, points <name> at URL
(a FilesContainer link must carry its ?v=, as \`files put\` prints it).

  -l, --link URL    what the name points to`,
  options: { link: { type: 'string', short: 'l' } },
  positionals: [1, 1],
  async run(ctx, [name], values) {
    const safe = await ctx.connect(true);
    const top = topName(name!);
    const mapUrl = await safe.nrsCreate(top);
    const link = values['link'] as string | undefined;
    const url = link === undefined ? mapUrl : await safe.nrsAssociate(name!, link);
    print(ctx.json, { url, topName: top, ...(link === undefined ? {} : { link }) }, () =>
      link === undefined ? `New NRS map created for "safe://${top}": ${mapUrl}` : `New NRS map created for "safe://${top}"\n+ ${name}  ${link}\nVersioned URL: ${url}`,
    );
  },
};

const add: Verb = {
  usage: 'safe nrs add <name> --link URL',
  help: `Points the public name <name> (e.g. blog.mysite) at URL, registering its top name first
when it is not registered yet.

  -l, --link URL    what the name points to`,
  options: { link: { type: 'string', short: 'l' } },
  positionals: [1, 1],
  async run(ctx, [name], values) {
    const link = values['link'];
    if (typeof link !== 'string') throw new SafeError('InvalidArgument', '--link URL is needed: what the name should point to');
    const safe = await ctx.connect(true);
    const [url, createdTopName] = await safe.nrsAdd(name!, link);
    print(ctx.json, { url, createdTopName }, () => `${createdTopName ? `New NRS map created for "safe://${topName(name!)}"\n` : ''}+ ${name}  ${link}\nVersioned URL: ${url}`);
  },
};

const remove: Verb = {
  usage: 'safe nrs remove <name>',
  help: 'Removes the link of the public name <name>.',
  positionals: [1, 1],
  async run(ctx, [name]) {
    const safe = await ctx.connect(true);
    const url = await safe.nrsRemove(name!);
    print(ctx.json, { url }, () => `- ${name}\nVersioned URL: ${url}`);
  },
};

const get: Verb = {
  usage: 'safe nrs get <name> [--version V]',
  help: `Prints what <name> links to and its top name's NRS map (at --version V, or the latest).

  --version V    a version of the map, as in ?v=`,
  options: { version: { type: 'string' } },
  positionals: [1, 1],
  async run(ctx, [name], values) {
    const safe = await ctx.connect();
    const [link, nrsMap] = await safe.nrsGet(name!, (values['version'] as string | undefined) ?? null);
    print(ctx.json, { link, nrsMap }, () => `${name} -> ${link ?? '(no link)'}\nNRS map of "safe://${topName(name!)}":\n${table(nrsMap)}`);
  },
};

/** The `nrs` verbs by name. */
export const nrsVerbs: Record<string, Verb> = { create, add, remove, get };
