//! Files: storing a file's bytes on the nodes, and reading them back whole or in part.
//!
//! A file under 3 bytes is one raw chunk. Anything larger is self-encrypted while it is read
//! (the format is in [`super::data_map`]): the client pulls the source in pieces through
//! `self_encryption::stream_encrypt`, uploads each encrypted chunk as it comes out, with at most
//! [`UPLOADS_IN_FLIGHT`] uploads waiting for their majority, then stores the data map as a chunk
//! and returns the XOR-URL of that chunk. What the upload holds stays at a few MiB whatever the
//! file's size: the file's first two pieces (the crate encrypts them last, as their keys need
//! every other piece's hash), the piece being cut, the chunks in flight, and at most
//! [`BACKGROUND_BYTES`] of chunks still going to holders slower than the majority (older puts
//! to those are abandoned: the chunk is on a majority already).
//!
//! A dry runner does all of this but the puts, so it gives the very XOR-URL a store would,
//! without a network map (`safe xorurl <location>` works offline).
//!
//! Reading fetches the chunk the URL names (checked against its address); for a data map it then
//! fetches only the encrypted chunks that cover the requested bytes, [`DOWNLOADS_IN_FLIGHT`] at
//! a time, checks each against the address the map gives, and decrypts it with the crate's
//! `DataMapIndex`, which also checks the result against the map. [`FileReader`] gives the bytes
//! a chunk at a time, for callers that want to stream them.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures::future::{self, LocalBoxFuture};
use futures::stream::{self, FuturesUnordered, LocalBoxStream, StreamExt};
use futures::FutureExt;
use safe_types::wire::{Request, Response};
use safe_types::{Chunk, ContentType, DataType, NetworkMap, NodeInfo, SafeUrl, XorName};
use self_encryption::{DataMap, DataMapIndex};

use super::connect::current_map;
use super::data_map::{self, Layout, Root, MIN_ENCRYPTED_SIZE};
use super::output::{ChunkKind, PublicFile, Started};
use super::quorum::{first_verified, messages, store_chunk, worst};
use crate::error::{Error, ErrorCode};
use crate::events::ProgressUnit;
use crate::net::Net;
use crate::source::Source;

/// The file operations and their outputs (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [files] {
            operations {
                /// Store bytes as a public file; gives its XOR-URL.
                StoreBytes {
                    /// The file's content.
                    data: bytes::Bytes,
                    /// A MIME type the XOR-URL format knows, or none for Raw.
                    media_type: Option<String>,
                } -> Stored = "store_bytes" by start_store_bytes, offline_when_dry;
                /// Store what a source holds as a public file; gives its XOR-URL. The client
                /// pulls the bytes as it needs them (see [`Source`](crate::Source)).
                StoreFile {
                    /// The file's content.
                    source: crate::Source,
                    /// A MIME type the XOR-URL format knows, or none for Raw.
                    media_type: Option<String>,
                } -> Stored = "store_file" by start_store, offline_when_dry;
                /// Read a file's bytes.
                FilesGet {
                    /// The file's URL.
                    url: String,
                    /// Which bytes; none for all.
                    range: Option<crate::ByteRange>,
                } -> Bytes = "files_get" by start_get;
            }
            outputs {
                /// `StoreBytes` and `StoreFile` stored the file at this XOR-URL.
                Stored(String),
                /// `FilesGet`'s bytes.
                Bytes(bytes::Bytes),
            }
        } }
    };
}
pub(super) use table;

/// Encrypted chunks uploading at once (each waits for a majority of its holders).
const UPLOADS_IN_FLIGHT: usize = 4;
/// At most this many bytes of chunks may still be going to their last holders (after their
/// majority acknowledged them) when the upload sends the next chunk; older such puts are
/// abandoned, so what an upload holds stays bounded even when one holder is slower than the rest.
const BACKGROUND_BYTES: u64 = 8 * 1024 * 1024;
/// Encrypted chunks fetched at once when reading.
const DOWNLOADS_IN_FLIGHT: usize = 16;
/// How much the encryptor asks the source for at a time.
const READ_PIECE: usize = 256 * 1024;
/// After encrypting this much, the upload lets the host run (its sockets, other calls) before
/// it goes on.
const YIELD_AFTER: u64 = 512 * 1024;

