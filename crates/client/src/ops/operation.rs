//! [`Operation`]: what a caller can start, and the one place that turns an operation into its
//! running future. The dispatch checks once that the client is connected (every operation but
//! `Connect` and the key-pair ones needs the network map), then hands the arguments to the op
//! module that owns them: each module checks its own arguments before anything is sent, and
//! makes the future (`start_*`).

use bytes::Bytes;
use safe_types::XorName;

use super::connect::{self, Contact};
use super::containers::{self, LocalItems};
use super::files::{self, ByteRange};
use super::output::OpFuture;
#[cfg(doc)]
use super::output::Output;
use super::{keys, multimap, nrs, registers, resolve};
use crate::error::{Error, ErrorCode};
use crate::net::Net;
use crate::source::Source;

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

impl Operation {
    /// Short name for messages and logs. These are still the TypeScript API's method names:
    /// the core's own tests assert them in timeout messages (see issue 9).
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

    /// Whether the operation needs the network map, i.e. a successful `Connect` first.
    fn needs_connection(&self) -> bool {
        !matches!(
            self,
            Self::Connect(_) | Self::NewKeypair | Self::GetKeypair | Self::SetKeypair { .. }
        )
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

    /// Checks that the client is connected when the operation needs it, then has the op
    /// module check the arguments and make the future.
    pub(crate) fn start(self, net: &Net) -> Result<OpFuture, Error> {
        if self.needs_connection() {
            net.map()?;
        }
        let net = net.clone();
        match self {
            Self::Connect(contacts) => connect::start(net, contacts),
            Self::StoreBytes { data, media_type } => {
                files::start_store(net, Source::from_bytes(data), media_type)
            }
            Self::StoreFile { source, media_type } => files::start_store(net, source, media_type),
            Self::FilesGet { url, range } => files::start_get(net, &url, range),
            Self::Fetch { url, range } => resolve::start_fetch(net, url, range),
            Self::Inspect { url } => resolve::start_inspect(net, url),
            Self::NewKeypair => keys::start_new_keypair(&net),
            Self::GetKeypair => keys::start_get_keypair(&net),
            Self::SetKeypair { secret_key } => keys::start_set_keypair(&net, &secret_key),
            Self::RegisterCreate { name, tag, content_type } => {
                registers::start_create(net, name, tag, content_type)
            }
            Self::RegisterRead { url } => registers::start_read(net, &url),
            Self::RegisterReadEntry { url, hash } => registers::start_read_entry(net, &url, &hash),
            Self::RegisterWrite { url, entry, parents } => {
                registers::start_write(net, &url, entry, parents)
            }
            Self::KeysCreatePreloadTestCoins { amount } => {
                keys::start_create_preloaded(net, &amount, None)
            }
            Self::KeysCreateAndPreload { amount, from_secret_key } => {
                keys::start_create_preloaded(net, &amount, from_secret_key.as_deref())
            }
            Self::KeysBalance { secret_key } => keys::start_balance(net, &secret_key),
            Self::KeysTransfer { amount, from_secret_key, to_url } => {
                keys::start_transfer(net, &amount, &from_secret_key, &to_url)
            }
            Self::FilesContainerCreate => containers::start_create(net),
            Self::FilesContainerCreateFrom { local, dst } => {
                containers::start_create_from(net, local, dst)
            }
            Self::FilesContainerAdd { local, url, force, update_nrs } => {
                containers::start_add(net, local, url, force, update_nrs)
            }
            Self::FilesContainerAddFromRaw { data, url, force, update_nrs } => {
                containers::start_add_from_raw(net, data, url, force, update_nrs)
            }
            Self::FilesContainerSync { local, url, delete, update_nrs } => {
                containers::start_sync(net, local, url, delete, update_nrs)
            }
            Self::FilesContainerRemovePath { url, recursive, update_nrs } => {
                containers::start_remove_path(net, url, recursive, update_nrs)
            }
            Self::FilesContainerGet { url } => containers::start_get(net, url),
            Self::NrsCreate { top_name } => nrs::start_create(net, top_name),
            Self::NrsAssociate { name, link } => nrs::start_associate(net, name, link),
            Self::NrsAdd { name, link } => nrs::start_add(net, name, link),
            Self::NrsRemove { name } => nrs::start_remove(net, name),
            Self::NrsGet { name, version } => nrs::start_get(net, name, version),
            Self::MultimapCreate { name, tag } => multimap::start_create(net, name, tag),
            Self::MultimapGetByKey { url, key } => multimap::start_get_by_key(net, &url, key),
            Self::MultimapGetByHash { url, hash } => multimap::start_get_by_hash(net, &url, &hash),
            Self::MultimapInsert { url, key, value, replace } => {
                multimap::start_insert(net, &url, key, value, &replace)
            }
            Self::MultimapRemove { url, hashes } => multimap::start_remove(net, &url, &hashes),
        }
    }
}
