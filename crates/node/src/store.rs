//! Chunks on disk, under the node's root directory.
//!
//! ```text
//! <root>/chunks/<first two hex digits of the address>/<64 hex digits of the address>
//! ```
//!
//! One file per chunk, holding exactly the chunk's content. Content is checked against its address
//! before it is stored and again whenever it is read, so a file damaged on disk is noticed, removed
//! and reported as missing (replication can then restore it) instead of being served.
//!
//! Registers and accounts live beside `chunks/` (see the `records` module), written with the same
//! crash-safe [`files::write_atomic`]; callers only see per-kind methods, never paths.
//!
//! The store is synchronous and safe to share between threads: the server calls it from blocking
//! tasks. Writers and removers of files in the same shard directory take that shard's lock, so that
//! removing a damaged file can never remove a good copy written in the meantime. Readers take no
//! lock: renames are atomic, so they see a whole old file or a whole new one.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use safe_types::{Chunk, XorName, MAX_CHUNK_SIZE};

use crate::files;

/// Directory of chunk files under the root.
const CHUNKS_DIR: &str = "chunks";
/// Chunk files are readable only by the node's user, like everything else it writes.
const FILE_MODE: u32 = 0o600;
/// One shard directory per value of an address's first byte.
const SHARDS: usize = 256;

/// Why the store could not do what was asked. Missing data is not an error (it is `None`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory of the store could not be read, written or removed.
    #[error("storage failure at {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
}

/// What storing a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The chunk was not held before and now is.
    Stored,
    /// The chunk was already held, intact; nothing was written.
    AlreadyStored,
}

/// A node's persistent data under its root directory.
pub struct Store {
    chunks: PathBuf,
    /// Indexed by the first byte of an address, like the shard directories.
    shard_locks: Vec<Mutex<()>>,
    /// Chunk files, counted once at open and kept up to date by puts and removals.
    count: AtomicU64,
}

