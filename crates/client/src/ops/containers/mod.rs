//! FilesContainers: a folder tree published on the network, versioned, as sn_api 0.66-0.82 kept
//! it.
//!
//! # On the network
//! A FilesContainer is a register (type tag [`FILES_CONTAINER_TAG`], content type
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
//! # NRS URLs
//! A URL whose top name is a public name is resolved to the container it links to
//! ([`resolve::nrs_target`]); with `update_nrs` the name is then pointed at the new version
//! ([`nrs::associate`]). `update_nrs` with a XOR-URL is an invalid argument, as in sn_api.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use bytes::Bytes;
use futures::StreamExt;
use safe_types::register::{EntryHash, Register, RegisterAddress};
use safe_types::{ContentType, DataType, SafeUrl, VersionHash};

use super::{
    files, nrs, registers, resolve, ContainerResult, FileChange, FileInfo, FilesMap, LocalItem,
    LocalItems, LocalKind, Output, ProcessedFiles,
};
use crate::net::Net;
use crate::{Error, ErrorCode, ProgressUnit, Source};

/// The type tag of FilesContainer registers (sn_api's `FILES_CONTAINER_TYPE_TAG`).
pub(super) const FILES_CONTAINER_TAG: u64 = 1_100;

const LINK: &str = "link";
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

/// The largest FilesMap a client reads (about 200 000 entries of sn_api's attributes): a version
/// linking to anything larger is refused before it is downloaded, so a hostile container cannot
/// make a reader fetch gigabytes.
const MAX_FILES_MAP_SIZE: u64 = 64 * 1024 * 1024;

/// An empty FilesContainer owned by the client's key; gives `Output::Url`.
pub(super) async fn create(net: Net) -> Result<Output, Error> {
    registers::create(net, None, FILES_CONTAINER_TAG, ContentType::FilesContainer).await
}

/// See `Operation::FilesContainerCreateFrom`.
pub(super) async fn create_from(
    net: Net,
    local: LocalItems,
    dst: Option<String>,
) -> Result<Output, Error> {
    let (root, planned) = plan(local, dst.as_deref().unwrap_or("/"))?;
    let mut files_map = FilesMap::new();
    let (processed, _) = apply(&net, &mut files_map, planned, &root, Mode::Create).await?;
    // The register comes last, so that nothing is left behind when this is cancelled before.
    let map_url = store_map(&net, &files_map).await?;
    let url = match registers::create(
        net.clone(),
        None,
        FILES_CONTAINER_TAG,
        ContentType::FilesContainer,
    )
    .await?
    {
        Output::Url(url) => url,
        other => return Err(internal(format!("register creation gave {other:?}"))),
    };
    let (_, address) = registers::address_of(&url)?;
    let version = write_version(&net, address, map_url, BTreeSet::new()).await?;
    Ok(result(&net, address, Some(version), processed, files_map))
}

/// See `Operation::FilesContainerAdd`.
pub(super) async fn add(
    net: Net,
    local: LocalItems,
    url: String,
    force: bool,
    update_nrs: bool,
) -> Result<Output, Error> {
    change_from_local(net, local, url, update_nrs, Mode::Add { force }).await
}

/// See `Operation::FilesContainerAddFromRaw`.
pub(super) async fn add_from_raw(
    net: Net,
    data: Bytes,
    url: String,
    force: bool,
    update_nrs: bool,
) -> Result<Output, Error> {
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
    let mut info = FileInfo::new();
    info.insert(TYPE.into(), mime);
    info.insert(SIZE.into(), data.len().to_string());
    info.insert(LINK.into(), link.clone());
    info.insert(CREATED.into(), now.clone());
    info.insert(MODIFIED.into(), now);
    let changes = match existing {
        Some(old) if old.get(LINK) == Some(&link) => {
            processed.insert(path.clone(), FileChange::Failed(same_content(&path)));
            0
        }
        Some(old) => {
            keep_created(&mut info, &old);
            current.files_map.insert(path.clone(), info);
            processed.insert(path, FileChange::Updated(link));
            1
        }
        None => {
            current.files_map.insert(path.clone(), info);
            processed.insert(path, FileChange::Added(link));
            1
        }
    };
    finish(&net, target, current, processed, changes).await
}

/// See `Operation::FilesContainerSync`.
pub(super) async fn sync(
    net: Net,
    local: LocalItems,
    url: String,
    delete: bool,
    update_nrs: bool,
) -> Result<Output, Error> {
    change_from_local(net, local, url, update_nrs, Mode::Sync { delete }).await
}

