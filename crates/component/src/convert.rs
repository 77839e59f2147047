//! Conversions between the WIT types and the core's types.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use bytes::Bytes;
use safe_client::safe_types::{XorName, XorUrlBase};
use safe_client::{
    ByteRange, Config, Contact, Error, ErrorCode, KeypairInfo, NetworkInfo, Operation, Output,
    Progress, ProgressUnit, PublicFile, SafeData, Source,
};

use crate::bindings::exports::safe::client::client as wit;
use crate::source::WitSource;
use crate::bindings::safe::client::datagram::{
    IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};

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
    })
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
        Output::Data(SafeData::PublicFile(f)) => {
            wit::Response::Data(wit::SafeData::PublicFile(public_file(f)))
        }
        Output::Keypair(k) => wit::Response::Keypair(keypair(k)),
        Output::Url(url) => wit::Response::Url(url),
        Output::Entries(entries) => wit::Response::Entries(
            entries
                .into_iter()
                .map(|e| wit::RegisterEntry { hash: e.hash, entry: e.entry.to_vec() })
                .collect(),
        ),
        Output::EntryHash(hash) => wit::Response::EntryHash(hash),
        Output::Entry(bytes) => wit::Response::Entry(bytes.to_vec()),
        Output::KeyCreated { url, keypair: k } => wit::Response::KeyCreated((url, keypair(k))),
        Output::Balance(b) => wit::Response::Balance(b),
        Output::TransferId(id) => wit::Response::TransferId(id),
        Output::Done => wit::Response::Done,
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
    }
}

pub(crate) fn error(e: Error) -> wit::Error {
    let code = match e.code {
        ErrorCode::InvalidArgument => wit::ErrorCode::InvalidArgument,
        ErrorCode::InvalidUrl => wit::ErrorCode::InvalidUrl,
        ErrorCode::NotFound => wit::ErrorCode::NotFound,
        ErrorCode::Timeout => wit::ErrorCode::Timeout,
        ErrorCode::NotConnected => wit::ErrorCode::NotConnected,
        ErrorCode::Network => wit::ErrorCode::Network,
        ErrorCode::Protocol => wit::ErrorCode::Protocol,
        ErrorCode::Cancelled => wit::ErrorCode::Cancelled,
        ErrorCode::NotOwner => wit::ErrorCode::NotOwner,
        ErrorCode::InsufficientBalance => wit::ErrorCode::InsufficientBalance,
        ErrorCode::Conflict => wit::ErrorCode::Conflict,
        ErrorCode::Internal => wit::ErrorCode::Internal,
    };
    wit::Error { code, message: e.message }
}

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
