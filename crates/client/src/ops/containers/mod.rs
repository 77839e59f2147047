//! FilesContainers: a folder tree published on the network, versioned, as sn_api 0.66-0.82 kept
//! it.
//!
//! # On the network
//! A FilesContainer is a register (type tag [`versions::FILES_CONTAINER_TAG`], content type
//! `FilesContainer`) owned by the key that created it. Each entry of the register is one
//! version of the container: its content is the XOR-URL (as UTF-8 text) of a public file holding
//! that version's FilesMap as JSON (`serde_json` of the `BTreeMap`, compact, as sn_api wrote it;
//! the file's XOR-URL has content type Raw). The version's name is the entry's hash, written in
//! URLs as a [`VersionHash`] in `?v=`. A container with no entry is empty and has no version.
//!
//! A FilesMap maps container paths (`/index.html`, `/img/a.png`) to attributes, with sn_api's
//! names: `type` (the MIME type `mime_guess` gives for the local file name, `Raw` when it has
//! none; `inode/directory` for folders, `inode/symlink` for symlinks), `size` (bytes, `0` for
//! folders and symlinks), `created` and `modified` (when the entry was made and last changed in
//! the container, RFC 3339 in seconds), `o_created` and `o_modified` (the local file's own
//! times, when the host knows them), `readonly` (`true`/`false`), `mode_bits` (decimal), and
//! `link` (the file's XOR-URL) for files only, `symlink_target` and `symlink_target_type`
//! (`file`, `dir` or `unknown`) for symlinks only. Folders and symlinks are entries of their
//! own, as sn_api listed them. A file is stored self-encrypted ([`files::store_file`], pulled
//! from its source a piece at a time); its XOR-URL carries the MIME type when the XOR-URL format
//! has a code for it, else Raw.
//!
//! # Which version is the latest
//! The register's head. Two writers that wrote concurrently leave two heads (sn_api refused to
//! read such a container); here the latest is the head with the longest chain of versions
//! behind it, ties broken by the greater entry hash, so every reader picks the same one. A new
//! version names every head its writer read as parents, which merges them again (the other
//! head's changes are then superseded, not merged).
//!
//! # Placing local items (as sn_api's `files_container_create_from`, `add` and `sync`)
//! The destination is `dst` for `create_from`, the URL's path for `add` and `sync`. A
//! destination ending in `/` (or none, meaning `/`) is a folder to put the location in: a
//! location ending in `/` puts the folder's contents there; otherwise the folder (or file)
//! itself goes there under its own name (`site` → `/site/...`). A destination not ending in
//! `/` is the new name of the location: `site` with `/www` gives `/www/...`, a file `a.txt` with
//! `/b.txt` gives `/b.txt`. Processed files are keyed by local path (the location joined with
//! the item's path) for what was read locally, by container path for what was removed or added
//! from raw bytes.
//!
//! # Changes
//! - `add`: new paths are Added; an existing path is Failed ("use force") without force; with
//!   force it is Updated when its content differs and Failed ("same content") when it is the
//!   same. An existing folder is never replaced by a file or the other way round.
//! - `sync`: new paths Added, changed ones Updated, and with `delete` the entries strictly under
//!   the destination that are not local any more Removed (sn_api removed them anywhere in the
//!   container). A file whose size and modification time (`o_modified`) match its entry is taken
//!   as unchanged without being read; any other file is stored and compared by link (storing
//!   an unchanged file again costs bandwidth only: its chunks are already there).
//! - `remove_path`: the path must exist (NotFound); a folder needs `recursive`.
//! - A file that cannot be read (its source fails or ends early) is Failed and left out; any
//!   other failure (network, timeout) fails the whole operation.
//! - When nothing changed no version is written, and the result's `version` is none (the
//!   contract of [`ContainerResult`]; sn_api gave the current version) with the current map.
//! - Writes go to the latest version whatever `?v=` the URL names (as sn_api).
//!
//! # Nothing half-written
//! Every operation that makes a new FilesMap stores all its files first, then the map, and
//! writes the one register entry last (`create_from` creates the register only then, too). An
//! operation cancelled or failed before that leaves the container as it was; the chunks it
//! stored are unreferenced and harmless, and storing them again later is idempotent.
//!
//! # Dry runs
//! In a dry runner (see `operation.rs`) the operations run as above, reading what they need,
//! but store nothing and write no version: `create_from` needs no network at all and gives a
//! random container URL with the version its first entry would have; the others give the
//! version they would write (its hash is that of the entry, known before it is sent), the
//! processed files with the links the files would have, and the FilesMap. With `update_nrs`
//! the name's map is read and its owner checked, and nothing is written to it.
//!
//! # NRS URLs
//! A URL whose top name is a public name is resolved to the container it links to
//! ([`resolve::nrs_target`]); with `update_nrs` the name is then pointed at the new version
//! ([`nrs::associate`]). `update_nrs` with a XOR-URL is an invalid argument, as in sn_api.
//!
//! # Modules
//! This module holds the operations, each reading what it needs, changing the FilesMap and
//! writing one version. `local`: the host's local items (arguments); `plan`: the pure part of
//! `create_from`, `add` and `sync` (placing items and deciding each path's step), tested without
//! a network; `apply`: storing files and applying the steps; `entry`: the typed entry and sn_api's
//! attribute names; `versions`: the register, its versions and their FilesMap files.

