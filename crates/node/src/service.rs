//! What the node does for each request, apart from how requests travel: one decoded
//! [`Request`] in, one [`Response`] out. The server module owns the streams and framing; new kinds
//! of request (registers, accounts, membership) are added here.

use std::sync::Arc;

use safe_types::wire::{ErrorKind, ErrorResponse, Request, Response};
use safe_types::{Chunk, NetworkMap, NodeInfo, XorName};

use crate::store::{PutOutcome, Store, StoreError};

/// The membership epoch of a single-node network; membership changes will bump it.
const EPOCH: u64 = 1;

/// Answers requests from the node's store and its view of the network.
#[derive(Debug)]
pub(crate) struct Service {
    store: Arc<Store>,
    info: NodeInfo,
    replication_factor: u8,
}

impl Service {
    /// A service for the node described by `info`, serving from `store`.
    pub(crate) fn new(store: Arc<Store>, info: NodeInfo, replication_factor: u8) -> Self {
        Self { store, info, replication_factor }
    }

    /// The answer to `request`. Failures become [`Response::Error`]; nothing here panics on input.
    pub(crate) async fn handle(&self, request: Request) -> Response {
        match request {
            Request::NetworkMap => Response::NetworkMap(NetworkMap {
                epoch: EPOCH,
                replication_factor: self.replication_factor,
                nodes: vec![self.info.clone()],
            }),
            Request::GetChunk { address } => self.get_chunk(address).await,
            Request::PutChunk { content } => match Chunk::new(content) {
                Ok(chunk) => self.put_chunk(chunk).await,
                Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
            },
            // Registers, accounts and node-to-node requests come with the multi-node network.
            _ => error(ErrorKind::InvalidRequest, "this node does not serve that request yet"),
        }
    }

    async fn get_chunk(&self, address: XorName) -> Response {
        let store = Arc::clone(&self.store);
        match blocking(move || store.get_chunk(&address)).await {
            Ok(Some(chunk)) => Response::Chunk { content: chunk.into_content() },
            Ok(None) => {
                error(ErrorKind::NotFound, format!("no chunk at {}", hex::encode(address.0)))
            }
            Err(e) => storage_error(e),
        }
    }

    async fn put_chunk(&self, chunk: Chunk) -> Response {
        let address = chunk.address();
        let store = Arc::clone(&self.store);
        match blocking(move || store.put_chunk(&chunk)).await {
            Ok(outcome) => {
                if outcome == PutOutcome::Stored {
                    tracing::debug!(address = %hex::encode(address.0), "stored chunk");
                }
                Response::Stored { address }
            }
            Err(e) => storage_error(e),
        }
    }
}

/// Runs store work off the async threads, since it does blocking file I/O.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("storage task failed: {e}")),
    }
}

fn storage_error(reason: String) -> Response {
    tracing::error!(%reason, "storage failure");
    // The details (paths, OS errors) are for the node's operator, not for peers.
    error(ErrorKind::Storage, "the node could not access its storage")
}

fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
    Response::Error(ErrorResponse::new(kind, message))
}
