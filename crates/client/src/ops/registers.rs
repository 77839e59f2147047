//! Registers: created and written under the client's key, confirmed by a majority of their
//! holders; read by merging the replicas a majority of holders return (so a read always sees a
//! confirmed write). A dry runner makes creations and entries (their URL, their hash) without
//! sending them.

use std::collections::BTreeSet;

use bytes::Bytes;
use safe_types::register::{
    Entry, EntryHash, Register, RegisterAddress, RegisterCreate, SignedEntry, MAX_ENTRY_SIZE,
    MAX_PARENTS,
};
use safe_types::wire::{self, Request, Response};
use safe_types::{ContentType, DataType, NodeInfo, SafeUrl, XorName};
use tracing::debug;

use super::connect::current_map;
use super::quorum::{messages, read_majority, worst, write_majority};
use futures::FutureExt;

use super::output::{RegisterEntry, Started};
use crate::error::{Error, ErrorCode};
use crate::net::Net;

/// The register operations and their outputs (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [registers] {
            operations {
                /// Create a register owned by the client's key; gives its XOR-URL.
                RegisterCreate {
                    /// Its name; none for a random one.
                    name: Option<safe_types::XorName>,
                    /// Its type tag.
                    tag: u64,
                    /// What its entries hold: a MIME type, or none for Raw.
                    content_type: Option<String>,
                } -> Url = "register_create" by start_create, offline_when_dry;
                /// The register's current entries (those no other entry supersedes).
                RegisterRead {
                    /// The register's URL.
                    url: String,
                } -> Entries = "register_read" by start_read;
                /// One entry of a register, by its hash (64 hex characters).
                RegisterReadEntry {
                    /// The register's URL.
                    url: String,
                    /// The entry's hash.
                    hash: String,
                } -> Entry = "register_read_entry" by start_read_entry;
                /// Write an entry; gives its hash.
                RegisterWrite {
                    /// The register's URL.
                    url: String,
                    /// The entry's content.
                    entry: bytes::Bytes,
                    /// The entries it supersedes (hashes); none for the current ones.
                    parents: Option<Vec<String>>,
                } -> EntryHash = "register_write" by start_write;
            }
            outputs {
                /// Register entries.
                Entries(Vec<crate::RegisterEntry>),
                /// An entry's content.
                Entry(bytes::Bytes),
            }
        } }
    };
}
pub(super) use table;

/// Starts `Operation::RegisterCreate`: a content type the XOR-URL format knows.
pub(super) fn start_create(
    net: Net,
    name: Option<XorName>,
    tag: u64,
    content_type: Option<String>,
) -> Started<String> {
    let content_type = match content_type {
        Some(t) => ContentType::media_type(&t)?,
        None => ContentType::Raw,
    };
    Ok(create(net, name, tag, content_type).boxed_local())
}

/// Starts `Operation::RegisterRead`: a register's URL.
pub(super) fn start_read(net: Net, url: String) -> Started<Vec<RegisterEntry>> {
    let (_, address) = address_of(&url)?;
    Ok(read(net, address).boxed_local())
}

/// Starts `Operation::RegisterReadEntry`: a register's URL and an entry hash.
pub(super) fn start_read_entry(net: Net, url: String, hash: String) -> Started<Bytes> {
    let (_, address) = address_of(&url)?;
    let hash = entry_hash(&hash)?;
    Ok(read_entry(net, address, hash).boxed_local())
}

/// Starts `Operation::RegisterWrite`: a register's URL and, if given, the parents' hashes.
pub(super) fn start_write(
    net: Net,
    url: String,
    entry: Bytes,
    parents: Option<Vec<String>>,
) -> Started<String> {
    let (_, address) = address_of(&url)?;
    let parents = match parents {
        Some(list) => Some(entry_hashes(&list)?),
        None => None,
    };
    Ok(write(net, address, entry, parents).boxed_local())
}

/// An entry hash given as 64 hex characters.
pub(super) fn entry_hash(hex: &str) -> Result<EntryHash, Error> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex.trim(), &mut bytes).map_err(|_| {
        Error::invalid_argument(format!("an entry hash is 64 hex characters, got '{hex}'"))
    })?;
    Ok(EntryHash(bytes))
}

/// Entry hashes given as hex strings.
pub(super) fn entry_hashes(list: &[String]) -> Result<BTreeSet<EntryHash>, Error> {
    list.iter().map(|h| entry_hash(h)).collect()
}

/// The address of the register a URL names.
pub(super) fn address_of(url: &str) -> Result<(SafeUrl, RegisterAddress), Error> {
    let parsed = SafeUrl::parse(url)?;
    if parsed.data_type() != DataType::Register {
        return Err(Error::invalid_argument(format!(
            "'{url}' names a {}, not a register",
            parsed.data_type()
        )));
    }
    let address = RegisterAddress { name: parsed.xorname(), tag: parsed.type_tag() };
    Ok((parsed, address))
}

fn encode(request: &Request) -> Result<Bytes, Error> {
    wire::encode(request).map(Bytes::from).map_err(|e| Error::invalid_argument(e.to_string()))
}

