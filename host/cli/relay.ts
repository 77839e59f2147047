/**
 * `safe relay`: the datagram relay for browser pages (host/relay/server.ts), until SIGINT or
 * SIGTERM. It prints its `ws://` URL on stdout (JSON with --json) and logs what it refuses on
 * stderr.
 */
import { parseContact, readContactsFile } from '../core/contacts.js';
import { startRelay } from '../relay/server.js';
import type { Verb } from './context.js';
import { UsageError } from './output.js';

export const relayVerb: Verb = {
  usage: 'safe relay [--listen 127.0.0.1:8787] [--bootstrap CONTACT]... [--allow ADDR]...',
  help: `Carries browser pages' encrypted datagrams between WebSockets and UDP (one UDP socket per
page), forwarding only to the network: the bootstrap contacts (default: the contacts file), the
nodes of the network map (which the relay fetches itself, and again every 30 s), and --allow.
Prints the URL pages pass to connect({ relay }); Ctrl-C stops it.

  --listen HOST:PORT    where to accept WebSockets (default 127.0.0.1:8787; port 0 picks one)
  --allow ADDR          one more address (ip:port) pages may send to (repeatable)
  --max-connections N   pages at once (default 64)`,
  options: {
    listen: { type: 'string' },
    allow: { type: 'string', multiple: true },
    'max-connections': { type: 'string' },
  },
  positionals: [0, 0],
  async run(ctx, _positionals, values) {
    const listen = (values['listen'] as string | undefined) ?? '127.0.0.1:8787';
    const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
    if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen must be HOST:PORT, got '${listen}'`);
    const max = values['max-connections'] === undefined ? 64 : Number(values['max-connections']);
    if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max-connections must be a whole number above 0, got '${String(values['max-connections'])}'`);
    const given = values['bootstrap'] as string[] | undefined;
    const bootstrap = given ? await Promise.all(given.map(parseContact)) : await readContactsFile();
    const allow = await Promise.all(((values['allow'] as string[] | undefined) ?? []).map(parseContact));
    const relay = await startRelay({ host: m[1]!, port: Number(m[2]), bootstrap, allow, maxConnections: max });
    // Listening before the URL is out: whoever reads it may stop the relay at once.
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stdout.write(ctx.json ? `${JSON.stringify({ url: relay.url, allowed: relay.allowed() })}\n` : `${relay.url}\n`);
    await stop;
    process.stderr.write('relay: stopping\n');
    await relay.close();
  },
};