/// Bytes `[start, end)` of a file; `end: None` reads to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte to read.
    pub start: u64,
    /// One past the last byte to read.
    pub end: Option<u64>,
}

/// Starts `Operation::StoreBytes`: as [`start_store`].
pub(super) fn start_store_bytes(
    net: Net,
    data: Bytes,
    media_type: Option<String>,
) -> Started<String> {
    start_store(net, Source::from_bytes(data), media_type)
}

/// Starts `Operation::StoreFile` (and `StoreBytes`): a media type the XOR-URL format knows, and
/// a size this client can store.
pub(super) fn start_store(net: Net, source: Source, media_type: Option<String>) -> Started<String> {
    let content_type = match media_type {
        Some(t) => ContentType::media_type(&t)?,
        None => ContentType::Raw,
    };
    check_size(source.size())?;
    Ok(store_file(net, source, content_type).boxed_local())
}

/// Starts `Operation::FilesGet`: a file's XOR-URL and a range that does not end before it
/// starts.
pub(super) fn start_get(net: Net, url: String, range: Option<ByteRange>) -> Started<Bytes> {
    let url = file_url(&url)?;
    check_range(range)?;
    Ok(async move { get(net, url, range).await.map(|f| f.data) }.boxed_local())
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

/// Refuses a range that ends before it starts.
pub(super) fn check_range(range: Option<ByteRange>) -> Result<(), Error> {
    match range {
        Some(ByteRange { start, end: Some(end) }) if end < start => Err(Error::invalid_argument(
            format!("range [{start}, {end}) ends before it starts: give start <= end"),
        )),
        _ => Ok(()),
    }
}

/// Refuses, before anything is sent, a file too large to store (see
/// [`data_map::max_file_size`]).
pub(super) fn check_size(size: u64) -> Result<(), Error> {
    let max = data_map::max_file_size();
    if size > max {
        return Err(Error::invalid_argument(format!(
            "a file of {size} bytes is larger than the {max} bytes this client can store as one \
             file: split it into smaller files"
        )));
    }
    Ok(())
}

/// Stores what `source` holds as a file; done once a majority of the holders of every chunk
/// acknowledged it. Gives the XOR-URL of the file's chunk (its data map, or its raw bytes).
pub(super) async fn store_file(
    net: Net,
    source: Source,
    content_type: ContentType,
) -> Result<String, Error> {
    let size = source.size();
    check_size(size)?;
    let mut progress = BytesProgress::new(&net, size);
    let address = if size < MIN_ENCRYPTED_SIZE {
        store_raw(&net, source).await?
    } else {
        store_encrypted(&net, source, &mut progress).await?
    };
    progress.report(size);
    let url = SafeUrl::new_xorurl(address, 0, content_type, DataType::File, net.xorurl_base())?;
    Ok(url.to_string())
}

async fn store_raw(net: &Net, source: Source) -> Result<XorName, Error> {
    let failure = Rc::new(Cell::new(None));
    let content: Vec<u8> = SourcePieces::new(source, failure.clone()).flatten().collect();
    if let Some(why) = failure.take() {
        return Err(why);
    }
    put_chunk(net, chunk_of(Bytes::from(content))?).await
}

/// Self-encrypts `source` and stores its chunks, then its data map; reports the bytes whose
/// chunks are stored as they are.
async fn store_encrypted(
    net: &Net,
    source: Source,
    progress: &mut BytesProgress<'_>,
) -> Result<XorName, Error> {
    let size = source.size();
    let layout =
        Layout::new(size).ok_or_else(|| internal(format!("no layout for {size} bytes")))?;
    let failure = Rc::new(Cell::new(None));
    let pieces = SourcePieces::new(source, failure.clone());
    let mut encryption = self_encryption::stream_encrypt(layout.size(), pieces)
        .map_err(|e| internal(format!("self-encryption refused the file: {e}")))?;

    // The network address of each level-0 chunk uploaded, and the chunks the crate made to
    // shrink its map (held back: the map is stored in this module's format instead), both by
    // the crate's hash.
    let mut addresses = HashMap::with_capacity(layout.count());
    let mut held_back = HashMap::new();
    let mut uploads = FuturesUnordered::new();
    let mut done = 0u64;
    let mut produced = 0usize;
    let mut since_yield = 0u64;
    let mut chunks = encryption.chunks();
    loop {
        let next = chunks.next();
        // A read failure ends the input early; the chunk cut from what came before is not
        // the file's.
        if let Some(why) = failure.take() {
            return Err(why);
        }
        let Some(next) = next else { break };
        let (hash, content) =
            next.map_err(|e| internal(format!("self-encryption of the file failed: {e}")))?;
        if produced < layout.count() {
            // The last holders of earlier chunks may lag behind the majority: keep at most
            // BACKGROUND_BYTES of frames for them.
            net.trim_background(BACKGROUND_BYTES);
            let piece = layout.piece_size(layout.index_of_nth(produced));
            produced += 1;
            let chunk = chunk_of(content)?;
            addresses.insert(hash, chunk.address());
            uploads.push(async move { put_chunk(net, chunk).await.map(|_| piece) });
            since_yield += piece;
            // Starts it (and collects those that finished) before the next piece is cut.
            let finished = finished_uploads(&mut uploads).await?;
            if finished > 0 {
                done += finished;
                progress.report(done);
            }
        } else {
            held_back.insert(hash, content);
        }
        while uploads.len() >= UPLOADS_IN_FLIGHT {
            done += next_upload(&mut uploads).await?;
            progress.report(done);
        }
        if since_yield >= YIELD_AFTER {
            since_yield = 0;
            yield_to_host(net).await;
        }
    }
    while !uploads.is_empty() {
        done += next_upload(&mut uploads).await?;
        progress.report(done);
    }

    let stream_map = encryption
        .into_datamap()
        .ok_or_else(|| internal("self-encryption ended without a data map".to_owned()))?;
    let map =
        data_map::with_network_addresses(stream_map, &held_back, &addresses).map_err(internal)?;
    if !layout.matches(&map) {
        return Err(internal(format!(
            "self-encryption cut {size} bytes into {} pieces, not as expected",
            map.len()
        )));
    }
    let (root, lower) = data_map::shrink(map).map_err(internal)?;
    let lower: FuturesUnordered<_> = lower
        .into_iter()
        .map(|content| async move { put_chunk(net, chunk_of(content)?).await })
        .collect();
    for stored in lower.collect::<Vec<_>>().await {
        stored?;
    }
    put_chunk(net, chunk_of(data_map::encode(&root).map_err(internal)?)?).await
}

/// Reports how many bytes of a file are done, each new count once.
struct BytesProgress<'a> {
    net: &'a Net,
    total: u64,
    reported: Option<u64>,
}