use std::collections::BTreeSet;

use bytes::Bytes;
use futures::FutureExt;
use safe_types::register::{EntryHash, RegisterAddress};
use safe_types::{ContentType, SafeUrl, VersionHash};

use self::apply::{apply, store};
use self::entry::{guess_type, is_folder, link_of, now_rfc3339, EntryKind, FileEntry};
use self::plan::{exists_use_force, is_a_folder, normalise, plan, same_content, Mode};
use self::versions::{
    container_address, container_url, current, files_map_at, store_map, write_version, Current,
    FILES_CONTAINER_TAG,
};
use super::output::{ContainerResult, FileChange, FilesMap, ProcessedFiles, Started};
use super::{files, nrs, registers, resolve};
use crate::error::{Error, ErrorCode};
use crate::events::ProgressUnit;
use crate::net::Net;
use crate::source::Source;

mod apply;
mod entry;
mod local;
mod plan;
pub(super) mod versions;

pub use local::{LocalItem, LocalItems, LocalKind};

/// The FilesContainer operations and their output (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [containers] {
            operations {
                /// An empty FilesContainer; gives [`Output::Url`].
                FilesContainerCreate -> Url = "files_container_create"
                    by start_create, offline_when_dry;
                /// A FilesContainer holding what the host found at a local location; gives
                /// [`Output::Container`] (its URL, the files processed, its FilesMap).
                FilesContainerCreateFrom {
                    /// The local items (see [`LocalItems`](crate::LocalItems)).
                    local: crate::LocalItems,
                    /// Where inside the container to put them (a path such as `/site`); none
                    /// for `/`.
                    dst: Option<String>,
                } -> Container = "files_container_create_from"
                    by start_create_from, offline_when_dry;
                /// Adds a local file (or folder) to a container at the path the URL names;
                /// gives [`Output::Container`].
                FilesContainerAdd {
                    /// The local items.
                    local: crate::LocalItems,
                    /// The container's URL (XOR-URL or NRS), with the destination path.
                    url: String,
                    /// Replace a file already at the destination.
                    force: bool,
                    /// When `url` is an NRS URL, point its name at the new version.
                    update_nrs: bool,
                } -> Container = "files_container_add" by start_add;
                /// Adds bytes as a file at the path the URL names; gives
                /// [`Output::Container`].
                FilesContainerAddFromRaw {
                    /// The file's content.
                    data: bytes::Bytes,
                    /// The container's URL with the file's path.
                    url: String,
                    /// Replace a file already at that path.
                    force: bool,
                    /// When `url` is an NRS URL, point its name at the new version.
                    update_nrs: bool,
                } -> Container = "files_container_add_from_raw" by start_add_from_raw;
                /// Makes the container (under the URL's path) match the local items: new and
                /// changed files stored, and with `delete` the ones gone locally removed; gives
                /// [`Output::Container`].
                FilesContainerSync {
                    /// The local items.
                    local: crate::LocalItems,
                    /// The container's URL, with the destination path.
                    url: String,
                    /// Remove what is in the container but no longer local.
                    delete: bool,
                    /// When `url` is an NRS URL, point its name at the new version.
                    update_nrs: bool,
                } -> Container = "files_container_sync" by start_sync;
                /// Removes the file (or, with `recursive`, the folder) the URL's path names;
                /// gives [`Output::Container`].
                FilesContainerRemovePath {
                    /// The container's URL with the path to remove.
                    url: String,
                    /// Remove a folder and everything under it.
                    recursive: bool,
                    /// When `url` is an NRS URL, point its name at the new version.
                    update_nrs: bool,
                } -> Container = "files_container_remove_path" by start_remove_path;
                /// The container's FilesMap, at the URL's version (`?v=`) or the latest; gives
                /// [`Output::Container`] with nothing processed.
                FilesContainerGet {
                    /// The container's URL.
                    url: String,
                } -> Container = "files_container_get" by start_get;
            }
            outputs {
                /// A FilesContainer after an operation.
                Container(crate::ContainerResult),
            }
        } }
    };
}
pub(super) use table;

