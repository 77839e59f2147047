#!/usr/bin/env bash
# Installs what building and testing safe-wasi needs on a Debian 12 machine, skipping what is
# already there, so a second run costs nothing: the Rust-to-wasm toolchain (see toolchain.md of
# the project's design notes) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# A rustup toolchain that has the wasm32-wasip1 target needs none of Debian's packages.
rustup_has_wasm() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1
}

need_apt=()
if ! rustup_has_wasm; then
  [ -x /usr/bin/rustc ] && /usr/bin/rustc --version 2>/dev/null | grep -q '^rustc 1\.' || need_apt+=(rustc-web)
  [ -x /usr/bin/cargo ] || need_apt+=(cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || need_apt+=(rust-web-src)
  [ -f /usr/lib/wasm32-wasi/crt1-reactor.o ] || need_apt+=(wasi-libc)
  command -v wasm-ld >/dev/null 2>&1 || need_apt+=(lld)
  command -v clang >/dev/null 2>&1 || need_apt+=(clang)
  command -v llvm-ar-14 >/dev/null 2>&1 || need_apt+=(llvm-14)
  # The lint step (scripts/lint-rust.mjs): clippy and rustfmt of the same Rust release.
  [ -x /usr/bin/cargo-clippy ] || need_apt+=(rust-web-clippy)
  [ -x /usr/bin/cargo-fmt ] || need_apt+=(rustfmt-web)
elif ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
  log "adding rustup's clippy and rustfmt components"
  rustup component add clippy rustfmt
fi
# The component build's `wasm-opt -Oz` (scripts/component.mjs).
command -v wasm-opt >/dev/null 2>&1 || need_apt+=(binaryen)
# The browser tests (tests/browser*.e2e.test.ts) drive Debian's Chromium through playwright-core.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# The WAN tests (tests/wan.e2e.test.ts, bench/wan.mjs) make network namespaces and TUN devices
# with iproute2's `ip` and set netem with its `tc`, where the kernel has netem.
{ command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1; } || need_apt+=(iproute2)
# `npm run bench big` reads each CLI process's peak RSS from GNU time.
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to install ${need_apt[*]}"; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
