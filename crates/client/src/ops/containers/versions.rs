//! A FilesContainer's versions on the network: the register, the latest version (see "Which
//! version is the latest" in the parent module), each version's FilesMap file, and writing a
//! new version. Used by the container operations and by URL resolution.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use futures::StreamExt;
use safe_types::register::{EntryHash, Register, RegisterAddress};
use safe_types::{ContentType, DataType, SafeUrl, VersionHash};

use crate::error::{Error, ErrorCode};
use crate::net::Net;
use crate::ops::output::FilesMap;
use crate::ops::{files, registers};
use crate::source::Source;

/// The type tag of FilesContainer registers (sn_api's `FILES_CONTAINER_TYPE_TAG`).
pub(super) const FILES_CONTAINER_TAG: u64 = 1_100;

/// The largest FilesMap a client reads (about 200 000 entries of sn_api's attributes): a version
/// linking to anything larger is refused before it is downloaded, so a hostile container cannot
/// make a reader fetch gigabytes.
const MAX_FILES_MAP_SIZE: u64 = 64 * 1024 * 1024;

/// The FilesMap of the container at `address` at `version` (or its latest version) and that
/// version's hash; none when the container has no version yet. NotFound when there is no such
/// container or version.
pub(crate) async fn files_map_at(
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
pub(super) struct Current {
    /// The container register's address.
    pub(super) address: RegisterAddress,
    /// Every head of the register.
    pub(super) heads: BTreeSet<EntryHash>,
    /// The latest version's FilesMap (empty when there is no version).
    pub(super) files_map: FilesMap,
}

/// The container's latest version, once its owner is known to be this client's key (checked
/// here, before any file is stored, because the write names its parents itself).
pub(super) async fn current(net: &Net, address: RegisterAddress) -> Result<Current, Error> {
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

pub(super) fn container_address(url: &SafeUrl, as_given: &str) -> Result<RegisterAddress, Error> {
    if url.data_type() != DataType::Register || *url.content_type() != ContentType::FilesContainer {
        return Err(Error::invalid_argument(format!(
            "'{as_given}' names a {} of content type {}, not a FilesContainer",
            url.data_type(),
            url.content_type()
        )));
    }
    Ok(RegisterAddress { name: url.xorname(), tag: url.type_tag() })
}

/// Stores the FilesMap as a JSON file; gives its XOR-URL.
pub(super) async fn store_map(net: &Net, files_map: &FilesMap) -> Result<String, Error> {
    let json = serde_json::to_vec(files_map)
        .map_err(|e| internal(format!("a FilesMap did not serialise: {e}")))?;
    files::check_size(json.len() as u64)?;
    files::store_file(net.clone(), Source::from_bytes(json.into()), ContentType::Raw).await
}

/// Writes the entry linking to `map_url`; gives its hash, the new version.
pub(super) async fn write_version(
    net: &Net,
    address: RegisterAddress,
    map_url: String,
    parents: BTreeSet<EntryHash>,
) -> Result<EntryHash, Error> {
    registers::write_entry(net, address, Bytes::from(map_url), Some(parents)).await
}

pub(super) fn container_url(
    net: &Net,
    address: RegisterAddress,
    version: Option<EntryHash>,
) -> String {
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

/// An error that means a bug in this client.
fn internal(message: String) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("{message}; this is a bug in safe-wasi, please report it"),
    )
}
