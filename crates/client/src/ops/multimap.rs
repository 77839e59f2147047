//! Multimaps: registers whose entries are key-value pairs, as sn_api 0.66-0.82 keeps them (and
//! the format NRS maps are stored in, see `nrs.rs`).
//!
//! On the network a multimap is a register (content type `Multimap` in its XOR-URL) owned by
//! the client's key. Each entry's content is the pair `(key, value)`, both byte strings,
//! encoded by `rmp_serde::to_vec_named` exactly as sn_api's `MultimapKeyValue =
//! (Vec<u8>, Vec<u8>)`: a MessagePack array of two arrays of byte-valued integers. An entry with
//! empty content is a tombstone: it removes the entries it names as parents.
//!
//! - Insert writes an entry whose parents are the entries it replaces, and only those (as
//!   sn_api): with nothing to replace it is a new root beside the other entries.
//! - The multimap's content is its register's heads (entries no other entry supersedes),
//!   tombstones left out. Several heads may share a key: that is how one key holds several
//!   values, and how concurrent writes of the same key show.
//! - An entry stays readable by its hash after it is replaced (history is kept).
//! - "The multimap at version v" (see [`view`]) is what v and the entries it supersedes,
//!   directly or not, make: the register as that write saw it.
//!
//! Entries whose content is not such a pair (written to the register some other way) are
//! skipped when listing, and refused when asked for by hash.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use safe_types::register::{Entry, EntryHash, Register, RegisterAddress, MAX_ENTRY_SIZE};
use safe_types::{ContentType, VersionHash, XorName};
use tracing::debug;

use futures::FutureExt;

use super::output::{MultimapEntry, Started};
use super::registers::{self, address_of, entry_hash, entry_hashes};
use crate::error::{Error, ErrorCode};
use crate::net::Net;

/// The multimap operations and their output (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [multimap] {
            operations {
                /// Creates a multimap (a register of key-value entries) owned by the client's
                /// key; gives [`Output::Url`].
                MultimapCreate {
                    /// Its name; none for a random one.
                    name: Option<safe_types::XorName>,
                    /// Its type tag.
                    tag: u64,
                } -> Url = "multimap_create" by start_create, offline_when_dry;
                /// The current entries with this key; gives [`Output::Multimap`].
                MultimapGetByKey {
                    /// The multimap's URL.
                    url: String,
                    /// The key.
                    key: bytes::Bytes,
                } -> Multimap = "multimap_get_by_key" by start_get_by_key;
                /// The entry with this hash; gives [`Output::Multimap`] with that one entry.
                MultimapGetByHash {
                    /// The multimap's URL.
                    url: String,
                    /// The entry's hash (64 hex).
                    hash: String,
                } -> Multimap = "multimap_get_by_hash" by start_get_by_hash;
                /// Inserts a key-value entry that supersedes `replace`; gives
                /// [`Output::EntryHash`].
                MultimapInsert {
                    /// The multimap's URL.
                    url: String,
                    /// The key.
                    key: bytes::Bytes,
                    /// The value.
                    value: bytes::Bytes,
                    /// Hashes of entries this one replaces.
                    replace: Vec<String>,
                } -> EntryHash = "multimap_insert" by start_insert;
                /// Removes entries (writes a tombstone superseding them); gives
                /// [`Output::EntryHash`].
                MultimapRemove {
                    /// The multimap's URL.
                    url: String,
                    /// Hashes of the entries to remove.
                    hashes: Vec<String>,
                } -> EntryHash = "multimap_remove" by start_remove;
            }
            outputs {
                /// Multimap entries.
                Multimap(Vec<crate::MultimapEntry>),
            }
        } }
    };
}
pub(super) use table;

/// Starts `Operation::MultimapCreate`.
pub(super) fn start_create(net: Net, name: Option<XorName>, tag: u64) -> Started<String> {
    Ok(create(net, name, tag).boxed_local())
}

/// Starts `Operation::MultimapGetByKey`: a multimap's URL.
pub(super) fn start_get_by_key(net: Net, url: String, key: Bytes) -> Started<Vec<MultimapEntry>> {
    let (_, address) = address_of(&url)?;
    Ok(get_by_key(net, address, key).boxed_local())
}

/// Starts `Operation::MultimapGetByHash`: a multimap's URL and an entry hash.
pub(super) fn start_get_by_hash(
    net: Net,
    url: String,
    hash: String,
) -> Started<Vec<MultimapEntry>> {
    let (_, address) = address_of(&url)?;
    let hash = entry_hash(&hash)?;
    Ok(get_by_hash(net, address, hash).boxed_local())
}

