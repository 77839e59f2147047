#!/usr/bin/env node
/**
 * `safe`: the command line of safe-wasi, with the verbs sn_cli users know. This module only
 * dispatches: each verb group lives in its own module (files.ts, keys.ts, nrs.ts, xorurl.ts,
 * inspect.ts for cat and dog, testnet.ts, relay.ts, browser-demo.ts), the shared options and
 * the CLI's key pair in context.ts, printing and exit codes in output.ts.
 *
 * Exit codes: 0 ok; 1 an error (its `SafeError` code and message on stderr); 2 a usage error.
 */
import { browserDemoVerb } from './browser-demo.js';
import { GLOBAL_HELP, runVerb, type Verb } from './context.js';
import { filesVerbs } from './files.js';
import { inspectVerbs } from './inspect.js';
import { keysVerbs } from './keys.js';
import { nrsVerbs } from './nrs.js';
import { report, UsageError } from './output.js';
import { relayVerb } from './relay.js';
import { testnet } from './testnet.js';
import { xorurlOfLocation, xorurlVerbs } from './xorurl.js';

const GROUPS: Record<string, Record<string, Verb>> = { files: filesVerbs, keys: keysVerbs, nrs: nrsVerbs, xorurl: xorurlVerbs };

function groupUsage(group: string, verbs: Record<string, Verb>): string {
  const shown = group === 'xorurl' ? [...Object.values(verbs), xorurlOfLocation] : Object.values(verbs);
  return `usage:\n${shown
    .map((v) => `  ${v.usage}`)
    .join('\n')}\n\n\`safe ${group} <verb> --help\` tells more about each.\n\n${GLOBAL_HELP}`;
}

const USAGE = `usage: safe <command> ...

  safe files put|get|sync|add|rm|ls|tree ...   FilesContainers
  safe cat <url>                               a file's bytes to stdout; what anything else holds
  safe dog <url>                               how a URL resolves, step by step
  safe keys create|balance|transfer|show ...   key pairs and test coins
  safe nrs create|add|remove|get ...           public names
  safe xorurl decode <url>                     what a safe:// URL encodes
  safe xorurl <location>                       the URLs local files would have (nothing uploaded)
  safe testnet start|status|stop ...           a local test network
  safe relay [--listen 127.0.0.1:8787] ...     the datagram relay for browser pages
  safe browser-demo                            a demo page using the network from a browser

\`safe <command> --help\` tells more; every command takes --bootstrap, --timeout, --json.`;

async function main(argv: string[]): Promise<void> {
  const [group, verb, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (group === 'testnet') return testnet(verb, rest);
  if (group === 'relay') return runVerb(relayVerb, argv.slice(1));
  if (group === 'browser-demo') return runVerb(browserDemoVerb, argv.slice(1));
  const single = inspectVerbs[group];
  if (single) return runVerb(single, argv.slice(1));
  const verbs = GROUPS[group];
  if (!verbs) throw new UsageError(`unknown command '${group}'`, USAGE);
  if (verb === undefined || verb === '--help' || verb === '-h') {
    if (verb === undefined) throw new UsageError(`'safe ${group}' needs a verb`, groupUsage(group, verbs));
    process.stdout.write(`${groupUsage(group, verbs)}\n`);
    return;
  }
  const found = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (!found) {
    if (group === 'xorurl') return runVerb(xorurlOfLocation, argv.slice(1));
    throw new UsageError(`unknown ${group} verb '${verb}'`, groupUsage(group, verbs));
  }
  return runVerb(found, rest);
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  process.exitCode = report(e);
}

