//! What the host found on disk for a FilesContainer operation: the public argument types of
//! `create_from`, `add` and `sync`.

use crate::source::Source;

/// What the host found at a local location for a FilesContainer operation: the location as the
/// user wrote it (a trailing `/` means "the folder's contents", as in sn_api) and its items,
/// the location itself first (path `""`), then what is under it.
#[derive(Debug)]
pub struct LocalItems {
    /// The location as the user gave it.
    pub location: String,
    /// Everything found, in the order the host walked it.
    pub items: Vec<LocalItem>,
}

/// One local file, folder or symlink.
#[derive(Debug)]
pub struct LocalItem {
    /// Path relative to the location, `/`-separated; `""` for the location itself.
    pub path: String,
    /// What it is.
    pub kind: LocalKind,
    /// Unix mode bits.
    pub mode_bits: u32,
    /// Whether it is read-only.
    pub readonly: bool,
    /// Creation time (RFC 3339), when known.
    pub created: Option<String>,
    /// Modification time (RFC 3339), when known.
    pub modified: Option<String>,
}

/// The kind of a [`LocalItem`].
#[derive(Debug)]
pub enum LocalKind {
    /// A file, with its content to pull (the source knows its size).
    File(Source),
    /// A folder.
    Dir,
    /// A symlink that was not followed.
    Symlink {
        /// Its target as written.
        target: String,
        /// `file`, `dir` or `unknown`.
        target_type: String,
    },
}
