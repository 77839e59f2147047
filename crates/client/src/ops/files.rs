//! Files: storing bytes as a chunk on the nodes that should hold it, and reading them back from
//! the closest node that has a copy whose hash matches.

use std::time::Duration;

use bytes::Bytes;
use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use safe_types::wire::{self, Request, Response};
use safe_types::{Chunk, ContentType, DataType, NetworkMap, NodeInfo, SafeUrl, XorName};

use super::{ByteRange, Output, PublicFile};
use crate::net::{node_answer, short, Net};
use crate::transport::Target;
use crate::{Error, ErrorCode};

/// How long a read waits for a holder before asking the next one as well.
const HEDGE_DELAY: Duration = Duration::from_secs(2);
/// How long puts to the last holders of a stored chunk may go on after the store completed.
const BACKGROUND_GRACE: Duration = Duration::from_secs(30);

/// Stores `chunk` on the nodes that should hold it. Done once a majority of them acknowledged;
/// the puts to the others go on in the background for a while, so a slow or dead holder
/// neither holds the caller up nor keeps the others from getting their copy.
pub(super) async fn store_bytes(
    net: Net,
    chunk: Chunk,
    content_type: ContentType,
) -> Result<Output, Error> {
    let map = net.map()?;
    let address = chunk.address();
    let frame = wire::encode(&Request::PutChunk { content: chunk.into_content() })
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    let holders: Vec<NodeInfo> = map.holders(&address).into_iter().cloned().collect();
    let needed = holders.len() / 2 + 1;
    let mut puts: FuturesUnordered<_> = holders
        .iter()
        .map(|node| {
            let reply = net.send_frame(Target { addr: node.addr, id: Some(node.id) }, frame.clone());
            let name = short(&node.id);
            async move {
                match node_answer(&name, reply.await?.response)? {
                    Response::Stored { address: a } if a == address => Ok(()),
                    _ => Err(Error::protocol(format!("node {name} acknowledged the wrong chunk"))),
                }
            }
        })
        .collect();
    let mut stored = 0;
    let mut failures = Vec::new();
    while stored < needed && failures.len() + needed <= holders.len() {
        match puts.next().await {
            Some(Ok(())) => stored += 1,
            Some(Err(e)) => failures.push(e),
            None => break,
        }
    }
    if stored < needed {
        return Err(Error::new(
            worst(&failures),
            format!(
                "stored on {stored} of {} nodes, {needed} needed: {}",
                holders.len(),
                messages(&failures)
            ),
        ));
    }
    if !puts.is_empty() {
        net.detach(BACKGROUND_GRACE, async move { while puts.next().await.is_some() {} });
    }
    let url = SafeUrl::new_xorurl(address, 0, content_type, DataType::File, net.xorurl_base())?;
    Ok(Output::Stored(url.to_string()))
}

/// Reads the file `url` names, or the `range` of it.
pub(super) async fn get(
    net: Net,
    url: SafeUrl,
    range: Option<ByteRange>,
) -> Result<PublicFile, Error> {
    let map = net.map()?;
    let content = get_chunk(&net, &map, url.xorname()).await?;
    let size = content.len() as u64;
    let data = slice(content, range)?;
    let media_type = match url.content_type() {
        ContentType::MediaType(t) => Some(t.clone()),
        _ => None,
    };
    Ok(PublicFile {
        xorurl: url.to_xorurl(net.xorurl_base()),
        xorname: url.xorname(),
        data,
        media_type,
        resolved_from: url.to_string(),
        size,
    })
}

/// Fetches a chunk from the closest holder that returns it intact. A holder that fails is
/// replaced by the next at once; one that is slow to answer gets company after [`HEDGE_DELAY`]
/// (the first verified answer wins, the other requests are dropped).
async fn get_chunk(net: &Net, map: &NetworkMap, address: XorName) -> Result<Bytes, Error> {
    let holders = map.holders(&address);
    let mut untried = holders.iter();
    let mut attempts = FuturesUnordered::new();
    let mut failures = Vec::new();
    let fetch = |node: &NodeInfo| {
        let name = short(&node.id);
        let reply = net.request_node(node, &Request::GetChunk { address });
        async move {
            match node_answer(&name, reply.await?.response)? {
                Response::Chunk { content } => Chunk::verified(address, content)
                    .map(Chunk::into_content)
                    .map_err(|e| Error::protocol(format!("node {name} sent bad data: {e}"))),
                _ => Err(Error::protocol(format!("node {name} answered a get with something else"))),
            }
        }
    };
    loop {
        if attempts.is_empty() {
            match untried.next() {
                Some(node) => attempts.push(fetch(node)),
                None => break,
            }
        }
        let hedge = net.sleep(HEDGE_DELAY);
        futures::pin_mut!(hedge);
        match select(attempts.next(), hedge).await {
            Either::Left((Some(Ok(content)), _)) => return Ok(content),
            Either::Left((Some(Err(e)), _)) => {
                failures.push(e);
                if let Some(node) = untried.next() {
                    attempts.push(fetch(node));
                }
            }
            Either::Left((None, _)) => {}
            Either::Right(((), _)) => {
                if let Some(node) = untried.next() {
                    attempts.push(fetch(node));
                }
            }
        }
    }
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
    Err(Error::new(worst(&failures), format!("could not read {address:x}: {}", messages(&failures))))
}

/// The code that best describes a set of failures: a node that broke the protocol matters more
/// than one that could not be reached, which matters more than one that had nothing.
fn worst(failures: &[Error]) -> ErrorCode {
    let rank = |c: ErrorCode| match c {
        ErrorCode::Protocol => 3,
        ErrorCode::NotFound => 1,
        _ => 2,
    };
    failures.iter().map(|e| e.code).max_by_key(|c| rank(*c)).unwrap_or(ErrorCode::Network)
}

fn messages(failures: &[Error]) -> String {
    failures.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
}

fn slice(content: Bytes, range: Option<ByteRange>) -> Result<Bytes, Error> {
    let Some(ByteRange { start, end }) = range else { return Ok(content) };
    let len = content.len() as u64;
    if start > len {
        return Err(Error::invalid_argument(format!(
            "range starts at byte {start}, past the end of the {len}-byte file"
        )));
    }
    let end = end.map_or(len, |e| e.min(len));
    // Both bounds are at most `len`, which came from a usize.
    Ok(content.slice(start as usize..end as usize))
}
