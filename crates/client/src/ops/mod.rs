//! The Safe API as operations: what a caller can start, what each gives back, and the checks
//! made before anything is sent.

mod connect;
mod containers;
mod data_map;
mod files;
mod keys;
mod multimap;
mod nrs;
mod quorum;
mod registers;
mod resolve;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use safe_types::account::Amount;
use safe_types::keys::Keypair;
use safe_types::register::EntryHash;
use safe_types::{ContentType, DataType, SafeUrl, XorName};

use crate::net::Net;
use crate::{Error, ErrorCode, Source};

/// A node to bootstrap from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact {
    /// Where the node listens.
    pub addr: SocketAddr,
    /// The node's id, if known; its certificate must then match it.
    pub id: Option<XorName>,
}

/// Bytes `[start, end)` of a file; `end: None` reads to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte to read.
    pub start: u64,
    /// One past the last byte to read.
    pub end: Option<u64>,
}

/// An operation a caller can start.
#[derive(Debug)]
pub enum Operation {
    /// Learn the network map from the first contact that answers.
    Connect(Vec<Contact>),
    /// Store bytes as a public file; gives its XOR-URL.
    StoreBytes {
        /// The file's content.
        data: Bytes,
        /// A MIME type the XOR-URL format knows, or none for Raw.
        media_type: Option<String>,
    },
    /// Store what a source holds as a public file; gives its XOR-URL. The client pulls the
    /// bytes as it needs them (see [`Source`]).
    StoreFile {
        /// The file's content.
        source: Source,
        /// A MIME type the XOR-URL format knows, or none for Raw.
        media_type: Option<String>,
    },
    /// Read a file's bytes.
    FilesGet {
        /// The file's URL.
        url: String,
        /// Which bytes; none for all.
        range: Option<ByteRange>,
    },
    /// Resolve a URL to what it names.
    Fetch {
        /// The URL.
        url: String,
        /// For a file, which bytes; none for all.
        range: Option<ByteRange>,
    },
    /// Make a fresh key pair.
    NewKeypair,
    /// Tell the client's key pair (the owner of the registers it creates).
    GetKeypair,
    /// Replace the client's key pair by the one with this secret key (64 hex characters).
    SetKeypair {
        /// The secret key.
        secret_key: String,
    },
    /// Create a register owned by the client's key; gives its XOR-URL.
    RegisterCreate {
        /// Its name; none for a random one.
        name: Option<XorName>,
        /// Its type tag.
        tag: u64,
        /// What its entries hold: a MIME type, or none for Raw.
        content_type: Option<String>,
    },
    /// The register's current entries (those no other entry supersedes).
    RegisterRead {
        /// The register's URL.
        url: String,
    },
    /// One entry of a register, by its hash (64 hex characters).
    RegisterReadEntry {
        /// The register's URL.
        url: String,
        /// The entry's hash.
        hash: String,
    },
    /// Write an entry; gives its hash.
    RegisterWrite {
        /// The register's URL.
        url: String,
        /// The entry's content.
        entry: Bytes,
        /// The entries it supersedes (hashes); none for the current ones.
        parents: Option<Vec<String>>,
    },
    /// A new key whose account the test network's faucet preloads.
    KeysCreatePreloadTestCoins {
        /// How many coins, as a decimal string.
        amount: String,
    },
    /// A new key preloaded from another key's account (or the faucet when none is given).
    KeysCreateAndPreload {
        /// How many coins.
        amount: String,
        /// The paying key's secret key (64 hex).
        from_secret_key: Option<String>,
    },
    /// The balance of the key with this secret key.
    KeysBalance {
        /// The secret key (64 hex).
        secret_key: String,
    },
    /// Pay coins to a key's URL; gives the transfer's id.
    KeysTransfer {
        /// How many coins.
        amount: String,
        /// The paying key's secret key (64 hex).
        from_secret_key: String,
        /// The receiving key's SafeKey URL.
        to_url: String,
    },
    /// Resolve a URL and give every step of the resolution, without file contents.
    Inspect {
        /// The URL.
        url: String,
    },
    /// An empty FilesContainer; gives [`Output::Url`].
    FilesContainerCreate,
    /// A FilesContainer holding what the host found at a local location; gives
    /// [`Output::Container`] (its URL, the files processed, its FilesMap).
    FilesContainerCreateFrom {
        /// The local items (see [`LocalItems`]).
        local: LocalItems,
        /// Where inside the container to put them (a path such as `/site`); none for `/`.
        dst: Option<String>,
    },
    /// Adds a local file (or folder) to a container at the path the URL names; gives
    /// [`Output::Container`].
    FilesContainerAdd {
        /// The local items.
        local: LocalItems,
        /// The container's URL (XOR-URL or NRS), with the destination path.
        url: String,
        /// Replace a file already at the destination.
        force: bool,
        /// When `url` is an NRS URL, point its name at the new version.
        update_nrs: bool,
    },
    /// Adds bytes as a file at the path the URL names; gives [`Output::Container`].
    FilesContainerAddFromRaw {
        /// The file's content.
        data: Bytes,
        /// The container's URL with the file's path.
        url: String,
        /// Replace a file already at that path.
        force: bool,
        /// When `url` is an NRS URL, point its name at the new version.
        update_nrs: bool,
    },
    /// Makes the container (under the URL's path) match the local items: new and changed files
    /// stored, and with `delete` the ones gone locally removed; gives [`Output::Container`].
    FilesContainerSync {
        /// The local items.
        local: LocalItems,
        /// The container's URL, with the destination path.
        url: String,
        /// Remove what is in the container but no longer local.
        delete: bool,
        /// When `url` is an NRS URL, point its name at the new version.
        update_nrs: bool,
    },
    /// Removes the file (or, with `recursive`, the folder) the URL's path names; gives
    /// [`Output::Container`].
    FilesContainerRemovePath {
        /// The container's URL with the path to remove.
        url: String,
        /// Remove a folder and everything under it.
        recursive: bool,
        /// When `url` is an NRS URL, point its name at the new version.
        update_nrs: bool,
    },
    /// The container's FilesMap, at the URL's version (`?v=`) or the latest; gives
    /// [`Output::Container`] with nothing processed.
    FilesContainerGet {
        /// The container's URL.
        url: String,
    },
    /// Creates the NRS map of a top name, owned by the client's key; gives [`Output::Url`]
    /// with the top name's NRS URL `safe://<top name>`, as sn_api's `nrs_create` did. Conflict
    /// when the top name exists already.
    NrsCreate {
        /// The top name, e.g. `mysite`.
        top_name: String,
    },
    /// Points a public name (`mysite`, `blog.mysite`) at a link; the top name's map must exist
    /// and belong to the client's key. Gives [`Output::Url`]: the NRS URL with its new version.
    NrsAssociate {
        /// The public name.
        name: String,
        /// A safe:// URL (versioned when it names versioned content).
        link: String,
    },
    /// As `NrsAssociate`, creating the top name's map first if there is none; gives
    /// [`Output::NrsAdded`].
    NrsAdd {
        /// The public name.
        name: String,
        /// The link.
        link: String,
    },
    /// Removes a public name's link; gives [`Output::Url`] (the NRS URL with its new version).
    NrsRemove {
        /// The public name.
        name: String,
    },
    /// What a public name links to, and its top name's whole map; gives [`Output::Nrs`].
    NrsGet {
        /// The public name.
        name: String,
        /// A version hash of the map; none for the latest.
        version: Option<String>,
    },
    /// Creates a multimap (a register of key-value entries) owned by the client's key; gives
    /// [`Output::Url`].
    MultimapCreate {
        /// Its name; none for a random one.
        name: Option<XorName>,
        /// Its type tag.
        tag: u64,
    },
    /// The current entries with this key; gives [`Output::Multimap`].
    MultimapGetByKey {
        /// The multimap's URL.
        url: String,
        /// The key.
        key: Bytes,
    },
    /// The entry with this hash; gives [`Output::Multimap`] with that one entry.
    MultimapGetByHash {
        /// The multimap's URL.
        url: String,
        /// The entry's hash (64 hex).
        hash: String,
    },
    /// Inserts a key-value entry that supersedes `replace`; gives [`Output::EntryHash`].
    MultimapInsert {
        /// The multimap's URL.
        url: String,
        /// The key.
        key: Bytes,
        /// The value.
        value: Bytes,
        /// Hashes of entries this one replaces.
        replace: Vec<String>,
    },
    /// Removes entries (writes a tombstone superseding them); gives [`Output::EntryHash`].
    MultimapRemove {
        /// The multimap's URL.
        url: String,
        /// Hashes of the entries to remove.
        hashes: Vec<String>,
    },
}

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

