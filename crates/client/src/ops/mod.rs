//! The Safe API as operations: what a caller can start, what each gives back, and the checks
//! made before anything is sent.

mod connect;
mod files;

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use safe_types::{Chunk, ContentType, DataType, SafeUrl, XorName};

use crate::net::Net;
use crate::{Error, ErrorCode};

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
#[derive(Debug, Clone)]
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
}

impl Operation {
    /// Short name for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect",
            Self::StoreBytes { .. } => "storeBytes",
            Self::FilesGet { .. } => "filesGet",
            Self::Fetch { .. } => "fetch",
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
                net.map()?;
                let content_type = match media_type {
                    Some(t) => ContentType::media_type(&t)?,
                    None => ContentType::Raw,
                };
                let chunk = Chunk::new(data).map_err(|e| {
                    Error::invalid_argument(format!(
                        "{e}: this version stores files of up to 1 MiB (larger files need \
                         self-encryption)"
                    ))
                })?;
                boxed(files::store_bytes(net, chunk, content_type))
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
        })
    }
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
