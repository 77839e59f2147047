//! Node-to-node requests: the node's own endpoint acting as a QUIC client toward its peers,
//! presenting the node's certificate (so the peer knows which node asks) and pinning the peer's
//! id.
//!
//! Who owns what: [`Peers`] keeps at most one cached connection per peer id, each behind its own
//! async mutex that is held only while checking or (re)establishing that connection, so callers
//! to different peers never wait for each other and concurrent callers to one peer share one
//! handshake. Requests then run on their own stream without any lock. Every call is bounded by a
//! timeout (handshake included), so a slow or dead peer costs a caller at most that long. A
//! connection that turns out to be closed (the peer restarted and answered with a stateless
//! reset, or idled out) is replaced once within the same call. Entries of peers that left the
//! network are dropped by [`Peers::retain`].

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quinn::{ClientConfig, Connection, ConnectionError, Endpoint, TransportConfig, VarInt};
use safe_tls::{NodeCertificate, SERVER_NAME};
use safe_types::wire::{self, Request, Response, WireError};
use safe_types::{NodeInfo, XorName};

use crate::quic;

/// Application close code of a connection the node no longer needs.
const DONE_CODE: u32 = 0;

/// Why a node-to-node request got no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    /// No answer within the time allowed.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The TLS client configuration could not be built.
    #[error("cannot configure TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The connection could not be started (bad address, endpoint closed).
    #[error("cannot connect: {0}")]
    Connect(#[from] quinn::ConnectError),
    /// The handshake or the connection failed.
    #[error("connection failed: {0}")]
    Connection(#[from] ConnectionError),
    /// The request could not be sent.
    #[error("cannot send the request: {0}")]
    Write(#[from] quinn::WriteError),
    /// The stream was closed before the request was finished.
    #[error("cannot finish the request: {0}")]
    Closed(#[from] quinn::ClosedStream),
    /// The answer could not be read.
    #[error("cannot read the answer: {0}")]
    Read(#[from] quinn::ReadToEndError),
    /// The request could not be encoded or the answer decoded.
    #[error("bad frame: {0}")]
    Frame(#[from] WireError),
}

impl CallError {
    /// Whether the cached connection is unusable, so a fresh one may do better.
    fn connection_lost(&self) -> bool {
        matches!(
            self,
            Self::Connection(_)
                | Self::Write(quinn::WriteError::ConnectionLost(_))
                | Self::Read(quinn::ReadToEndError::Read(quinn::ReadError::ConnectionLost(_)))
        )
    }
}

/// One peer's cached connection.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// The node's requests to other nodes.
pub(crate) struct Peers {
    endpoint: Endpoint,
    certificate: NodeCertificate,
    transport: Arc<TransportConfig>,
    timeout: Duration,
    connections: Mutex<HashMap<XorName, Slot>>,
}

impl Peers {
    /// Requests through `endpoint`, as the node holding `certificate`, each bounded by `timeout`.
    pub(crate) fn new(endpoint: Endpoint, certificate: NodeCertificate, timeout: Duration) -> Self {
        Self {
            endpoint,
            certificate,
            transport: Arc::new(quic::outbound_transport()),
            timeout,
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `request` to `peer` and returns its answer, within the default timeout.
    pub(crate) async fn call(
        &self,
        peer: &NodeInfo,
        request: &Request,
    ) -> Result<Response, CallError> {
        self.call_within(peer, request, self.timeout).await
    }

    /// Sends `request` to `peer` and returns its answer, within `limit`.
    pub(crate) async fn call_within(
        &self,
        peer: &NodeInfo,
        request: &Request,
        limit: Duration,
    ) -> Result<Response, CallError> {
        let frame = wire::encode(request)?;
        // Connecting is bounded by the default timeout even when the answer may take longer, so
        // an unreachable peer is given up on as soon as for any other request.
        let connect = || async {
            tokio::time::timeout(self.timeout, self.connection(peer))
                .await
                .map_err(|_| CallError::Timeout(self.timeout))?
        };
        let attempt = async {
            let connection = connect().await?;
            match exchange(&connection, &frame).await {
                Err(e) if e.connection_lost() => {
                    tracing::debug!(peer = %hex::encode(peer.id.0), error = %e, "reconnecting");
                    self.forget(&peer.id, &connection).await;
                    let connection = connect().await?;
                    exchange(&connection, &frame).await
                }
                other => other,
            }
        };
        tokio::time::timeout(limit, attempt).await.map_err(|_| CallError::Timeout(limit))?
    }

    /// Sends `request` over a connection of its own to the node at `addr` (whose id must be
    /// `expected`, if given), and returns the id it proved and its answer. For bootstrap contacts,
    /// whose id may not be known yet.
    pub(crate) async fn call_contact(
        &self,
        addr: SocketAddr,
        expected: Option<XorName>,
        request: &Request,
    ) -> Result<(Option<XorName>, Response), CallError> {
        let frame = wire::encode(request)?;
        let attempt = async {
            let connection = self.connect(addr, expected).await?;
            let id = safe_tls::peer_node_id(connection.peer_identity());
            let answer = exchange(&connection, &frame).await;
            connection.close(VarInt::from_u32(DONE_CODE), b"done");
            Ok((id, answer?))
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .map_err(|_| CallError::Timeout(self.timeout))?
    }

    /// Forgets the connections of peers not in `keep`, closing them.
    pub(crate) fn retain(&self, keep: &HashSet<XorName>) {
        let mut connections = self.lock();
        connections.retain(|id, slot| {
            let kept = keep.contains(id);
            if !kept {
                if let Ok(mut cached) = slot.try_lock() {
                    if let Some(connection) = cached.take() {
                        connection.close(VarInt::from_u32(DONE_CODE), b"left the network");
                    }
                }
            }
            kept
        });
    }

    /// A live connection to `peer`, reusing the cached one if it is still open and to the
    /// peer's current address.
    async fn connection(&self, peer: &NodeInfo) -> Result<Connection, CallError> {
        let slot = Arc::clone(self.lock().entry(peer.id).or_default());
        let mut cached = slot.lock().await;
        if let Some(connection) = cached.as_ref() {
            if connection.close_reason().is_none() && connection.remote_address() == peer.addr {
                return Ok(connection.clone());
            }
        }
        let connection = self.connect(peer.addr, Some(peer.id)).await?;
        *cached = Some(connection.clone());
        Ok(connection)
    }

    /// Drops `connection` from the cache if it is still the cached one for `id`.
    async fn forget(&self, id: &XorName, connection: &Connection) {
        let slot = self.lock().get(id).cloned();
        if let Some(slot) = slot {
            let mut cached = slot.lock().await;
            if cached.as_ref().is_some_and(|c| c.stable_id() == connection.stable_id()) {
                *cached = None;
            }
        }
    }

    async fn connect(
        &self,
        addr: SocketAddr,
        expected: Option<XorName>,
    ) -> Result<Connection, CallError> {
        let crypto = safe_tls::client_crypto(expected, Some(self.certificate.clone()))?;
        let mut config = ClientConfig::new(Arc::new(crypto));
        config.transport_config(Arc::clone(&self.transport));
        Ok(self.endpoint.connect_with(config, addr, SERVER_NAME)?.await?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<XorName, Slot>> {
        // Only whole entries are inserted or removed, so a panic cannot leave a torn map.
        self.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Sends one request frame on a new stream of `connection` and reads the answer.
async fn exchange(connection: &Connection, frame: &[u8]) -> Result<Response, CallError> {
    let (mut send, mut recv) = connection.open_bi().await?;
    send.write_all(frame).await?;
    send.finish()?;
    let answer = recv.read_to_end(wire::MAX_FRAME).await?;
    Ok(wire::decode(&answer)?)
}