/// One path's attributes in a FilesMap (`link`, `type`, `size`, `created`, `modified`,
/// `mode_bits`, ...), as sn_api's `FileInfo`.
pub type FileInfo = BTreeMap<String, String>;

/// A FilesContainer's listing: each path (starting with `/`) and its attributes, as sn_api's
/// `FilesMap`; stored as a JSON file.
pub type FilesMap = BTreeMap<String, FileInfo>;

/// What an operation did to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Added, now at this link.
    Added(String),
    /// Replaced, now at this link.
    Updated(String),
    /// Removed; this was its link.
    Removed(String),
    /// Left as it was, for this reason.
    Failed(String),
}

/// The paths an operation touched (local paths for what was read from disk, container paths
/// otherwise), each with what happened to it, as sn_api's `ProcessedFiles`.
pub type ProcessedFiles = BTreeMap<String, FileChange>;

/// A FilesContainer after an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerResult {
    /// The container's XOR-URL (with `?v=` of `version` when there is one).
    pub url: String,
    /// The version hash of the container's current version; none when it has no version yet
    /// (created empty) or the operation changed nothing.
    pub version: Option<String>,
    /// What was done to each path.
    pub processed: ProcessedFiles,
    /// The FilesMap of that version.
    pub files_map: FilesMap,
}