impl<'a> BytesProgress<'a> {
    fn new(net: &'a Net, total: u64) -> Self {
        Self { net, total, reported: None }
    }

    fn report(&mut self, done: u64) {
        if self.reported != Some(done) {
            self.reported = Some(done);
            self.net.report_progress(done, self.total, ProgressUnit::Bytes, None);
        }
    }
}

/// The next upload to finish: the bytes of the file it carried.
async fn next_upload(
    uploads: &mut FuturesUnordered<impl std::future::Future<Output = Result<u64, Error>>>,
) -> Result<u64, Error> {
    uploads.next().await.unwrap_or(Ok(0))
}

/// Polls the uploads once, without waiting: new ones send their requests, and those that
/// finished give the bytes of the file they carried (the first failure fails the store).
async fn finished_uploads(
    uploads: &mut FuturesUnordered<impl std::future::Future<Output = Result<u64, Error>>>,
) -> Result<u64, Error> {
    future::poll_fn(|cx| {
        let mut done = 0;
        loop {
            match uploads.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(bytes))) => done += bytes,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) | Poll::Pending => return Poll::Ready(Ok(done)),
            }
        }
    })
    .await
}

/// Waits for the host's next call, so a long encryption does not hold up its sockets (a timer
/// that is due at once: the driver returns, and the host calls back when it has run).
async fn yield_to_host(net: &Net) {
    net.sleep(Duration::from_micros(1)).await;
}

