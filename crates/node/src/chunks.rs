//! Chunks: storing and serving them, and the replicated put that lets a client send a chunk once.
//!
//! - `GetChunk` / `PutChunk`: read or store a chunk here.
//! - `ReplicateChunk` (from a client, usually to the chunk's closest holder): store it here and
//!   forward it (`HoldChunk`) to the other holders by this node's view, at once; answer as soon
//!   as a majority of the holders hold it, with each one's signed [`ChunkReceipt`], so the
//!   client counts the copies itself. The forwards still running then go on in the background
//!   (they hold the chunk's bytes, so at most `replication::state::MAX_BACKGROUND_PUSHES` at a
//!   time; past that the copy is left to anti-entropy). The client's link carries the chunk once
//!   instead of R times, and every holder gets it from a node right away, whatever becomes of
//!   the client.
//! - `HoldChunk` (between nodes): store a forwarded copy and answer with this node's receipt.
//! - `HasChunks` (from a client checking a file's replicas): which of the named chunks are held
//!   here.

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use safe_types::wire::{ErrorKind, Request, Response, MAX_OFFER};
use safe_types::{Chunk, ChunkReceipt, NodeInfo, XorName};

use crate::config::{Fault, SLOW_CHUNK_WRITE};
use crate::context::NodeContext;
use crate::reply::{blocking, error, storage_error};
use crate::store::PutOutcome;

/// The chunk at `address`, if held here.
pub(crate) async fn get(ctx: &NodeContext, address: XorName) -> Response {
    let store = Arc::clone(&ctx.store);
    match blocking(move || store.get_chunk(&address)).await {
        Ok(Some(chunk)) if ctx.config.faults.contains(&Fault::AlteredChunks) => {
            let mut content = chunk.into_content().to_vec();
            match content.first_mut() {
                Some(b) => *b ^= 0xff,
                None => content.push(0),
            }
            Response::Chunk { content: content.into() }
        }
        Ok(Some(chunk)) => Response::Chunk { content: chunk.into_content() },
        Ok(None) => error(ErrorKind::NotFound, format!("no chunk at {}", hex::encode(address.0))),
        Err(e) => storage_error(e),
    }
}

/// `HasChunks`: those of `addresses` held here (each once, in the order asked).
pub(crate) async fn has(ctx: &NodeContext, addresses: Vec<XorName>) -> Response {
    if addresses.len() > MAX_OFFER {
        return error(
            ErrorKind::InvalidRequest,
            format!("ask about at most {MAX_OFFER} chunks at once, not {}", addresses.len()),
        );
    }
    let store = Arc::clone(&ctx.store);
    let held = blocking(move || {
        let mut seen = std::collections::HashSet::new();
        Ok(addresses
            .into_iter()
            .filter(|address| seen.insert(*address) && store.has_chunk(address))
            .collect())
    })
    .await;
    match held {
        Ok(addresses) => Response::Holding { addresses },
        Err(e) => storage_error(e),
    }
}

/// `PutChunk`: stores `chunk` here.
pub(crate) async fn put(ctx: &NodeContext, chunk: Chunk) -> Response {
    let address = chunk.address();
    match store(ctx, chunk).await {
        Ok(()) => Response::Stored { address },
        Err(response) => response,
    }
}

/// `HoldChunk`: stores a copy another node forwarded, and signs for it.
pub(crate) async fn hold(ctx: &NodeContext, chunk: Chunk) -> Response {
    let address = chunk.address();
    match store(ctx, chunk).await {
        Ok(()) => Response::Held(ChunkReceipt::new(&address, ctx.info.id, &ctx.key)),
        Err(response) => response,
    }
}

/// `ReplicateChunk`: stores `chunk` here and on the other holders, answering once a majority of
/// the holders hold it (see the module documentation).
pub(crate) async fn replicate(ctx: &Arc<NodeContext>, chunk: Chunk) -> Response {
    let address = chunk.address();
    let holders: Vec<NodeInfo> =
        ctx.membership.map().holders(&address).into_iter().cloned().collect();
    let needed = holders.len() / 2 + 1;
    let content = chunk.content().clone();
    let mut forwards: FuturesUnordered<_> = holders
        .into_iter()
        .filter(|h| h.id != ctx.info.id)
        .map(|peer| {
            let ctx = Arc::clone(ctx);
            let request = Request::HoldChunk { content: content.clone() };
            async move { forward(&ctx, &peer, &address, &request).await }
        })
        .collect();
    // The forwards start while the chunk is written here.
    let here = store(ctx, chunk);
    futures::pin_mut!(here);
    let mut receipts = Vec::with_capacity(needed);
    let mut stored_here = None;
    while receipts.len() < needed {
        tokio::select! {
            stored = &mut here, if stored_here.is_none() => {
                match stored {
                    Ok(()) => receipts.insert(0, ChunkReceipt::new(&address, ctx.info.id, &ctx.key)),
                    Err(_) => tracing::warn!("could not store a chunk to replicate; forwarding it"),
                }
                stored_here = Some(());
            }
            next = forwards.next(), if !forwards.is_empty() => {
                if let Some(Some(receipt)) = next {
                    receipts.push(receipt);
                }
            }
            else => break,
        }
    }
    if stored_here.is_none() {
        // A majority confirmed before the write here finished: finish it before answering.
        if here.await.is_ok() {
            receipts.insert(0, ChunkReceipt::new(&address, ctx.info.id, &ctx.key));
        }
    }
    if !forwards.is_empty() {
        match Arc::clone(&ctx.replication.pushes).try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    while forwards.next().await.is_some() {}
                    drop(permit);
                });
            }
            Err(_) => tracing::debug!("too many background pushes: leaving copies to anti-entropy"),
        }
    }
    Response::Replicated { address, receipts }
}

/// Sends a copy to `peer`; its receipt if it holds the chunk now.
async fn forward(
    ctx: &NodeContext,
    peer: &NodeInfo,
    address: &XorName,
    request: &Request,
) -> Option<ChunkReceipt> {
    match ctx.peers.call(peer, request).await {
        Ok(Response::Held(receipt)) if receipt.is_from(peer, address) => Some(receipt),
        Ok(other) => {
            tracing::debug!(peer = %hex::encode(peer.id.0), answer = ?other, "forwarded chunk refused");
            None
        }
        Err(e) => {
            tracing::debug!(peer = %hex::encode(peer.id.0), error = %e, "forwarding a chunk failed");
            None
        }
    }
}

/// Writes `chunk` to the store; the error answer if that failed.
async fn store(ctx: &NodeContext, chunk: Chunk) -> Result<(), Response> {
    if ctx.config.faults.contains(&Fault::SlowChunkWrites) {
        tokio::time::sleep(SLOW_CHUNK_WRITE).await;
    }
    let address = chunk.address();
    let store = Arc::clone(&ctx.store);
    match blocking(move || store.put_chunk(&chunk)).await {
        Ok(outcome) => {
            if outcome == PutOutcome::Stored {
                tracing::debug!(address = %hex::encode(address.0), "stored chunk");
                ctx.item_changed();
            }
            Ok(())
        }
        Err(e) => Err(storage_error(e)),
    }
}
