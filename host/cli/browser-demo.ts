/**
 * `safe browser-demo`: everything a browser page needs to use the network, on loopback: the
 * network (the one the contacts file names, or a 5-node testnet started for the demo and
 * stopped with it), `safe relay`, and a static server of dist/browser/ with a demo page
 * (./demo-page.ts). It stores a small sample site (a FilesContainer under a fresh NRS name) so
 * the page has something to list, prints the page's URL, and runs until SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Safe } from '../api/safe.js';
import { parseContact, readContactsFile, type Contact } from '../core/contacts.js';
import { SafeError } from '../core/errors.js';
import { contactText, startRelay, type Relay } from '../relay/server.js';
import { startTestnet, type Testnet } from '../testnet/launcher.js';
import type { Verb } from './context.js';
import { UsageError } from './output.js';
import { demoPage } from './demo-page.js';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="220" height="80"><rect width="220" height="80" rx="12" fill="#1d4ed8"/><text x="110" y="50" font-family="sans-serif" font-size="26" fill="#fff" text-anchor="middle">safe-wasi</text></svg>`;

function hostPort(text: string, name: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${name} must be HOST:PORT, got '${text}'`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The sample site: a FilesContainer with a text file and an image, under a new NRS name. */
async function storeSample(bootstrap: Contact[]): Promise<string> {
  const safe = new Safe(null, 120);
  try {
    await safe.connect({ bootstrap: bootstrap.map(contactText) });
    const container = await safe.filesContainerCreate();
    await safe.filesContainerAddFromRaw(new TextEncoder().encode('Hello from the Safe Network, read by a browser page.\n'), `${container}/hello.txt`);
    const [version] = await safe.filesContainerAddFromRaw(new TextEncoder().encode(LOGO), `${container}/logo.svg`);
    const name = `demo-${randomBytes(3).toString('hex')}`;
    const versioned = version ? `${container.split('?')[0]}?v=${version}` : container;
    await safe.nrsAdd(name, versioned);
    return `safe://${name}`;
  } finally {
    await safe.close();
  }
}

export const browserDemoVerb: Verb = {
  usage: 'safe browser-demo [--listen 127.0.0.1:8080] [--relay-listen 127.0.0.1:8787]',
  help: `Serves a demo page that uses the network from a browser: it connects through \`safe relay\`
(started here), stores a picked file with a progress bar, and fetches any safe:// URL (text,
image, download; a FilesContainer or an NRS site is listed). Uses the network of the contacts
file (or --bootstrap), or starts a 5-node testnet for the demo when there is none. Prints the
page's URL; Ctrl-C stops everything it started.

  --listen HOST:PORT        the page's HTTP server (default 127.0.0.1:8080; port 0 picks one)
  --relay-listen HOST:PORT  the relay (default 127.0.0.1:8787)`,
  options: { listen: { type: 'string' }, 'relay-listen': { type: 'string' } },
  positionals: [0, 0],
  async run(ctx, _positionals, values) {
    const web = hostPort((values['listen'] as string | undefined) ?? '127.0.0.1:8080', '--listen');
    const relayAt = hostPort((values['relay-listen'] as string | undefined) ?? '127.0.0.1:8787', '--relay-listen');
    const bundle = fileURLToPath(new URL('../browser/', import.meta.url));
    if (!existsSync(join(bundle, 'safe-wasi.js'))) throw new SafeError('InvalidArgument', `${bundle} has no safe-wasi.js: build it with \`node scripts/build-browser.mjs\``);

    let testnet: Testnet | undefined;
    let testnetDir: string | undefined;
    let relay: Relay | undefined;
    const given = values['bootstrap'] as string[] | undefined;
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    try {
      let bootstrap: Contact[] | undefined;
      try {
        bootstrap = given ? await Promise.all(given.map(parseContact)) : await readContactsFile();
        relay = await startRelay({ ...relayAt, bootstrap });
      } catch (e) {
        if (given || !(e instanceof SafeError) || (e.code !== 'NoContacts' && e.code !== 'Network')) throw e;
        process.stderr.write('browser-demo: no network running: starting a 5-node testnet for the demo\n');
        testnetDir = mkdtempSync(join(tmpdir(), 'safe-browser-demo-'));
        testnet = await startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: testnetDir, contactsFile: null });
        bootstrap = await Promise.all(testnet.contacts.map(parseContact));
        relay = await startRelay({ ...relayAt, bootstrap });
      }
      const site = await storeSample(bootstrap);
      const page = demoPage(relay.url, site);
      const server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/' || path === '/index.html') {
          res.writeHead(200, { 'content-type': TYPES['.html']! }).end(page);
          return;
        }
        if (path === '/favicon.ico') {
          res.writeHead(204).end();
          return;
        }
        const file = normalize(join(bundle, path));
        if (!file.startsWith(bundle.endsWith(sep) ? bundle : bundle + sep) || !existsSync(file)) {
          res.writeHead(404).end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(web.port, web.host, () => resolve());
      });
      const { address, port } = server.address() as AddressInfo;
      const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
      process.stdout.write(ctx.json ? `${JSON.stringify({ url, relay: relay.url, site })}\n` : `open ${url}\n(relay ${relay.url}; sample site ${site}; Ctrl-C stops)\n`);
      await stop;
      process.stderr.write('browser-demo: stopping\n');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      await relay?.close();
      await testnet?.stop();
      if (testnetDir) rmSync(testnetDir, { recursive: true, force: true });
    }
  },
};
