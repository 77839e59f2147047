//! Crash-safe file writes, shared by everything the node keeps under its root directory (its key,
//! its chunks, registers, accounts, membership and status).
//!
//! A file is written under a temporary name in its final directory, synced, then renamed over the
//! final name, and the directory is synced. A crash leaves either the old file, the new file, or a
//! stray temporary file (which [`is_temporary`] recognises so it can be cleaned up), never a torn
//! one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Suffix of files being written; never a valid name for anything the node stores.
const TEMP_SUFFIX: &str = ".tmp";

/// Writes `bytes` to `path` atomically, creating the file with permissions `mode` (on Unix).
///
/// The parent directory must exist. Concurrent writers of the same path do not interfere: each
/// writes its own temporary file, and the last rename wins.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "path to write has no parent directory")
    })?;
    let temp = temp_path(path)?;
    let result = write_new(&temp, bytes, mode).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        // Best effort: the temporary file is garbage whatever happened to it.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir)
}

/// The content of the file at `path`, or `None` if it is longer than `limit` bytes (so a damaged
/// or planted file cannot make the node read an unbounded amount).
pub(crate) fn read_bounded(path: &Path, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let mut content = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut content)?;
    Ok((content.len() <= limit).then_some(content))
}

/// Whether `name` is one of [`write_atomic`]'s temporary files (left behind by a crash).
pub(crate) fn is_temporary(name: &str) -> bool {
    name.ends_with(TEMP_SUFFIX)
}

/// Makes the directory entries of `dir` (creations, renames, removals) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories can only be opened for reading, and only Unix-like systems sync them.
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A fresh, unguessable temporary name next to `path`.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "path to write has no valid file name")
    })?;
    let nonce: u64 = rand::random();
    // Leading dot: hidden from listings, and never a valid chunk name.
    Ok(path.with_file_name(format!(".{name}.{nonce:016x}{TEMP_SUFFIX}")))
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("record");
        write_atomic(&path, b"first", 0o600).expect("first write");
        write_atomic(&path, b"second", 0o600).expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("record")]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_requested_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        write_atomic(&path, b"key", 0o600).expect("write");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn temporary_names_are_recognised() {
        let temp = temp_path(Path::new("/x/abc")).expect("temp name");
        let name = temp.file_name().and_then(|n| n.to_str()).expect("utf-8");
        assert!(is_temporary(name));
        assert!(!is_temporary("abc"));
    }
}
