//! QUIC to the nodes, sans-IO: one quinn-proto endpoint per socket the caller lent, one
//! connection per node, one bidirectional stream per request.
//!
//! Who owns what: the transport owns every endpoint, connection and request in flight.
//! Operations (futures without a clock) only queue requests and wait for their outcome; the
//! driver calls [`Transport::flush`] and [`Transport::process`] with the current time to move
//! requests onto connections and connection events into outcomes, waking the waiting futures.
//!
//! A request's bytes follow the wire format of [`safe_types::wire`]: one frame each way, the
//! response buffered only up to the length its prefix announced (itself bounded).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use quinn_proto::{
    ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig, Event, MtuDiscoveryConfig,
    ReadError, StreamEvent, StreamId, TransportConfig, VarInt, WriteError,
};
use safe_types::wire::{self, Response, LENGTH_PREFIX};
use safe_types::XorName;
use tracing::{debug, warn};

/// How long a connection may stay silent before it is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a handshake may go unanswered before the node counts as unreachable. A node that
/// is up answers within a round trip (quinn retransmits a lost Initial within about a second,
/// so this leaves room for a few losses); waiting for the idle timeout instead would let one
/// address where nothing listens hold a `connect` up for 30 s, or its whole timeout.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Flow-control window of a response stream: a whole chunk frame fits.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
/// The largest UDP payload this client accepts (advertised to nodes).
const MAX_UDP_PAYLOAD: u16 = 65_527;
/// How large a datagram the client may try towards a node on the loopback interface. A host's
/// UDP socket (node:dgram) cannot forbid fragmentation, so path MTU discovery past the usual
/// 1452 bytes is only safe where nothing fragments; there, fewer and larger datagrams mean far
/// fewer crossings between the host and the component.
const LOOPBACK_MTU: u16 = 16_384;

/// Identifies a request while it is in flight.
pub(crate) type RequestId = u64;

/// Where to send a request: a node's address and, when known, the id it must prove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) id: Option<XorName>,
}

/// A node's answer, with the node id its TLS handshake proved.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) response: Response,
    pub(crate) node: XorName,
}

/// Why a request got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum RequestError {
    #[error("no socket of the right address family to reach {0}")]
    NoSocket(SocketAddr),
    #[error("could not connect to {addr}: {reason}")]
    Connect { addr: SocketAddr, reason: String },
    #[error("connection to {addr} lost: {reason}")]
    ConnectionLost { addr: SocketAddr, reason: String },
    #[error("{addr} sent a malformed response: {reason}")]
    Malformed { addr: SocketAddr, reason: String },
    #[error("{addr} refused the request stream")]
    Refused { addr: SocketAddr },
    #[error("the request could not be encoded: {0}")]
    Encode(String),
}

type ConnKey = (usize, ConnectionHandle);

struct Socket {
    local: SocketAddr,
    endpoint: Endpoint,
}

struct Conn {
    inner: quinn_proto::Connection,
    target: Target,
    /// The node id the handshake proved, once connected.
    peer: Option<XorName>,
    /// While handshaking: when to give the node up (see [`HANDSHAKE_TIMEOUT`]).
    handshake_deadline: Option<Instant>,
    /// Set once the connection is lost or closing: no new requests go on it.
    closed: bool,
    /// Requests waiting for a stream, in order.
    waiting: VecDeque<RequestId>,
    /// Requests on a stream.
    streams: HashMap<StreamId, RequestId>,
}

enum Phase {
    Queued,
    Waiting,
    Sending { key: ConnKey, stream: StreamId, written: usize },
    Receiving { key: ConnKey, stream: StreamId },
    Done,
}

struct PendingRequest {
    target: Target,
    frame: Bytes,
    phase: Phase,
    response: Vec<u8>,
    expected: Option<usize>,
    outcome: Option<Result<Reply, RequestError>>,
    waker: Option<Waker>,
}

/// Every endpoint, connection and request in flight.
pub(crate) struct Transport {
    sockets: Vec<Socket>,
    conns: HashMap<ConnKey, Conn>,
    /// The live connection to use for a target.
    routes: HashMap<Target, ConnKey>,
    /// Round-robin order of connections for sending.
    order: Vec<ConnKey>,
    cursor: usize,
    requests: HashMap<RequestId, PendingRequest>,
    queued: VecDeque<RequestId>,
    next_request: RequestId,
    /// Datagrams the endpoints answered directly (stateless resets, refusals).
    endpoint_transmits: VecDeque<(usize, SocketAddr, Vec<u8>)>,
    endpoint_config: Arc<EndpointConfig>,
    transport_config: Arc<TransportConfig>,
    /// As `transport_config`, with path MTU discovery up to [`LOOPBACK_MTU`].
    loopback_transport_config: Arc<TransportConfig>,
}

