// The `safe` command (dist/cli/main.js) as a user runs it: a child process against a real test
// network, found through the contacts file in its SAFE_HOME.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { noise, pattern, tempDir } from './support.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MiB = 1024 * 1024;

let testnet: Testnet;
let dir: ReturnType<typeof tempDir>;
/** The SAFE_HOME of the CLI runs: the contacts file, and the key pair the CLI creates. */
let home: string;
/** The site's versioned FilesContainer URL, from the first test. */
let url: string;

beforeAll(async () => {
  dir = tempDir('safe-cli-');
  home = join(dir.path, 'home');
  testnet = await startTestnet({ nodes: 3, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: join(home, 'network_contacts', 'default') });
}, 90_000);

afterAll(async () => {
  await testnet?.stop();
  dir?.remove();
});

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `safe ...args` with `node [nodeArgs] dist/cli/main.js` and SAFE_HOME `home`. */
function safeCli(args: string[], options: { env?: Record<string, string>; nodeArgs?: string[]; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), CLI, ...args],
      { env: { ...process.env, SAFE_HOME: home, SAFE_SECRET_KEY: '', ...options.env }, encoding: 'buffer', maxBuffer: 256 * MiB, timeout: 120_000, cwd: options.cwd ?? dir.path },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr: stderr.toString() }),
    );
  });
}

