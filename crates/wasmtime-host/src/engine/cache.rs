//! Compiled components kept on disk between processes, so that only the first `safe-wasmtime`
//! run after a build pays for cranelift compiling `pkg/safe_client.wasm` (seconds on a small
//! machine); later runs map the machine code wasmtime serialized.
//!
//! An entry is wasmtime's own serialization ([`Component::serialize`]), named by the SHA-256 of
//! the component's bytes, in a directory named by the engine's
//! [`precompile_compatibility_hash`](wasmtime::Engine::precompile_compatibility_hash), so a
//! new wasmtime or another configuration never finds an old entry; wasmtime checks that again
//! when it loads one. Entries are written to a temporary file and renamed, so a reader never
//! sees half an entry. Loading machine code from disk is trusting that file, so the cache is
//! used only in a directory this user owns and no one else may write to (created `0700`).
//!
//! This is wasmtime's `cache` feature in miniature: that feature also compresses and evicts
//! entries, but brings a C build (zstd) and a TOML configuration, which cost the project's
//! two-core CI more than a cache of one component saves.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Where compiled components are kept by default: `$SAFE_WASMTIME_CACHE`, else
/// `$XDG_CACHE_HOME/safe-wasi/wasmtime`, else `$HOME/.cache/safe-wasi/wasmtime`; `None` (no
/// cache) when `$SAFE_WASMTIME_CACHE` is empty or there is no home.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = std::env::var_os("SAFE_WASMTIME_CACHE") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let base = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("safe-wasi").join("wasmtime"))
}

/// The compiled component for `bytes`: from `dir` when an entry is there and loads, else
/// compiled now and, when `dir` is usable, written there for the next process. A cache that
/// cannot be used (unwritable, someone else's) only means compiling each time.
pub(crate) fn component(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    let Some(entry) = dir.and_then(|d| entry_path(engine, d, bytes)) else {
        return Component::new(engine, bytes);
    };
    if let Some(component) = load(engine, &entry) {
        return Ok(component);
    }
    let component = Component::new(engine, bytes)?;
    if let Err(e) = store(&component, &entry) {
        crate::engine::tracing_free_log(&format!(
            "could not cache the compiled component in {}: {e}",
            entry.display()
        ));
    }
    Ok(component)
}

/// `dir/<engine hash>/<sha-256 of bytes>.cwasm`, once that directory exists and is private.
fn entry_path(engine: &Engine, dir: &Path, bytes: &[u8]) -> Option<PathBuf> {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let dir = dir.join(format!("{:016x}", hasher.finish()));
    fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).ok()?;
    private(&dir).then(|| dir.join(format!("{}.cwasm", hex::encode(Sha256::digest(bytes)))))
}

/// Whether `dir` (and its parent, which could rename it away) is this user's, writable by no
/// one else.
fn private(dir: &Path) -> bool {
    let ours = |p: &Path| {
        fs::metadata(p).is_ok_and(|m| m.uid() == own_uid() && m.permissions().mode() & 0o022 == 0)
    };
    ours(dir) && dir.parent().is_none_or(ours)
}

/// This process's user id: the owner of a file it just created.
fn own_uid() -> u32 {
    static UID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        tempfile::tempfile().and_then(|f| f.metadata()).map(|m| m.uid()).unwrap_or(u32::MAX)
    })
}

/// The entry at `path`, if there is one and this wasmtime accepts it.
#[allow(unsafe_code)]
fn load(engine: &Engine, path: &Path) -> Option<Component> {
    if !path.is_file() {
        return None;
    }
    // SAFETY: `deserialize_file` maps machine code and runs it as the component, so the file
    // must be what `Component::serialize` wrote for a compatible engine. It is: only `store`
    // writes entries, through a rename into a directory `private` checked is this user's and
    // writable by no one else, named by the engine's compatibility hash; and wasmtime itself
    // refuses an entry from another version or configuration (that error means: recompile).
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(component) => Some(component),
        Err(e) => {
            crate::engine::tracing_free_log(&format!(
                "ignoring the cached component {}: {e}",
                path.display()
            ));
            None
        }
    }
}

/// Writes `component` to `path` through a temporary file in the same directory.
fn store(component: &Component, path: &Path) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