/// A multimap entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultimapEntry {
    /// The entry's hash (64 hex).
    pub hash: String,
    /// Its key.
    pub key: Bytes,
    /// Its value.
    pub value: Bytes,
}

/// A key pair as hex strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeypairInfo {
    /// The public key (64 hex).
    pub public_key: String,
    /// The secret key (64 hex).
    pub secret_key: String,
}

/// A register entry with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    /// The entry's hash (64 hex).
    pub hash: String,
    /// The entry's content.
    pub entry: Bytes,
}

/// The network as a client sees it after connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkInfo {
    /// Members in the network map.
    pub nodes: usize,
    /// The map's epoch.
    pub epoch: u64,
    /// How many nodes hold each item.
    pub replication_factor: u8,
}

/// An immutable file, as `fetch` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFile {
    /// Its attributes in the FilesContainer it was reached through, if any.
    pub metadata: Option<FileInfo>,
    /// The file's XOR-URL.
    pub xorurl: String,
    /// The file's address.
    pub xorname: XorName,
    /// The content, or the requested range of it.
    pub data: Bytes,
    /// The MIME type the URL declares.
    pub media_type: Option<String>,
    /// The URL as the caller gave it.
    pub resolved_from: String,
    /// The whole file's size in bytes.
    pub size: u64,
}

/// A FilesContainer (or a folder inside one), as `fetch` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesContainerData {
    /// The container's XOR-URL (with its version).
    pub xorurl: String,
    /// The container register's name.
    pub xorname: XorName,
    /// Its type tag (1100).
    pub type_tag: u64,
    /// The version read; none for a container with no version yet.
    pub version: Option<String>,
    /// The FilesMap of that version (for a folder inside it: the paths under the folder).
    pub files_map: FilesMap,
    /// For a path inside the container that is a folder: its attributes.
    pub metadata: Option<FileInfo>,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// A top name's NRS map, as `fetch` returns it when a public name has no link of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrsMapContainerData {
    /// The top name.
    pub public_name: String,
    /// The map's XOR-URL (with its version).
    pub xorurl: String,
    /// The map's name: SHA3-256 of the top name.
    pub xorname: XorName,
    /// Its type tag (1500).
    pub type_tag: u64,
    /// The version read.
    pub version: Option<String>,
    /// Every public name in it and its link.
    pub nrs_map: BTreeMap<String, String>,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// A public name's link, as `inspect` shows the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrsEntryData {
    /// The public name.
    pub public_name: String,
    /// The NRS map's XOR-URL (with its version).
    pub xorurl: String,
    /// The version of the map read.
    pub version: Option<String>,
    /// The link the name points at.
    pub resolves_into: String,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// A key's SafeKey URL, as `fetch` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeKeyData {
    /// The XOR-URL.
    pub xorurl: String,
    /// The key's XorName.
    pub xorname: XorName,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// A register, as `fetch` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterData {
    /// The XOR-URL.
    pub xorurl: String,
    /// Its name.
    pub xorname: XorName,
    /// Its type tag.
    pub type_tag: u64,
    /// Its current entries (or those of the version asked for).
    pub entries: Vec<RegisterEntry>,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// A multimap, as `fetch` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultimapData {
    /// The XOR-URL.
    pub xorurl: String,
    /// Its name.
    pub xorname: XorName,
    /// Its type tag.
    pub type_tag: u64,
    /// Its current entries.
    pub entries: Vec<MultimapEntry>,
    /// The URL this step was reached from.
    pub resolved_from: String,
}

