//! The one place where requests and responses change representation.
//!
//! The Rust API speaks the core's own types (`safe_client::Operation` in, `Output` out): the
//! native engine hands them to the core as they are, so the speed baseline pays no conversion,
//! and only the wasm engine converts, here, to and from the WIT types `bindgen!` generated
//! (the mirror image of `crates/component/src/convert.rs`, which converts the other way inside
//! the guest).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use bytes::Bytes;
use safe_client::safe_types::XorName;
use safe_client::{
    ByteRange, Contact, ContainerResult, FileChange, FilesContainerData, FilesMap, KeypairInfo,
    LocalItem, LocalItems, LocalKind, MultimapData, MultimapEntry, NetworkInfo, NrsEntryData,
    NrsMapContainerData, Operation, Output, PublicFile, RegisterData, RegisterEntry, SafeData,
    SafeKeyData, Source,
};
use wasmtime::component::Resource;

use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::datagram::{
    IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use crate::resources::HostSource;
use crate::{ErrorCode, SafeError};

/// Puts a source into the store's table for the guest to read.
pub(crate) type Lend<'a> =
    dyn FnMut(Source) -> Result<Resource<HostSource>, wasmtime::component::ResourceTableError> + 'a;

pub(crate) fn socket_addr(a: &IpSocketAddress) -> SocketAddr {
    match a {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v6.port,
                v6.flow_info,
                v6.scope_id,
            ))
        }
    }
}