/// A datagram to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Index of the socket to send from (as returned by `add_socket`).
    pub socket: usize,
    /// Where to send it.
    pub destination: SocketAddr,
    /// How many bytes of the caller's buffer to send.
    pub size: usize,
}

impl Transport {
    pub(crate) fn new() -> Self {
        let mut endpoint_config = EndpointConfig::default();
        // A constant in range: cannot fail; keep quinn's default if it ever did.
        let _ = endpoint_config.max_udp_payload_size(MAX_UDP_PAYLOAD);
        Self {
            sockets: Vec::new(),
            conns: HashMap::new(),
            routes: HashMap::new(),
            order: Vec::new(),
            cursor: 0,
            requests: HashMap::new(),
            queued: VecDeque::new(),
            next_request: 0,
            endpoint_transmits: VecDeque::new(),
            endpoint_config: Arc::new(endpoint_config),
            transport_config: Arc::new(transport_config(None)),
            loopback_transport_config: Arc::new(transport_config(Some(LOOPBACK_MTU))),
        }
    }

    pub(crate) fn add_socket(&mut self, local: SocketAddr) -> usize {
        let endpoint = Endpoint::new(self.endpoint_config.clone(), None, true, None);
        self.sockets.push(Socket { local, endpoint });
        self.sockets.len() - 1
    }