/// Starts `Operation::FilesContainerCreate`.
pub(super) fn start_create(net: Net) -> Started<String> {
    Ok(create(net).boxed_local())
}

/// Starts `Operation::FilesContainerCreateFrom`.
pub(super) fn start_create_from(
    net: Net,
    local: LocalItems,
    dst: Option<String>,
) -> Started<ContainerResult> {
    Ok(create_from(net, local, dst).boxed_local())
}

/// Starts `Operation::FilesContainerAdd`: a URL that parses.
pub(super) fn start_add(
    net: Net,
    local: LocalItems,
    url: String,
    force: bool,
    update_nrs: bool,
) -> Started<ContainerResult> {
    SafeUrl::parse(&url)?;
    Ok(change_from_local(net, local, url, update_nrs, Mode::Add { force }).boxed_local())
}

/// Starts `Operation::FilesContainerAddFromRaw`: a URL that parses.
pub(super) fn start_add_from_raw(
    net: Net,
    data: Bytes,
    url: String,
    force: bool,
    update_nrs: bool,
) -> Started<ContainerResult> {
    SafeUrl::parse(&url)?;
    Ok(add_from_raw(net, data, url, force, update_nrs).boxed_local())
}

/// Starts `Operation::FilesContainerSync`: a URL that parses.
pub(super) fn start_sync(
    net: Net,
    local: LocalItems,
    url: String,
    delete: bool,
    update_nrs: bool,
) -> Started<ContainerResult> {
    SafeUrl::parse(&url)?;
    Ok(change_from_local(net, local, url, update_nrs, Mode::Sync { delete }).boxed_local())
}

/// Starts `Operation::FilesContainerRemovePath`: a URL that parses.
pub(super) fn start_remove_path(
    net: Net,
    url: String,
    recursive: bool,
    update_nrs: bool,
) -> Started<ContainerResult> {
    SafeUrl::parse(&url)?;
    Ok(remove_path(net, url, recursive, update_nrs).boxed_local())
}

/// Starts `Operation::FilesContainerGet`: a URL that parses.
pub(super) fn start_get(net: Net, url: String) -> Started<ContainerResult> {
    SafeUrl::parse(&url)?;
    Ok(get(net, url).boxed_local())
}

/// An empty FilesContainer owned by the client's key; its XOR-URL.
async fn create(net: Net) -> Result<String, Error> {
    registers::create(net, None, FILES_CONTAINER_TAG, ContentType::FilesContainer).await
}

