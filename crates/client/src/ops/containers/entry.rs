//! One path's entry in a FilesMap, typed: what planning makes for each new or changed path,
//! turned into sn_api's string map ([`FileInfo`]) only at the edge ([`FileEntry::into_info`]).
//! Entries read from the network stay string maps (they may carry attributes this client does
//! not know, which must survive a rewrite); the readers here ([`kind_of`], [`link_of`], ...)
//! look into them by sn_api's attribute names.

use std::path::Path;

use crate::ops::output::{FileInfo, FilesMap};

pub(super) const LINK: &str = "link";
const TYPE: &str = "type";
const SIZE: &str = "size";
const CREATED: &str = "created";
const MODIFIED: &str = "modified";
const ORIGINAL_CREATED: &str = "o_created";
const ORIGINAL_MODIFIED: &str = "o_modified";
const READONLY: &str = "readonly";
const MODE_BITS: &str = "mode_bits";
const SYMLINK_TARGET: &str = "symlink_target";
const SYMLINK_TARGET_TYPE: &str = "symlink_target_type";
const TYPE_DIR: &str = "inode/directory";
const TYPE_SYMLINK: &str = "inode/symlink";
const TYPE_RAW: &str = "Raw";

/// A new entry for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileEntry {
    /// What is at the path.
    pub(super) kind: EntryKind,
    /// When the entry was first made in the container (RFC 3339).
    pub(super) created: String,
    /// When the entry last changed in the container (RFC 3339).
    pub(super) modified: String,
    /// What the local file system said of the item, for entries made from local items.
    pub(super) local: Option<LocalAttributes>,
}

/// What a [`FileEntry`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum EntryKind {
    /// A file: its MIME type, size and, once stored, its XOR-URL.
    File {
        /// `mime_guess`'s type for the name, or `Raw`.
        mime: String,
        /// Bytes.
        size: u64,
        /// The stored file's XOR-URL; none until it is stored.
        link: Option<String>,
    },
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

/// A local item's own attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalAttributes {
    /// Whether it is read-only.
    pub(super) readonly: bool,
    /// Unix mode bits.
    pub(super) mode_bits: u32,
    /// Its creation time, when the host knows it.
    pub(super) created: Option<String>,
    /// Its modification time, when the host knows it.
    pub(super) modified: Option<String>,
}

impl FileEntry {
    /// The entry as sn_api's string map.
    pub(super) fn into_info(self) -> FileInfo {
        let mut info = FileInfo::new();
        info.insert(CREATED.into(), self.created);
        info.insert(MODIFIED.into(), self.modified);
        if let Some(local) = self.local {
            info.insert(READONLY.into(), local.readonly.to_string());
            info.insert(MODE_BITS.into(), local.mode_bits.to_string());
            if let Some(t) = local.created {
                info.insert(ORIGINAL_CREATED.into(), t);
            }
            if let Some(t) = local.modified {
                info.insert(ORIGINAL_MODIFIED.into(), t);
            }
        }
        match self.kind {
            EntryKind::File { mime, size, link } => {
                info.insert(TYPE.into(), mime);
                info.insert(SIZE.into(), size.to_string());
                if let Some(link) = link {
                    info.insert(LINK.into(), link);
                }
            }
            EntryKind::Dir => {
                info.insert(TYPE.into(), TYPE_DIR.into());
                info.insert(SIZE.into(), "0".into());
            }
            EntryKind::Symlink { target, target_type } => {
                info.insert(TYPE.into(), TYPE_SYMLINK.into());
                info.insert(SIZE.into(), "0".into());
                info.insert(SYMLINK_TARGET.into(), target);
                info.insert(SYMLINK_TARGET_TYPE.into(), target_type);
            }
        }
        info
    }

    /// The file's link, if it is a stored file.
    pub(super) fn link(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::File { link, .. } => link.as_deref(),
            _ => None,
        }
    }

    /// A file's MIME type.
    pub(super) fn mime(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::File { mime, .. } => Some(mime),
            _ => None,
        }
    }

    /// Records where a file was stored.
    pub(super) fn set_link(&mut self, stored: String) {
        if let EntryKind::File { link, .. } = &mut self.kind {
            *link = Some(stored);
        }
    }

    /// An updated entry keeps the time it was first made.
    pub(super) fn keep_created(&mut self, old: &FileInfo) {
        if let Some(created) = old.get(CREATED) {
            self.created.clone_from(created);
        }
    }
}

/// Whether an existing entry is a folder entry.
pub(super) fn is_dir(info: &FileInfo) -> bool {
    type_of(info) == TYPE_DIR
}

/// Whether an existing entry is this very symlink.
pub(super) fn is_symlink_to(info: &FileInfo, target: &str, target_type: &str) -> bool {
    type_of(info) == TYPE_SYMLINK
        && info.get(SYMLINK_TARGET).is_some_and(|t| t == target)
        && info.get(SYMLINK_TARGET_TYPE).is_some_and(|t| t == target_type)
}

/// Sync's shortcut: whether an existing entry (not a folder) has this size and the same local
/// modification time, known on both sides.
pub(super) fn looks_unchanged(info: &FileInfo, size: u64, modified: Option<&str>) -> bool {
    !is_dir(info)
        && info.get(SIZE).is_some_and(|s| *s == size.to_string())
        && info.get(ORIGINAL_MODIFIED).is_some()
        && info.get(ORIGINAL_MODIFIED).map(String::as_str) == modified
}

/// An existing entry's link; empty for folders and symlinks (as sn_api reported them).
pub(super) fn link_of(info: &FileInfo) -> String {
    info.get(LINK).cloned().unwrap_or_default()
}

fn type_of(info: &FileInfo) -> &str {
    info.get(TYPE).map_or("", String::as_str)
}

/// Whether `path` is a folder in the map: a folder entry, or the parent of other entries.
pub(super) fn is_folder(files_map: &FilesMap, path: &str) -> bool {
    if files_map.get(path).is_some_and(is_dir) {
        return true;
    }
    let prefix = format!("{path}/");
    files_map.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// The MIME type for a file name, as sn_api guessed it (`Raw` when there is none).
pub(super) fn guess_type(name: &str) -> String {
    mime_guess::from_path(Path::new(name)).first_raw().unwrap_or(TYPE_RAW).to_owned()
}

/// Now, in RFC 3339 to the second (`2024-05-01T12:00:00Z`), as sn_api wrote entry times.
///
/// The one place the client reads the wall clock (the host's WASI clock in the component):
/// only to date FilesMap entries, never to time anything.
pub(super) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
