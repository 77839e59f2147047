/**
 * What every verb of the `safe` command shares: the global options, the connected `Safe`, and the
 * key pair the CLI signs with.
 *
 * Arguments are parsed with `node:util` `parseArgs` (strict, every verb declaring its options):
 * the package has no runtime dependency but preview2-shim, and parseArgs gives what the verbs
 * need (typed flags, repeatable options, positionals, errors for unknown options) without
 * adding one; help texts are written by hand per verb.
 *
 * The CLI's key pair (the owner of the containers and names it creates, and the default payer)
 * is, in this order: `$SAFE_SECRET_KEY` (64 hex), or `$SAFE_HOME/credentials` (JSON
 * `{ publicKey, secretKey }`, mode 0600), which `safe keys create --for-cli` writes. A verb that
 * writes (files put/sync/add/rm, nrs create/add/remove) when there is neither creates a key pair
 * and saves it there first, saying so on stderr, so that the next command can change what this
 * one created.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { safeHome } from '../core/contacts.js';
import { SafeError } from '../core/errors.js';
import { Safe } from '../api/safe.js';
import type { Keypair } from '../api/types.js';
import { UsageError } from './output.js';

/** The options every verb takes. */
export const GLOBAL_OPTIONS = {
  bootstrap: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_HELP = `global options:
  --bootstrap CONTACT   a node to connect through, host:port or <id>@host:port (repeatable;
                        default: the contacts file $SAFE_HOME/network_contacts/default)
  --timeout SECS        how long one operation may take (default 120)
  --json                print one JSON object (see the README's CLI section)
  -h, --help            this help`;

type Options = NonNullable<ParseArgsConfig['options']>;
/** Parsed option values. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** One verb: `safe <group> <name>` (or `safe <name>`). */
export interface Verb {
  /** The synopsis line, e.g. `safe files put <location> [dst] [--recursive]`. */
  usage: string;
  /** What it does, and its own options. */
  help: string;
  options?: Options;
  /** How many positionals it takes, at least and at most. */
  positionals: [min: number, max: number];
  run(ctx: Context, positionals: string[], values: Values): Promise<void>;
}

/** A verb's full help text. */
export function helpOf(verb: Verb): string {
  return `usage: ${verb.usage}\n\n${verb.help}\n\n${GLOBAL_HELP}`;
}

/** Parses `argv` for `verb` and runs it. */
export async function runVerb(verb: Verb, argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...verb.options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''), `usage: ${verb.usage}\n(see --help)`);
  }
  const values = parsed.values as Values;
  if (values['help']) {
    process.stdout.write(`${helpOf(verb)}\n`);
    return;
  }
  const [min, max] = verb.positionals;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    const why = n < min ? 'missing arguments' : `unexpected argument '${parsed.positionals[max]}'`;
    throw new UsageError(why, `usage: ${verb.usage}\n(see --help)`);
  }
  const ctx = new Context(values);
  try {
    await verb.run(ctx, parsed.positionals, values);
  } finally {
    await ctx.close();
  }
}

/** Where the CLI's key pair is saved. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(safeHome(env), 'credentials');
}

/** The CLI's key pair and where it came from, or undefined when it has none. */
export async function cliSecretKey(): Promise<{ secretKey: string; source: string } | undefined> {
  const fromEnv = process.env['SAFE_SECRET_KEY'];
  if (fromEnv) return { secretKey: fromEnv, source: 'SAFE_SECRET_KEY' };
  const path = credentialsPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const secretKey = (() => {
    try {
      return (JSON.parse(text) as Partial<Keypair>).secretKey;
    } catch {
      return undefined;
    }
  })();
  if (typeof secretKey !== 'string') {
    throw new SafeError('InvalidArgument', `${path} is not a key pair file ({ "publicKey", "secretKey" }): remove it, or write it again with \`safe keys create --for-cli\``);
  }
  return { secretKey, source: path };
}

/** Saves `keypair` as the CLI's key pair, readable by its owner only. */
export async function saveCredentials(keypair: Keypair): Promise<string> {
  const path = credentialsPath();
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify({ publicKey: keypair.publicKey, secretKey: keypair.secretKey }, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return path;
}

/** The state of one command: its global options and, once asked for, a connected `Safe`. */
export class Context {
  readonly json: boolean;
  readonly #timeout: number | null;
  readonly #bootstrap: string[] | undefined;
  #safe: Safe | undefined;

  constructor(values: Values) {
    this.json = values['json'] === true;
    const timeout = values['timeout'] as string | undefined;
    if (timeout !== undefined) {
      const secs = Number(timeout);
      if (!Number.isFinite(secs) || secs <= 0) throw new UsageError(`--timeout must be a number of seconds above 0, got '${timeout}'`);
      this.#timeout = secs;
    } else {
      this.#timeout = null;
    }
    this.#bootstrap = values['bootstrap'] as string[] | undefined;
  }

  /**
   * A `Safe` that has not connected (for what needs no network); with `dryRun`, a dry runner
   * (`--dry-run`: its writes are not sent). One command uses one kind.
   */
  offline(dryRun = false): Safe {
    this.#safe ??= dryRun ? Safe.dryRunner(null, this.#timeout) : new Safe(null, this.#timeout);
    return this.#safe;
  }

  /**
   * A connected `Safe` signing with the CLI's key pair; with `owner`, one is created and saved
   * first when there is none (not for a dry run, which writes nothing, not even that).
   */
  async connect(owner = false, dryRun = false): Promise<Safe> {
    const safe = this.offline(dryRun);
    if (!safe.isConnected) await safe.connect(this.#bootstrap ? { bootstrap: this.#bootstrap } : {});
    const known = await cliSecretKey();
    if (known) {
      await safe.setKeypair(known.secretKey);
    } else if (owner && !dryRun) {
      const path = await saveCredentials(await safe.getKeypair());
      process.stderr.write(`safe: this CLI had no key pair: created one, saved in ${path} (see \`safe keys show\`)\n`);
    }
    return safe;
  }

  async close(): Promise<void> {
    await this.#safe?.close();
  }
}