    /// Queues a request frame; it goes on the wire at the next [`Self::flush`]. A frame that
    /// could not be encoded fails the request at once.
    pub(crate) fn enqueue(&mut self, target: Target, frame: Result<Bytes, String>) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        let (frame, phase, outcome) = match frame {
            Ok(frame) => (frame, Phase::Queued, None),
            Err(e) => (Bytes::new(), Phase::Done, Some(Err(RequestError::Encode(e)))),
        };
        if outcome.is_none() {
            self.queued.push_back(id);
        }
        self.requests.insert(
            id,
            PendingRequest {
                target,
                frame,
                phase,
                response: Vec::new(),
                expected: None,
                outcome,
                waker: None,
            },
        );
        id
    }

    /// The outcome of a request once there is one; otherwise remembers whom to wake.
    pub(crate) fn poll_request(
        &mut self,
        id: RequestId,
        waker: &Waker,
    ) -> Option<Result<Reply, RequestError>> {
        let request = self.requests.get_mut(&id)?;
        match request.outcome.take() {
            Some(outcome) => {
                self.requests.remove(&id);
                Some(outcome)
            }
            None => {
                request.waker = Some(waker.clone());
                None
            }
        }
    }

    /// Forgets a request nobody waits for any more, stopping its stream.
    pub(crate) fn abandon(&mut self, id: RequestId) {
        let Some(request) = self.requests.remove(&id) else { return };
        if let Phase::Sending { key, stream, .. } | Phase::Receiving { key, stream } = request.phase
        {
            if let Some(conn) = self.conns.get_mut(&key) {
                conn.streams.remove(&stream);
                let _ = conn.inner.send_stream(stream).reset(VarInt::from_u32(0));
                let _ = conn.inner.recv_stream(stream).stop(VarInt::from_u32(0));
            }
        }
    }

    /// Passes a datagram that arrived on `socket` to its endpoint and connection.
    pub(crate) fn handle_datagram(
        &mut self,
        now: Instant,
        socket: usize,
        remote: SocketAddr,
        data: BytesMut,
    ) {
        let Some(s) = self.sockets.get_mut(socket) else {
            warn!(socket, "datagram for an unknown socket dropped");
            return;
        };
        let mut buf = Vec::new();
        match s.endpoint.handle(now, remote, None, None, data, &mut buf) {
            Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                if let Some(conn) = self.conns.get_mut(&(socket, handle)) {
                    conn.inner.handle_event(event);
                }
            }
            Some(DatagramEvent::Response(transmit)) => {
                buf.truncate(transmit.size);
                self.endpoint_transmits.push_back((socket, transmit.destination, buf));
            }
            Some(DatagramEvent::NewConnection(incoming)) => {
                // A client accepts no connections.
                let transmit = s.endpoint.refuse(incoming, &mut buf);
                buf.truncate(transmit.size);
                self.endpoint_transmits.push_back((socket, transmit.destination, buf));
            }
            None => {}
        }
    }

    /// Lets connections whose timer expired act on it, and gives up handshakes that went
    /// unanswered for [`HANDSHAKE_TIMEOUT`].
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let mut unanswered = Vec::new();
        for (key, conn) in &mut self.conns {
            if conn.inner.poll_timeout().is_some_and(|t| t <= now) {
                conn.inner.handle_timeout(now);
            }
            if conn.handshake_deadline.is_some_and(|t| t <= now) && !conn.closed {
                conn.handshake_deadline = None;
                conn.inner.close(now, VarInt::from_u32(0), Bytes::from_static(b"no handshake"));
                unanswered.push(*key);
            }
        }
        for key in unanswered {
            let Some(conn) = self.conns.get(&key) else { continue };
            let addr = conn.target.addr;
            debug!(%addr, "handshake unanswered");
            let reason = format!(
                "no answer within {} s (is a node listening there?)",
                HANDSHAKE_TIMEOUT.as_secs()
            );
            self.fail_conn(key, RequestError::Connect { addr, reason });
        }
    }

    /// The next time a connection needs [`Self::handle_timeout`].
    pub(crate) fn poll_timeout(&mut self) -> Option<Instant> {
        self.conns
            .values_mut()
            .flat_map(|c| [c.inner.poll_timeout(), c.handshake_deadline])
            .flatten()
            .min()
    }

    /// Puts queued requests on connections, connecting to nodes where needed.
    pub(crate) fn flush(&mut self, now: Instant) {
        while let Some(id) = self.queued.pop_front() {
            let Some(request) = self.requests.get(&id) else { continue };
            let target = request.target;
            let key = match self.route(now, target) {
                Ok(key) => key,
                Err(e) => {
                    self.finish(id, Err(e));
                    continue;
                }
            };
            if let Some(r) = self.requests.get_mut(&id) {
                r.phase = Phase::Waiting;
            }
            if let Some(conn) = self.conns.get_mut(&key) {
                conn.waiting.push_back(id);
            }
            self.open_streams(key);
        }
    }

    /// Moves connection events into request outcomes, waking the futures that wait on them.
    pub(crate) fn process(&mut self, now: Instant) {
        let keys: Vec<ConnKey> = self.conns.keys().copied().collect();
        for key in keys {
            self.process_conn(key);
        }
        // Requests that lost their connection before being sent may be queued again.
        self.flush(now);
    }

    /// The next datagram to send, written into `buf`.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some((socket, destination, data)) = self.endpoint_transmits.pop_front() {
            buf.clear();
            buf.extend_from_slice(&data);
            return Some(Transmit { socket, destination, size: data.len() });
        }
        let n = self.order.len();
        for i in 0..n {
            let key = self.order[(self.cursor + i) % n];
            let Some(conn) = self.conns.get_mut(&key) else { continue };
            buf.clear();
            if let Some(t) = conn.inner.poll_transmit(now, 1, buf) {
                self.cursor = (self.cursor + i + 1) % n;
                return Some(Transmit { socket: key.0, destination: t.destination, size: t.size });
            }
        }
        None
    }

    /// Closes every connection, telling the nodes; requests still in flight fail.
    pub(crate) fn close_all(&mut self, now: Instant) {
        for conn in self.conns.values_mut() {
            conn.closed = true;
            conn.inner.close(now, VarInt::from_u32(0), Bytes::from_static(b"client closed"));
        }
        self.routes.clear();
    }

    /// The number of connections that are open or closing.
    pub(crate) fn connection_count(&self) -> usize {
        self.conns.len()
    }

    fn route(&mut self, now: Instant, target: Target) -> Result<ConnKey, RequestError> {
        if let Some(key) = self.routes.get(&target) {
            if self.conns.get(key).is_some_and(|c| !c.closed) {
                return Ok(*key);
            }
        }
        let socket = self
            .sockets
            .iter()
            .position(|s| s.local.is_ipv4() == target.addr.is_ipv4())
            .ok_or(RequestError::NoSocket(target.addr))?;
        let connect_err =
            |reason: String| RequestError::Connect { addr: target.addr, reason: reason.clone() };
        let crypto =
            safe_tls::client_crypto(target.id, None).map_err(|e| connect_err(e.to_string()))?;
        let mut config = quinn_proto::ClientConfig::new(Arc::new(crypto));
        config.transport_config(if target.addr.ip().is_loopback() {
            self.loopback_transport_config.clone()
        } else {
            self.transport_config.clone()
        });
        let (handle, inner) = self.sockets[socket]
            .endpoint
            .connect(now, config, target.addr, safe_tls::SERVER_NAME)
            .map_err(|e| connect_err(e.to_string()))?;
        debug!(addr = %target.addr, "connecting");
        let key = (socket, handle);
        self.conns.insert(
            key,
            Conn {
                inner,
                target,
                peer: None,
                handshake_deadline: now.checked_add(HANDSHAKE_TIMEOUT),
                closed: false,
                waiting: VecDeque::new(),
                streams: HashMap::new(),
            },
        );
        self.order.push(key);
        self.routes.insert(target, key);
        Ok(key)
    }

    fn process_conn(&mut self, key: ConnKey) {
        loop {
            let Some(conn) = self.conns.get_mut(&key) else { return };
            let mut progressed = false;
            while let Some(event) = conn.inner.poll_endpoint_events() {
                progressed = true;
                if let Some(event) = self.sockets[key.0].endpoint.handle_event(key.1, event) {
                    conn.inner.handle_event(event);
                }
            }
            let Some(conn) = self.conns.get_mut(&key) else { return };
            let Some(event) = conn.inner.poll() else {
                if !progressed {
                    break;
                }
                continue;
            };
            match event {
                Event::Connected => {
                    conn.handshake_deadline = None;
                    conn.peer = safe_tls::peer_node_id(conn.inner.crypto_session().peer_identity());
                    debug!(addr = %conn.target.addr, "connected");
                    if let Some(peer) = conn.peer {
                        // Later requests that name this node by id may use this connection.
                        let pinned = Target { addr: conn.target.addr, id: Some(peer) };
                        self.routes.entry(pinned).or_insert(key);
                    }
                    self.open_streams(key);
                }
                Event::ConnectionLost { reason } => {
                    let addr = conn.target.addr;
                    debug!(%addr, %reason, "connection lost");
                    let reason = if conn.inner.is_handshaking() || conn.peer.is_none() {
                        RequestError::Connect { addr, reason: reason.to_string() }
                    } else {
                        RequestError::ConnectionLost { addr, reason: reason.to_string() }
                    };
                    self.fail_conn(key, reason);
                }
                Event::Stream(StreamEvent::Readable { id }) => self.read(key, id),
                Event::Stream(StreamEvent::Writable { id }) => self.write(key, id),
                Event::Stream(StreamEvent::Available { dir: Dir::Bi }) => self.open_streams(key),
                Event::Stream(StreamEvent::Stopped { id, .. }) => {
                    // A node stops reading once it has the whole request; that matters only if
                    // part of the request is still unsent.
                    let Some(&request) = conn.streams.get(&id) else { continue };
                    let sending = self
                        .requests
                        .get(&request)
                        .is_some_and(|r| matches!(r.phase, Phase::Sending { .. }));
                    if sending {
                        conn.streams.remove(&id);
                        let addr = conn.target.addr;
                        self.finish(request, Err(RequestError::Refused { addr }));
                    }
                }
                Event::Stream(StreamEvent::Opened { dir }) => {
                    // Nodes may not open streams; refuse any that appear.
                    while let Some(id) = conn.inner.streams().accept(dir) {
                        let _ = conn.inner.recv_stream(id).stop(VarInt::from_u32(0));
                    }
                }
                Event::Stream(_)
                | Event::HandshakeDataReady
                | Event::DatagramReceived
                | Event::DatagramsUnblocked => {}
            }
        }
        if self.conns.get(&key).is_some_and(|c| c.inner.is_drained()) {
            self.conns.remove(&key);
            self.order.retain(|k| *k != key);
            self.routes.retain(|_, k| *k != key);
        }
    }

    /// Takes a connection out of use and fails every request on it with `reason`.
    fn fail_conn(&mut self, key: ConnKey, reason: RequestError) {
        let Some(conn) = self.conns.get_mut(&key) else { return };
        conn.closed = true;
        conn.handshake_deadline = None;
        let failed: Vec<RequestId> =
            conn.waiting.drain(..).chain(conn.streams.drain().map(|(_, r)| r)).collect();
        self.routes.retain(|_, k| *k != key);
        for id in failed {
            self.finish(id, Err(reason.clone()));
        }
    }

    fn open_streams(&mut self, key: ConnKey) {
        loop {
            let Some(conn) = self.conns.get_mut(&key) else { return };
            if conn.inner.is_handshaking() || conn.closed {
                return;
            }
            let Some(&id) = conn.waiting.front() else { return };
            if !self.requests.contains_key(&id) {
                conn.waiting.pop_front();
                continue;
            }
            let Some(stream) = conn.inner.streams().open(Dir::Bi) else { return };
            conn.waiting.pop_front();
            conn.streams.insert(stream, id);
            if let Some(r) = self.requests.get_mut(&id) {
                r.phase = Phase::Sending { key, stream, written: 0 };
            }
            self.write(key, stream);
        }
    }

    fn write(&mut self, key: ConnKey, stream: StreamId) {
        let Some(conn) = self.conns.get_mut(&key) else { return };
        let Some(&id) = conn.streams.get(&stream) else { return };
        let Some(request) = self.requests.get_mut(&id) else { return };
        let Phase::Sending { written, .. } = &mut request.phase else { return };
        let mut send = conn.inner.send_stream(stream);
        while *written < request.frame.len() {
            match send.write(&request.frame[*written..]) {
                Ok(n) => *written += n,
                Err(WriteError::Blocked) => return,
                Err(_) => {
                    let addr = conn.target.addr;
                    conn.streams.remove(&stream);
                    self.finish(id, Err(RequestError::Refused { addr }));
                    return;
                }
            }
        }
        let _ = send.finish();
        request.phase = Phase::Receiving { key, stream };
    }

    fn read(&mut self, key: ConnKey, stream: StreamId) {
        let Some(conn) = self.conns.get_mut(&key) else { return };
        let addr = conn.target.addr;
        let peer = conn.peer;
        let Some(&id) = conn.streams.get(&stream) else {
            let _ = conn.inner.recv_stream(stream).stop(VarInt::from_u32(0));
            return;
        };
        let Some(request) = self.requests.get_mut(&id) else { return };
        let mut recv = conn.inner.recv_stream(stream);
        let Ok(mut chunks) = recv.read(true) else { return };
        let malformed = |reason: String| RequestError::Malformed { addr, reason };
        let result: Option<Result<Reply, RequestError>> = loop {
            match chunks.next(usize::MAX) {
                Ok(Some(chunk)) => {
                    request.response.extend_from_slice(&chunk.bytes);
                    if let Err(e) = check_length(request) {
                        break Some(Err(malformed(e)));
                    }
                }
                Ok(None) => {
                    let decoded = wire::decode::<Response>(&request.response)
                        .map_err(|e| malformed(e.to_string()))
                        .and_then(|response| match peer {
                            Some(node) => Ok(Reply { response, node }),
                            None => Err(malformed("no node identity after handshake".into())),
                        });
                    break Some(decoded);
                }
                Err(ReadError::Blocked) => break None,
                Err(ReadError::Reset(code)) => {
                    break Some(Err(malformed(format!("stream reset with code {code}"))))
                }
            }
        };
        let _ = chunks.finalize();
        if let Some(result) = result {
            if result.is_err() {
                let _ = conn.inner.recv_stream(stream).stop(VarInt::from_u32(0));
            }
            conn.streams.remove(&stream);
            self.finish(id, result);
        }
    }

    fn finish(&mut self, id: RequestId, outcome: Result<Reply, RequestError>) {
        if let Some(request) = self.requests.get_mut(&id) {
            request.phase = Phase::Done;
            request.response = Vec::new();
            request.outcome = Some(outcome);
            if let Some(waker) = request.waker.take() {
                waker.wake();
            }
        }
    }
}