/// What a URL resolved to (one step of a resolution, for `inspect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafeData {
    /// An immutable file.
    PublicFile(PublicFile),
    /// A FilesContainer, or a folder in one.
    FilesContainer(FilesContainerData),
    /// A top name's NRS map.
    NrsMapContainer(NrsMapContainerData),
    /// A public name's link (only in `inspect`'s chain: `fetch` follows it).
    NrsEntry(NrsEntryData),
    /// A key.
    SafeKey(SafeKeyData),
    /// A register.
    Register(RegisterData),
    /// A multimap.
    Multimap(MultimapData),
}

/// What a finished operation gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `Connect` succeeded.
    Connected(NetworkInfo),
    /// `StoreBytes` stored the file at this XOR-URL.
    Stored(String),
    /// `FilesGet`'s bytes.
    Bytes(Bytes),
    /// `Fetch`'s result.
    Data(SafeData),
    /// A key pair.
    Keypair(KeypairInfo),
    /// The URL of what was created.
    Url(String),
    /// Register entries.
    Entries(Vec<RegisterEntry>),
    /// The hash of a written entry.
    EntryHash(String),
    /// An entry's content.
    Entry(Bytes),
    /// A new, preloaded key: its SafeKey URL and key pair.
    KeyCreated {
        /// The key's SafeKey XOR-URL.
        url: String,
        /// The key pair.
        keypair: KeypairInfo,
    },
    /// A balance, as a decimal string in shortest form.
    Balance(String),
    /// A transfer's id (64 hex).
    TransferId(String),
    /// A FilesContainer after an operation.
    Container(ContainerResult),
    /// `NrsAdd`: the NRS URL with its new version, and whether the top name's map was created.
    NrsAdded {
        /// The public name's NRS URL, versioned.
        url: String,
        /// Whether the map of the top name was created.
        created_top_name: bool,
    },
    /// `NrsGet`: the name's link (none when it has none) and its top name's map.
    Nrs {
        /// What the public name links to.
        link: Option<String>,
        /// The version of the map read.
        version: Option<String>,
        /// Every public name under the top name and its link.
        map: BTreeMap<String, String>,
    },
    /// Multimap entries.
    Multimap(Vec<MultimapEntry>),
    /// `Inspect`: every step of the resolution, first to last, without file contents.
    Chain(Vec<SafeData>),
    /// Done, with nothing to give.
    Done,
}