fn chunk_of(content: Bytes) -> Result<Chunk, Error> {
    Chunk::new(content).map_err(|e| internal(format!("a chunk of the file does not fit: {e}")))
}

fn internal(message: String) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("{message}; this is a bug in safe-wasi, please report it"),
    )
}

/// Stores one chunk on the nodes that should hold it: done once a majority holds it. A dry
/// runner only gives the address (and needs no network map).
async fn put_chunk(net: &Net, chunk: Chunk) -> Result<XorName, Error> {
    let address = chunk.address();
    if net.dry_run() {
        return Ok(address);
    }
    let map = current_map(net).await?;
    let holders: Vec<NodeInfo> = map.holders(&address).into_iter().cloned().collect();
    store_chunk(net, &holders, address, chunk.into_content()).await?;
    Ok(address)
}

/// A source's bytes in pieces of at most [`READ_PIECE`], never past the size it announced.
/// A failed read, or a source that ends early, ends the pieces and leaves the reason in
/// `failure` (the encryptor pulls through a plain iterator, which cannot carry it).
struct SourcePieces {
    source: Source,
    left: u64,
    size: u64,
    failure: Rc<Cell<Option<Error>>>,
}

impl SourcePieces {
    fn new(source: Source, failure: Rc<Cell<Option<Error>>>) -> Self {
        let size = source.size();
        Self { source, left: size, size, failure }
    }

    fn fail(&mut self, why: Error) -> Option<Bytes> {
        self.left = 0;
        self.failure.set(Some(why));
        None
    }
}

impl Iterator for SourcePieces {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if self.left == 0 {
            return None;
        }
        let want = usize::try_from(self.left).map_or(READ_PIECE, |left| left.min(READ_PIECE));
        match self.source.read(want) {
            Ok(piece) if piece.is_empty() => {
                let read = self.size - self.left;
                let size = self.size;
                self.fail(Error::invalid_argument(format!(
                    "the file to store ended after {read} of its {size} bytes: was it changed \
                     while it was being stored? Store it again"
                )))
            }
            Ok(mut piece) => {
                piece.truncate(want);
                self.left -= piece.len() as u64;
                Some(piece)
            }
            Err(e) => {
                self.fail(Error::invalid_argument(format!("could not read the file to store: {e}")))
            }
        }
    }
}

