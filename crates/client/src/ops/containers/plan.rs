//! Planning a change from local items, without the network: where each local item goes in the
//! container (see "Placing local items" in the parent module) and, against the FilesMap the
//! change starts from, what to do with each path ([`Step`]). [`plan`] is a pure function of
//! its inputs (the time to date new entries with is one of them); `apply` carries the steps out.

use std::collections::BTreeSet;

use super::entry::{
    guess_type, is_dir, is_folder, is_symlink_to, looks_unchanged, EntryKind, FileEntry,
    LocalAttributes,
};
use super::local::{LocalItem, LocalItems, LocalKind};
use crate::error::Error;
use crate::ops::files;
use crate::ops::output::FilesMap;
use crate::source::Source;

/// Which operation the plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `create_from`: a new container (the map starts empty).
    Create,
    /// `add`: existing paths are replaced only with `force`.
    Add {
        /// Replace what is at a path already.
        force: bool,
    },
    /// `sync`: changed paths are replaced, and with `delete` the ones gone locally removed.
    Sync {
        /// Remove what is under the destination but not local any more.
        delete: bool,
    },
}

/// What to do with one path. Paths left as they are silently (unchanged) have no step.
#[derive(Debug)]
pub(super) enum Step {
    /// Put the entry at the path: Added, or Updated when one is there.
    Put {
        /// The container path.
        path: String,
        /// The local path, for the processed list.
        local: String,
        /// The new entry.
        entry: FileEntry,
    },
    /// Store the file, then put its entry (unless its link is the one already there).
    Store {
        /// The container path.
        path: String,
        /// The local path, for the processed list and progress.
        local: String,
        /// The new entry, without its link yet.
        entry: FileEntry,
        /// The file's content.
        source: Source,
    },
    /// Leave the path as it is, saying why.
    Refuse {
        /// The local path.
        local: String,
        /// Why.
        why: String,
    },
    /// Remove the entry at the path (sync with delete: not local any more).
    Remove {
        /// The container path.
        path: String,
    },
}

/// The steps that make `files_map` reflect the local items placed at `dst` as `mode` says,
/// entries dated `now`. Fails, before anything is stored, when the items cannot be placed or a
/// file is too large to store.
pub(super) fn plan(
    files_map: &FilesMap,
    local: LocalItems,
    dst: &str,
    mode: Mode,
    now: &str,
) -> Result<Vec<Step>, Error> {
    let (root, placed) = place(local, dst)?;
    for p in &placed {
        if let LocalKind::File(source) = &p.item.kind {
            files::check_size(source.size()).map_err(|e| {
                Error::new(e.code, format!("'{}' cannot be stored: {}", p.local, e.message))
            })?;
        }
    }
    let local_paths: BTreeSet<String> = placed.iter().map(|p| p.path.clone()).collect();
    let adding = matches!(mode, Mode::Add { .. });
    let force = matches!(mode, Mode::Add { force: true });
    let mut steps = Vec::with_capacity(placed.len());
    for Placed { path, local, item } in placed {
        let LocalItem { kind, mode_bits, readonly, created, modified, .. } = item;
        let existing = files_map.get(&path);
        let folder_there = is_folder(files_map, &path);
        let local_modified = modified.clone();
        let entry = |kind| FileEntry {
            kind,
            created: now.to_owned(),
            modified: now.to_owned(),
            local: Some(LocalAttributes { readonly, mode_bits, created, modified }),
        };
        let step = match kind {
            LocalKind::Dir => match existing {
                Some(old) if is_dir(old) => None,
                Some(_) if adding => Some(Step::Refuse { why: is_a_file(&path), local }),
                _ => Some(Step::Put { entry: entry(EntryKind::Dir), path, local }),
            },
            LocalKind::Symlink { target, target_type } => {
                let same = existing.is_some_and(|old| is_symlink_to(old, &target, &target_type));
                if adding && folder_there {
                    Some(Step::Refuse { why: is_a_folder(&path), local })
                } else if adding && existing.is_some() && !force {
                    Some(Step::Refuse { why: exists_use_force(&path), local })
                } else if adding && same {
                    Some(Step::Refuse { why: same_content(&path), local })
                } else if same {
                    None
                } else {
                    let entry = entry(EntryKind::Symlink { target, target_type });
                    Some(Step::Put { entry, path, local })
                }
            }
            LocalKind::File(source) => {
                let size = source.size();
                let unchanged = existing
                    .is_some_and(|old| looks_unchanged(old, size, local_modified.as_deref()));
                if adding && folder_there {
                    Some(Step::Refuse { why: is_a_folder(&path), local })
                } else if adding && existing.is_some() && !force {
                    Some(Step::Refuse { why: exists_use_force(&path), local })
                } else if matches!(mode, Mode::Sync { .. }) && unchanged {
                    None
                } else {
                    let entry =
                        entry(EntryKind::File { mime: guess_type(&local), size, link: None });
                    Some(Step::Store { entry, path, local, source })
                }
            }
        };
        steps.extend(step);
    }
    if let Mode::Sync { delete: true } = mode {
        // What is in the map under the destination now and not among the local items (the
        // steps above only ever add local paths).
        let prefix = format!("{root}/");
        steps.extend(
            files_map
                .keys()
                .filter(|k| k.starts_with(&prefix) && !local_paths.contains(*k))
                .map(|k| Step::Remove { path: k.clone() }),
        );
    }
    Ok(steps)
}

