//! The node's QUIC server: accepts connections, reads one framed request per bidirectional
//! stream, has the [`Service`] answer it and writes one framed response back.
//!
//! Who owns what: the accept loop owns a handle to the endpoint and spawns one task per
//! connection; each connection task spawns one task per bidirectional stream. All of them share
//! the [`Service`] through an `Arc` and nothing else, so a slow or stalled stream only ever holds up
//! its own task. A stream task ends after its response is written, when its stream or connection
//! fails, or at the latest after [`READ_TIMEOUT`] plus [`WRITE_TIMEOUT`]. Closing the endpoint ends
//! the accept loop and, through the connections closing, every other task.
//!
//! What a peer can make the node hold is bounded: at most [`MAX_CONNECTIONS`] connections, at most
//! [`MAX_STREAMS_PER_CONNECTION`] open streams each, and a request body is buffered only as its
//! bytes arrive, up to a length that was checked against [`wire::MAX_FRAME_BODY`] first.

use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::QuicServerConfig;
use quinn::{
    ConnectionError, Endpoint, IdleTimeout, Incoming, ReadError, ReadExactError, RecvStream,
    SendStream, ServerConfig, TransportConfig, VarInt,
};
use safe_types::wire::{self, ErrorKind, ErrorResponse, Request, Response, WireError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::service::Service;

/// Connections served at once; further ones are refused until one closes.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Requests in flight on one connection (each is a bidirectional stream).
pub(crate) const MAX_STREAMS_PER_CONNECTION: u32 = 128;
/// A connection with no traffic for this long is closed; an idle client reconnects when needed.
const IDLE_TIMEOUT_MS: u32 = 30_000;
/// Per-stream receive window: a whole maximal request frame fits, so a client can send a full
/// chunk without waiting for the node to read.
const STREAM_RECEIVE_WINDOW: u32 = 2 * 1024 * 1024;
/// Per-connection receive window: bounds the unread data a connection can park in the node.
const CONNECTION_RECEIVE_WINDOW: u32 = 8 * 1024 * 1024;
/// Per-connection send window: room for a few full chunk responses in flight.
const SEND_WINDOW: u64 = 8 * 1024 * 1024;
/// How long a peer has to deliver a whole request once it opened the stream.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a peer has to take a whole response.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Capacity reserved up front for a request body; larger bodies grow as their bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;
/// Stream error code for a response abandoned because the peer did not take it in time.
const STREAM_TIMED_OUT: VarInt = VarInt::from_u32(1);

/// The QUIC server configuration: `crypto` plus the transport limits above.
pub(crate) fn server_config(crypto: QuicServerConfig) -> ServerConfig {
    let mut transport = TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(VarInt::from_u32(MAX_STREAMS_PER_CONNECTION))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .max_idle_timeout(Some(IdleTimeout::from(VarInt::from_u32(IDLE_TIMEOUT_MS))))
        .stream_receive_window(VarInt::from_u32(STREAM_RECEIVE_WINDOW))
        .receive_window(VarInt::from_u32(CONNECTION_RECEIVE_WINDOW))
        .send_window(SEND_WINDOW);
    let mut config = ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    config
}

/// Serves connections arriving at `endpoint` until it is closed.
pub(crate) async fn accept_loop(endpoint: Endpoint, service: Arc<Service>) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    while let Some(incoming) = endpoint.accept().await {
        match Arc::clone(&connections).try_acquire_owned() {
            Ok(permit) => {
                let span = tracing::debug_span!("connection", remote = %incoming.remote_address());
                tokio::spawn(
                    serve_connection(incoming, Arc::clone(&service), permit).instrument(span),
                );
            }
            Err(_) => {
                tracing::warn!(remote = %incoming.remote_address(), "connection limit reached, refusing");
                incoming.refuse();
            }
        }
    }
    tracing::debug!("endpoint closed, no longer accepting connections");
}

/// Serves the streams of one connection until it closes. `_permit` is its place in the
/// connection limit, given back when this returns.
async fn serve_connection(
    incoming: Incoming,
    service: Arc<Service>,
    _permit: OwnedSemaphorePermit,
) {
    let connection = match incoming.await {
        Ok(connection) => connection,
        Err(e) => {
            tracing::debug!(error = %e, "handshake failed");
            return;
        }
    };
    tracing::debug!("connection established");
    loop {
        match connection.accept_bi().await {
            Ok((send, recv)) => {
                let span = tracing::debug_span!("stream", id = %send.id());
                tokio::spawn(serve_stream(send, recv, Arc::clone(&service)).instrument(span));
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

/// Answers the one request of a stream.
async fn serve_stream(mut send: SendStream, mut recv: RecvStream, service: Arc<Service>) {
    let response = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut recv)).await {
        Ok(Ok(request)) => service.handle(request).await,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "bad request");
            match e.response() {
                Some(response) => Response::Error(response),
                // The stream is gone: nobody to answer.
                None => return,
            }
        }
        Err(_) => {
            tracing::debug!("request not received in time");
            Response::Error(ErrorResponse::new(
                ErrorKind::InvalidRequest,
                format!("request not received within {} s", READ_TIMEOUT.as_secs()),
            ))
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
}

impl RequestError {
    /// What to tell the peer, if its stream can still carry an answer.
    fn response(&self) -> Option<ErrorResponse> {
        let kind = match self {
            Self::Read(_) => return None,
            Self::Frame(WireError::UnsupportedVersion(_)) => ErrorKind::UnsupportedVersion,
            Self::Empty | Self::Truncated { .. } | Self::Frame(_) => ErrorKind::InvalidRequest,
        };
        Some(ErrorResponse::new(kind, self.to_string()))
    }
}

/// Reads and decodes one request frame from `recv`.
async fn read_request(recv: &mut RecvStream) -> Result<Request, RequestError> {
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
    let mut frame = Vec::with_capacity(expected.min(wire::LENGTH_PREFIX + INITIAL_BODY_CAPACITY));
    frame.extend_from_slice(&prefix);
    while frame.len() < expected {
        match recv.read_chunk(expected - frame.len(), true).await? {
            Some(chunk) => frame.extend_from_slice(&chunk.bytes),
            None => return Err(RequestError::Truncated { expected, received: frame.len() }),
        }
    }
    Ok(wire::decode(&frame)?)
}
