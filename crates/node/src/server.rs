//! The node's QUIC server: accepts connections, reads one framed request per bidirectional
//! stream, has the service answer it (with the node id the connection proved, if any) and writes
//! one framed response back. The QUIC transport settings themselves are in [`crate::quic`].
//!
//! Who owns what: the accept loop owns a handle to the endpoint and spawns one task per
//! connection; each connection task spawns one task per bidirectional stream. All of them share
//! the [`NodeContext`] through an `Arc` and nothing else, so a slow or stalled stream only ever
//! holds up its own task. A stream task ends after its response is written, when its stream or
//! connection fails, or at the latest after [`READ_TIMEOUT`] + [`HANDLE_TIMEOUT`] +
//! [`WRITE_TIMEOUT`]. Closing the endpoint ends the accept loop and, through the connections
//! closing, every other task.
//!
//! What peers can make the node hold is bounded before anything is allocated: at most
//! [`MAX_CONNECTIONS`] connections, [`MAX_CONNECTIONS_PER_ADDRESS`] from one address, at most
//! [`crate::quic::MAX_STREAMS_PER_CONNECTION`] open streams each, at most [`MAX_REQUESTS_IN_FLIGHT`] requests
//! handled at once (further streams wait, unread, which stalls their senders through QUIC flow
//! control), and request bodies are buffered only as their bytes arrive, up to a length checked
//! against [`wire::MAX_FRAME_BODY`] and reserved from a node-wide budget of
//! [`REQUEST_BYTES_BUDGET`] bytes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quinn::{
    ConnectionError, Endpoint, Incoming, ReadError, ReadExactError, RecvStream, SendStream, VarInt,
};
use safe_types::wire::{self, ErrorKind, ErrorResponse, Request, Response, WireError};
use safe_types::XorName;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::context::NodeContext;
use crate::service;

/// Connections served at once; further ones are refused until one closes.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Connections served at once from one address (one peer's socket).
pub(crate) const MAX_CONNECTIONS_PER_ADDRESS: usize = 16;
/// Requests handled at once by the whole node.
pub(crate) const MAX_REQUESTS_IN_FLIGHT: usize = 512;
/// Request bytes buffered at once by the whole node.
pub(crate) const REQUEST_BYTES_BUDGET: usize = 256 * 1024 * 1024;
/// How long a peer has to deliver a whole request once it opened the stream.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the node may take to work out an answer (transfers involve other nodes).
pub(crate) const HANDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a peer has to take a whole response.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Capacity reserved up front for a request body; larger bodies grow as their bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;
/// Stream error code for a response abandoned because the peer did not take it in time.
const STREAM_TIMED_OUT: VarInt = VarInt::from_u32(1);

/// The node-wide limits every connection draws on.
struct Limits {
    connections: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<SocketAddr, usize>>>,
    requests: Arc<Semaphore>,
    request_bytes: Arc<Semaphore>,
}

/// A connection's place in the limits, given back when dropped.
struct ConnectionSlot {
    _permit: OwnedSemaphorePermit,
    address: SocketAddr,
    per_address: Arc<Mutex<HashMap<SocketAddr, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = lock_counts(&self.per_address);
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

fn lock_counts(
    counts: &Mutex<HashMap<SocketAddr, usize>>,
) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, usize>> {
    // Counts are changed one at a time: a panic cannot leave one half-updated.
    counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Limits {
    fn new() -> Self {
        Self {
            connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            per_address: Arc::default(),
            requests: Arc::new(Semaphore::new(MAX_REQUESTS_IN_FLIGHT)),
            request_bytes: Arc::new(Semaphore::new(REQUEST_BYTES_BUDGET)),
        }
    }

    /// A place for a connection from `address`, if the limits allow one.
    fn admit(&self, address: SocketAddr) -> Option<ConnectionSlot> {
        let permit = Arc::clone(&self.connections).try_acquire_owned().ok()?;
        let mut counts = lock_counts(&self.per_address);
        let count = counts.entry(address).or_insert(0);
        if *count >= MAX_CONNECTIONS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            _permit: permit,
            address,
            per_address: Arc::clone(&self.per_address),
        })
    }
}