/// A local item and where it goes.
struct Placed {
    /// Its path in the container.
    path: String,
    /// Its local path, for the processed list and progress.
    local: String,
    item: LocalItem,
}

/// Where each local item goes for the destination `dst` (see the module docs); also gives the
/// container path the location itself maps to ("" for the root).
fn place(local: LocalItems, dst: &str) -> Result<(String, Vec<Placed>), Error> {
    let LocalItems { location, items } = local;
    let Some(first) = items.first() else {
        return Err(Error::invalid_argument(format!("nothing was found at '{location}'")));
    };
    if !first.path.is_empty() {
        return Err(Error::invalid_argument(
            "the local items must start with the location itself (path '')",
        ));
    }
    let is_dir = matches!(first.kind, LocalKind::Dir);
    let trimmed = location.trim_end_matches(['/', '\\']);
    let base =
        trimmed.rsplit(['/', '\\']).next().filter(|b| !b.is_empty() && *b != "." && *b != "..");
    // A folder given as `site/` (or `.`) puts its contents at the destination.
    let contents = is_dir && (trimmed.len() < location.len() || base.is_none());
    let (dst_path, dst_is_folder) = normalise(dst)?;
    let root = if !dst_is_folder || contents {
        dst_path
    } else {
        let base = base.ok_or_else(|| {
            Error::invalid_argument(format!(
                "'{location}' has no name to give it in the container: give a destination path"
            ))
        })?;
        format!("{dst_path}/{base}")
    };
    let mut planned = Vec::with_capacity(items.len());
    for item in items {
        let path = if item.path.is_empty() {
            if contents || root.is_empty() {
                continue;
            }
            root.clone()
        } else {
            let (relative, _) = normalise(&item.path)?;
            if relative.is_empty() {
                return Err(Error::invalid_argument(format!(
                    "the local item '{}' has an empty path: only the location itself may",
                    item.path
                )));
            }
            format!("{root}{relative}")
        };
        let local = if item.path.is_empty() {
            location.clone()
        } else {
            format!("{}/{}", location.trim_end_matches('/'), item.path)
        };
        planned.push(Placed { path, local, item });
    }
    Ok((root, planned))
}

/// A container path as `/a/b` (empty for the root), and whether it was written as a folder
/// (ending in `/`, or empty). `.` segments and repeated slashes go; `..` is refused.
pub(super) fn normalise(path: &str) -> Result<(String, bool), Error> {
    let mut out = String::with_capacity(path.len() + 1);
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                return Err(Error::invalid_argument(format!(
                    "the path '{path}' has a '..' segment: give it without"
                )))
            }
            s => {
                out.push('/');
                out.push_str(s);
            }
        }
    }
    let folder = out.is_empty() || path.ends_with('/') || path.ends_with("/.");
    Ok((out, folder))
}