/// `add` and `sync`: the local items applied to the container's latest version under the URL's
/// path, written as one new version.
async fn change_from_local(
    net: Net,
    local: LocalItems,
    url: String,
    update_nrs: bool,
    mode: Mode,
) -> Result<Output, Error> {
    let target = target(&net, &url, update_nrs).await?;
    let mut current = current(&net, target.address).await?;
    let (root, planned) = plan(local, &target.path)?;
    let (processed, changes) = apply(&net, &mut current.files_map, planned, &root, mode).await?;
    finish(&net, target, current, processed, changes).await
}

/// See `Operation::FilesContainerRemovePath`.
pub(super) async fn remove_path(
    net: Net,
    url: String,
    recursive: bool,
    update_nrs: bool,
) -> Result<Output, Error> {
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
pub(super) async fn get(net: Net, url: String) -> Result<Output, Error> {
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

/// The FilesMap of the container at `address` at `version` (or its latest version) and that
/// version's hash; none when the container has no version yet. NotFound when there is no such
/// container or version.
pub(super) async fn files_map_at(
    net: &Net,
    address: RegisterAddress,
    version: Option<EntryHash>,
) -> Result<Option<(EntryHash, FilesMap)>, Error> {
    let register = fetch(net, address).await?;
    let version = match version {
        Some(v) if register.get(&v).is_some() => v,
        Some(v) => {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "the FilesContainer has no version {}: check the URL's ?v=",
                    VersionHash::from(v)
                ),
            ))
        }
        None => match latest(&register) {
            Some(v) => v,
            None => return Ok(None),
        },
    };
    let files_map = map_of(net, &register, version).await?;
    Ok(Some((version, files_map)))
}

// ---- reading ----------------------------------------------------------------------------------

/// The container register, with a message that names it as one when it is not there.
async fn fetch(net: &Net, address: RegisterAddress) -> Result<Register, Error> {
    registers::fetch(net, address).await.map_err(|e| match e.code {
        ErrorCode::NotFound => Error::new(
            ErrorCode::NotFound,
            format!("no FilesContainer with name {:x}: check the URL", address.name),
        ),
        _ => e,
    })
}

/// The latest version: the head with the longest chain of versions behind it, ties broken by
/// the greater hash (see the module docs); none for an empty register.
fn latest(register: &Register) -> Option<EntryHash> {
    let heads = register.heads();
    if heads.len() <= 1 {
        return heads.first().map(|(hash, _)| *hash);
    }
    let mut depths = HashMap::new();
    heads.iter().map(|(hash, _)| (depth(register, *hash, &mut depths), *hash)).max().map(|(_, h)| h)
}

/// How many entries lie on the longest chain of parents below `hash` (memoised in `depths`;
/// a loop over a stack, as chains can be as long as the register).
fn depth(register: &Register, hash: EntryHash, depths: &mut HashMap<EntryHash, usize>) -> usize {
    let mut stack = vec![hash];
    while let Some(&top) = stack.last() {
        if depths.contains_key(&top) {
            stack.pop();
            continue;
        }
        let parents: Vec<EntryHash> =
            register.get(&top).map(|e| e.parents.iter().copied().collect()).unwrap_or_default();
        let pending: Vec<EntryHash> =
            parents.iter().filter(|p| !depths.contains_key(*p)).copied().collect();
        if pending.is_empty() {
            let d = parents.iter().filter_map(|p| depths.get(p)).max().map_or(0, |d| d + 1);
            depths.insert(top, d);
            stack.pop();
        } else {
            stack.extend(pending);
        }
    }
    depths.get(&hash).copied().unwrap_or(0)
}

/// The FilesMap version `version` of the register links to.
async fn map_of(net: &Net, register: &Register, version: EntryHash) -> Result<FilesMap, Error> {
    let name = VersionHash::from(version);
    let entry = register
        .get(&version)
        .ok_or_else(|| internal(format!("version {name} vanished from the register")))?;
    let malformed = |why: String| {
        Error::protocol(format!("version {name} of the FilesContainer is not a FilesMap: {why}"))
    };
    let link = std::str::from_utf8(&entry.content)
        .map_err(|_| malformed("its entry is not a UTF-8 URL".into()))?;
    let url = SafeUrl::parse_xorurl(link).map_err(|e| malformed(e.to_string()))?;
    if url.data_type() != DataType::File {
        return Err(malformed(format!("its entry links to a {}, not a file", url.data_type())));
    }
    let reader = files::FileReader::open(net, url.xorname()).await?;
    let size = reader.size();
    if size > MAX_FILES_MAP_SIZE {
        return Err(malformed(format!(
            "its map file is {size} bytes, more than the {MAX_FILES_MAP_SIZE} bytes a client reads"
        )));
    }
    // At most MAX_FILES_MAP_SIZE, a usize on every target.
    let mut json = Vec::with_capacity(size as usize);
    let mut pieces = reader.read(net, 0..size);
    while let Some(piece) = pieces.next().await {
        json.extend_from_slice(&piece?);
    }
    serde_json::from_slice(&json).map_err(|e| malformed(format!("its JSON is malformed: {e}")))
}