impl Operation {
    /// Short name for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect",
            Self::StoreBytes { .. } => "storeBytes",
            Self::StoreFile { .. } => "storeFile",
            Self::FilesGet { .. } => "filesGet",
            Self::Fetch { .. } => "fetch",
            Self::NewKeypair => "newKeypair",
            Self::GetKeypair => "getKeypair",
            Self::SetKeypair { .. } => "setKeypair",
            Self::RegisterCreate { .. } => "registerCreate",
            Self::RegisterRead { .. } => "registerRead",
            Self::RegisterReadEntry { .. } => "registerReadEntry",
            Self::RegisterWrite { .. } => "registerWrite",
            Self::KeysCreatePreloadTestCoins { .. } => "keysCreatePreloadTestCoins",
            Self::KeysCreateAndPreload { .. } => "keysCreateAndPreload",
            Self::KeysBalance { .. } => "keysBalance",
            Self::KeysTransfer { .. } => "keysTransfer",
            Self::Inspect { .. } => "inspect",
            Self::FilesContainerCreate => "filesContainerCreate",
            Self::FilesContainerCreateFrom { .. } => "filesContainerCreateFrom",
            Self::FilesContainerAdd { .. } => "filesContainerAdd",
            Self::FilesContainerAddFromRaw { .. } => "filesContainerAddFromRaw",
            Self::FilesContainerSync { .. } => "filesContainerSync",
            Self::FilesContainerRemovePath { .. } => "filesContainerRemovePath",
            Self::FilesContainerGet { .. } => "filesContainerGet",
            Self::NrsCreate { .. } => "nrsCreate",
            Self::NrsAssociate { .. } => "nrsAssociate",
            Self::NrsAdd { .. } => "nrsAdd",
            Self::NrsRemove { .. } => "nrsRemove",
            Self::NrsGet { .. } => "nrsGet",
            Self::MultimapCreate { .. } => "multimapCreate",
            Self::MultimapGetByKey { .. } => "multimapGetByKey",
            Self::MultimapGetByHash { .. } => "multimapGetByHash",
            Self::MultimapInsert { .. } => "multimapInsert",
            Self::MultimapRemove { .. } => "multimapRemove",
        }
    }

    /// What a timeout of this operation should say.
    pub(crate) fn timeout_error(&self, secs: f64) -> Error {
        match self {
            Self::Connect(contacts) => Error::network(format!(
                "could not reach any of the {} bootstrap contact(s) within {secs} s: check that \
                 the network is running and the contacts are right",
                contacts.len()
            )),
            other => Error::new(
                ErrorCode::Timeout,
                format!(
                    "{} did not finish within {secs} s: the network may be slow or partly \
                     down; try again, or give the Safe a longer timeout",
                    other.name()
                ),
            ),
        }
    }

    /// Checks the operation's arguments and makes its future.
    pub(crate) fn into_future(self, net: &Net) -> Result<LocalBoxFuture<'static, OpResult>, Error> {
        let net = net.clone();
        Ok(match self {
            Self::Connect(contacts) => {
                if contacts.is_empty() {
                    return Err(Error::invalid_argument(
                        "no bootstrap contacts given: pass at least one node address",
                    ));
                }
                boxed(connect::connect(net, contacts))
            }
            Self::StoreBytes { data, media_type } => {
                Self::StoreFile { source: Source::from_bytes(data), media_type }
                    .into_future(&net)?
            }
            Self::StoreFile { source, media_type } => {
                net.map()?;
                let content_type = match media_type {
                    Some(t) => ContentType::media_type(&t)?,
                    None => ContentType::Raw,
                };
                files::check_size(source.size())?;
                boxed(files::store_file(net, source, content_type))
            }
            Self::FilesGet { url, range } => {
                net.map()?;
                let url = file_url(&url)?;
                check_range(range)?;
                boxed(
                    async move { files::get(net, url, range).await.map(|f| Output::Bytes(f.data)) },
                )
            }
            Self::Fetch { url, range } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                check_range(range)?;
                boxed(resolve::fetch(net, url, range))
            }
            Self::Inspect { url } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(resolve::inspect(net, url))
            }
            Self::NewKeypair => {
                let info = keys::info(&keys::new_keypair(&net));
                boxed(async move { Ok(Output::Keypair(info)) })
            }
            Self::GetKeypair => {
                let info = keys::info(&net.keypair());
                boxed(async move { Ok(Output::Keypair(info)) })
            }
            Self::SetKeypair { secret_key } => {
                let keypair = secret(&secret_key)?;
                net.with(|s| s.keypair = keypair);
                boxed(async move { Ok(Output::Done) })
            }
            Self::RegisterCreate { name, tag, content_type } => {
                net.map()?;
                let content_type = match content_type {
                    Some(t) => ContentType::media_type(&t)?,
                    None => ContentType::Raw,
                };
                boxed(registers::create(net, name, tag, content_type))
            }
            Self::RegisterRead { url } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                boxed(registers::read(net, address))
            }
            Self::RegisterReadEntry { url, hash } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                let hash = entry_hash(&hash)?;
                boxed(registers::read_entry(net, address, hash))
            }
            Self::RegisterWrite { url, entry, parents } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                let parents = match parents {
                    Some(list) => {
                        Some(list.iter().map(|h| entry_hash(h)).collect::<Result<_, _>>()?)
                    }
                    None => None,
                };
                boxed(registers::write(net, address, entry, parents))
            }
            Self::KeysCreatePreloadTestCoins { amount } => {
                net.map()?;
                let amount = coins(&amount)?;
                boxed(keys::create_preloaded(net, amount, None))
            }
            Self::KeysCreateAndPreload { amount, from_secret_key } => {
                net.map()?;
                let amount = coins(&amount)?;
                let from = from_secret_key.as_deref().map(secret).transpose()?;
                boxed(keys::create_preloaded(net, amount, from))
            }
            Self::KeysBalance { secret_key } => {
                net.map()?;
                let owner = secret(&secret_key)?.public_key();
                boxed(async move {
                    let account = keys::account(&net, owner).await?;
                    let balance = account.balance().map_err(|e| Error::protocol(e.to_string()))?;
                    Ok(Output::Balance(balance.to_string()))
                })
            }
            Self::KeysTransfer { amount, from_secret_key, to_url } => {
                net.map()?;
                let amount = coins(&amount)?;
                let from = secret(&from_secret_key)?;
                let to = keys::key_of_url(&to_url)?;
                boxed(async move {
                    let id = keys::transfer(&net, amount, &from, to).await?;
                    Ok(Output::TransferId(id.to_string()))
                })
            }
            Self::FilesContainerCreate => {
                net.map()?;
                boxed(containers::create(net))
            }
            Self::FilesContainerCreateFrom { local, dst } => {
                net.map()?;
                boxed(containers::create_from(net, local, dst))
            }
            Self::FilesContainerAdd { local, url, force, update_nrs } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(containers::add(net, local, url, force, update_nrs))
            }
            Self::FilesContainerAddFromRaw { data, url, force, update_nrs } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(containers::add_from_raw(net, data, url, force, update_nrs))
            }
            Self::FilesContainerSync { local, url, delete, update_nrs } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(containers::sync(net, local, url, delete, update_nrs))
            }
            Self::FilesContainerRemovePath { url, recursive, update_nrs } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(containers::remove_path(net, url, recursive, update_nrs))
            }
            Self::FilesContainerGet { url } => {
                net.map()?;
                SafeUrl::parse(&url)?;
                boxed(containers::get(net, url))
            }
            Self::NrsCreate { top_name } => {
                net.map()?;
                boxed(nrs::create(net, top_name))
            }
            Self::NrsAssociate { name, link } => {
                net.map()?;
                boxed(nrs::associate(net, name, link))
            }
            Self::NrsAdd { name, link } => {
                net.map()?;
                boxed(nrs::add(net, name, link))
            }
            Self::NrsRemove { name } => {
                net.map()?;
                boxed(nrs::remove(net, name))
            }
            Self::NrsGet { name, version } => {
                net.map()?;
                boxed(nrs::get(net, name, version))
            }
            Self::MultimapCreate { name, tag } => {
                net.map()?;
                boxed(multimap::create(net, name, tag))
            }
            Self::MultimapGetByKey { url, key } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                boxed(multimap::get_by_key(net, address, key))
            }
            Self::MultimapGetByHash { url, hash } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                let hash = entry_hash(&hash)?;
                boxed(multimap::get_by_hash(net, address, hash))
            }
            Self::MultimapInsert { url, key, value, replace } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                let replace = replace.iter().map(|h| entry_hash(h)).collect::<Result<_, _>>()?;
                boxed(multimap::insert(net, address, key, value, replace))
            }
            Self::MultimapRemove { url, hashes } => {
                net.map()?;
                let (_, address) = registers::address_of(&url)?;
                let hashes = hashes.iter().map(|h| entry_hash(h)).collect::<Result<_, _>>()?;
                boxed(multimap::remove(net, address, hashes))
            }
        })
    }
}

