// The shared acceptance suite (tests/acceptance/scenarios.ts) against every host, on one real
// local testnet (5 nodes, R = 3): Node (the package's Safe), the Rust host running the component
// in wasmtime and the same core natively (each one `safe-wasmtime serve` process, JSON lines over
// stdio), and the browser bundle in headless Chromium through a real `safe relay`. Each host runs
// the same cases; then every host reads what the others stored. The processes, the page and the
// network are shared by all cases; $SAFE_HOME is an empty folder, so that no host finds a
// contacts file (and `connect()` without bootstrap fails with NoContacts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';

import { parseContact } from '../dist/core/contacts.js';
import { startRelay, type Relay } from '../dist/relay/server.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { browserHost } from './acceptance/drivers/browser.js';
import { nodeHost } from './acceptance/drivers/node.js';
import { WASMTIME_CACHE, serveHost } from './acceptance/drivers/serve.js';
import { HOST_NAMES, type Host, type HostName } from './acceptance/host.js';
import { crossHostSuite, hostSuite, type Stored, type SuiteEnv } from './acceptance/scenarios.js';
import { launchChromium, openTestPage, serveBundle, type BundleServer } from './browser-page.js';
import { tempDir } from './support.js';

let dir: ReturnType<typeof tempDir> | undefined;
let testnet: Testnet | undefined;
let relay: Relay | undefined;
let bundle: BundleServer | undefined;
let browser: Browser | undefined;
const hosts = new Map<HostName, Host>();
const stored = new Map<HostName, Stored>();
let env: SuiteEnv | undefined;

beforeAll(async () => {
  dir = tempDir('safe-acceptance-');
  const home = join(dir.path, 'home');
  mkdirSync(home);
  process.env['SAFE_HOME'] = home;
  const files = join(dir.path, 'files');
  mkdirSync(files);
  let net: Testnet;
  [net, bundle, browser] = await Promise.all([
    startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null }),
    serveBundle(),
    launchChromium(),
  ]);
  testnet = net;
  relay = await startRelay({ port: 0, bootstrap: await Promise.all(net.contacts.map(parseContact)), log: () => {} });
  const serveEnv = { ...process.env, SAFE_WASMTIME_CACHE: WASMTIME_CACHE, SAFE_HOME: home };
  const page = await openTestPage(browser, bundle.origin);
  const started = await Promise.allSettled([nodeHost(), serveHost('wasmtime', serveEnv), serveHost('native', serveEnv), browserHost(page, relay.url)]);
  // Those that started are stopped in afterAll even when another did not start.
  for (const s of started) if (s.status === 'fulfilled') hosts.set(s.value.name, s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  const contacts = net.contacts;
  env = {
    host(name) {
      const host = hosts.get(name);
      if (!host) throw new Error(`the ${name} host did not start`);
      return host;
    },
    contacts,
    dir: files,
    stored,
  };
}, 300_000);

afterAll(async () => {
  await Promise.all([...hosts.values()].map((h) => h.stop()));
  await browser?.close();
  await bundle?.close();
  await relay?.close();
  await testnet?.stop();
  dir?.remove();
}, 60_000);

function suiteEnv(): SuiteEnv {
  if (!env) throw new Error('the acceptance suite did not start (see the beforeAll failure)');
  return env;
}

describe.each(HOST_NAMES)('the %s host', (name) => {
  hostSuite(name, suiteEnv);
});

describe('across hosts', () => {
  crossHostSuite(suiteEnv);
});