/// Serves connections arriving at `endpoint` until it is closed.
pub(crate) async fn accept_loop(endpoint: Endpoint, ctx: Arc<NodeContext>) {
    let limits = Arc::new(Limits::new());
    while let Some(incoming) = endpoint.accept().await {
        let remote = incoming.remote_address();
        match limits.admit(remote) {
            Some(slot) => {
                let span = tracing::debug_span!("connection", %remote);
                let (ctx, limits) = (Arc::clone(&ctx), Arc::clone(&limits));
                tokio::spawn(serve_connection(incoming, ctx, limits, slot).instrument(span));
            }
            None => {
                tracing::warn!(%remote, "connection limit reached, refusing");
                incoming.refuse();
            }
        }
    }
    tracing::debug!("endpoint closed, no longer accepting connections");
}

/// Serves the streams of one connection until it closes. `_slot` is its place in the
/// connection limits, given back when this returns.
async fn serve_connection(
    incoming: Incoming,
    ctx: Arc<NodeContext>,
    limits: Arc<Limits>,
    _slot: ConnectionSlot,
) {
    let connection = match incoming.await {
        Ok(connection) => connection,
        Err(e) => {
            tracing::debug!(error = %e, "handshake failed");
            return;
        }
    };
    // Proved by the TLS handshake: the peer holds the key of this node id.
    let peer = safe_tls::peer_node_id(connection.peer_identity());
    tracing::debug!(peer = ?peer.map(|id| hex::encode(id.0)), "connection established");
    loop {
        // Wait for room before taking the next stream, so an overloaded node stalls its peers
        // instead of buffering their requests.
        let permit = tokio::select! {
            permit = Arc::clone(&limits.requests).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = connection.closed() => return,
        };
        match connection.accept_bi().await {
            Ok((send, recv)) => {
                let span = tracing::debug_span!("stream", id = %send.id());
                let origin = Origin { id: peer, addr: connection.remote_address() };
                let stream =
                    serve_stream(send, recv, Arc::clone(&ctx), origin, Arc::clone(&limits), permit);
                tokio::spawn(stream.instrument(span));
            }
            Err(
                ConnectionError::ApplicationClosed(_)
                | ConnectionError::ConnectionClosed(_)
                | ConnectionError::LocallyClosed
                | ConnectionError::TimedOut,
            ) => {
                tracing::debug!("connection closed");
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "connection lost");
                return;
            }
        }
    }
}

/// Who sent a request.
#[derive(Debug, Clone, Copy)]
struct Origin {
    /// The node id the connection proved, if the peer presented a node certificate.
    id: Option<XorName>,
    /// The peer's address when the stream was opened.
    addr: SocketAddr,
}

/// Answers the one request of a stream. `_permit` is its place among the requests in flight.
async fn serve_stream(
    mut send: SendStream,
    mut recv: RecvStream,
    ctx: Arc<NodeContext>,
    origin: Origin,
    limits: Arc<Limits>,
    _permit: OwnedSemaphorePermit,
) {
    let read = read_request(&mut recv, &limits.request_bytes);
    // The budget reserved for the request body is kept until the answer is sent.
    let (response, _budget) = match tokio::time::timeout(READ_TIMEOUT, read).await {
        Ok(Ok((request, budget))) => {
            match tokio::time::timeout(
                HANDLE_TIMEOUT,
                service::handle(&ctx, origin.id, origin.addr, request),
            )
            .await
            {
                Ok(response) => (response, Some(budget)),
                Err(_) => {
                    tracing::warn!("request not handled in time");
                    let message = format!("no answer within {} s", HANDLE_TIMEOUT.as_secs());
                    (
                        Response::Error(ErrorResponse::new(ErrorKind::Unavailable, message)),
                        Some(budget),
                    )
                }
            }
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "bad request");
            match e.response() {
                Some(response) => (Response::Error(response), None),
                // The stream is gone: nobody to answer.
                None => return,
            }
        }
        Err(_) => {
            tracing::debug!("request not received in time");
            let message = format!("request not received within {} s", READ_TIMEOUT.as_secs());
            (Response::Error(ErrorResponse::new(ErrorKind::InvalidRequest, message)), None)
        }
    };
    // Anything the peer still sends is unwanted; dropping the receive half tells it to stop.
    drop(recv);
    let frame = match encode_response(&response) {
        Some(frame) => frame,
        None => {
            let _ = send.reset(VarInt::from_u32(0));
            return;
        }
    };
    drop(response);
    match tokio::time::timeout(WRITE_TIMEOUT, send.write_all(&frame)).await {
        Ok(Ok(())) => {
            // Only fails if the stream is already closed, in which case there is nothing to do.
            let _ = send.finish();
        }
        Ok(Err(e)) => tracing::debug!(error = %e, "response not delivered"),
        Err(_) => {
            tracing::debug!("response not taken in time");
            let _ = send.reset(STREAM_TIMED_OUT);
        }
    }
}

