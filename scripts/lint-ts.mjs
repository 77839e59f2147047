// Type-checks host/, tests/, scripts/ and bench/ (tsconfig.check.json) in seconds, before the
// build: the first step of `npm test`; then checks that the host's imports run one way
// (.dependency-cruiser.cjs). First of all, it checks that the generated media-type table
// (host/api/media-types.ts) is what crates/types/media-types.txt gives. The host's WIT types are generated from wit/ by jco when
// pkg/ lacks them (a fresh clone), and dist/ is hidden from module resolution so that the tests'
// imports of the built package resolve to host/ (see rootDirs), never to a stale build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

import { $init, generateTypes } from '@bytecodealliance/jco-transpile/component';
import ts from 'typescript';

import { root } from './toolchain.mjs';

try {
  execFileSync(process.execPath, [join(root, 'scripts', 'gen-media-types.mjs'), '--check'], { stdio: 'inherit' });
} catch {
  process.exit(1);
}

const wit = join(root, 'wit', 'safe-client.wit');
const bindings = join(root, 'pkg', 'js');
const witTypes = join(bindings, 'interfaces', 'safe-client-client.d.ts');
if (!existsSync(witTypes) || statSync(witTypes).mtimeMs < statSync(wit).mtimeMs) {
  // The same declarations `jco transpile` writes at build time, from the WIT instead of the component.
  await $init;
  const files = generateTypes('safe_client', { wit: { tag: 'source', val: readFileSync(wit, 'utf8') }, world: 'safe-client', instantiation: { tag: 'async' } });
  for (const [name, data] of files) {
    const path = join(bindings, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}

const dist = join(root, 'dist') + sep;
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.check.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) });
if (!config) process.exit(1);
const host = ts.createCompilerHost(config.options);
/** @param {string} path */
const hidden = (path) => path.startsWith(dist);
host.fileExists = (/** @type {string} */ path) => !hidden(path) && ts.sys.fileExists(path);
host.directoryExists = (/** @type {string} */ path) => !hidden(path + sep) && ts.sys.directoryExists(path);
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host, projectReferences: config.projectReferences });
const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
report(diagnostics);
if (diagnostics.length > 0) process.exit(1);

// The layers of host/ and no cycles: dependency-cruiser prints each violation and exits non-zero.
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
try {
  execFileSync(process.execPath, [cruiser, 'host', '--config', join(root, '.dependency-cruiser.cjs')], { cwd: root, stdio: 'inherit' });
} catch {
  process.stderr.write('[lint-ts] host/ imports break the layers of .dependency-cruiser.cjs\n');
  process.exit(1);
}

/** @param {readonly ts.Diagnostic[]} list */
function report(list) {
  if (list.length === 0) return;
  const format = { getCanonicalFileName: (/** @type {string} */ f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(list, format));
  process.stderr.write(`\n[lint-ts] ${list.length} error(s)\n`);
}
