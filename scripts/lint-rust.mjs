// The Rust lint step of `npm test`, first so that CI fails fast: formatting (`cargo fmt
// --check`), imports running one way inside each crate (scripts/module-cycles.mjs), then clippy
// over every crate and target with warnings as errors (the lints themselves are declared once,
// in the workspace Cargo.toml). The first two take about a second. Clippy checks natively with
// the same compiler as the build (scripts/toolchain.mjs): on a warm target directory a second or
// two, from cold a few minutes, since it type-checks every dependency once for the host.
//
// `node scripts/lint-rust.mjs [--fix]`: with --fix, formats the code instead of checking it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cargo, root } from './toolchain.mjs';

const fix = process.argv.includes('--fix');

/**
 * Runs one lint, timing it; exits 1 with `hint` when it fails.
 * @param {string} name
 * @param {() => void} run
 * @param {string} [hint]
 */
function step(name, run, hint = '') {
  const started = Date.now();
  try {
    run();
  } catch {
    console.error(`[lint-rust] ${name} failed${hint}`);
    process.exit(1);
  }
  console.error(`[lint-rust] ${name}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

step(
  'cargo fmt',
  () => cargo(['fmt', '--all', ...(fix ? [] : ['--check'])]),
  ': `node scripts/lint-rust.mjs --fix` formats the code',
);
step('module cycles', () =>
  execFileSync(process.execPath, [join(root, 'scripts', 'module-cycles.mjs'), '--quiet'], { stdio: 'inherit' }),
);
step('cargo clippy', () =>
  cargo(['clippy', '--locked', '--quiet', '--workspace', '--all-targets', '--', '-D', 'warnings']),
);
