// Which Rust toolchain builds what, shared by the build and test scripts.
//
// One compiler for everything: where rustup has the wasm32-wasip1 target, rustup's cargo builds
// both the component and the native node; otherwise Debian's rustc-web (1.96) does, building
// std for wasm from source (-Zbuild-std) and linking with wasi-libc through scripts/wasm-ld.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WASM_TARGET = 'wasm32-wasip1';
// Code generation for the component: wasm SIMD (128-bit), which V8, wasmtime and every current
// browser run; LLVM vectorizes loops with it, and blake3 uses its own SIMD path (the client
// crate turns on blake3's `wasm32_simd` feature for wasm).
const WASM_RUSTFLAGS = '-C target-feature=+simd128';

function rustupHasWasm() {
  try {
    const out = execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').includes(WASM_TARGET);
  } catch {
    return false;
  }
}

function detect() {
  if (rustupHasWasm()) {
    return { kind: 'rustup', cargo: 'cargo', env: { ...process.env, CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS: WASM_RUSTFLAGS }, buildStd: [], testStd: [] };
  }
  if (!existsSync('/usr/bin/cargo')) {
    throw new Error('no Rust toolchain for wasm32-wasip1: run `npm run setup` (installs Debian rustc-web)');
  }
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    // Debian's compiler, not the rustup shims that come first on PATH.
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
    RUSTC: '/usr/bin/rustc',
    RUSTDOC: '/usr/bin/rustdoc',
    RUSTC_BOOTSTRAP: '1',
    CC_wasm32_wasip1: 'clang',
    AR_wasm32_wasip1: 'llvm-ar-14',
    CFLAGS_wasm32_wasip1: '--target=wasm32-wasi',
    CARGO_TARGET_WASM32_WASIP1_LINKER: join(root, 'scripts', 'wasm-ld'),
    CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS: `${WASM_RUSTFLAGS} -C link-self-contained=no -L /usr/lib/wasm32-wasi`,
  };
  // The pthread stubs newer wasi-libc has (see scripts/wasi-pthread-stubs.c).
  const stubsSource = join(root, 'scripts', 'wasi-pthread-stubs.c');
  const stubs = join(root, 'target', 'wasi-pthread-stubs.o');
  if (!existsSync(stubs) || statSync(stubs).mtimeMs < statSync(stubsSource).mtimeMs) {
    mkdirSync(dirname(stubs), { recursive: true });
    execFileSync('clang', ['--target=wasm32-wasi', '-O2', '-c', stubsSource, '-o', stubs], { stdio: 'inherit' });
  }
  env.SAFE_WASI_STUBS = stubs;
  return {
    kind: 'debian',
    cargo: '/usr/bin/cargo',
    env,
    buildStd: ['-Zbuild-std=std,panic_abort'],
    testStd: ['-Zbuild-std=std,panic_abort,test', '-Zpanic-abort-tests'],
  };
}

export const toolchain = detect();

/**
 * Runs cargo with the chosen toolchain, inheriting stdio; throws on failure.
 * @param {string[]} args
 * @param {Record<string, string>} [extraEnv]
 */
export function cargo(args, extraEnv = {}) {
  const started = Date.now();
  execFileSync(toolchain.cargo, args, { cwd: root, stdio: 'inherit', env: { ...toolchain.env, ...extraEnv } });
  // Each cargo step's time, so a slow CI run says which build took the minutes.
  process.stderr.write(`[cargo] ${args.filter((a) => !a.startsWith('-Z')).slice(0, 8).join(' ')}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