/// Why a path was left as it was.
pub(super) fn exists_use_force(path: &str) -> String {
    format!("'{path}' already exists in the container; use force to replace it")
}

pub(super) fn same_content(path: &str) -> String {
    format!("'{path}' already exists in the container with the same content")
}

pub(super) fn is_a_folder(path: &str) -> String {
    format!("'{path}' is a folder in the container; remove it first to put a file there")
}

fn is_a_file(path: &str) -> String {
    format!("'{path}' is a file in the container; remove it first to put a folder there")
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::ops::output::FileInfo;

    const NOW: &str = "2026-01-02T03:04:05Z";

    fn item(path: &str, kind: LocalKind, modified: Option<&str>) -> LocalItem {
        LocalItem {
            path: path.into(),
            kind,
            mode_bits: 0o644,
            readonly: false,
            created: None,
            modified: modified.map(Into::into),
        }
    }

    fn file(path: &str, content: &'static [u8], modified: Option<&str>) -> LocalItem {
        item(path, LocalKind::File(Source::from_bytes(Bytes::from_static(content))), modified)
    }

    /// A folder `site` holding `index.html` (5 bytes) and `img/a.png` (3 bytes).
    fn site(location: &str) -> LocalItems {
        LocalItems {
            location: location.into(),
            items: vec![
                item("", LocalKind::Dir, None),
                file("index.html", b"hello", Some("2025-01-01T00:00:00Z")),
                item("img", LocalKind::Dir, None),
                file("img/a.png", b"png", Some("2025-01-01T00:00:00Z")),
            ],
        }
    }

    fn entry(attributes: &[(&str, &str)]) -> FileInfo {
        attributes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn stored_file(size: &str, modified: &str) -> FileInfo {
        entry(&[
            ("type", "text/html"),
            ("size", size),
            ("link", "safe://old"),
            ("o_modified", modified),
            ("created", "2020-01-01T00:00:00Z"),
        ])
    }

    /// Each step as (kind, container or local path), for comparing.
    fn summary(steps: &[Step]) -> Vec<(&'static str, String)> {
        steps
            .iter()
            .map(|s| match s {
                Step::Put { path, .. } => ("put", path.clone()),
                Step::Store { path, .. } => ("store", path.clone()),
                Step::Refuse { local, .. } => ("refuse", local.clone()),
                Step::Remove { path } => ("remove", path.clone()),
            })
            .collect()
    }

    fn owned(list: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        list.iter().map(|(k, p)| (*k, (*p).to_owned())).collect()
    }

    #[test]
    fn a_folder_goes_under_its_own_name_and_its_contents_with_a_trailing_slash() {
        let steps = plan(&FilesMap::new(), site("site"), "/", Mode::Create, NOW).expect("planned");
        assert_eq!(
            summary(&steps),
            owned(&[
                ("put", "/site"),
                ("store", "/site/index.html"),
                ("put", "/site/img"),
                ("store", "/site/img/a.png"),
            ])
        );
        let steps =
            plan(&FilesMap::new(), site("site/"), "/www/", Mode::Create, NOW).expect("planned");
        assert_eq!(
            summary(&steps),
            owned(&[
                ("store", "/www/index.html"),
                ("put", "/www/img"),
                ("store", "/www/img/a.png")
            ])
        );
    }

    #[test]
    fn new_entries_are_typed_dated_and_carry_the_local_attributes() {
        let steps = plan(&FilesMap::new(), site("site"), "/", Mode::Create, NOW).expect("planned");
        let Step::Store { entry, local, .. } = &steps[1] else { panic!("not a store: {steps:?}") };
        assert_eq!(local, "site/index.html");
        assert_eq!(
            entry.kind,
            EntryKind::File { mime: "text/html".into(), size: 5, link: None },
            "the MIME type comes from the name"
        );
        let info = entry.clone().into_info();
        assert_eq!(info["created"], NOW);
        assert_eq!(info["modified"], NOW);
        assert_eq!(info["o_modified"], "2025-01-01T00:00:00Z");
        assert_eq!(info["mode_bits"], (0o644).to_string());
        assert_eq!(info["readonly"], "false");
        assert!(!info.contains_key("link"), "no link before the file is stored");
        let Step::Put { entry, .. } = &steps[0] else { panic!("not a put: {steps:?}") };
        let info = entry.clone().into_info();
        assert_eq!((info["type"].as_str(), info["size"].as_str()), ("inode/directory", "0"));
    }

    #[test]
    fn add_refuses_existing_paths_without_force_and_a_file_over_a_folder() {
        let mut map = FilesMap::new();
        map.insert("/site/index.html".into(), stored_file("5", "2025-01-01T00:00:00Z"));
        map.insert("/site/img/a.png".into(), stored_file("3", "2025-01-01T00:00:00Z"));
        let steps =
            plan(&map, site("site"), "/", Mode::Add { force: false }, NOW).expect("planned");
        assert_eq!(
            summary(&steps),
            owned(&[
                ("put", "/site"),
                ("refuse", "site/index.html"),
                ("put", "/site/img"),
                ("refuse", "site/img/a.png"),
            ]),
            "folders without an entry of their own get one; files there already need force"
        );
        let Step::Refuse { why, .. } = &steps[1] else { panic!("{steps:?}") };
        assert!(why.contains("use force"), "{why}");

        let forced =
            plan(&map, site("site"), "/", Mode::Add { force: true }, NOW).expect("planned");
        assert_eq!(
            summary(&forced),
            owned(&[
                ("put", "/site"),
                ("store", "/site/index.html"),
                ("put", "/site/img"),
                ("store", "/site/img/a.png"),
            ])
        );

        let over_folder =
            LocalItems { location: "img".into(), items: vec![file("", b"not a folder", None)] };
        let steps =
            plan(&map, over_folder, "/site/", Mode::Add { force: true }, NOW).expect("planned");
        let Step::Refuse { why, .. } = &steps[0] else { panic!("{steps:?}") };
        assert!(why.contains("is a folder"), "{why}");
    }

    #[test]
    fn sync_skips_unchanged_files_stores_changed_ones_and_removes_what_is_gone() {
        let mut map = FilesMap::new();
        map.insert("/site".into(), entry(&[("type", "inode/directory")]));
        map.insert("/site/index.html".into(), stored_file("5", "2025-01-01T00:00:00Z"));
        map.insert("/site/img".into(), entry(&[("type", "inode/directory")]));
        map.insert("/site/img/a.png".into(), stored_file("3", "2024-12-31T00:00:00Z"));
        map.insert("/site/old.txt".into(), stored_file("1", "2020-01-01T00:00:00Z"));
        map.insert("/elsewhere.txt".into(), stored_file("1", "2020-01-01T00:00:00Z"));

        let kept =
            plan(&map, site("site"), "/", Mode::Sync { delete: false }, NOW).expect("planned");
        assert_eq!(
            summary(&kept),
            owned(&[("store", "/site/img/a.png")]),
            "same size and local time: unchanged; another local time: stored again"
        );

        let deleting =
            plan(&map, site("site"), "/", Mode::Sync { delete: true }, NOW).expect("planned");
        assert_eq!(
            summary(&deleting),
            owned(&[("store", "/site/img/a.png"), ("remove", "/site/old.txt")]),
            "only what is under the destination is removed"
        );
    }

    #[test]
    fn unplaceable_items_fail_before_anything_is_stored() {
        let empty = LocalItems { location: "nothing".into(), items: Vec::new() };
        let e = plan(&FilesMap::new(), empty, "/", Mode::Create, NOW).expect_err("refused");
        assert_eq!(e.code, crate::ErrorCode::InvalidArgument);

        let mut escaping = site("site");
        escaping.items.push(file("../secret", b"x", None));
        let e = plan(&FilesMap::new(), escaping, "/", Mode::Create, NOW).expect_err("refused");
        assert!(e.message.contains("'..'"), "{}", e.message);

        let e = plan(&FilesMap::new(), site("site"), "/a/../b", Mode::Create, NOW)
            .expect_err("refused");
        assert_eq!(e.code, crate::ErrorCode::InvalidArgument);
    }
}