impl Store {
    /// Opens the store under `root`, creating its directories if needed and removing temporary
    /// files a crash may have left behind.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let chunks = root.join(CHUNKS_DIR);
        fs::create_dir_all(&chunks).map_err(|source| io_error(&chunks, source))?;
        let store = Self {
            chunks,
            shard_locks: (0..SHARDS).map(|_| Mutex::new(())).collect(),
            count: AtomicU64::new(0),
        };
        store.remove_temporaries()?;
        let count = store.count_files()?;
        store.count.store(count, Ordering::Relaxed);
        Ok(store)
    }

    /// Stores `chunk`. Storing a chunk that is already held intact does nothing; a damaged copy is
    /// replaced.
    pub fn put_chunk(&self, chunk: &Chunk) -> Result<PutOutcome, StoreError> {
        let address = chunk.address();
        let path = self.chunk_path(&address);
        let _shard = self.lock_shard(&address);
        let new = match read_limited(&path) {
            Ok(Some(existing)) if existing == chunk.content().as_ref() => {
                return Ok(PutOutcome::AlreadyStored)
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "replacing damaged chunk file");
                false
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.create_shard(&path)?;
                true
            }
            Err(source) => return Err(io_error(&path, source)),
        };
        files::write_atomic(&path, chunk.content(), FILE_MODE)
            .map_err(|source| io_error(&path, source))?;
        if new {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        Ok(PutOutcome::Stored)
    }

    /// The chunk at `address`, or `None` if it is not held. A file whose content no longer hashes
    /// to its address is removed and reported as not held.
    pub fn get_chunk(&self, address: &XorName) -> Result<Option<Chunk>, StoreError> {
        let path = self.chunk_path(address);
        match self.read_chunk(address, &path)? {
            ChunkFile::Intact(chunk) => return Ok(Some(chunk)),
            ChunkFile::Missing => return Ok(None),
            ChunkFile::Damaged => {}
        }
        // Look again under the shard lock: a writer may have just replaced the file with a good
        // copy, which must not be removed.
        let _shard = self.lock_shard(address);
        match self.read_chunk(address, &path)? {
            ChunkFile::Intact(chunk) => return Ok(Some(chunk)),
            ChunkFile::Missing => return Ok(None),
            ChunkFile::Damaged => {}
        }
        match fs::remove_file(&path) {
            Ok(()) => {
                self.count.fetch_sub(1, Ordering::Relaxed);
                tracing::warn!(path = %path.display(), "removed damaged chunk file");
                let shard = path.parent().unwrap_or(&self.chunks);
                files::sync_dir(shard).map_err(|source| io_error(shard, source))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(io_error(&path, source)),
        }
        Ok(None)
    }

    /// How many chunks are stored (kept in memory: files were counted, not read, at open).
    pub fn chunk_count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether a file is stored for the chunk at `address` (it is not read or checked).
    pub fn has_chunk(&self, address: &XorName) -> bool {
        self.chunk_path(address).is_file()
    }

    /// The addresses of every stored chunk (from the file names; the files are not read).
    pub fn chunk_addresses(&self) -> Result<Vec<XorName>, StoreError> {
        let mut addresses = Vec::new();
        for shard in self.shard_dirs()? {
            for entry in list(&shard)? {
                if let Some(address) = entry.file_name().to_str().and_then(parse_address) {
                    addresses.push(address);
                }
            }
        }
        Ok(addresses)
    }

    fn count_files(&self) -> Result<u64, StoreError> {
        Ok(self.chunk_addresses()?.len() as u64)
    }

    /// Where the chunk at `address` lives.
    fn chunk_path(&self, address: &XorName) -> PathBuf {
        let name = hex::encode(address.0);
        self.chunks.join(&name[..2]).join(name)
    }

    /// Reads the file at `path` as the chunk at `address`.
    fn read_chunk(&self, address: &XorName, path: &Path) -> Result<ChunkFile, StoreError> {
        let content = match read_limited(path) {
            Ok(Some(content)) => content,
            Ok(None) => {
                tracing::warn!(path = %path.display(), "chunk file is larger than any chunk");
                return Ok(ChunkFile::Damaged);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ChunkFile::Missing),
            Err(source) => return Err(io_error(path, source)),
        };
        match Chunk::verified(*address, Bytes::from(content)) {
            Ok(chunk) => Ok(ChunkFile::Intact(chunk)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "damaged chunk file");
                Ok(ChunkFile::Damaged)
            }
        }
    }

    /// Creates the shard directory that will hold `path`, durably, if it is missing.
    fn create_shard(&self, path: &Path) -> Result<(), StoreError> {
        let shard = path.parent().unwrap_or(&self.chunks);
        match fs::create_dir(shard) {
            Ok(()) => {
                files::sync_dir(&self.chunks).map_err(|source| io_error(&self.chunks, source))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(source) => Err(io_error(shard, source)),
        }
    }

    fn lock_shard(&self, address: &XorName) -> MutexGuard<'_, ()> {
        let lock = &self.shard_locks[usize::from(address.0[0])];
        // The lock guards no data, so a panic while it was held left nothing inconsistent.
        lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The shard directories that exist.
    fn shard_dirs(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(list(&self.chunks)?
            .into_iter()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect())
    }

    fn remove_temporaries(&self) -> Result<(), StoreError> {
        for shard in self.shard_dirs()? {
            for entry in list(&shard)? {
                if entry.file_name().to_str().is_some_and(files::is_temporary) {
                    let path = entry.path();
                    tracing::info!(path = %path.display(), "removing unfinished write");
                    fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Store {
    // The shard locks are noise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("chunks", &self.chunks).finish_non_exhaustive()
    }
}

/// What the file of a chunk turned out to hold.
enum ChunkFile {
    /// The chunk, checked against its address.
    Intact(Chunk),
    /// No file.
    Missing,
    /// A file that is not the chunk (damaged on disk or planted).
    Damaged,
}

/// The content of the file at `path`, or `None` if it is larger than any chunk (so a damaged or
/// planted file cannot make the node read an unbounded amount).
fn read_limited(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let limit = MAX_CHUNK_SIZE as u64;
    let mut content = Vec::new();
    file.take(limit + 1).read_to_end(&mut content)?;
    Ok((content.len() <= MAX_CHUNK_SIZE).then_some(content))
}

fn list(dir: &Path) -> Result<Vec<fs::DirEntry>, StoreError> {
    fs::read_dir(dir)
        .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
        .map_err(|source| io_error(dir, source))
}

/// The address a chunk file name stands for, if it is one.
fn parse_address(name: &str) -> Option<XorName> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(name, &mut bytes).ok()?;
    // Only the lowercase spelling the store writes; another spelling is not one of its files.
    (hex::encode(bytes) == name).then_some(XorName(bytes))
}

fn io_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(content: &[u8]) -> Chunk {
        Chunk::new(Bytes::copy_from_slice(content)).expect("small chunk")
    }

    #[test]
    fn put_then_get_returns_the_same_chunk() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"hello chunk");
        assert_eq!(store.put_chunk(&c).expect("put"), PutOutcome::Stored);
        assert_eq!(store.get_chunk(&c.address()).expect("get"), Some(c.clone()));
        let name = hex::encode(c.address().0);
        let path = root.path().join("chunks").join(&name[..2]).join(&name);
        assert_eq!(fs::read(path).expect("chunk file"), b"hello chunk");
    }

    #[test]
    fn put_leaves_no_temporary_files() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"atomic");
        store.put_chunk(&c).expect("put");
        let shard = store.chunk_path(&c.address()).parent().expect("shard").to_owned();
        let names: Vec<_> = list(&shard).expect("list").iter().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(hex::encode(c.address().0))]);
    }

    #[test]
    fn storing_twice_is_a_no_op() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"twice");
        assert_eq!(store.put_chunk(&c).expect("first"), PutOutcome::Stored);
        assert_eq!(store.put_chunk(&c).expect("second"), PutOutcome::AlreadyStored);
        assert_eq!(store.chunk_count(), 1);
    }

    #[test]
    fn missing_chunk_is_none() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        assert_eq!(store.get_chunk(&XorName([7; 32])).expect("get"), None);
    }

    #[test]
    fn damaged_file_is_removed_and_reported_missing() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"will rot");
        store.put_chunk(&c).expect("put");
        let path = store.chunk_path(&c.address());
        fs::write(&path, b"has rotted").expect("damage");
        assert_eq!(store.get_chunk(&c.address()).expect("get"), None);
        assert!(!path.exists());
        assert_eq!(store.chunk_count(), 0);
        // And the chunk can be stored again.
        assert_eq!(store.put_chunk(&c).expect("put again"), PutOutcome::Stored);
        assert_eq!(store.get_chunk(&c.address()).expect("get"), Some(c));
    }

    #[test]
    fn oversized_file_is_damaged() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"small");
        store.put_chunk(&c).expect("put");
        let path = store.chunk_path(&c.address());
        fs::write(&path, vec![0u8; MAX_CHUNK_SIZE + 1]).expect("grow");
        assert_eq!(store.get_chunk(&c.address()).expect("get"), None);
        assert!(!path.exists());
    }

    #[test]
    fn put_replaces_a_damaged_copy() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(b"original");
        store.put_chunk(&c).expect("put");
        fs::write(store.chunk_path(&c.address()), b"0riginal").expect("damage");
        assert_eq!(store.put_chunk(&c).expect("put again"), PutOutcome::Stored);
        assert_eq!(store.get_chunk(&c.address()).expect("get"), Some(c));
    }

    #[test]
    fn count_ignores_foreign_and_temporary_files_and_survives_reopen() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        assert_eq!(store.chunk_count(), 0);
        let chunks: Vec<Chunk> = (0..20u8).map(|i| chunk(&[i; 3])).collect();
        for c in &chunks {
            store.put_chunk(c).expect("put");
        }
        let shard = store.chunk_path(&chunks[0].address()).parent().expect("shard").to_owned();
        let stray = shard.join(".leftover.0123456789abcdef.tmp");
        fs::write(&stray, b"unfinished").expect("stray");
        fs::write(shard.join("README"), b"not a chunk").expect("foreign");
        assert_eq!(store.chunk_count(), 20);
        drop(store);

        let store = Store::open(root.path()).expect("reopen");
        assert!(!stray.exists(), "unfinished writes are cleaned up on open");
        assert_eq!(store.chunk_count(), 20);
        for c in &chunks {
            assert_eq!(store.get_chunk(&c.address()).expect("get"), Some(c.clone()));
        }
    }

    #[test]
    fn concurrent_puts_of_the_same_chunk_agree() {
        let root = tempfile::tempdir().expect("temp dir");
        let store = Store::open(root.path()).expect("open");
        let c = chunk(&[42; 4096]);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| store.put_chunk(&c).expect("put"));
            }
        });
        assert_eq!(store.chunk_count(), 1);
        assert_eq!(store.get_chunk(&c.address()).expect("get"), Some(c));
    }
}