/// What a write starts from: the latest version's map, and every head (the new version's
/// parents).
struct Current {
    address: RegisterAddress,
    heads: BTreeSet<EntryHash>,
    files_map: FilesMap,
}

/// The container's latest version, once its owner is known to be this client's key (checked
/// here, before any file is stored, because the write names its parents itself).
async fn current(net: &Net, address: RegisterAddress) -> Result<Current, Error> {
    let register = fetch(net, address).await?;
    if *register.owner() != net.keypair().public_key() {
        return Err(registers::not_owner(register.owner()));
    }
    let heads = register.heads().into_iter().map(|(hash, _)| hash).collect();
    let version = latest(&register);
    let files_map = match version {
        Some(v) => map_of(net, &register, v).await?,
        None => FilesMap::new(),
    };
    Ok(Current { address, heads, files_map })
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

fn container_address(url: &SafeUrl, as_given: &str) -> Result<RegisterAddress, Error> {
    if url.data_type() != DataType::Register || *url.content_type() != ContentType::FilesContainer {
        return Err(Error::invalid_argument(format!(
            "'{as_given}' names a {} of content type {}, not a FilesContainer",
            url.data_type(),
            url.content_type()
        )));
    }
    Ok(RegisterAddress { name: url.xorname(), tag: url.type_tag() })
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
) -> Result<Output, Error> {
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

/// Stores the FilesMap as a JSON file; gives its XOR-URL.
async fn store_map(net: &Net, files_map: &FilesMap) -> Result<String, Error> {
    let json = serde_json::to_vec(files_map)
        .map_err(|e| internal(format!("a FilesMap did not serialise: {e}")))?;
    files::check_size(json.len() as u64)?;
    stored_url(
        files::store_file(net.clone(), Source::from_bytes(json.into()), ContentType::Raw).await?,
    )
}

/// Writes the entry linking to `map_url`; gives its hash, the new version.
async fn write_version(
    net: &Net,
    address: RegisterAddress,
    map_url: String,
    parents: BTreeSet<EntryHash>,
) -> Result<EntryHash, Error> {
    registers::write_entry(net, address, Bytes::from(map_url), Some(parents)).await
}

fn container_url(net: &Net, address: RegisterAddress, version: Option<EntryHash>) -> String {
    match SafeUrl::new_xorurl(
        address.name,
        address.tag,
        ContentType::FilesContainer,
        DataType::Register,
        net.xorurl_base(),
    ) {
        Ok(mut url) => {
            url.set_content_version(version.map(VersionHash::from));
            url.to_string()
        }
        // FilesContainer has a code, so this cannot happen.
        Err(e) => format!("<{e}>"),
    }
}

fn result(
    net: &Net,
    address: RegisterAddress,
    version: Option<EntryHash>,
    processed: ProcessedFiles,
    files_map: FilesMap,
) -> Output {
    Output::Container(ContainerResult {
        url: container_url(net, address, version),
        version: version.map(|v| VersionHash::from(v).to_string()),
        processed,
        files_map,
    })
}

// ---- placing local items ----------------------------------------------------------------------

/// A local item and where it goes.
struct Planned {
    /// Its path in the container.
    path: String,
    /// Its local path, for the processed list and progress.
    local: String,
    item: LocalItem,
}

/// Where each local item goes for the destination `dst` (see the module docs); also gives the
/// container path the location itself maps to ("" for the root).
fn plan(local: LocalItems, dst: &str) -> Result<(String, Vec<Planned>), Error> {
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
        planned.push(Planned { path, local, item });
    }
    Ok((root, planned))
}

/// A container path as `/a/b` (empty for the root), and whether it was written as a folder
/// (ending in `/`, or empty). `.` segments and repeated slashes go; `..` is refused.
fn normalise(path: &str) -> Result<(String, bool), Error> {
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

// ---- applying changes -------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Add { force: bool },
    Sync { delete: bool },
}

/// What to do with one planned item.
enum Step {
    /// Put the item's entry at the path: Added, or Updated when one was there.
    Put,
    /// Store the file, then put it (unless its link is the one already there).
    Store(Source),
    /// Leave the path as it is, saying why.
    Refuse(String),
    /// Leave it silently: it is unchanged.
    Keep,
}

/// Applies the planned items to `files_map` as `mode` says; gives what was done and how many
/// paths changed. Files are stored one after another, each pulled from its source in pieces.
async fn apply(
    net: &Net,
    files_map: &mut FilesMap,
    planned: Vec<Planned>,
    root: &str,
    mode: Mode,
) -> Result<(ProcessedFiles, usize), Error> {
    for p in &planned {
        if let LocalKind::File(source) = &p.item.kind {
            files::check_size(source.size()).map_err(|e| {
                Error::new(e.code, format!("'{}' cannot be stored: {}", p.local, e.message))
            })?;
        }
    }
    let now = now_rfc3339();
    let mut processed = ProcessedFiles::new();
    let mut changes = 0;
    let local_paths: BTreeSet<String> = planned.iter().map(|p| p.path.clone()).collect();

    let mut steps = Vec::with_capacity(planned.len());
    for p in planned {
        let Planned { path, local, item } = p;
        let LocalItem { kind, mode_bits, readonly, created, modified, .. } = item;
        let mut info = FileInfo::new();
        info.insert(CREATED.into(), now.clone());
        info.insert(MODIFIED.into(), now.clone());
        info.insert(READONLY.into(), readonly.to_string());
        info.insert(MODE_BITS.into(), mode_bits.to_string());
        if let Some(t) = created {
            info.insert(ORIGINAL_CREATED.into(), t);
        }
        if let Some(t) = modified {
            info.insert(ORIGINAL_MODIFIED.into(), t);
        }
        let existing = files_map.get(&path);
        let folder_there = is_folder(files_map, &path);
        let adding = matches!(mode, Mode::Add { .. });
        let force = matches!(mode, Mode::Add { force: true });
        let step = match kind {
            LocalKind::Dir => {
                info.insert(TYPE.into(), TYPE_DIR.into());
                info.insert(SIZE.into(), "0".into());
                match existing {
                    Some(old) if type_of(old) == TYPE_DIR => Step::Keep,
                    Some(_) if adding => Step::Refuse(is_a_file(&path)),
                    _ => Step::Put,
                }
            }
            LocalKind::Symlink { target, target_type } => {
                info.insert(TYPE.into(), TYPE_SYMLINK.into());
                info.insert(SIZE.into(), "0".into());
                let same = existing.is_some_and(|old| {
                    type_of(old) == TYPE_SYMLINK
                        && old.get(SYMLINK_TARGET) == Some(&target)
                        && old.get(SYMLINK_TARGET_TYPE) == Some(&target_type)
                });
                info.insert(SYMLINK_TARGET.into(), target);
                info.insert(SYMLINK_TARGET_TYPE.into(), target_type);
                if adding && folder_there {
                    Step::Refuse(is_a_folder(&path))
                } else if adding && existing.is_some() && !force {
                    Step::Refuse(exists_use_force(&path))
                } else if adding && same {
                    Step::Refuse(same_content(&path))
                } else if same {
                    Step::Keep
                } else {
                    Step::Put
                }
            }
            LocalKind::File(source) => {
                info.insert(TYPE.into(), guess_type(&local));
                info.insert(SIZE.into(), source.size().to_string());
                // Sync's shortcut: same size and same local modification time as the entry.
                let unchanged = existing.is_some_and(|old| {
                    type_of(old) != TYPE_DIR
                        && old.get(SIZE) == info.get(SIZE)
                        && old.get(ORIGINAL_MODIFIED).is_some()
                        && old.get(ORIGINAL_MODIFIED) == info.get(ORIGINAL_MODIFIED)
                });
                if adding && folder_there {
                    Step::Refuse(is_a_folder(&path))
                } else if adding && existing.is_some() && !force {
                    Step::Refuse(exists_use_force(&path))
                } else if matches!(mode, Mode::Sync { .. }) && unchanged {
                    Step::Keep
                } else {
                    Step::Store(source)
                }
            }
        };
        steps.push((path, local, info, step));
    }

    let total = steps.iter().filter(|(.., s)| matches!(s, Step::Store(_))).count() as u64;
    let mut done = 0;
    for (path, local, mut info, step) in steps {
        let old = files_map.get(&path);
        let change = match step {
            Step::Keep => continue,
            Step::Refuse(why) => {
                processed.insert(local, FileChange::Failed(why));
                continue;
            }
            Step::Put => {
                let link = link_of(&info);
                let change = match old {
                    Some(old) => {
                        keep_created(&mut info, old);
                        FileChange::Updated(link)
                    }
                    None => FileChange::Added(link),
                };
                files_map.insert(path, info);
                change
            }
            Step::Store(source) => {
                net.report_progress(done, total, ProgressUnit::Files, Some(local.clone()));
                let stored = store(net, source, &info[TYPE]).await;
                done += 1;
                net.report_progress(done, total, ProgressUnit::Files, Some(local.clone()));
                let link = match stored {
                    Ok(link) => link,
                    // The file could not be read: leave it out and go on with the others.
                    Err(e) if e.code == ErrorCode::InvalidArgument => {
                        processed.insert(local, FileChange::Failed(e.message));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                match old {
                    Some(old) if type_of(old) != TYPE_DIR && old.get(LINK) == Some(&link) => {
                        // Sync leaves an unchanged file silently; add says why nothing changed.
                        if !matches!(mode, Mode::Sync { .. }) {
                            processed.insert(local, FileChange::Failed(same_content(&path)));
                        }
                        continue;
                    }
                    Some(old) => {
                        keep_created(&mut info, old);
                        info.insert(LINK.into(), link.clone());
                        files_map.insert(path, info);
                        FileChange::Updated(link)
                    }
                    None => {
                        info.insert(LINK.into(), link.clone());
                        files_map.insert(path, info);
                        FileChange::Added(link)
                    }
                }
            }
        };
        processed.insert(local, change);
        changes += 1;
    }

    if let Mode::Sync { delete: true } = mode {
        let prefix = format!("{root}/");
        let gone: Vec<String> = files_map
            .keys()
            .filter(|k| k.starts_with(&prefix) && !local_paths.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(info) = files_map.remove(&key) {
                processed.insert(key, FileChange::Removed(link_of(&info)));
                changes += 1;
            }
        }
    }
    Ok((processed, changes))
}

/// Stores a file; gives its XOR-URL, which names its MIME type when the format has a code for it.
async fn store(net: &Net, source: Source, mime: &str) -> Result<String, Error> {
    let content_type = ContentType::media_type(mime).unwrap_or(ContentType::Raw);
    stored_url(files::store_file(net.clone(), source, content_type).await?)
}

fn stored_url(output: Output) -> Result<String, Error> {
    match output {
        Output::Stored(url) => Ok(url),
        other => Err(internal(format!("storing a file gave {other:?}"))),
    }
}

// ---- small helpers ----------------------------------------------------------------------------

/// The MIME type for a file name, as sn_api guessed it (`Raw` when there is none).
fn guess_type(name: &str) -> String {
    mime_guess::from_path(Path::new(name)).first_raw().unwrap_or(TYPE_RAW).to_owned()
}

fn type_of(info: &FileInfo) -> &str {
    info.get(TYPE).map_or("", String::as_str)
}

/// A file's link; empty for folders and symlinks (as sn_api reported them).
fn link_of(info: &FileInfo) -> String {
    info.get(LINK).cloned().unwrap_or_default()
}

/// Whether `path` is a folder in the map: a folder entry, or the parent of other entries.
fn is_folder(files_map: &FilesMap, path: &str) -> bool {
    if files_map.get(path).is_some_and(|info| type_of(info) == TYPE_DIR) {
        return true;
    }
    let prefix = format!("{path}/");
    files_map.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// An updated entry keeps the time it was first made.
fn keep_created(info: &mut FileInfo, old: &FileInfo) {
    if let Some(created) = old.get(CREATED) {
        info.insert(CREATED.into(), created.clone());
    }
}

fn exists_use_force(path: &str) -> String {
    format!("'{path}' already exists in the container; use force to replace it")
}

fn same_content(path: &str) -> String {
    format!("'{path}' already exists in the container with the same content")
}

fn is_a_folder(path: &str) -> String {
    format!("'{path}' is a folder in the container; remove it first to put a file there")
}

fn is_a_file(path: &str) -> String {
    format!("'{path}' is a file in the container; remove it first to put a folder there")
}

/// Now, in RFC 3339 to the second (`2024-05-01T12:00:00Z`), as sn_api wrote entry times.
///
/// The one place the client reads the wall clock (the host's WASI clock in the component):
/// only to date FilesMap entries, never to time anything.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn internal(message: String) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("{message}; this is a bug in safe-wasi, please report it"),
    )
}
