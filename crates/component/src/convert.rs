//! Conversions between the WIT types and the core's types.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use bytes::Bytes;
use safe_client::safe_types::{XorName, XorUrlBase};
use safe_client::{
    ByteRange, Config, Contact, ContainerResult, Error, ErrorCode, FileChange, FileInfo, FilesMap,
    KeypairInfo, LocalItem, LocalItems, LocalKind, MultimapEntry, NetworkInfo, Operation, Output,
    Progress, ProgressUnit, PublicFile, RegisterEntry, SafeData, Source,
};

use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::datagram::{
    IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use crate::source::WitSource;

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

pub(crate) fn config(o: wit::Options) -> Config {
    Config {
        rng_seed: None,
        timeout: Duration::from_millis(o.timeout_ms),
        xorurl_base: match o.xorurl_base {
            wit::XorurlBase::Base32z => XorUrlBase::Base32z,
            wit::XorurlBase::Base32 => XorUrlBase::Base32,
            wit::XorurlBase::Base64 => XorUrlBase::Base64,
        },
    }
}

pub(crate) fn operation(r: wit::Request) -> Result<Operation, Error> {
    Ok(match r {
        wit::Request::Connect(contacts) => {
            Operation::Connect(contacts.iter().map(contact).collect::<Result<_, _>>()?)
        }
        wit::Request::StoreBytes((data, media_type)) => {
            Operation::StoreBytes { data: Bytes::from(data), media_type }
        }
        wit::Request::StoreFile((source, media_type)) => {
            Operation::StoreFile { source: Source::new(WitSource(source)), media_type }
        }
        wit::Request::FilesGet((url, range)) => {
            Operation::FilesGet { url, range: range.map(byte_range) }
        }
        wit::Request::Fetch((url, range)) => Operation::Fetch { url, range: range.map(byte_range) },
        wit::Request::NewKeypair => Operation::NewKeypair,
        wit::Request::GetKeypair => Operation::GetKeypair,
        wit::Request::SetKeypair(secret_key) => Operation::SetKeypair { secret_key },
        wit::Request::RegisterCreate(a) => Operation::RegisterCreate {
            name: a.name.as_deref().map(|b| xorname(b, "register name")).transpose()?,
            tag: a.tag,
            content_type: a.content_type,
        },
        wit::Request::RegisterRead(url) => Operation::RegisterRead { url },
        wit::Request::RegisterReadEntry((url, hash)) => Operation::RegisterReadEntry { url, hash },
        wit::Request::RegisterWrite(a) => {
            Operation::RegisterWrite { url: a.url, entry: Bytes::from(a.entry), parents: a.parents }
        }
        wit::Request::KeysCreatePreloadTestCoins(amount) => {
            Operation::KeysCreatePreloadTestCoins { amount }
        }
        wit::Request::KeysCreateAndPreload((amount, from_secret_key)) => {
            Operation::KeysCreateAndPreload { amount, from_secret_key }
        }
        wit::Request::KeysBalance(secret_key) => Operation::KeysBalance { secret_key },
        wit::Request::KeysTransfer(a) => Operation::KeysTransfer {
            amount: a.amount,
            from_secret_key: a.from_secret_key,
            to_url: a.to_url,
        },
        wit::Request::Inspect(url) => Operation::Inspect { url },
        wit::Request::FilesContainerCreate => Operation::FilesContainerCreate,
        wit::Request::FilesContainerCreateFrom(a) => {
            Operation::FilesContainerCreateFrom { local: local_items(a.local), dst: a.dst }
        }
        wit::Request::FilesContainerAdd(a) => Operation::FilesContainerAdd {
            url: required_url(a.url)?,
            local: local_items(a.local),
            force: a.force_or_delete,
            update_nrs: a.update_nrs,
        },
        wit::Request::FilesContainerSync(a) => Operation::FilesContainerSync {
            url: required_url(a.url)?,
            local: local_items(a.local),
            delete: a.force_or_delete,
            update_nrs: a.update_nrs,
        },
        wit::Request::FilesContainerAddFromRaw(a) => Operation::FilesContainerAddFromRaw {
            data: Bytes::from(a.data),
            url: a.url,
            force: a.force,
            update_nrs: a.update_nrs,
        },
        wit::Request::FilesContainerRemovePath(a) => Operation::FilesContainerRemovePath {
            url: a.url,
            recursive: a.recursive,
            update_nrs: a.update_nrs,
        },
        wit::Request::FilesContainerGet(url) => Operation::FilesContainerGet { url },
        wit::Request::NrsCreate(top_name) => Operation::NrsCreate { top_name },
        wit::Request::NrsAssociate((name, link)) => Operation::NrsAssociate { name, link },
        wit::Request::NrsAdd((name, link)) => Operation::NrsAdd { name, link },
        wit::Request::NrsRemove(name) => Operation::NrsRemove { name },
        wit::Request::NrsGet((name, version)) => Operation::NrsGet { name, version },
        wit::Request::MultimapCreate((name, tag)) => Operation::MultimapCreate {
            name: name.as_deref().map(|b| xorname(b, "multimap name")).transpose()?,
            tag,
        },
        wit::Request::MultimapGetByKey((url, key)) => {
            Operation::MultimapGetByKey { url, key: Bytes::from(key) }
        }
        wit::Request::MultimapGetByHash((url, hash)) => Operation::MultimapGetByHash { url, hash },
        wit::Request::MultimapInsert(a) => Operation::MultimapInsert {
            url: a.url,
            key: Bytes::from(a.key),
            value: Bytes::from(a.value),
            replace: a.replace,
        },
        wit::Request::MultimapRemove((url, hashes)) => Operation::MultimapRemove { url, hashes },
    })
}

fn required_url(url: Option<String>) -> Result<String, Error> {
    url.ok_or_else(|| {
        Error::new(ErrorCode::InvalidArgument, "the operation needs the container's URL")
    })
}

fn local_items(l: wit::LocalItems) -> LocalItems {
    LocalItems { location: l.location, items: l.items.into_iter().map(local_item).collect() }
}

fn local_item(i: wit::LocalItem) -> LocalItem {
    LocalItem {
        path: i.path,
        kind: match i.kind {
            wit::LocalKind::File(source) => LocalKind::File(Source::new(WitSource(source))),
            wit::LocalKind::Dir => LocalKind::Dir,
            wit::LocalKind::Symlink((target, target_type)) => {
                LocalKind::Symlink { target, target_type }
            }
        },
        mode_bits: i.mode_bits,
        readonly: i.readonly,
        created: i.created,
        modified: i.modified,
    }
}

fn xorname(bytes: &[u8], what: &str) -> Result<XorName, Error> {
    bytes.try_into().map(XorName).map_err(|_| {
        Error::new(ErrorCode::InvalidArgument, format!("a {what} is 32 bytes, got {}", bytes.len()))
    })
}

fn keypair(k: KeypairInfo) -> wit::Keypair {
    wit::Keypair { public_key: k.public_key, secret_key: k.secret_key }
}

fn contact(c: &wit::Contact) -> Result<Contact, Error> {
    let id = c.node_id.as_deref().map(|b| xorname(b, "node id")).transpose()?;
    Ok(Contact { addr: socket_addr(&c.address), id })
}

fn byte_range(r: wit::ByteRange) -> ByteRange {
    ByteRange { start: r.start, end: r.end }
}

pub(crate) fn output(o: Output) -> wit::Response {
    match o {
        Output::Connected(NetworkInfo { nodes, epoch, replication_factor }) => {
            wit::Response::Connected(wit::NetworkInfo {
                nodes: u32::try_from(nodes).unwrap_or(u32::MAX),
                epoch,
                replication_factor,
            })
        }
        Output::Stored(url) => wit::Response::Stored(url),
        Output::Bytes(b) => wit::Response::Bytes(b.to_vec()),
        Output::Data(data) => wit::Response::Data(safe_data(data)),
        Output::Chain(steps) => wit::Response::Chain(steps.into_iter().map(safe_data).collect()),
        Output::Keypair(k) => wit::Response::Keypair(keypair(k)),
        Output::Url(url) => wit::Response::Url(url),
        Output::Entries(entries) => wit::Response::Entries(register_entries(entries)),
        Output::EntryHash(hash) => wit::Response::EntryHash(hash),
        Output::Entry(bytes) => wit::Response::Entry(bytes.to_vec()),
        Output::KeyCreated { url, keypair: k } => wit::Response::KeyCreated((url, keypair(k))),
        Output::Balance(b) => wit::Response::Balance(b),
        Output::TransferId(id) => wit::Response::TransferId(id),
        Output::Container(c) => wit::Response::Container(container(c)),
        Output::NrsAdded { url, created_top_name } => {
            wit::Response::NrsAdded((url, created_top_name))
        }
        Output::Nrs { link, version, map } => {
            wit::Response::Nrs(wit::NrsResult { link, version, nrs_map: map.into_iter().collect() })
        }
        Output::Multimap(entries) => wit::Response::Multimap(multimap_entries(entries)),
        Output::Done => wit::Response::Done,
    }
}

fn register_entries(entries: Vec<RegisterEntry>) -> Vec<wit::RegisterEntry> {
    entries
        .into_iter()
        .map(|e| wit::RegisterEntry { hash: e.hash, entry: e.entry.to_vec() })
        .collect()
}

fn multimap_entries(entries: Vec<MultimapEntry>) -> Vec<wit::MultimapEntry> {
    entries
        .into_iter()
        .map(|e| wit::MultimapEntry { hash: e.hash, key: e.key.to_vec(), value: e.value.to_vec() })
        .collect()
}

fn file_info(info: FileInfo) -> wit::FileInfo {
    info.into_iter().collect()
}

fn files_map(map: FilesMap) -> wit::FilesMap {
    map.into_iter().map(|(path, info)| (path, file_info(info))).collect()
}

fn container(c: ContainerResult) -> wit::ContainerResult {
    wit::ContainerResult {
        url: c.url,
        version: c.version,
        processed: c
            .processed
            .into_iter()
            .map(|(path, change)| {
                let change = match change {
                    FileChange::Added(link) => wit::FileChange::Added(link),
                    FileChange::Updated(link) => wit::FileChange::Updated(link),
                    FileChange::Removed(link) => wit::FileChange::Removed(link),
                    FileChange::Failed(why) => wit::FileChange::Failed(why),
                };
                (path, change)
            })
            .collect(),
        files_map: files_map(c.files_map),
    }
}

fn safe_data(d: SafeData) -> wit::SafeData {
    match d {
        SafeData::PublicFile(f) => wit::SafeData::PublicFile(public_file(f)),
        SafeData::FilesContainer(c) => wit::SafeData::FilesContainer(wit::FilesContainer {
            xorurl: c.xorurl,
            xorname: c.xorname.0.to_vec(),
            type_tag: c.type_tag,
            version: c.version,
            files_map: files_map(c.files_map),
            metadata: c.metadata.map(file_info),
            resolved_from: c.resolved_from,
        }),
        SafeData::NrsMapContainer(n) => wit::SafeData::NrsMapContainer(wit::NrsMapContainer {
            public_name: n.public_name,
            xorurl: n.xorurl,
            xorname: n.xorname.0.to_vec(),
            type_tag: n.type_tag,
            version: n.version,
            nrs_map: n.nrs_map.into_iter().collect(),
            resolved_from: n.resolved_from,
        }),
        SafeData::NrsEntry(e) => wit::SafeData::NrsEntry(wit::NrsEntry {
            public_name: e.public_name,
            xorurl: e.xorurl,
            version: e.version,
            resolves_into: e.resolves_into,
            resolved_from: e.resolved_from,
        }),
        SafeData::SafeKey(k) => wit::SafeData::SafeKey(wit::SafeKey {
            xorurl: k.xorurl,
            xorname: k.xorname.0.to_vec(),
            resolved_from: k.resolved_from,
        }),
        SafeData::Register(r) => wit::SafeData::Register(wit::RegisterData {
            xorurl: r.xorurl,
            xorname: r.xorname.0.to_vec(),
            type_tag: r.type_tag,
            entries: register_entries(r.entries),
            resolved_from: r.resolved_from,
        }),
        SafeData::Multimap(m) => wit::SafeData::Multimap(wit::MultimapData {
            xorurl: m.xorurl,
            xorname: m.xorname.0.to_vec(),
            type_tag: m.type_tag,
            entries: multimap_entries(m.entries),
            resolved_from: m.resolved_from,
        }),
    }
}

fn public_file(f: PublicFile) -> wit::PublicFile {
    wit::PublicFile {
        xorurl: f.xorurl,
        xorname: f.xorname.0.to_vec(),
        data: f.data.to_vec(),
        media_type: f.media_type,
        resolved_from: f.resolved_from,
        size: f.size,
        metadata: f.metadata.map(file_info),
    }
}

pub(crate) fn error(e: Error) -> wit::Error {
    wit::Error { code: wit_code(e.code), message: e.message }
}

/// Defines the conversions of error codes both ways from one list of names, each a case of the
/// WIT enum `error-code` (as wit-bindgen names it) and a variant of the core's [`ErrorCode`].
/// Both matches are exhaustive, so a code added on one side and not the other fails the build,
/// and a name missing on either side fails it too: the WIT, the core and (through the bindings
/// jco generates from the same WIT) the TypeScript host cannot disagree.
macro_rules! error_codes {
    ($($code:ident),+ $(,)?) => {
        /// The WIT code of a core code.
        pub(crate) const fn wit_code(code: ErrorCode) -> wit::ErrorCode {
            match code {
                $(ErrorCode::$code => wit::ErrorCode::$code,)+
            }
        }

        /// The core code of a WIT code.
        #[allow(dead_code, reason = "the component only sends codes: this match is the check that the core has every WIT code")]
        pub(crate) const fn core_code(code: wit::ErrorCode) -> ErrorCode {
            match code {
                $(wit::ErrorCode::$code => ErrorCode::$code,)+
            }
        }
    };
}

error_codes!(
    InvalidArgument,
    InvalidUrl,
    NotFound,
    Timeout,
    NotConnected,
    Network,
    Protocol,
    Cancelled,
    NotOwner,
    InsufficientBalance,
    Conflict,
    Internal,
);

pub(crate) fn progress(p: Progress) -> wit::Progress {
    wit::Progress {
        id: p.id,
        done: p.done,
        total: p.total,
        unit: match p.unit {
            ProgressUnit::Bytes => wit::ProgressUnit::Bytes,
            ProgressUnit::Files => wit::ProgressUnit::Files,
        },
        item: p.item,
    }
}
