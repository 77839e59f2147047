//! Files: storing bytes as a chunk on the nodes that should hold it, and reading them back from
//! the closest node that has a copy whose hash matches.

use bytes::Bytes;
use safe_types::wire::{self, Request, Response};
use safe_types::{Chunk, ContentType, DataType, NetworkMap, NodeInfo, SafeUrl, XorName};

use super::connect::current_map;
use super::quorum::{first_verified, messages, worst, write_majority};
use super::{ByteRange, Output, PublicFile};
use crate::net::Net;
use crate::{Error, ErrorCode, ProgressUnit, Source};

/// Stores what `source` holds as a file: done once a majority of the holders acknowledged it.
pub(super) async fn store_file(
    net: Net,
    mut source: Source,
    content_type: ContentType,
) -> Result<Output, Error> {
    let size = source.size();
    let content = source.read_to_end().map_err(|e| {
        Error::invalid_argument(format!("could not read the file to store: {e}"))
    })?;
    let chunk = Chunk::new(content).map_err(|e| Error::invalid_argument(e.to_string()))?;
    let map = current_map(&net).await?;
    let address = chunk.address();
    let frame = wire::encode(&Request::PutChunk { content: chunk.into_content() })
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
    let holders: Vec<NodeInfo> = map.holders(&address).into_iter().cloned().collect();
    write_majority(&net, &holders, frame, "the chunk was", move |name, response| match response {
        Response::Stored { address: a } if a == address => Ok(()),
        _ => Err(Error::protocol(format!("node {name} acknowledged the wrong chunk"))),
    })
    .await?;
    net.report_progress(size, size, ProgressUnit::Bytes, None);
    let url = SafeUrl::new_xorurl(address, 0, content_type, DataType::File, net.xorurl_base())?;
    Ok(Output::Stored(url.to_string()))
}

/// Reads the file `url` names, or the `range` of it.
pub(super) async fn get(
    net: Net,
    url: SafeUrl,
    range: Option<ByteRange>,
) -> Result<PublicFile, Error> {
    let map = current_map(&net).await?;
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
    Err(Error::new(worst(&failures), format!("could not read {address:x}: {}", messages(&failures))))
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
