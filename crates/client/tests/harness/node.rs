//! [`TestNode`]: an in-memory Safe node for the client's tests.
//!
//! A quinn-proto server endpoint with the same TLS identity a real node has (a self-signed
//! certificate carrying its ed25519 key, TLS 1.3 only, the Safe ALPN), a chunk store in a
//! `HashMap`, and a request handler speaking `safe_types::wire`: read one request frame per
//! bidirectional stream until FIN (bounded by `wire::MAX_FRAME`), answer one frame, finish.
//!
//! It does no I/O and never reads the clock: the simulation ([`super::Sim`]) hands it datagrams
//! and the time, and takes its datagrams away. Misbehaviour is chosen per node with
//! [`Behaviour`]; everything the node sees is written to its [`log`](TestNode::log) with the
//! virtual time, so tests can assert on what reached the node and in which order.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use quinn_proto::crypto::rustls::QuicServerConfig;
use quinn_proto::{
    ConnectionError, ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig, Event,
    ReadError, ServerConfig, StreamEvent, StreamId, TransportConfig, VarInt, WriteError,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use safe_client::safe_types::account::{Account, AccountError, Credit};
use safe_client::safe_types::keys::{Keypair, PublicKey, Signature};
use safe_client::safe_types::register::{Register, RegisterAddress, RegisterError};
use safe_client::safe_types::wire::{self, ErrorKind, ErrorResponse, Request, Response, WireError};
use safe_client::safe_types::{Chunk, ChunkReceipt, NetworkMap, NodeInfo, XorName};

/// The DNS name in node certificates, as `crates/node/src/identity.rs` writes it.
const CERTIFICATE_NAME: &str = "safe-node";

/// How a node is set up: transport limits (the real node's by default), ALPN and certificate.
#[derive(Debug, Clone)]
pub(crate) struct NodeOptions {
    /// Requests in flight per connection (`crates/node`: 128).
    pub(crate) max_streams: u32,
    /// Receive window of each request stream (`crates/node`: 2 MiB).
    pub(crate) stream_window: u32,
    /// The application protocol the node speaks.
    pub(crate) alpn: Vec<u8>,
    /// Which key the certificate carries.
    pub(crate) certificate: CertificateKey,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            max_streams: 128,
            stream_window: 2 * 1024 * 1024,
            alpn: wire::ALPN.to_vec(),
            certificate: CertificateKey::NodeKey,
        }
    }
}

/// The key in a node's TLS certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CertificateKey {
    /// The node's ed25519 key, as a real node does.
    NodeKey,
    /// A fresh ECDSA P-256 key: not a Safe node identity at all.
    EcdsaP256,
}

/// Answers that break the wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadAnswer {
    /// Bytes that are not a frame.
    NotAFrame,
    /// A length prefix announcing 4 GiB, followed by a little data (never finished).
    HugePrefix,
    /// A well-formed frame of the wrong kind: `Stored` with a zero address, whatever was asked.
    WrongKind,
    /// Resets the answer stream instead of answering.
    Reset,
}

/// How a network map can lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapLie {
    /// The node's own entry carries an id that is not the hash of its key.
    WrongId,
    /// The node leaves itself out of the map.
    OmitSelf,
}

/// What a node does wrong (all off by default: an honest node).
#[derive(Debug, Clone, Default)]
pub(crate) struct Behaviour {
    /// Answers `GetChunk` with content whose first byte is flipped.
    pub(crate) alter_chunks: bool,
    /// Reads requests (and logs them) but never answers; the stream stays open.
    pub(crate) swallow_requests: bool,
    /// Answers `NetworkMap` with a forged map.
    pub(crate) map_lie: Option<MapLie>,
    /// Drops every datagram in and out, as if the machine were unplugged.
    pub(crate) silent: bool,
    /// Thinks this long (virtual time) before each answer.
    pub(crate) answer_delay: Duration,
    /// Answers every request with this instead of the right answer.
    pub(crate) bad_answer: Option<BadAnswer>,
    /// Answers `ReplicateChunk` claiming every holder's copy, with receipts it signed itself
    /// (it stores only its own copy).
    pub(crate) forge_receipts: bool,
    /// Bends every answer at random, from this seed: the right answer or another kind of
    /// answer (any `Response` variant it has sent or can make), then flipped, cut, padded,
    /// spliced and re-prefixed (see [`TestNode::bend`]). A hostile node, for fuzzing.
    pub(crate) hostile: Option<u64>,
    /// Answers `HasChunks` claiming every chunk asked about and one it was not asked about.
    pub(crate) overclaim: bool,
}