/// Reads the file `url` names, or the `range` of it (the end clamped to the file's size).
pub(super) async fn get(
    net: Net,
    url: SafeUrl,
    range: Option<ByteRange>,
) -> Result<PublicFile, Error> {
    let file = FileReader::open(&net, url.xorname()).await?;
    let size = file.size();
    let (start, end) = match range {
        None => (0, size),
        Some(ByteRange { start, end }) => {
            if start > size {
                return Err(Error::invalid_argument(format!(
                    "range starts at byte {start}, past the end of the {size}-byte file"
                )));
            }
            (start, end.map_or(size, |e| e.min(size)).max(start))
        }
    };
    let data = match file.content {
        // Both bounds are at most the content's length, a usize.
        FileContent::Raw(ref content) => content.slice(start as usize..end as usize),
        FileContent::Encrypted(_) => {
            let total = end - start;
            let mut data = Vec::new();
            let fits = usize::try_from(total).ok().filter(|n| data.try_reserve_exact(*n).is_ok());
            if fits.is_none() {
                return Err(Error::invalid_argument(format!(
                    "{total} bytes are too many to read at once here: read the file in smaller \
                     ranges"
                )));
            }
            let mut progress = BytesProgress::new(&net, total);
            let mut pieces = file.read(&net, start..end);
            while let Some(piece) = pieces.next().await {
                data.extend_from_slice(&piece?);
                progress.report(data.len() as u64);
            }
            Bytes::from(data)
        }
    };
    let media_type = match url.content_type() {
        ContentType::MediaType(t) => Some(t.clone()),
        _ => None,
    };
    Ok(PublicFile {
        metadata: None,
        xorurl: url.to_xorurl(net.xorurl_base()),
        xorname: url.xorname(),
        data,
        media_type,
        resolved_from: url.to_string(),
        size,
    })
}

/// A file opened for reading: its size, and its bytes a chunk at a time.
pub(super) struct FileReader {
    address: XorName,
    content: FileContent,
    /// The chunks of the data map's child levels, if it has any (root level first).
    levels: Vec<XorName>,
}

enum FileContent {
    Raw(Bytes),
    Encrypted(DataMapIndex),
}

impl FileReader {
    /// Fetches the file's chunk at `address` and, for a data map, the levels below it.
    pub(super) async fn open(net: &Net, address: XorName) -> Result<Self, Error> {
        let root = fetch_chunk(net, address).await?;
        let malformed =
            |why: String| Error::protocol(format!("the file at {address:x} is malformed: {why}"));
        let mut levels = Vec::new();
        let content = match data_map::decode_root(root).map_err(malformed)? {
            Root::Raw(content) => FileContent::Raw(content),
            Root::Encrypted(mut map) => {
                while map.is_child() {
                    let index = index_of(&map, address)?;
                    levels.extend(index.infos().iter().map(|info| info.dst_hash));
                    let serialized = read_all(net, address, &index).await?;
                    map = data_map::decode_map(&serialized).map_err(malformed)?;
                }
                FileContent::Encrypted(index_of(&map, address)?)
            }
        };
        Ok(Self { address, content, levels })
    }

    /// Every chunk of the file: the one its URL names (the data map, or a small file's
    /// bytes), the chunks of the map's child levels, then the encrypted pieces in order.
    pub(super) fn chunks(&self) -> Vec<(XorName, ChunkKind)> {
        let mut chunks = vec![(self.address, ChunkKind::Root)];
        chunks.extend(self.levels.iter().map(|a| (*a, ChunkKind::MapLevel)));
        if let FileContent::Encrypted(index) = &self.content {
            chunks.extend(index.infos().iter().map(|info| (info.dst_hash, ChunkKind::Piece)));
        }
        chunks
    }

    /// The file's size in bytes.
    pub(super) fn size(&self) -> u64 {
        match &self.content {
            FileContent::Raw(content) => content.len() as u64,
            FileContent::Encrypted(index) => index.file_size(),
        }
    }

    /// The bytes in `range` (clamped to the file), in order, a chunk's worth at a time; only
    /// the chunks that hold them are fetched.
    pub(super) fn read<'a>(
        &'a self,
        net: &'a Net,
        range: Range<u64>,
    ) -> LocalBoxStream<'a, Result<Bytes, Error>> {
        let end = range.end.min(self.size());
        let start = range.start.min(end);
        match &self.content {
            FileContent::Raw(content) => {
                // Both bounds are at most the content's length, a usize.
                let piece = content.slice(start as usize..end as usize);
                stream::once(future::ready(Ok(piece))).boxed_local()
            }
            FileContent::Encrypted(index) => read_chunks(net, self.address, index, start..end),
        }
    }
}