fn secret(hex: &str) -> Result<Keypair, Error> {
    Keypair::from_secret_hex(hex).map_err(Error::invalid_argument)
}

fn coins(amount: &str) -> Result<Amount, Error> {
    amount
        .parse()
        .map_err(|e: safe_types::account::AmountError| Error::invalid_argument(e.to_string()))
}

fn entry_hash(hex: &str) -> Result<EntryHash, Error> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex.trim(), &mut bytes).map_err(|_| {
        Error::invalid_argument(format!("an entry hash is 64 hex characters, got '{hex}'"))
    })?;
    Ok(EntryHash(bytes))
}

type OpResult = Result<Output, Error>;

fn boxed(f: impl Future<Output = OpResult> + 'static) -> LocalBoxFuture<'static, OpResult> {
    f.boxed_local()
}

/// Parses a URL this version can read: a XOR-URL of a file.
fn file_url(url: &str) -> Result<SafeUrl, Error> {
    let parsed = SafeUrl::parse(url)?;
    if parsed.is_nrs() {
        return Err(Error::new(
            ErrorCode::InvalidUrl,
            format!(
                "'{url}' is an NRS name, and this version resolves only XOR-URLs: use the \
                 file's safe://h... XOR-URL"
            ),
        ));
    }
    if parsed.data_type() != DataType::File {
        return Err(Error::invalid_argument(format!(
            "'{url}' names a {}, and this version reads only files",
            parsed.data_type()
        )));
    }
    Ok(parsed)
}

fn check_range(range: Option<ByteRange>) -> Result<(), Error> {
    match range {
        Some(ByteRange { start, end: Some(end) }) if end < start => Err(Error::invalid_argument(
            format!("range [{start}, {end}) ends before it starts: give start <= end"),
        )),
        _ => Ok(()),
    }
}