/** Runs the CLI, expects success, and returns stdout as text (parsed when `--json` is among the args). */
async function ok(args: string[], options?: Parameters<typeof safeCli>[1]): Promise<any> {
  const run = await safeCli(args, options);
  expect(run.code, `safe ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return args.includes('--json') ? JSON.parse(run.stdout.toString()) : run.stdout.toString();
}

/** Every file under `root` (relative path -> bytes). */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  visit(root);
  return out;
}

const XORURL = /^safe:\/\/h[ybndrfg8ejkmcpqxot1uwisza345h769]+/;

describe('safe files', () => {
  let site: string;

  beforeAll(() => {
    site = join(dir.path, 'site');
    mkdirSync(join(site, 'my docs', 'deep folder'), { recursive: true });
    mkdirSync(join(site, 'img'));
    writeFileSync(join(site, 'index.html'), '<h1>hello from the CLI</h1>');
    writeFileSync(join(site, 'empty.txt'), '');
    writeFileSync(join(site, 'my docs', 'read me.txt'), 'spaces in the path');
    writeFileSync(join(site, 'my docs', 'deep folder', 'data.bin'), noise(3 * MiB + 17));
    writeFileSync(join(site, 'img', 'x.bin'), pattern(5000, 3));
  });

  it('put --json gives { url, processed, filesMap }; get brings back every byte', async () => {
    const put = await ok(['files', 'put', './site/', '--recursive', '--json']);
    expect(Object.keys(put).sort()).toEqual(['filesMap', 'processed', 'url']);
    expect(put.url).toMatch(new RegExp(`${XORURL.source}\\?v=h`));
    url = put.url;
    expect(put.processed['./site/my docs/read me.txt']).toMatchObject({ change: 'Added', link: expect.stringMatching(XORURL) });
    expect(Object.keys(put.filesMap)).toEqual(expect.arrayContaining(['/index.html', '/empty.txt', '/my docs/read me.txt', '/my docs/deep folder/data.bin', '/img/x.bin']));
    expect(put.filesMap['/empty.txt'].size).toBe('0');

    const got = await ok(['files', 'get', url, 'copy', '--json']);
    expect(got.downloaded).toHaveLength(5);
    const want = tree(site);
    const have = tree(join(dir.path, 'copy'));
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, bytes] of want) expect(have.get(path)!.equals(bytes), path).toBe(true);

    // Again into the same folder: existing files are kept unless --exists overwrite.
    writeFileSync(join(dir.path, 'copy', 'index.html'), 'local edit');
    const again = await ok(['files', 'get', url, 'copy', '--json']);
    expect(again.downloaded).toHaveLength(0);
    expect(again.preserved).toHaveLength(5);
    expect(readFileSync(join(dir.path, 'copy', 'index.html'), 'utf8')).toBe('local edit');
    await ok(['files', 'get', `${url.split('?')[0]}/index.html`, 'copy', '--exists', 'overwrite']);
    expect(readFileSync(join(dir.path, 'copy', 'index.html'), 'utf8')).toBe('<h1>hello from the CLI</h1>');
    // A folder inside the container, with a space in its name.
    await ok(['files', 'get', `${url.split('?')[0]}/my%20docs`, 'docs-only']);
    expect(readFileSync(join(dir.path, 'docs-only', 'read me.txt'), 'utf8')).toBe('spaces in the path');
  }, 180_000);

  it('prints sn_cli tables: put, ls, tree, cat of a container', async () => {
    const small = join(dir.path, 'small');
    mkdirSync(small);
    writeFileSync(join(small, 'a.txt'), 'a');
    const out = await ok(['files', 'put', './small/']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^FilesContainer created at: "safe:\/\/h\S+\?v=h\S+"$/);
    expect(lines[1]).toMatch(/^\+ \.\/small\/a\.txt\s+safe:\/\/h/);

    const ls = await ok(['files', 'ls', url]);
    expect(ls).toMatch(/index\.html/);
    expect(ls.match(/ my docs\/$/gm)).toHaveLength(1);
    const treeOut = await ok(['files', 'tree', url]);
    expect(treeOut).toMatch(/└── read me\.txt|├── read me\.txt/);
    expect(treeOut).toMatch(/3 directories, 5 files/);
    const listing = await ok(['cat', url]);
    expect(listing).toMatch(/^Files of FilesContainer \(version h\S+\) at/);
    const dog = await ok(['dog', `${url.split('?')[0]}/index.html`, '--json']);
    expect(dog.steps.map((s: { type: string }) => s.type)).toEqual(['FilesContainer', 'PublicFile']);
  }, 120_000);

  it('put --dry-run and xorurl <location> give the URLs the real put gives, offline, storing nothing', async () => {
    const fresh = join(dir.path, 'fresh site');
    mkdirSync(join(fresh, 'sub dir'), { recursive: true });
    writeFileSync(join(fresh, 'index.html'), '<h1>not stored yet</h1>');
    writeFileSync(join(fresh, 'sub dir', 'a b.txt'), 'a dry run');
    writeFileSync(join(fresh, 'sub dir', 'data.bin'), noise(2 * MiB + 5));
    // No contacts file in this SAFE_HOME: anything that tried to connect would fail.
    const offline = { env: { SAFE_HOME: join(dir.path, 'no-network-home') } };
    const linksOf = (processed: Record<string, { link?: string }>) => Object.fromEntries(Object.entries(processed).map(([k, c]) => [k, c.link]));

    const dry = await ok(['files', 'put', './fresh site/', '--recursive', '--dry-run', '--json'], offline);
    expect(dry.dryRun).toBe(true);
    expect(dry.processed['./fresh site/sub dir/a b.txt']).toMatchObject({ change: 'Added', link: expect.stringMatching(XORURL) });
    const xorurl = await ok(['xorurl', './fresh site/', '--recursive', '--json'], offline);
    expect(linksOf(xorurl.processed)).toEqual(linksOf(dry.processed));
    const human = await ok(['files', 'put', './fresh site/', '--recursive', '--dry-run'], offline);
    expect(human).toMatch(/^FilesContainer not created since running in dry-run mode\n/);
    expect(human).toContain(dry.processed['./fresh site/index.html'].link);

    const data = dry.processed['./fresh site/sub dir/data.bin'].link as string;
    const missing = await safeCli(['cat', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^safe: error \[NotFound\]: /);

    const real = await ok(['files', 'put', './fresh site/', '--recursive', '--json']);
    expect(linksOf(real.processed)).toEqual(linksOf(dry.processed));
    const stored = await safeCli(['cat', data]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout.length).toBe(2 * MiB + 5);
    const one = await ok(['xorurl', './fresh site/index.html'], offline);
    expect(one).toMatch(/^1 file\(s\) processed:\n\+ \.\/fresh site\/index\.html +safe:\/\//);
    expect(one).toContain(real.processed['./fresh site/index.html'].link);
  }, 180_000);

  it('sync and add --dry-run say what they would do and change nothing', async () => {
    const base = url.split('?')[0]!;
    const before = await ok(['files', 'ls', base, '--json']);
    writeFileSync(join(site, 'dry.txt'), 'only in a dry run');
    try {
      const synced = await ok(['files', 'sync', './site/', base, '--recursive', '--dry-run', '--json']);
      expect(synced.dryRun).toBe(true);
      expect(synced.version).toMatch(/^h/);
      expect(synced.version).not.toBe(before.version);
      expect(synced.processed['./site/dry.txt']).toMatchObject({ change: 'Added', link: expect.stringMatching(XORURL) });
      expect(Object.keys(synced.filesMap)).toContain('/dry.txt');
      const added = await ok(['files', 'add', join(site, 'dry.txt'), `${base}/dry/`, '--dry-run', '--json']);
      expect(Object.values(added.processed)).toEqual([{ change: 'Added', link: synced.processed['./site/dry.txt'].link }]);
      const human = await ok(['files', 'sync', './site/', base, '--recursive', '--dry-run']);
      expect(human).toMatch(/^FilesContainer not synced since running in dry-run mode/);

      const after = await ok(['files', 'ls', base, '--json']);
      expect(after.version).toBe(before.version);
      expect(Object.keys(after.filesMap)).not.toContain('/dry.txt');
      const missing = await safeCli(['cat', synced.processed['./site/dry.txt'].link]);
      expect(missing.stderr).toMatch(/^safe: error \[NotFound\]: /);
    } finally {
      rmSync(join(site, 'dry.txt'));
    }
  }, 180_000);

  it('sync, add and rm change the container', async () => {
    writeFileSync(join(site, 'index.html'), '<h1>changed</h1>');
    writeFileSync(join(site, 'new.txt'), 'new file');
    const base = url.split('?')[0]!;
    const synced = await ok(['files', 'sync', './site/', base, '--recursive', '--delete', '--json']);
    expect(synced.version).toMatch(/^h/);
    expect(synced.processed['./site/index.html'].change).toBe('Updated');
    expect(synced.processed['./site/new.txt'].change).toBe('Added');
    expect(await ok(['cat', `${base}/index.html`])).toBe('<h1>changed</h1>');

    const extra = join(dir.path, 'extra.txt');
    writeFileSync(extra, 'extra');
    const added = await ok(['files', 'add', extra, `${base}/more/`, '--json']);
    expect(Object.values(added.processed)[0]).toMatchObject({ change: 'Added' });
    const removed = await ok(['files', 'rm', `${base}/new.txt`, '--json']);
    expect(Object.values(removed.processed)[0]).toMatchObject({ change: 'Removed' });
    const listed = await ok(['files', 'ls', base, '--json']);
    expect(Object.keys(listed.filesMap)).toContain('/more/extra.txt');
    expect(Object.keys(listed.filesMap)).not.toContain('/new.txt');
  }, 180_000);

  it('nrs names a site; cat reads through the name; xorurl decode reads a URL', async () => {
    const created = await ok(['nrs', 'create', 'clisite', '--link', url, '--json']);
    expect(created.url).toMatch(/^safe:\/\/clisite\?v=h/);
    expect(await ok(['cat', 'safe://clisite/my%20docs/read%20me.txt'])).toBe('spaces in the path');
    const added = await ok(['nrs', 'add', 'blog.clisite', '--link', url, '--json']);
    expect(added.createdTopName).toBe(false);
    const got = await ok(['nrs', 'get', 'clisite', '--json']);
    expect(got.link).toBe(url);
    expect(Object.keys(got.nrsMap).sort()).toEqual(['blog.clisite', 'clisite']);
    await ok(['nrs', 'remove', 'blog.clisite']);
    expect((await ok(['nrs', 'get', 'blog.clisite', '--json'])).link).toBeNull();

    const decoded = await ok(['xorurl', 'decode', url, '--json']);
    expect(decoded).toMatchObject({ dataType: 'Register', contentType: 'FilesContainer', isNrs: false, contentVersion: expect.stringMatching(/^h/) });
    expect(decoded.xorname).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});

describe('safe cat streams', () => {
  it('20 and 60 MiB files byte for byte, with a peak RSS well under a whole read of the file', async () => {
    const data = noise(20 * MiB);
    const larger = noise(60 * MiB);
    const tiny = pattern(10, 1);
    const safe = new Safe(null, 300);
    const urls: string[] = [];
    try {
      await safe.connect({ bootstrap: testnet.contacts });
      for (const d of [tiny, data, larger]) urls.push(await safe.storeBytes(d));
    } finally {
      await safe.close();
    }
    // The child's peak resident set (getrusage's ru_maxrss, worker threads included) is written
    // by a preloaded script when it exits.
    const preload = join(dir.path, 'report-rss.cjs');
    writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.RSS_REPORT, String(process.resourceUsage().maxRSS * 1024)));\n");
    const peak = async (target: string, want: Uint8Array) => {
      const report = join(dir.path, `rss-${Math.random()}`);
      const run = await safeCli(['cat', target], { nodeArgs: ['-r', preload], env: { RSS_REPORT: report } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.length).toBe(want.length);
      expect(run.stdout.equals(Buffer.from(want))).toBe(true);
      return Number(readFileSync(report, 'utf8'));
    };
    const [rssTiny, rss20, rss60] = [await peak(urls[0]!, tiny), await peak(urls[1]!, data), await peak(urls[2]!, larger)];
    // The same 60 MiB read whole with filesGet, in a child of the same shape, as the comparison.
    const whole = join(dir.path, 'whole.mjs');
    writeFileSync(
      whole,
      `import { Safe } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};\n` +
        'const safe = new Safe(null, 300); await safe.connect({ bootstrap: process.argv.slice(3) });\n' +
        'const bytes = await safe.filesGet(process.argv[2]); await safe.close();\n' +
        'await new Promise((r) => process.stdout.write(bytes, r));\n',
    );
    const report = join(dir.path, 'rss-whole');
    const run = await new Promise<Run>((done) =>
      execFile(process.execPath, ['-r', preload, whole, urls[2]!, ...testnet.contacts], { env: { ...process.env, RSS_REPORT: report }, encoding: 'buffer', maxBuffer: 256 * MiB }, (error, stdout, stderr) =>
        done({ code: error ? 1 : 0, stdout, stderr: stderr.toString() }),
      ),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.equals(Buffer.from(larger))).toBe(true);
    const rssWhole = Number(readFileSync(report, 'utf8'));
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    console.log(`safe cat peak RSS: ${mib(rssTiny)} for 10 bytes, ${mib(rss20)} for 20 MiB, ${mib(rss60)} for 60 MiB; filesGet of 60 MiB whole: ${mib(rssWhole)}`);
    // Peak RSS is a noisy measure here: start-up alone peaks near what a 20 MiB cat needs, and
    // received buffers are garbage V8 collects only when its external memory has grown by tens
    // of MiB, in the worker and the main thread. What must hold: streaming needs clearly less
    // than holding the file, which the whole read does (the bytes, and the worker's copy).
    expect(rssWhole - rss60).toBeGreaterThan(30 * MiB);
  }, 400_000);
});

describe('safe keys', () => {
  it('creates keys with test coins, shows the CLI key, transfers', async () => {
    // A SAFE_HOME of its own, so the CLI key pair made here is not the one owning the site above.
    const keysHome = join(dir.path, 'keys-home');
    cpSync(join(home, 'network_contacts'), join(keysHome, 'network_contacts'), { recursive: true });
    const env = { SAFE_HOME: keysHome };
    expect((await safeCli(['keys', 'show'], { env })).code).toBe(1);

    const alice = await ok(['keys', 'create', '--test-coins', '--preload', '5', '--for-cli', '--json'], { env });
    expect(Object.keys(alice).sort()).toEqual(['publicKey', 'secretKey', 'url']);
    expect(alice.url).toMatch(XORURL);
    expect(alice.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(alice.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(keysHome, 'credentials')).mode & 0o777).toBe(0o600);
    const shown = await ok(['keys', 'show', '--json'], { env });
    expect(shown).toMatchObject({ url: alice.url, publicKey: alice.publicKey, secretKey: alice.secretKey });

    const bob = await ok(['keys', 'create', '--json'], { env });
    expect(bob.publicKey).not.toBe(alice.publicKey);
    expect(await ok(['keys', 'balance', '--json'], { env })).toEqual({ balance: '5' });
    const tx = await ok(['keys', 'transfer', '1.5', '--to', bob.url, '--json'], { env });
    expect(Object.keys(tx)).toEqual(['transferId']);
    expect(await ok(['keys', 'balance', '--json'], { env })).toEqual({ balance: '3.5' });
    expect(await ok(['keys', 'balance', '--sk', bob.secretKey, '--json'], { env })).toEqual({ balance: '1.5' });
    expect(await ok(['keys', 'balance'], { env })).toBe("SafeKey's current balance: 3.5\n");

    const broke = await safeCli(['keys', 'transfer', '100', '--to', alice.url, '--from', bob.secretKey], { env });
    expect(broke.code).toBe(1);
    expect(broke.stderr).toMatch(/^safe: error \[InsufficientBalance\]: /);
  }, 120_000);
});

describe('exit codes', () => {
  it('1 with the SafeError code on stderr', async () => {
    const bad = await safeCli(['cat', 'safe://']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^safe: error \[InvalidUrl\]: /);
    const absent = SafeUrl.encode({ xorname: Buffer.from(noise(32)).toString('hex'), contentType: 'Raw', dataType: 'File' });
    const missing = await safeCli(['cat', absent]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^safe: error \[NotFound\]: /);
    const nowhere = await safeCli(['cat', 'safe://hyryyyyyyyy'], { env: { SAFE_HOME: join(dir.path, 'no-home') } });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/^safe: error \[NoContacts\]: .*safe testnet start/);
    expect(nowhere.stdout.length).toBe(0);
    // A destination the CLI cannot write: nothing is fetched into it, the error says so.
    writeFileSync(join(dir.path, 'a-file'), 'x');
    const unwritable = await safeCli(['files', 'get', url, join(dir.path, 'a-file', 'below')]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^safe: error \[InvalidArgument\]: .*(ENOTDIR|EEXIST)/);
  }, 60_000);

  it('2 for usage errors, 0 for --help on every verb', async () => {
    for (const args of [['files'], ['files', 'nope'], ['files', 'put'], ['files', 'put', 'a', '--bogus'], ['cat', 'x', '--timeout', 'soon'], ['keys', 'create', 'extra'], ['wat'], ['xorurl', '.', '--bogus'], ['xorurl', 'a', 'b']]) {
      const run = await safeCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^safe: /);
    }
    const verbs = [
      ['files', 'put'], ['files', 'get'], ['files', 'sync'], ['files', 'add'], ['files', 'rm'], ['files', 'ls'], ['files', 'tree'],
      ['cat'], ['dog'], ['keys', 'create'], ['keys', 'balance'], ['keys', 'transfer'], ['keys', 'show'],
      ['nrs', 'create'], ['nrs', 'add'], ['nrs', 'remove'], ['nrs', 'get'], ['xorurl', 'decode'],
    ];
    for (const verb of verbs) {
      const run = await safeCli([...verb, '--help']);
      expect(run.code, verb.join(' ')).toBe(0);
      expect(run.stdout.toString()).toMatch(new RegExp(`^usage: safe ${verb.join(' ')}`));
      expect(run.stdout.toString()).toMatch(/--bootstrap CONTACT/);
    }
    const location = await safeCli(['xorurl', './site', '--help']);
    expect(location.code).toBe(0);
    expect(location.stdout.toString()).toMatch(/^usage: safe xorurl <location>/);
  }, 120_000);
});