/// See `Operation::FilesContainerCreateFrom`.
async fn create_from(
    net: Net,
    local: LocalItems,
    dst: Option<String>,
) -> Result<ContainerResult, Error> {
    let mut files_map = FilesMap::new();
    let steps =
        plan(&files_map, local, dst.as_deref().unwrap_or("/"), Mode::Create, &now_rfc3339())?;
    let (processed, _) = apply(&net, &mut files_map, steps, Mode::Create).await?;
    // The register comes last, so that nothing is left behind when this is cancelled before.
    let map_url = store_map(&net, &files_map).await?;
    let url =
        registers::create(net.clone(), None, FILES_CONTAINER_TAG, ContentType::FilesContainer)
            .await?;
    let (_, address) = registers::address_of(&url)?;
    let version = write_version(&net, address, map_url, BTreeSet::new()).await?;
    Ok(result(&net, address, Some(version), processed, files_map))
}

/// See `Operation::FilesContainerAddFromRaw`.
async fn add_from_raw(
    net: Net,
    data: Bytes,
    url: String,
    force: bool,
    update_nrs: bool,
) -> Result<ContainerResult, Error> {
    files::check_size(data.len() as u64)?;
    let target = target(&net, &url, update_nrs).await?;
    let (path, folder) = normalise(&target.path)?;
    if path.is_empty() || folder {
        return Err(Error::invalid_argument(format!(
            "'{url}' names no file: give the new file's path in the URL, e.g. \
             safe://<container>/notes.txt"
        )));
    }
    let mut current = current(&net, target.address).await?;
    let mut processed = ProcessedFiles::new();
    let existing = current.files_map.get(&path).cloned();
    if is_folder(&current.files_map, &path) {
        processed.insert(path.clone(), FileChange::Failed(is_a_folder(&path)));
        return finish(&net, target, current, processed, 0).await;
    }
    if existing.is_some() && !force {
        processed.insert(path.clone(), FileChange::Failed(exists_use_force(&path)));
        return finish(&net, target, current, processed, 0).await;
    }
    let mime = guess_type(&path);
    net.report_progress(0, 1, ProgressUnit::Files, Some(path.clone()));
    let link = store(&net, Source::from_bytes(data.clone()), &mime).await?;
    net.report_progress(1, 1, ProgressUnit::Files, Some(path.clone()));
    let now = now_rfc3339();
    let size = data.len() as u64;
    let mut entry = FileEntry {
        kind: EntryKind::File { mime, size, link: Some(link.clone()) },
        created: now.clone(),
        modified: now,
        local: None,
    };
    let changes = match existing {
        Some(old) if old.get(entry::LINK) == Some(&link) => {
            processed.insert(path.clone(), FileChange::Failed(same_content(&path)));
            0
        }
        Some(old) => {
            entry.keep_created(&old);
            current.files_map.insert(path.clone(), entry.into_info());
            processed.insert(path, FileChange::Updated(link));
            1
        }
        None => {
            current.files_map.insert(path.clone(), entry.into_info());
            processed.insert(path, FileChange::Added(link));
            1
        }
    };
    finish(&net, target, current, processed, changes).await
}

/// `add` and `sync`: the local items applied to the container's latest version under the URL's
/// path, written as one new version.
async fn change_from_local(
    net: Net,
    local: LocalItems,
    url: String,
    update_nrs: bool,
    mode: Mode,
) -> Result<ContainerResult, Error> {
    let target = target(&net, &url, update_nrs).await?;
    let mut current = current(&net, target.address).await?;
    let steps = plan(&current.files_map, local, &target.path, mode, &now_rfc3339())?;
    let (processed, changes) = apply(&net, &mut current.files_map, steps, mode).await?;
    finish(&net, target, current, processed, changes).await
}