/// Creates a register owned by the client's key; gives its XOR-URL. A dry runner only gives
/// the URL (and needs no network map).
pub(super) async fn create(
    net: Net,
    name: Option<XorName>,
    tag: u64,
    content_type: ContentType,
) -> Result<String, Error> {
    let name = name.unwrap_or_else(|| XorName(net.random32()));
    let url = SafeUrl::new_xorurl(name, tag, content_type, DataType::Register, net.xorurl_base())?;
    if net.dry_run() {
        return Ok(url.to_string());
    }
    let map = current_map(&net).await?;
    let address = RegisterAddress { name, tag };
    let frame = encode(&Request::CreateRegister(RegisterCreate::new(address, &net.keypair())))?;
    let holders: Vec<NodeInfo> = map.holders(&address.xorname()).into_iter().cloned().collect();
    write_majority(&net, &holders, frame, "the register creation was", |name, r| match r {
        Response::Done => Ok(()),
        _ => Err(Error::protocol(format!("node {name} answered a creation with something else"))),
    })
    .await?;
    Ok(url.to_string())
}

/// The register at `address`, merged from what a majority of its holders returned.
pub(super) async fn fetch(net: &Net, address: RegisterAddress) -> Result<Register, Error> {
    let map = current_map(net).await?;
    let holders = map.holders(&address.xorname());
    let answers = read_majority(net, &holders, &Request::GetRegister { address }).await;
    let mut failures = answers.failures;
    let mut replicas = Vec::new();
    for response in answers.found {
        match response {
            Response::Register(r) if *r.address() == address => replicas.push(r),
            _ => failures
                .push(Error::protocol("a node answered a register read with something else")),
        }
    }
    // Replicas created under different owners cannot be merged: go with the creation most
    // replicas share.
    let creation = replicas
        .iter()
        .map(Register::creation)
        .max_by_key(|c| replicas.iter().filter(|r| r.creation() == *c).count())
        .cloned();
    let Some(creation) = creation else {
        if failures.is_empty() {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "no register with name {:x} and type tag {}: check the URL",
                    address.name, address.tag
                ),
            ));
        }
        return Err(Error::new(
            worst(&failures),
            format!("could not read the register: {}", messages(&failures)),
        ));
    };
    let mut merged = Register::new(creation.clone())
        .map_err(|e| Error::protocol(format!("a node returned a forged register: {e}")))?;
    for replica in replicas.iter().filter(|r| *r.creation() == creation) {
        if let Err(e) = merged.merge(replica) {
            debug!("skipped part of a register replica: {e}");
        }
    }
    Ok(merged)
}

/// The register's current entries: those no other entry supersedes.
pub(super) async fn read(net: Net, address: RegisterAddress) -> Result<Vec<RegisterEntry>, Error> {
    let register = fetch(&net, address).await?;
    let entries = register
        .heads()
        .into_iter()
        .map(|(hash, entry)| RegisterEntry { hash: hash.to_string(), entry: entry.content.clone() })
        .collect();
    Ok(entries)
}

/// One entry of the register, by its hash.
pub(super) async fn read_entry(
    net: Net,
    address: RegisterAddress,
    hash: EntryHash,
) -> Result<Bytes, Error> {
    let register = fetch(&net, address).await?;
    match register.get(&hash) {
        Some(entry) => Ok(entry.content.clone()),
        None => Err(Error::new(
            ErrorCode::NotFound,
            format!("the register has no entry {hash}: check the version hash"),
        )),
    }
}

/// Writes `content` as a new entry superseding `parents` (by default: the current heads).
pub(super) async fn write(
    net: Net,
    address: RegisterAddress,
    content: Bytes,
    parents: Option<BTreeSet<EntryHash>>,
) -> Result<String, Error> {
    let hash = write_entry(&net, address, content, parents).await?;
    Ok(hash.to_string())
}

/// As [`write`], giving the new entry's hash.
pub(super) async fn write_entry(
    net: &Net,
    address: RegisterAddress,
    content: Bytes,
    parents: Option<BTreeSet<EntryHash>>,
) -> Result<EntryHash, Error> {
    if content.len() > MAX_ENTRY_SIZE {
        return Err(Error::invalid_argument(format!(
            "an entry is at most {MAX_ENTRY_SIZE} bytes, got {}",
            content.len()
        )));
    }
    let keypair = net.keypair();
    let parents = match parents {
        Some(parents) => parents,
        None => {
            let register = fetch(net, address).await?;
            if *register.owner() != keypair.public_key() {
                return Err(not_owner(register.owner()));
            }
            register.heads().into_iter().map(|(hash, _)| hash).collect()
        }
    };
    if parents.len() > MAX_PARENTS {
        return Err(Error::invalid_argument(format!(
            "an entry names at most {MAX_PARENTS} parents, got {}",
            parents.len()
        )));
    }
    let signed = SignedEntry::new(address, Entry { content, parents }, &keypair);
    let hash = signed.entry.hash();
    if net.dry_run() {
        return Ok(hash);
    }
    let frame = encode(&Request::WriteRegister { address, entry: signed })?;
    let map = current_map(net).await?;
    let holders: Vec<NodeInfo> = map.holders(&address.xorname()).into_iter().cloned().collect();
    write_majority(net, &holders, frame, "the entry was", move |name, r| match r {
        Response::EntryWritten { hash: h } if h == hash => Ok(()),
        _ => Err(Error::protocol(format!("node {name} acknowledged the wrong entry"))),
    })
    .await?;
    Ok(hash)
}

/// The error for a write by a key that does not own the register.
pub(super) fn not_owner(owner: &safe_types::keys::PublicKey) -> Error {
    Error::new(
        ErrorCode::NotOwner,
        format!(
            "the register belongs to key {owner}, not to this client's key: use that key pair \
             (set_keypair) to write it"
        ),
    )
}