/// What a request asked, without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    NetworkMap,
    GetChunk(XorName),
    /// The address the content hashes to.
    PutChunk(XorName),
    /// A put the node is asked to forward to the other holders (the address of the content).
    /// This test node stores its own copy only, as a node whose peers are out of reach.
    ReplicateChunk(XorName),
    /// The frame could not be decoded.
    Undecodable,
    /// A request about a register.
    Register(RegisterAddress),
    /// A request about an account.
    Account(PublicKey),
    /// Which of this many chunks the node holds.
    HasChunks(usize),
    /// A request this test node does not serve.
    Unsupported,
}

/// Something the node saw or did, for tests to assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeEvent {
    /// A client's handshake completed.
    Connected(ConnectionHandle),
    /// A whole request frame arrived.
    Request { conn: ConnectionHandle, stream: StreamId, asked: Asked },
    /// The answer to a request was handed to QUIC (and the stream finished).
    Answered { conn: ConnectionHandle, stream: StreamId, asked: Asked },
    /// The client reset a request stream before the frame was complete.
    RequestReset { conn: ConnectionHandle, stream: StreamId },
    /// The client stopped reading an answer stream (it no longer wants the answer).
    AnswerStopped { conn: ConnectionHandle, stream: StreamId },
    /// A connection ended, and why.
    ConnectionLost { conn: ConnectionHandle, reason: ConnectionError },
}

/// What goes back on an answer stream.
enum Reply {
    Frame(Response),
    Raw { bytes: Bytes, finish: bool },
    Reset,
}

/// An answer waiting for its time (see [`Behaviour::answer_delay`]).
struct PendingAnswer {
    due: Instant,
    conn: ConnectionHandle,
    stream: StreamId,
    asked: Asked,
    reply: Reply,
}

/// One client connection and its streams.
struct NodeConn {
    inner: quinn_proto::Connection,
    /// Request frames being received, by stream.
    requests: HashMap<StreamId, Vec<u8>>,
    /// Answers being sent: the bytes, how much is written, whether to finish after.
    answers: HashMap<StreamId, (Bytes, usize, bool)>,
}

/// An in-memory node (see the module docs).
pub(crate) struct TestNode {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Its id, key and address, as an honest map lists it.
    pub(crate) info: NodeInfo,
    /// What it does wrong.
    pub(crate) behaviour: Behaviour,
    /// The chunks it holds, by address.
    pub(crate) store: HashMap<XorName, Bytes>,
    /// The registers it holds.
    pub(crate) registers: HashMap<RegisterAddress, Register>,
    /// The accounts it holds, by owner.
    pub(crate) accounts: HashMap<PublicKey, Account>,
    /// Whether it pays faucet requests (a test network's faucet).
    pub(crate) faucet: bool,
    /// The map it answers `NetworkMap` with (before any [`MapLie`]).
    pub(crate) map: NetworkMap,
    /// What it saw, with the virtual time.
    pub(crate) log: Vec<(Instant, NodeEvent)>,
    /// Datagrams dropped because the node is silent.
    pub(crate) dropped_silent: usize,
    options: NodeOptions,
    signing_key: SigningKey,
    endpoint: Endpoint,
    conns: HashMap<ConnectionHandle, NodeConn>,
    answers: Vec<PendingAnswer>,
    outbox: VecDeque<(SocketAddr, Vec<u8>)>,
    /// Honest answer frames it sent, for [`Behaviour::hostile`] to answer with out of turn.
    seen_answers: Vec<Vec<u8>>,
    /// State of [`Behaviour::hostile`]'s generator (0: not seeded yet).
    hostile_rng: u64,
}

