//! Files: storing bytes as a chunk on the nodes that should hold it, and reading them back from
//! the closest node that has a copy whose hash matches.

use bytes::Bytes;
use futures::future::join_all;
use safe_types::wire::{self, Request, Response};
use safe_types::{Chunk, ContentType, DataType, NetworkMap, SafeUrl, XorName};

use super::{ByteRange, Output, PublicFile};
use crate::net::{node_answer, short, Net};
use crate::transport::Target;
use crate::{Error, ErrorCode};

pub(super) async fn store_bytes(
    net: Net,
    data: Bytes,
    content_type: ContentType,
) -> Result<Output, Error> {
    let map = net.map()?;
    let chunk = Chunk::new(data).map_err(|e| {
        Error::invalid_argument(format!(
            "{e}: this version stores files of up to 1 MiB (larger files need self-encryption)"
        ))
    })?;
    let address = chunk.address();
    let frame = wire::encode(&Request::PutChunk { content: chunk.into_content() })
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    let holders = map.holders(&address);
    let needed = holders.len() / 2 + 1;
    let puts = holders.iter().map(|node| {
        let target = Target { addr: node.addr, id: Some(node.id) };
        let reply = net.send_frame(target, frame.clone());
        async move {
            let node = short(&node.id);
            match node_answer(&node, reply.await?.response)? {
                Response::Stored { address: a } if a == address => Ok(()),
                _ => Err(Error::protocol(format!("node {node} acknowledged the wrong chunk"))),
            }
        }
    });
    let results = join_all(puts).await;
    let stored = results.iter().filter(|r| r.is_ok()).count();
    if stored < needed {
        let first = results.into_iter().find_map(Result::err);
        let detail = first.map(|e| e.message).unwrap_or_default();
        return Err(Error::network(format!(
            "stored on {stored} of {} nodes, {needed} needed: {detail}",
            holders.len()
        )));
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

/// Fetches a chunk from the closest holder that returns it intact, trying the others in turn.
async fn get_chunk(net: &Net, map: &NetworkMap, address: XorName) -> Result<Bytes, Error> {
    let holders = map.holders(&address);
    let mut failures = Vec::new();
    for node in &holders {
        let name = short(&node.id);
        let answer = match net.request_node(node, &Request::GetChunk { address }).await {
            Ok(reply) => node_answer(&name, reply.response),
            Err(e) => Err(e.into()),
        };
        match answer {
            Ok(Response::Chunk { content }) => match Chunk::verified(address, content) {
                Ok(chunk) => return Ok(chunk.into_content()),
                Err(e) => failures.push(Error::protocol(format!("node {name} sent bad data: {e}"))),
            },
            Ok(_) => failures.push(Error::protocol(format!("node {name} answered a get with something else"))),
            Err(e) => failures.push(e),
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
    let summary: Vec<String> = failures.iter().map(|e| e.message.clone()).collect();
    let code = failures
        .iter()
        .map(|e| e.code)
        .find(|c| *c != ErrorCode::NotFound)
        .unwrap_or(ErrorCode::Network);
    Err(Error::new(code, format!("could not read {address:x}: {}", summary.join("; "))))
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