/// See `Operation::FilesContainerRemovePath`.
async fn remove_path(
    net: Net,
    url: String,
    recursive: bool,
    update_nrs: bool,
) -> Result<ContainerResult, Error> {
    let target = target(&net, &url, update_nrs).await?;
    let (path, _) = normalise(&target.path)?;
    if path.is_empty() {
        return Err(Error::invalid_argument(format!(
            "'{url}' names no path to remove: add it to the URL, e.g. safe://<container>/old.txt"
        )));
    }
    let mut current = current(&net, target.address).await?;
    let prefix = format!("{path}/");
    let exists = current.files_map.contains_key(&path)
        || current.files_map.keys().any(|k| k.starts_with(&prefix));
    if !exists {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("the FilesContainer has nothing at '{path}'"),
        ));
    }
    if is_folder(&current.files_map, &path) && !recursive {
        return Err(Error::invalid_argument(format!(
            "'{path}' is a folder: pass recursive to remove it and everything under it"
        )));
    }
    let doomed: Vec<String> = current
        .files_map
        .keys()
        .filter(|k| **k == path || k.starts_with(&prefix))
        .cloned()
        .collect();
    let mut processed = ProcessedFiles::new();
    for key in doomed {
        if let Some(info) = current.files_map.remove(&key) {
            processed.insert(key, FileChange::Removed(link_of(&info)));
        }
    }
    let changes = processed.len();
    finish(&net, target, current, processed, changes).await
}

/// See `Operation::FilesContainerGet`.
async fn get(net: Net, url: String) -> Result<ContainerResult, Error> {
    let parsed = SafeUrl::parse(&url)?;
    let resolved = if parsed.is_nrs() { resolve::nrs_target(&net, &parsed).await? } else { parsed };
    let address = container_address(&resolved, &url)?;
    let version = resolved.content_version().map(|v| v.entry_hash());
    let (version, files_map) = match files_map_at(&net, address, version).await? {
        Some((version, map)) => (Some(version), map),
        None => (None, FilesMap::new()),
    };
    Ok(result(&net, address, version, ProcessedFiles::new(), files_map))
}

/// The container a URL names (through its NRS name, if it has one) and the path in it.
struct Target {
    address: RegisterAddress,
    /// The URL's path, percent-decoded.
    path: String,
    /// With `update_nrs`: the public name to point at the new version.
    nrs_name: Option<String>,
}

async fn target(net: &Net, url: &str, update_nrs: bool) -> Result<Target, Error> {
    let parsed = SafeUrl::parse(url)?;
    if update_nrs && !parsed.is_nrs() {
        return Err(Error::invalid_argument(format!(
            "update_nrs needs an NRS URL (safe://<public name>/...), and '{url}' is a XOR-URL"
        )));
    }
    let nrs_name = (update_nrs && parsed.is_nrs()).then(|| parsed.public_name());
    let resolved = if parsed.is_nrs() { resolve::nrs_target(net, &parsed).await? } else { parsed };
    let address = container_address(&resolved, url)?;
    let path = resolved.path_decoded()?;
    Ok(Target { address, path, nrs_name })
}

// ---- writing ----------------------------------------------------------------------------------

/// Writes the new version when something changed (and points the NRS name at it), and gives
/// the result.
async fn finish(
    net: &Net,
    target: Target,
    current: Current,
    processed: ProcessedFiles,
    changes: usize,
) -> Result<ContainerResult, Error> {
    let Current { address, heads, files_map } = current;
    if changes == 0 {
        return Ok(result(net, address, None, processed, files_map));
    }
    let map_url = store_map(net, &files_map).await?;
    let version = write_version(net, address, map_url, heads).await?;
    if let Some(name) = target.nrs_name {
        let link = container_url(net, address, Some(version));
        nrs::associate(net.clone(), name.clone(), link.clone()).await.map_err(|e| {
            Error::new(
                e.code,
                format!(
                    "the FilesContainer's new version is {link}, but pointing '{name}' at it \
                     failed: {}",
                    e.message
                ),
            )
        })?;
    }
    Ok(result(net, address, Some(version), processed, files_map))
}

fn result(
    net: &Net,
    address: RegisterAddress,
    version: Option<EntryHash>,
    processed: ProcessedFiles,
    files_map: FilesMap,
) -> ContainerResult {
    ContainerResult {
        url: container_url(net, address, version),
        version: version.map(|v| VersionHash::from(v).to_string()),
        processed,
        files_map,
    }
}