/// The transport settings of a connection to a node; `mtu` raises the bound of path MTU
/// discovery above quinn's default.
fn transport_config(mtu: Option<u16>) -> TransportConfig {
    let mut transport = TransportConfig::default();
    transport
        .max_idle_timeout(Some(VarInt::from_u32(IDLE_TIMEOUT.as_millis() as u32).into()))
        .stream_receive_window(VarInt::from_u32(STREAM_WINDOW))
        // Nodes never open streams towards a client.
        .max_concurrent_bidi_streams(VarInt::from_u32(0))
        .max_concurrent_uni_streams(VarInt::from_u32(0));
    if let Some(upper_bound) = mtu {
        let mut mtud = MtuDiscoveryConfig::default();
        mtud.upper_bound(upper_bound);
        transport.mtu_discovery_config(Some(mtud));
    }
    transport
}

/// Checks a response being received against the length its prefix announced.
fn check_length(request: &mut PendingRequest) -> Result<(), String> {
    if request.expected.is_none() && request.response.len() >= LENGTH_PREFIX {
        let mut prefix = [0u8; LENGTH_PREFIX];
        prefix.copy_from_slice(&request.response[..LENGTH_PREFIX]);
        let body = wire::body_len(prefix).map_err(|e| e.to_string())?;
        request.expected = Some(LENGTH_PREFIX + body);
    }
    match request.expected {
        Some(expected) if request.response.len() > expected => {
            Err(format!("response is longer than the {expected} bytes its prefix announced"))
        }
        _ => Ok(()),
    }
}