/// The frame of `response`, or of an error response if it cannot be encoded (a node bug).
fn encode_response(response: &Response) -> Option<Vec<u8>> {
    match wire::encode(response) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode response");
            let fallback = Response::Error(ErrorResponse::new(
                ErrorKind::Storage,
                "the node could not encode its response",
            ));
            wire::encode(&fallback).ok()
        }
    }
}

/// Why a request could not be read from its stream.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    /// The peer finished the stream without sending anything.
    #[error("empty request stream")]
    Empty,
    /// The peer finished the stream before the whole frame arrived.
    #[error("request ended after {received} of {expected} bytes")]
    Truncated {
        /// Frame bytes announced (prefix included).
        expected: usize,
        /// Frame bytes received.
        received: usize,
    },
    /// The length prefix or the frame itself is invalid.
    #[error(transparent)]
    Frame(#[from] WireError),
    /// The stream or connection failed (reset by the peer, connection lost).
    #[error("cannot read request: {0}")]
    Read(#[from] ReadError),
    /// The node is shutting down.
    #[error("the node is shutting down")]
    ShuttingDown,
}

impl RequestError {
    /// What to tell the peer, if its stream can still carry an answer.
    fn response(&self) -> Option<ErrorResponse> {
        let kind = match self {
            Self::Read(_) | Self::ShuttingDown => return None,
            Self::Frame(WireError::UnsupportedVersion(_)) => ErrorKind::UnsupportedVersion,
            Self::Empty | Self::Truncated { .. } | Self::Frame(_) => ErrorKind::InvalidRequest,
        };
        Some(ErrorResponse::new(kind, self.to_string()))
    }
}

/// Reads and decodes one request frame from `recv`, reserving its length from `budget` before
/// buffering the body.
async fn read_request(
    recv: &mut RecvStream,
    budget: &Arc<Semaphore>,
) -> Result<(Request, OwnedSemaphorePermit), RequestError> {
    let mut prefix = [0u8; wire::LENGTH_PREFIX];
    match recv.read_exact(&mut prefix).await {
        Ok(()) => {}
        Err(ReadExactError::FinishedEarly(0)) => return Err(RequestError::Empty),
        Err(ReadExactError::FinishedEarly(received)) => {
            return Err(RequestError::Truncated { expected: wire::LENGTH_PREFIX, received })
        }
        Err(ReadExactError::ReadError(e)) => return Err(e.into()),
    }
    // Checked before anything is reserved for the body.
    let expected = wire::LENGTH_PREFIX + wire::body_len(prefix)?;
    let reserved = u32::try_from(expected)
        .map_err(|_| WireError::TooLong { len: expected, max: wire::MAX_FRAME_BODY })?;
    let permit = Arc::clone(budget)
        .acquire_many_owned(reserved)
        .await
        .map_err(|_| RequestError::ShuttingDown)?;
    let mut frame = Vec::with_capacity(expected.min(wire::LENGTH_PREFIX + INITIAL_BODY_CAPACITY));
    frame.extend_from_slice(&prefix);
    while frame.len() < expected {
        match recv.read_chunk(expected - frame.len(), true).await? {
            Some(chunk) => frame.extend_from_slice(&chunk.bytes),
            None => return Err(RequestError::Truncated { expected, received: frame.len() }),
        }
    }
    Ok((wire::decode(&frame)?, permit))
}