/// Starts `Operation::MultimapInsert`: a multimap's URL and the hashes it replaces.
pub(super) fn start_insert(
    net: Net,
    url: String,
    key: Bytes,
    value: Bytes,
    replace: Vec<String>,
) -> Started<String> {
    let (_, address) = address_of(&url)?;
    let replace = entry_hashes(&replace)?;
    Ok(insert(net, address, key, value, replace).boxed_local())
}

/// Starts `Operation::MultimapRemove`: a multimap's URL and the hashes to remove.
pub(super) fn start_remove(net: Net, url: String, hashes: Vec<String>) -> Started<String> {
    let (_, address) = address_of(&url)?;
    let hashes = entry_hashes(&hashes)?;
    Ok(remove(net, address, hashes).boxed_local())
}

/// A decoded entry: key and value.
pub(super) type KeyValue = (Vec<u8>, Vec<u8>);

/// The content of a tombstone.
const TOMBSTONE: &[u8] = b"";

/// See `Operation::MultimapCreate`.
pub(super) async fn create(net: Net, name: Option<XorName>, tag: u64) -> Result<String, Error> {
    registers::create(net, name, tag, ContentType::Multimap).await
}

/// See `Operation::MultimapGetByKey`.
pub(super) async fn get_by_key(
    net: Net,
    address: RegisterAddress,
    key: Bytes,
) -> Result<Vec<MultimapEntry>, Error> {
    let register = registers::fetch(&net, address).await?;
    let entries = view(&register, None)?
        .into_iter()
        .filter(|(_, (k, _))| k[..] == key[..])
        .map(|(hash, kv)| entry(hash, kv))
        .collect();
    Ok(entries)
}

/// See `Operation::MultimapGetByHash`.
pub(super) async fn get_by_hash(
    net: Net,
    address: RegisterAddress,
    hash: EntryHash,
) -> Result<Vec<MultimapEntry>, Error> {
    let register = registers::fetch(&net, address).await?;
    let Some(found) = register.get(&hash) else {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("the multimap has no entry {hash}: check the hash"),
        ));
    };
    match decode(&found.content) {
        Ok(Some(kv)) => Ok(vec![entry(hash, kv)]),
        Ok(None) => Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "entry {hash} is a tombstone (it removed other entries) and holds no key-value \
                 pair"
            ),
        )),
        Err(e) => Err(Error::invalid_argument(format!("entry {hash}: {e}"))),
    }
}

/// See `Operation::MultimapInsert`.
pub(super) async fn insert(
    net: Net,
    address: RegisterAddress,
    key: Bytes,
    value: Bytes,
    replace: BTreeSet<EntryHash>,
) -> Result<String, Error> {
    let content = encode(&key, &value)?;
    let hash = write_checked(&net, address, content, replace).await?;
    Ok(hash.to_string())
}

/// See `Operation::MultimapRemove`.
pub(super) async fn remove(
    net: Net,
    address: RegisterAddress,
    hashes: BTreeSet<EntryHash>,
) -> Result<String, Error> {
    if hashes.is_empty() {
        return Err(Error::invalid_argument(
            "no entry to remove: give the hashes of the entries to remove (multimap_get_by_key \
             lists them)",
        ));
    }
    let hash = write_checked(&net, address, Bytes::from_static(TOMBSTONE), hashes).await?;
    Ok(hash.to_string())
}

/// The content of the entry `(key, value)`; InvalidArgument when it does not fit in a register
/// entry.
pub(super) fn encode(key: &[u8], value: &[u8]) -> Result<Bytes, Error> {
    // Byte slices serialise as sequences (not MessagePack bin), as sn_api's (Vec<u8>, Vec<u8>).
    let content = rmp_serde::to_vec_named(&(key, value))
        .map_err(|e| Error::new(ErrorCode::Internal, format!("encoding a multimap entry: {e}")))?;
    if content.len() > MAX_ENTRY_SIZE {
        return Err(Error::invalid_argument(format!(
            "the key and value take {} bytes encoded, more than the {MAX_ENTRY_SIZE} a register \
             entry holds (bytes over 127 take two): use a shorter key or value, or store the \
             value as a file and insert its URL",
            content.len()
        )));
    }
    Ok(Bytes::from(content))
}

