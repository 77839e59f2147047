// Writes dist/browser/: the browser build of the TypeScript host, from host/ and pkg/js/ (the
// jco bindings), with nothing from dist/ needed. `node scripts/build-browser.mjs`.
//   safe-wasi.js         the page's module: `import { Safe, SafeError, SafeUrl } from './safe-wasi.js'`
//   safe-wasi-worker.js  the engine's module Web Worker (the component, QUIC, crypto)
//   safe_client.core*.wasm  the component's core modules, fetched by the worker next to itself
// Both modules are bundled by esbuild as ES modules with no bare imports; preview2-shim comes
// in as its browser build (its package.json's "default" condition, picked for platform
// 'browser'). The few Node modules the shared code names are mapped to browser stand-ins.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { build } from 'esbuild';

import { root } from './toolchain.mjs';

const out = join(root, 'dist', 'browser');
const bindings = join(root, 'pkg', 'js');

/**
 * Node built-ins in the browser build: `node:fs/promises`, which jco's bindings import only
 * when they run in Node, is an empty module. Any other Node import is a mistake in the shared
 * code: it fails here.
 * @type {import('esbuild').Plugin}
 */
const nodeStandIns = {
  name: 'node-stand-ins',
  setup(b) {
    b.onResolve({ filter: /^node:fs\/promises$/ }, () => ({ path: 'node:fs/promises', namespace: 'empty' }));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser build: keep Node-only code out of host/browser's imports` }] }));
  },
};

if (!statSync(join(bindings, 'safe_client.js'), { throwIfNoEntry: false })) {
  console.error('build-browser: pkg/js/safe_client.js is missing: build the component first (node scripts/build.mjs)');
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: {
    'safe-wasi': join(root, 'host', 'browser', 'index.ts'),
    'safe-wasi-worker': join(root, 'host', 'browser', 'worker.ts'),
  },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  splitting: false,
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [nodeStandIns],
});

for (const name of readdirSync(bindings)) {
  if (/\.core\d*\.wasm$/.test(name)) copyFileSync(join(bindings, name), join(out, name));
}

for (const [file, info] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) console.log(`build-browser: ${file.replace(/^.*dist\//, 'dist/')} ${(info.bytes / 1024).toFixed(0)} KiB`);
}
