//! Local items as a host would list them from a folder, for the container tests: files with
//! their bytes, folders and symlinks, with fixed times so that FilesMaps compare.

use bytes::Bytes;
use safe_client::{LocalItem, LocalKind, Source};

/// The creation (and default modification) time of every item.
pub(crate) const T0: &str = "2024-01-01T00:00:00Z";

/// A file holding `data`, modified at `modified`.
pub(crate) fn file_at(path: &str, data: &[u8], modified: &str) -> LocalItem {
    LocalItem {
        path: path.into(),
        kind: LocalKind::File(Source::from_bytes(Bytes::copy_from_slice(data))),
        mode_bits: 0o100644,
        readonly: false,
        created: Some(T0.into()),
        modified: Some(modified.into()),
    }
}

/// A file holding `data`, modified at [`T0`].
pub(crate) fn file(path: &str, data: &[u8]) -> LocalItem {
    file_at(path, data, T0)
}

/// A folder.
pub(crate) fn dir(path: &str) -> LocalItem {
    LocalItem {
        path: path.into(),
        kind: LocalKind::Dir,
        mode_bits: 0o40755,
        readonly: false,
        created: Some(T0.into()),
        modified: Some(T0.into()),
    }
}

/// A symlink to `target` (`target_type`: what it points at, as sn_api names it).
pub(crate) fn symlink(path: &str, target: &str, target_type: &str) -> LocalItem {
    LocalItem {
        path: path.into(),
        kind: LocalKind::Symlink { target: target.into(), target_type: target_type.into() },
        mode_bits: 0o120777,
        readonly: false,
        created: None,
        modified: None,
    }
}