fn index_of(map: &DataMap, address: XorName) -> Result<DataMapIndex, Error> {
    DataMapIndex::new(map).map_err(|e| {
        Error::protocol(format!(
            "the file at {address:x} is malformed: its data map is unusable: {e}"
        ))
    })
}

/// Everything an index covers (a child level's serialized map, at most three pieces).
async fn read_all(net: &Net, file: XorName, index: &DataMapIndex) -> Result<Vec<u8>, Error> {
    let mut all = Vec::new();
    let mut pieces = read_chunks(net, file, index, 0..index.file_size());
    while let Some(piece) = pieces.next().await {
        all.extend_from_slice(&piece?);
    }
    Ok(all)
}

/// The bytes in `range` (within the file) of the file `file` whose map is `index`, a chunk at a
/// time, fetching a few chunks ahead.
fn read_chunks<'a>(
    net: &'a Net,
    file: XorName,
    index: &'a DataMapIndex,
    range: Range<u64>,
) -> LocalBoxStream<'a, Result<Bytes, Error>> {
    stream::iter(index.chunks_overlapping(range.clone()))
        .map(move |i| -> LocalBoxFuture<'a, Result<Bytes, Error>> {
            let range = range.clone();
            async move {
                let plain = fetch_decrypted(net, file, index, i).await?;
                let span = index.chunk_range(i);
                // Within the piece, whose length (a usize) `decrypt_chunk` checked.
                let from = (range.start.max(span.start) - span.start) as usize;
                let to = (range.end.min(span.end) - span.start) as usize;
                Ok(plain.slice(from..to))
            }
            .boxed_local()
        })
        .buffered(DOWNLOADS_IN_FLIGHT)
        .boxed_local()
}

/// Chunk `i` of the file: fetched by the address its map gives (checked on arrival) and
/// decrypted (checked against the size and hash the map declares).
async fn fetch_decrypted(
    net: &Net,
    file: XorName,
    index: &DataMapIndex,
    i: usize,
) -> Result<Bytes, Error> {
    let address = index.infos()[i].dst_hash;
    let content = fetch_chunk(net, address).await.map_err(|e| {
        Error::new(e.code, format!("reading chunk {i} of the file at {file:x}: {}", e.message))
    })?;
    index.decrypt_chunk(i, &content).map_err(|e| {
        Error::protocol(format!(
            "the file at {file:x} is malformed: its chunk {i} ({address:x}) does not decrypt to \
             what its data map declares ({e})"
        ))
    })
}

async fn fetch_chunk(net: &Net, address: XorName) -> Result<Bytes, Error> {
    let map = current_map(net).await?;
    get_chunk(net, &map, address).await
}

/// Fetches a chunk from the closest holder that returns it intact (see [`first_verified`]).
async fn get_chunk(net: &Net, map: &NetworkMap, address: XorName) -> Result<Bytes, Error> {
    let holders = map.holders(&address);
    let verify = |name: String, response: Response| async move {
        match response {
            Response::Chunk { content } => Chunk::verified(address, content)
                .map(Chunk::into_content)
                .map_err(|e| Error::protocol(format!("node {name} sent bad data: {e}"))),
            _ => Err(Error::protocol(format!("node {name} answered a get with something else"))),
        }
    };
    let request = Request::GetChunk { address };
    let failures = match first_verified(net, &holders, &request, |_| false, verify).await {
        Ok(content) => return Ok(content),
        Err(failures) => failures,
    };
    if failures.iter().all(|e| e.code == ErrorCode::NotFound) {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "no data at {address:x}: none of the {} node(s) that would hold it has it; check \
                 the URL",
                holders.len()
            ),
        ));
    }
    Err(Error::new(
        worst(&failures),
        format!("could not read {address:x}: {}", messages(&failures)),
    ))
}