pub(crate) fn ip_socket_address(a: SocketAddr) -> IpSocketAddress {
    match a {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress { port: v4.port(), address: (a, b, c, d) })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

/// The WIT request for an operation, lending its sources to the guest.
pub(crate) fn request(op: Operation, lend: &mut Lend<'_>) -> Result<wit::Request, SafeError> {
    let mut lend = |s: Source| {
        lend(s).map_err(|e| {
            SafeError::new(
                ErrorCode::Internal,
                format!("cannot lend a source to the component: {e}"),
            )
        })
    };
    use wit::Request as R;
    Ok(match op {
        Operation::Connect(contacts) => R::Connect(contacts.into_iter().map(contact).collect()),
        Operation::StoreBytes { data, media_type } => R::StoreBytes((data.to_vec(), media_type)),
        Operation::StoreFile { source, media_type } => R::StoreFile((lend(source)?, media_type)),
        Operation::FilesGet { url, range } => R::FilesGet((url, range.map(byte_range))),
        Operation::Fetch { url, range } => R::Fetch((url, range.map(byte_range))),
        Operation::NewKeypair => R::NewKeypair,
        Operation::GetKeypair => R::GetKeypair,
        Operation::SetKeypair { secret_key } => R::SetKeypair(secret_key),
        Operation::RegisterCreate { name, tag, content_type } => {
            R::RegisterCreate(wit::RegisterCreateArgs {
                name: name.map(|n| n.0.to_vec()),
                tag,
                content_type,
            })
        }
        Operation::RegisterRead { url } => R::RegisterRead(url),
        Operation::RegisterReadEntry { url, hash } => R::RegisterReadEntry((url, hash)),
        Operation::RegisterWrite { url, entry, parents } => {
            R::RegisterWrite(wit::RegisterWriteArgs { url, entry: entry.to_vec(), parents })
        }
        Operation::KeysCreatePreloadTestCoins { amount } => R::KeysCreatePreloadTestCoins(amount),
        Operation::KeysCreateAndPreload { amount, from_secret_key } => {
            R::KeysCreateAndPreload((amount, from_secret_key))
        }
        Operation::KeysBalance { secret_key } => R::KeysBalance(secret_key),
        Operation::KeysTransfer { amount, from_secret_key, to_url } => {
            R::KeysTransfer(wit::KeysTransferArgs { amount, from_secret_key, to_url })
        }
        Operation::Inspect { url } => R::Inspect(url),
        Operation::FilesContainerCreate => R::FilesContainerCreate,
        Operation::FilesContainerCreateFrom { local, dst } => {
            R::FilesContainerCreateFrom(wit::FilesContainerLocalArgs {
                local: local_items(local, &mut lend)?,
                url: None,
                dst,
                force_or_delete: false,
                update_nrs: false,
            })
        }
        Operation::FilesContainerAdd { local, url, force, update_nrs } => {
            R::FilesContainerAdd(wit::FilesContainerLocalArgs {
                local: local_items(local, &mut lend)?,
                url: Some(url),
                dst: None,
                force_or_delete: force,
                update_nrs,
            })
        }
        Operation::FilesContainerSync { local, url, delete, update_nrs } => {
            R::FilesContainerSync(wit::FilesContainerLocalArgs {
                local: local_items(local, &mut lend)?,
                url: Some(url),
                dst: None,
                force_or_delete: delete,
                update_nrs,
            })
        }
        Operation::FilesContainerAddFromRaw { data, url, force, update_nrs } => {
            R::FilesContainerAddFromRaw(wit::FilesContainerRawArgs {
                data: data.to_vec(),
                url,
                force,
                update_nrs,
            })
        }
        Operation::FilesContainerRemovePath { url, recursive, update_nrs } => {
            R::FilesContainerRemovePath(wit::FilesContainerRemoveArgs {
                url,
                recursive,
                update_nrs,
            })
        }
        Operation::FilesContainerGet { url } => R::FilesContainerGet(url),
        Operation::NrsCreate { top_name } => R::NrsCreate(top_name),
        Operation::NrsAssociate { name, link } => R::NrsAssociate((name, link)),
        Operation::NrsAdd { name, link } => R::NrsAdd((name, link)),
        Operation::NrsRemove { name } => R::NrsRemove(name),
        Operation::NrsGet { name, version } => R::NrsGet((name, version)),
        Operation::MultimapCreate { name, tag } => {
            R::MultimapCreate((name.map(|n| n.0.to_vec()), tag))
        }
        Operation::MultimapGetByKey { url, key } => R::MultimapGetByKey((url, key.to_vec())),
        Operation::MultimapGetByHash { url, hash } => R::MultimapGetByHash((url, hash)),
        Operation::MultimapInsert { url, key, value, replace } => {
            R::MultimapInsert(wit::MultimapInsertArgs {
                url,
                key: key.to_vec(),
                value: value.to_vec(),
                replace,
            })
        }
        Operation::MultimapRemove { url, hashes } => R::MultimapRemove((url, hashes)),
    })
}

fn contact(c: Contact) -> wit::Contact {
    wit::Contact { address: ip_socket_address(c.addr), node_id: c.id.map(|id| id.0.to_vec()) }
}

fn byte_range(r: ByteRange) -> wit::ByteRange {
    wit::ByteRange { start: r.start, end: r.end }
}

fn local_items(
    l: LocalItems,
    lend: &mut impl FnMut(Source) -> Result<Resource<HostSource>, SafeError>,
) -> Result<wit::LocalItems, SafeError> {
    let items = l.items.into_iter().map(|i| local_item(i, lend)).collect::<Result<_, _>>()?;
    Ok(wit::LocalItems { location: l.location, items })
}

fn local_item(
    i: LocalItem,
    lend: &mut impl FnMut(Source) -> Result<Resource<HostSource>, SafeError>,
) -> Result<wit::LocalItem, SafeError> {
    Ok(wit::LocalItem {
        path: i.path,
        kind: match i.kind {
            LocalKind::File(source) => wit::LocalKind::File(lend(source)?),
            LocalKind::Dir => wit::LocalKind::Dir,
            LocalKind::Symlink { target, target_type } => {
                wit::LocalKind::Symlink((target, target_type))
            }
        },
        mode_bits: i.mode_bits,
        readonly: i.readonly,
        created: i.created,
        modified: i.modified,
    })
}

/// The core's error code for a WIT one.
pub(crate) fn error(e: wit::Error) -> SafeError {
    let code = match e.code {
        wit::ErrorCode::InvalidArgument => ErrorCode::InvalidArgument,
        wit::ErrorCode::InvalidUrl => ErrorCode::InvalidUrl,
        wit::ErrorCode::NotFound => ErrorCode::NotFound,
        wit::ErrorCode::Timeout => ErrorCode::Timeout,
        wit::ErrorCode::NotConnected => ErrorCode::NotConnected,
        wit::ErrorCode::Network => ErrorCode::Network,
        wit::ErrorCode::Protocol => ErrorCode::Protocol,
        wit::ErrorCode::Cancelled => ErrorCode::Cancelled,
        wit::ErrorCode::NotOwner => ErrorCode::NotOwner,
        wit::ErrorCode::InsufficientBalance => ErrorCode::InsufficientBalance,
        wit::ErrorCode::Conflict => ErrorCode::Conflict,
        wit::ErrorCode::Internal => ErrorCode::Internal,
    };
    SafeError::new(code, e.message)
}

/// A 32-byte name the guest gave; a wrong length would be a guest bug, shown as zeros.
fn xorname(bytes: &[u8]) -> XorName {
    XorName(bytes.try_into().unwrap_or([0; 32]))
}

fn keypair(k: wit::Keypair) -> KeypairInfo {
    KeypairInfo { public_key: k.public_key, secret_key: k.secret_key }
}

fn info(i: Vec<(String, String)>) -> BTreeMap<String, String> {
    i.into_iter().collect()
}

fn files_map(m: wit::FilesMap) -> FilesMap {
    m.into_iter().map(|(path, i)| (path, info(i))).collect()
}

fn register_entries(e: Vec<wit::RegisterEntry>) -> Vec<RegisterEntry> {
    e.into_iter().map(|e| RegisterEntry { hash: e.hash, entry: Bytes::from(e.entry) }).collect()
}

fn multimap_entries(e: Vec<wit::MultimapEntry>) -> Vec<MultimapEntry> {
    e.into_iter()
        .map(|e| MultimapEntry {
            hash: e.hash,
            key: Bytes::from(e.key),
            value: Bytes::from(e.value),
        })
        .collect()
}

/// The core's output for a WIT response.
pub(crate) fn output(r: wit::Response) -> Output {
    use wit::Response as R;
    match r {
        R::Connected(n) => Output::Connected(NetworkInfo {
            nodes: n.nodes as usize,
            epoch: n.epoch,
            replication_factor: n.replication_factor,
        }),
        R::Stored(url) => Output::Stored(url),
        R::Bytes(b) => Output::Bytes(Bytes::from(b)),
        R::Data(d) => Output::Data(safe_data(d)),
        R::Keypair(k) => Output::Keypair(keypair(k)),
        R::Url(url) => Output::Url(url),
        R::Entries(e) => Output::Entries(register_entries(e)),
        R::EntryHash(h) => Output::EntryHash(h),
        R::Entry(e) => Output::Entry(Bytes::from(e)),
        R::KeyCreated((url, k)) => Output::KeyCreated { url, keypair: keypair(k) },
        R::Balance(b) => Output::Balance(b),
        R::TransferId(id) => Output::TransferId(id),
        R::Container(c) => Output::Container(ContainerResult {
            url: c.url,
            version: c.version,
            processed: c
                .processed
                .into_iter()
                .map(|(path, change)| {
                    let change = match change {
                        wit::FileChange::Added(l) => FileChange::Added(l),
                        wit::FileChange::Updated(l) => FileChange::Updated(l),
                        wit::FileChange::Removed(l) => FileChange::Removed(l),
                        wit::FileChange::Failed(why) => FileChange::Failed(why),
                    };
                    (path, change)
                })
                .collect(),
            files_map: files_map(c.files_map),
        }),
        R::NrsAdded((url, created_top_name)) => Output::NrsAdded { url, created_top_name },
        R::Nrs(n) => {
            Output::Nrs { link: n.link, version: n.version, map: n.nrs_map.into_iter().collect() }
        }
        R::Multimap(e) => Output::Multimap(multimap_entries(e)),
        R::Chain(steps) => Output::Chain(steps.into_iter().map(safe_data).collect()),
        R::Done => Output::Done,
    }
}

fn safe_data(d: wit::SafeData) -> SafeData {
    use wit::SafeData as D;
    match d {
        D::PublicFile(f) => SafeData::PublicFile(PublicFile {
            metadata: f.metadata.map(info),
            xorurl: f.xorurl,
            xorname: xorname(&f.xorname),
            data: Bytes::from(f.data),
            media_type: f.media_type,
            resolved_from: f.resolved_from,
            size: f.size,
        }),
        D::FilesContainer(c) => SafeData::FilesContainer(FilesContainerData {
            xorurl: c.xorurl,
            xorname: xorname(&c.xorname),
            type_tag: c.type_tag,
            version: c.version,
            files_map: files_map(c.files_map),
            metadata: c.metadata.map(info),
            resolved_from: c.resolved_from,
        }),
        D::NrsMapContainer(n) => SafeData::NrsMapContainer(NrsMapContainerData {
            public_name: n.public_name,
            xorurl: n.xorurl,
            xorname: xorname(&n.xorname),
            type_tag: n.type_tag,
            version: n.version,
            nrs_map: n.nrs_map.into_iter().collect(),
            resolved_from: n.resolved_from,
        }),
        D::NrsEntry(e) => SafeData::NrsEntry(NrsEntryData {
            public_name: e.public_name,
            xorurl: e.xorurl,
            version: e.version,
            resolves_into: e.resolves_into,
            resolved_from: e.resolved_from,
        }),
        D::SafeKey(k) => SafeData::SafeKey(SafeKeyData {
            xorurl: k.xorurl,
            xorname: xorname(&k.xorname),
            resolved_from: k.resolved_from,
        }),
        D::Register(r) => SafeData::Register(RegisterData {
            xorurl: r.xorurl,
            xorname: xorname(&r.xorname),
            type_tag: r.type_tag,
            entries: register_entries(r.entries),
            resolved_from: r.resolved_from,
        }),
        D::Multimap(m) => SafeData::Multimap(MultimapData {
            xorurl: m.xorurl,
            xorname: xorname(&m.xorname),
            type_tag: m.type_tag,
            entries: multimap_entries(m.entries),
            resolved_from: m.resolved_from,
        }),
    }
}