/// The pair an entry holds; `None` for a tombstone.
pub(super) fn decode(content: &[u8]) -> Result<Option<KeyValue>, String> {
    if content == TOMBSTONE {
        return Ok(None);
    }
    rmp_serde::from_slice::<KeyValue>(content)
        .map(Some)
        .map_err(|e| format!("it is not a multimap key-value entry ({e})"))
}

/// The live entries of the multimap, by hash: its current ones, or with `version`, the
/// multimap at that version.
///
/// At a version v the register is v and its ancestors (the entries it supersedes, directly or
/// not), and its entries are the heads of that part, tombstones left out. For a write that
/// superseded all the heads of its time (as a plain register write does) that is the whole
/// multimap as it was. An NRS entry supersedes only the entries of its own name, so an NRS map
/// at v holds that name alone (sn_api's `nrs_get` showed the other names at their latest
/// instead). NotFound when v is not an entry of the register.
pub(super) fn view(
    register: &Register,
    version: Option<EntryHash>,
) -> Result<Vec<(EntryHash, KeyValue)>, Error> {
    let Some(version) = version else {
        return Ok(live(register.heads()));
    };
    if register.get(&version).is_none() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "version {} does not exist in this register: check the version hash (versions \
                 are given by the writes that made them)",
                VersionHash::from(version)
            ),
        ));
    }
    let history = ancestry(register, version);
    let superseded: BTreeSet<&EntryHash> =
        history.values().flat_map(|e| e.parents.iter()).collect();
    Ok(live(history.iter().filter(|(h, _)| !superseded.contains(h)).map(|(h, e)| (*h, *e))))
}

/// `version` and every entry it supersedes, directly or not.
fn ancestry(register: &Register, version: EntryHash) -> BTreeMap<EntryHash, &Entry> {
    let mut found = BTreeMap::new();
    let mut pending = vec![version];
    while let Some(hash) = pending.pop() {
        if found.contains_key(&hash) {
            continue;
        }
        if let Some(entry) = register.get(&hash) {
            found.insert(hash, entry);
            pending.extend(entry.parents.iter().copied());
        }
    }
    found
}

/// The key-value entries among `entries`: tombstones and undecodable entries left out.
fn live<'a>(
    entries: impl IntoIterator<Item = (EntryHash, &'a Entry)>,
) -> Vec<(EntryHash, KeyValue)> {
    entries
        .into_iter()
        .filter_map(|(hash, e)| match decode(&e.content) {
            Ok(kv) => kv.map(|kv| (hash, kv)),
            Err(reason) => {
                debug!("skipped multimap entry {hash}: {reason}");
                None
            }
        })
        .collect()
}

/// A decoded entry as the API gives it.
pub(super) fn entry(hash: EntryHash, (key, value): KeyValue) -> MultimapEntry {
    MultimapEntry { hash: hash.to_string(), key: Bytes::from(key), value: Bytes::from(value) }
}

/// Checks that the client owns the multimap and that `parents` are entries of it, then writes
/// `content` superseding them.
async fn write_checked(
    net: &Net,
    address: RegisterAddress,
    content: Bytes,
    parents: BTreeSet<EntryHash>,
) -> Result<EntryHash, Error> {
    let register = registers::fetch(net, address).await?;
    check_owner(net, &register)?;
    if let Some(missing) = parents.iter().find(|p| register.get(p).is_none()) {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("the multimap has no entry {missing} to replace or remove: check the hash"),
        ));
    }
    registers::write_entry(net, address, content, Some(parents)).await
}

/// NotOwner unless the client's key owns `register`.
pub(super) fn check_owner(net: &Net, register: &Register) -> Result<(), Error> {
    if *register.owner() == net.keypair().public_key() {
        Ok(())
    } else {
        Err(registers::not_owner(register.owner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_encoded_as_sn_api_encodes_its_key_value_tuples() {
        // (b"ab", [0x80]): fixarray(2), fixarray(2) 0x61 0x62, fixarray(1) uint8 0x80.
        let content = encode(b"ab", &[0x80]).expect("fits");
        assert_eq!(&content[..], &[0x92, 0x92, 0x61, 0x62, 0x91, 0xcc, 0x80]);
        assert_eq!(decode(&content), Ok(Some((b"ab".to_vec(), vec![0x80]))));
        assert_eq!(decode(b""), Ok(None));
        assert!(decode(b"\xc1").is_err());
        // 1024 bytes of 0xff encode to more than an entry holds.
        let err = encode(b"k", &[0xff; 600]).expect_err("too big");
        assert_eq!(err.code, ErrorCode::InvalidArgument);
    }
}