impl TestNode {
    /// A node with a key derived from `seed` (so its id is the same on every run) at `addr`.
    pub(crate) fn new(seed: u64, addr: SocketAddr, options: NodeOptions) -> Self {
        let secret = XorName::from_content(format!("safe-client test node {seed}").as_bytes());
        let signing_key = SigningKey::from_bytes(&secret.0);
        let public_key = signing_key.verifying_key().to_bytes();
        let info = NodeInfo::new(public_key, addr);
        let mut rng_seed = [0u8; 32];
        rng_seed[..8].copy_from_slice(&seed.to_le_bytes());
        let endpoint = endpoint(&signing_key, &options, Some(rng_seed));
        Self {
            addr,
            info,
            behaviour: Behaviour::default(),
            store: HashMap::new(),
            registers: HashMap::new(),
            accounts: HashMap::new(),
            faucet: true,
            map: NetworkMap::default(),
            log: Vec::new(),
            dropped_silent: 0,
            options,
            signing_key,
            endpoint,
            conns: HashMap::new(),
            answers: Vec::new(),
            outbox: VecDeque::new(),
            seen_answers: Vec::new(),
            hostile_rng: 0,
        }
    }

    /// The node's id: SHA3-256 of its ed25519 public key.
    pub(crate) fn id(&self) -> XorName {
        self.info.id
    }

    /// Forgets every connection and its key material, as a restarted process would, keeping
    /// the store and the identity.
    pub(crate) fn restart(&mut self) {
        let options = self.options.clone();
        self.restart_with(options);
    }

    /// Restarts with other options (see [`Self::restart`]).
    pub(crate) fn restart_with(&mut self, options: NodeOptions) {
        self.endpoint = endpoint(&self.signing_key, &options, None);
        self.options = options;
        self.conns.clear();
        self.answers.clear();
        self.outbox.clear();
    }

    /// Requests that reached the node, in order.
    pub(crate) fn requests(&self) -> Vec<Asked> {
        self.log
            .iter()
            .filter_map(|(_, e)| match e {
                NodeEvent::Request { asked, .. } => Some(*asked),
                _ => None,
            })
            .collect()
    }

    /// How many connections the node accepted over its life.
    pub(crate) fn connections_seen(&self) -> usize {
        self.log.iter().filter(|(_, e)| matches!(e, NodeEvent::Connected(_))).count()
    }

