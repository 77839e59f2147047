//! The Safe API as operations: what a caller can start, what each gives back, and the checks
//! made before anything is sent.

mod connect;
mod files;
mod keys;
mod quorum;
mod registers;

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use safe_types::account::Amount;
use safe_types::keys::Keypair;
use safe_types::register::EntryHash;
use safe_types::{ContentType, DataType, SafeUrl, XorName, MAX_CHUNK_SIZE};

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

/// What a URL resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafeData {
    /// An immutable file.
    PublicFile(PublicFile),
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
                Self::StoreFile { source: Source::from_bytes(data), media_type }.into_future(&net)?
            }
            Self::StoreFile { source, media_type } => {
                net.map()?;
                let content_type = match media_type {
                    Some(t) => ContentType::media_type(&t)?,
                    None => ContentType::Raw,
                };
                if source.size() > MAX_CHUNK_SIZE as u64 {
                    return Err(Error::invalid_argument(format!(
                        "a file of {} bytes is larger than the maximum of {MAX_CHUNK_SIZE} \
                         bytes: this version stores files of up to 1 MiB (larger files need \
                         self-encryption)",
                        source.size()
                    )));
                }
                boxed(files::store_file(net, source, content_type))
            }
            Self::FilesGet { url, range } => {
                net.map()?;
                let url = file_url(&url)?;
                check_range(range)?;
                boxed(async move { files::get(net, url, range).await.map(|f| Output::Bytes(f.data)) })
            }
            Self::Fetch { url, range } => {
                net.map()?;
                let parsed = file_url(&url)?;
                check_range(range)?;
                boxed(async move {
                    let file = files::get(net, parsed, range).await?;
                    Ok(Output::Data(SafeData::PublicFile(PublicFile { resolved_from: url, ..file })))
                })
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
                    Some(list) => Some(list.iter().map(|h| entry_hash(h)).collect::<Result<_, _>>()?),
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
        })
    }
}

fn secret(hex: &str) -> Result<Keypair, Error> {
    Keypair::from_secret_hex(hex).map_err(Error::invalid_argument)
}

fn coins(amount: &str) -> Result<Amount, Error> {
    amount.parse().map_err(|e: safe_types::account::AmountError| Error::invalid_argument(e.to_string()))
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
