//! What operations give back: the result types inside [`Output`](crate::Output), shaped as
//! sn_api's (`FilesMap`, `ProcessedFiles`, `SafeData`, ...), and the shapes of it that several
//! modules give. Plain data, no behaviour: every op module and every host uses these, and they
//! use nothing of the client.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::future::LocalBoxFuture;
use safe_types::XorName;

use crate::error::Error;

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

/// Which nodes hold each chunk of a file, as `check_replicas` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReplicas {
    /// The file's XOR-URL.
    pub xorurl: String,
    /// How many nodes should hold each chunk (R, from the network map).
    pub replication_factor: u8,
    /// Every chunk of the file (see [`ChunkKind`] for the order).
    pub chunks: Vec<ChunkReplicas>,
}

/// One chunk of a file and what each of its holders said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkReplicas {
    /// The chunk's network address.
    pub address: XorName,
    /// What part of the file it is.
    pub kind: ChunkKind,
    /// The nodes of the network map that should hold it, closest first.
    pub holders: Vec<Replica>,
}

/// What part of a file a chunk is; a file's chunks come in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// The chunk the file's URL names: its data map, or the bytes of a file under 3 bytes.
    Root,
    /// A chunk of a child level of a large file's data map.
    MapLevel,
    /// An encrypted piece of the file's content, in the file's order.
    Piece,
}

/// One node that should hold a chunk, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// The node's id.
    pub node: XorName,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Whether it holds the chunk.
    pub state: ReplicaState,
}

/// Whether a node holds a chunk, by its own answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// It says it holds the chunk.
    Held,
    /// It says it does not.
    Missing,
    /// It gave no usable answer in time (unreachable, refused, or answered something else).
    NoAnswer,
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

/// What an op module's work resolves to.
pub(crate) type Work<T> = LocalBoxFuture<'static, Result<T, Error>>;

/// What an op module's `start_*` gives: the work of the operation, or why its arguments are
/// wrong on their face (checked before anything is sent).
pub(crate) type Started<T> = Result<Work<T>, Error>;

/// The shapes of [`Output`](crate::Output) that several modules give (each module declares its
/// own shapes in its table; `operation.rs` assembles them).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [output] {
            operations {}
            outputs {
                /// The URL of what was created or written: a register, a FilesContainer, a
                /// multimap, or a versioned NRS URL.
                Url(String),
                /// The hash of a written register or multimap entry (64 hex characters).
                EntryHash(String),
                /// Done, with nothing to give.
                Done,
            }
        } }
    };
}
pub(super) use table;