    /// A datagram for this node.
    pub(crate) fn handle_datagram(&mut self, now: Instant, remote: SocketAddr, data: BytesMut) {
        if self.behaviour.silent {
            self.dropped_silent += 1;
            return;
        }
        let mut buf = Vec::new();
        match self.endpoint.handle(now, remote, None, None, data, &mut buf) {
            Some(DatagramEvent::NewConnection(incoming)) => {
                match self.endpoint.accept(incoming, now, &mut buf, None) {
                    Ok((handle, inner)) => {
                        let conn =
                            NodeConn { inner, requests: HashMap::new(), answers: HashMap::new() };
                        self.conns.insert(handle, conn);
                    }
                    Err(e) => {
                        if let Some(t) = e.response {
                            buf.truncate(t.size);
                            self.outbox.push_back((t.destination, buf));
                        }
                    }
                }
            }
            Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                if let Some(conn) = self.conns.get_mut(&handle) {
                    conn.inner.handle_event(event);
                }
            }
            Some(DatagramEvent::Response(t)) => {
                buf.truncate(t.size);
                self.outbox.push_back((t.destination, buf));
            }
            None => {}
        }
    }

    /// Lets connections whose timer is due act on it.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for conn in self.conns.values_mut() {
            if conn.inner.poll_timeout().is_some_and(|t| t <= now) {
                conn.inner.handle_timeout(now);
            }
        }
    }

    /// The next time the node must act without input: a connection timer or a delayed answer.
    pub(crate) fn next_wakeup(&mut self) -> Option<Instant> {
        let timers = self.conns.values_mut().filter_map(|c| c.inner.poll_timeout());
        timers.chain(self.answers.iter().map(|a| a.due)).min()
    }

    /// Processes connection events, answers what is due and queues the datagrams to send.
    pub(crate) fn drive(&mut self, now: Instant) {
        let handles: Vec<ConnectionHandle> = self.conns.keys().copied().collect();
        for handle in &handles {
            self.process_conn(now, *handle);
        }
        self.send_due_answers(now);
        let mut drained = Vec::new();
        for (handle, conn) in &mut self.conns {
            loop {
                let mut buf = Vec::new();
                let Some(t) = conn.inner.poll_transmit(now, 1, &mut buf) else { break };
                buf.truncate(t.size);
                self.outbox.push_back((t.destination, buf));
            }
            if conn.inner.is_drained() {
                drained.push(*handle);
            }
        }
        for handle in drained {
            self.conns.remove(&handle);
        }
        if self.behaviour.silent {
            self.dropped_silent += self.outbox.len();
            self.outbox.clear();
        }
    }

    /// The next datagram the node sends.
    pub(crate) fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.outbox.pop_front()
    }

    fn process_conn(&mut self, now: Instant, handle: ConnectionHandle) {
        loop {
            let Some(conn) = self.conns.get_mut(&handle) else { return };
            while let Some(event) = conn.inner.poll_endpoint_events() {
                if let Some(event) = self.endpoint.handle_event(handle, event) {
                    conn.inner.handle_event(event);
                }
            }
            let Some(event) = conn.inner.poll() else { return };
            match event {
                Event::Connected => self.log.push((now, NodeEvent::Connected(handle))),
                Event::ConnectionLost { reason } => {
                    self.answers.retain(|a| a.conn != handle);
                    self.log.push((now, NodeEvent::ConnectionLost { conn: handle, reason }));
                }
                Event::Stream(StreamEvent::Opened { dir: Dir::Bi }) => {
                    let mut opened = Vec::new();
                    while let Some(stream) = conn.inner.streams().accept(Dir::Bi) {
                        conn.requests.insert(stream, Vec::new());
                        opened.push(stream);
                    }
                    for stream in opened {
                        self.read(now, handle, stream);
                    }
                }
                Event::Stream(StreamEvent::Opened { dir: Dir::Uni }) => {
                    // The protocol has no unidirectional streams.
                    while let Some(stream) = conn.inner.streams().accept(Dir::Uni) {
                        let _ = conn.inner.recv_stream(stream).stop(VarInt::from_u32(1));
                    }
                }
                Event::Stream(StreamEvent::Readable { id }) => self.read(now, handle, id),
                Event::Stream(StreamEvent::Writable { id }) => self.write(handle, id),
                Event::Stream(StreamEvent::Stopped { id, .. }) => {
                    conn.answers.remove(&id);
                    self.answers.retain(|a| !(a.conn == handle && a.stream == id));
                    self.log.push((now, NodeEvent::AnswerStopped { conn: handle, stream: id }));
                }
                _ => {}
            }
        }
    }

    /// Reads what has arrived of a request; once the frame is complete, works out the answer.
    fn read(&mut self, now: Instant, handle: ConnectionHandle, stream: StreamId) {
        let Some(conn) = self.conns.get_mut(&handle) else { return };
        let Some(frame) = conn.requests.get_mut(&stream) else { return };
        let mut recv = conn.inner.recv_stream(stream);
        let Ok(mut chunks) = recv.read(true) else { return };
        // Some(true): complete; Some(false): reset or oversized; None: more to come.
        let complete = loop {
            match chunks.next(usize::MAX) {
                Ok(Some(chunk)) => {
                    frame.extend_from_slice(&chunk.bytes);
                    if frame.len() > wire::MAX_FRAME {
                        break Some(false);
                    }
                }
                Ok(None) => break Some(true),
                Err(ReadError::Blocked) => break None,
                Err(ReadError::Reset(_)) => break Some(false),
            }
        };
        let _ = chunks.finalize();
        match complete {
            None => {}
            Some(false) => {
                conn.requests.remove(&stream);
                let _ = conn.inner.recv_stream(stream).stop(VarInt::from_u32(1));
                let _ = conn.inner.send_stream(stream).reset(VarInt::from_u32(1));
                self.log.push((now, NodeEvent::RequestReset { conn: handle, stream }));
            }
            Some(true) => {
                let frame = conn.requests.remove(&stream).unwrap_or_default();
                let (asked, response) = self.answer(&frame);
                self.log.push((now, NodeEvent::Request { conn: handle, stream, asked }));
                if !self.behaviour.swallow_requests {
                    let due = now + self.behaviour.answer_delay;
                    let reply = match self.behaviour.bad_answer {
                        None => Reply::Frame(response),
                        Some(BadAnswer::NotAFrame) => Reply::Raw {
                            bytes: Bytes::from_static(b"\0\0\0\x05not a frame"),
                            finish: true,
                        },
                        Some(BadAnswer::HugePrefix) => {
                            let mut bytes = vec![0xff; 4];
                            bytes.extend_from_slice(&[0; 1000]);
                            Reply::Raw { bytes: Bytes::from(bytes), finish: false }
                        }
                        Some(BadAnswer::WrongKind) => {
                            Reply::Frame(Response::Stored { address: XorName([0; 32]) })
                        }
                        Some(BadAnswer::Reset) => Reply::Reset,
                    };
                    self.answers.push(PendingAnswer { due, conn: handle, stream, asked, reply });
                }
            }
        }
    }

    /// What an honest node (bent by [`Behaviour`]) answers to a request frame.
    fn answer(&mut self, frame: &[u8]) -> (Asked, Response) {
        let request = match wire::decode::<Request>(frame) {
            Ok(request) => request,
            Err(WireError::UnsupportedVersion(v)) => {
                let message = format!("wire version {v} is not supported");
                return (Asked::Undecodable, error(ErrorKind::UnsupportedVersion, message));
            }
            Err(e) => return (Asked::Undecodable, error(ErrorKind::InvalidRequest, e.to_string())),
        };
        match request {
            Request::NetworkMap => (Asked::NetworkMap, Response::NetworkMap(self.advertised_map())),
            Request::GetChunk { address } => {
                let response = match self.store.get(&address) {
                    Some(content) if self.behaviour.alter_chunks => {
                        let mut altered = content.to_vec();
                        match altered.first_mut() {
                            Some(b) => *b ^= 0xff,
                            None => altered.push(0),
                        }
                        Response::Chunk { content: Bytes::from(altered) }
                    }
                    Some(content) => Response::Chunk { content: content.clone() },
                    None => error(ErrorKind::NotFound, format!("no chunk at {address:x}")),
                };
                (Asked::GetChunk(address), response)
            }
            Request::PutChunk { content } => {
                let asked = Asked::PutChunk(XorName::from_content(&content));
                match Chunk::new(content) {
                    Ok(chunk) => {
                        let address = chunk.address();
                        self.store.insert(address, chunk.into_content());
                        (asked, Response::Stored { address })
                    }
                    Err(e) => (asked, error(ErrorKind::InvalidRequest, e.to_string())),
                }
            }
            Request::ReplicateChunk { content } => {
                let asked = Asked::ReplicateChunk(XorName::from_content(&content));
                match Chunk::new(content) {
                    Ok(chunk) => {
                        let address = chunk.address();
                        self.store.insert(address, chunk.into_content());
                        let key = Keypair::from_secret_bytes(&self.signing_key.to_bytes());
                        let mut receipts = vec![ChunkReceipt::new(&address, self.info.id, &key)];
                        if self.behaviour.forge_receipts {
                            let others = self.map.holders(&address);
                            receipts.extend(
                                others
                                    .iter()
                                    .filter(|h| h.id != self.info.id)
                                    .map(|h| ChunkReceipt::new(&address, h.id, &key)),
                            );
                        }
                        (asked, Response::Replicated { address, receipts })
                    }
                    Err(e) => (asked, error(ErrorKind::InvalidRequest, e.to_string())),
                }
            }
            Request::HasChunks { addresses } => {
                let asked = Asked::HasChunks(addresses.len());
                let mut held: Vec<XorName> = if self.behaviour.overclaim {
                    addresses
                } else {
                    addresses.into_iter().filter(|a| self.store.contains_key(a)).collect()
                };
                if self.behaviour.overclaim {
                    held.push(XorName::from_content(b"a chunk nobody asked about"));
                }
                (asked, Response::Holding { addresses: held })
            }
            Request::CreateRegister(create) => {
                let address = create.address;
                let response = match self.registers.get(&address) {
                    Some(r) if *r.creation() == create => Response::Done,
                    Some(_) => error(ErrorKind::Conflict, "the register exists with another owner"),
                    None => match Register::new(create) {
                        Ok(r) => {
                            self.registers.insert(address, r);
                            Response::Done
                        }
                        Err(e) => error(ErrorKind::NotOwner, e.to_string()),
                    },
                };
                (Asked::Register(address), response)
            }
            Request::WriteRegister { address, entry } => {
                let response = match self.registers.get_mut(&address) {
                    None => error(ErrorKind::NotFound, "no such register"),
                    Some(r) => match r.write(entry) {
                        Ok(hash) => Response::EntryWritten { hash },
                        Err(RegisterError::NotOwner) => error(ErrorKind::NotOwner, "not the owner"),
                        Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
                    },
                };
                (Asked::Register(address), response)
            }
            Request::GetRegister { address } => {
                let response = match self.registers.get(&address) {
                    Some(r) => Response::Register(r.clone()),
                    None => error(ErrorKind::NotFound, "no such register"),
                };
                (Asked::Register(address), response)
            }
            Request::GetAccount { owner } => {
                let response = match self.accounts.get(&owner) {
                    Some(a) => Response::Account(a.clone()),
                    None => error(ErrorKind::NotFound, "no such account"),
                };
                (Asked::Account(owner), response)
            }
            Request::Faucet { to, amount, id } if self.faucet => {
                let account = self.accounts.entry(to).or_insert_with(|| Account::new(to));
                let response = match account.apply_credit(&Credit::Faucet { to, amount, id }) {
                    Ok(_) => Response::Transferred { id },
                    Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
                };
                (Asked::Account(to), response)
            }
            Request::Faucet { to, .. } => {
                (Asked::Account(to), error(ErrorKind::Forbidden, "this network has no faucet"))
            }
            // A single test node coordinates nothing: it applies the debit to its own replica
            // and credits the receiver if it holds that account too.
            Request::Transfer(signed) => {
                let from = signed.transfer.from;
                let account = self.accounts.entry(from).or_insert_with(|| Account::new(from));
                let response = match account.apply_debit(&signed) {
                    Ok(_) => {
                        let to = signed.transfer.to;
                        let id = signed.id();
                        let receiver = self.accounts.entry(to).or_insert_with(|| Account::new(to));
                        let _ = receiver.apply_credit(&Credit::Transfer(signed));
                        Response::Transferred { id }
                    }
                    Err(AccountError::InsufficientFunds { .. }) => {
                        error(ErrorKind::InsufficientFunds, "balance too low")
                    }
                    Err(AccountError::BadSignature | AccountError::WrongAccount) => {
                        error(ErrorKind::NotOwner, "not signed by the sender")
                    }
                    Err(
                        e @ (AccountError::DoubleSpend { .. } | AccountError::OutOfOrder { .. }),
                    ) => error(ErrorKind::Conflict, e.to_string()),
                    Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
                };
                (Asked::Account(from), response)
            }
            _ => (
                Asked::Unsupported,
                error(ErrorKind::InvalidRequest, "not served by this test node"),
            ),
        }
    }

    fn advertised_map(&self) -> NetworkMap {
        let mut map = self.map.clone();
        match self.behaviour.map_lie {
            None => {}
            Some(MapLie::WrongId) => {
                for node in map.nodes.iter_mut().filter(|n| n.public_key == self.info.public_key) {
                    node.id = XorName::from_content(b"not the hash of this node's key");
                }
            }
            Some(MapLie::OmitSelf) => map.nodes.retain(|n| n.public_key != self.info.public_key),
        }
        map
    }

    fn send_due_answers(&mut self, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.answers).into_iter().partition(|a| a.due <= now);
        self.answers = later;
        for answer in due {
            if !self.conns.contains_key(&answer.conn) {
                continue;
            }
            let (bytes, finish) = match answer.reply {
                Reply::Frame(response) => {
                    let frame = wire::encode(&response).expect("a test node's answer encodes");
                    let frame = match self.behaviour.hostile {
                        Some(seed) => self.bend(seed, frame),
                        None => frame,
                    };
                    (Bytes::from(frame), true)
                }
                Reply::Raw { bytes, finish } => (bytes, finish),
                Reply::Reset => {
                    if let Some(conn) = self.conns.get_mut(&answer.conn) {
                        let _ = conn.inner.send_stream(answer.stream).reset(VarInt::from_u32(7));
                    }
                    continue;
                }
            };
            let Some(conn) = self.conns.get_mut(&answer.conn) else { continue };
            conn.answers.insert(answer.stream, (bytes, 0, finish));
            self.log.push((
                now,
                NodeEvent::Answered {
                    conn: answer.conn,
                    stream: answer.stream,
                    asked: answer.asked,
                },
            ));
            self.write(answer.conn, answer.stream);
        }
    }

    /// What a hostile node sends instead of `honest` (see [`Behaviour::hostile`]): an answer
    /// of the right or of another kind, mutated a few times; half the time the length prefix
    /// is fixed up afterwards, so the mutation reaches the decoder of the body.
    fn bend(&mut self, seed: u64, honest: Vec<u8>) -> Vec<u8> {
        if self.hostile_rng == 0 {
            self.hostile_rng = seed | 1;
        }
        if self.seen_answers.len() < 32 {
            self.seen_answers.push(honest.clone());
        }
        let mut frame = match self.rand() % 8 {
            0..=3 => honest,
            4 => {
                let pick = self.rand() as usize % self.seen_answers.len();
                self.seen_answers[pick].clone()
            }
            5 => wire::encode(&Response::Status(wire::NodeStatus {
                info: self.info.clone(),
                members: u32::MAX,
                epoch: u64::MAX,
                chunks: 0,
                registers: 0,
                accounts: 0,
            }))
            .expect("encodes"),
            6 => wire::encode(&Response::Want {
                items: (0..64).map(|i| wire::ItemId::Chunk(XorName([i; 32]))).collect(),
            })
            .expect("encodes"),
            _ if self.rand() % 2 == 0 => wire::encode(&Response::Replicated {
                address: XorName([7; 32]),
                receipts: (0..300)
                    .map(|i| ChunkReceipt {
                        node: XorName([i as u8; 32]),
                        signature: Signature::from_bytes(&[i as u8; 64]),
                    })
                    .collect(),
            })
            .expect("encodes"),
            _ => wire::encode(&Response::Done).expect("encodes"),
        };
        for _ in 0..self.rand() % 6 {
            let at = |len: usize, r: u64| if len == 0 { 0 } else { r as usize % len };
            match self.rand() % 6 {
                0 => {
                    let i = at(frame.len(), self.rand());
                    if let Some(b) = frame.get_mut(i) {
                        *b ^= 1 << (self.rand() % 8);
                    }
                }
                1 => {
                    let keep = at(frame.len() + 1, self.rand());
                    frame.truncate(keep);
                }
                2 => {
                    let i = at(frame.len() + 1, self.rand());
                    let junk: Vec<u8> = (0..self.rand() % 64).map(|_| self.rand() as u8).collect();
                    frame.splice(i..i, junk);
                }
                3 => {
                    // An extreme value where a length or a count may be: 0xff.. or 0x00...
                    let i = at(frame.len(), self.rand());
                    let fill = if self.rand() % 2 == 0 { 0xff } else { 0x00 };
                    let end = (i + 1 + self.rand() as usize % 8).min(frame.len());
                    frame[i..end].fill(fill);
                }
                4 => {
                    let i = at(frame.len(), self.rand());
                    let j = at(frame.len(), self.rand());
                    let (lo, hi) = (i.min(j), i.max(j));
                    let copy = frame[lo..hi].to_vec();
                    frame.extend_from_slice(&copy);
                }
                _ => {
                    let i = at(frame.len(), self.rand());
                    if let Some(b) = frame.get_mut(i) {
                        *b = self.rand() as u8;
                    }
                }
            }
        }
        if self.rand() % 2 == 0 && frame.len() >= wire::LENGTH_PREFIX {
            let body = (frame.len() - wire::LENGTH_PREFIX) as u32;
            frame[..wire::LENGTH_PREFIX].copy_from_slice(&body.to_be_bytes());
        }
        frame
    }

    /// xorshift64: the hostile node's choices, reproducible from its seed.
    fn rand(&mut self) -> u64 {
        let mut x = self.hostile_rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.hostile_rng = x;
        x
    }

    /// Writes as much of an answer as flow control allows; finishes the stream when done.
    fn write(&mut self, handle: ConnectionHandle, stream: StreamId) {
        let Some(conn) = self.conns.get_mut(&handle) else { return };
        let Some((bytes, written, finish)) = conn.answers.get_mut(&stream) else { return };
        let mut send = conn.inner.send_stream(stream);
        while *written < bytes.len() {
            match send.write(&bytes[*written..]) {
                Ok(n) => *written += n,
                Err(WriteError::Blocked) => return,
                Err(_) => {
                    conn.answers.remove(&stream);
                    return;
                }
            }
        }
        if *finish {
            let _ = send.finish();
        }
        conn.answers.remove(&stream);
    }
}

fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
    Response::Error(ErrorResponse::new(kind, message))
}

/// The node's QUIC endpoint, configured the way `crates/node` configures it: a self-signed
/// certificate (rcgen) whose subject key is the node's ed25519 key, TLS 1.3 only, the Safe ALPN,
/// and its transport limits.
fn endpoint(
    signing_key: &SigningKey,
    options: &NodeOptions,
    rng_seed: Option<[u8; 32]>,
) -> Endpoint {
    let document = signing_key.to_pkcs8_der().expect("an ed25519 key encodes as PKCS#8");
    let node_key = PrivatePkcs8KeyDer::from(document.as_bytes().to_vec());
    let (key_pair, der) = match options.certificate {
        CertificateKey::NodeKey => {
            let key_pair =
                rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&node_key, &rcgen::PKCS_ED25519)
                    .expect("rcgen accepts an ed25519 PKCS#8 key");
            (key_pair, node_key)
        }
        CertificateKey::EcdsaP256 => {
            let key_pair =
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
            let der = PrivatePkcs8KeyDer::from(key_pair.serialize_der());
            (key_pair, der)
        }
    };
    let params = rcgen::CertificateParams::new(vec![CERTIFICATE_NAME.to_owned()])
        .expect("a valid certificate name");
    let certificate = params.self_signed(&key_pair).expect("self-signed certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3 is supported")
        .with_no_client_auth()
        .with_single_cert(vec![certificate.der().clone()], PrivateKeyDer::Pkcs8(der))
        .expect("certificate and key match");
    tls.alpn_protocols = vec![options.alpn.clone()];
    let quic = QuicServerConfig::try_from(tls).expect("TLS 1.3 config usable by QUIC");
    let mut transport = TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(VarInt::from_u32(options.max_streams))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .stream_receive_window(VarInt::from_u32(options.stream_window));
    let mut config = ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(Arc::new(transport));
    Endpoint::new(Arc::new(EndpointConfig::default()), Some(Arc::new(config)), true, rng_seed)
}
