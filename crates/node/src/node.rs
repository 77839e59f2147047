//! Starting and stopping a node: from a [`NodeConfig`] to a [`RunningNode`] that is a member of
//! its network, and back.
//!
//! Starting loads or creates the identity, opens the chunk store, the registers and accounts and
//! the saved membership, binds the QUIC endpoint (whose stateless-reset key comes from the
//! identity), and starts the server. The node then comes into its network (genesis, join, or
//! rejoin: see the gossip module), saves its membership, records its address in
//! `<root>/node.json`, and only then counts as ready. A node restarted on a root that holds a
//! membership answers requests while it rejoins (so nodes restarted together find each other); a
//! new node answers `Unavailable` until it has joined.
//!
//! Who owns what: the [`RunningNode`] owns the endpoint and a `JoinSet` of the node's long-lived
//! tasks (accept loop, gossip, anti-entropy, membership persister, status file writer). Dropping
//! it closes the endpoint and aborts those tasks at once, as a crash would (peers find out by
//! failure detection); [`RunningNode::shutdown`] first tells a few peers the node is leaving
//! and saves its state.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quinn::{Endpoint, EndpointConfig, TokioRuntime, VarInt};
use quinn_proto::HashedConnectionIdGenerator;
use safe_types::account::Account;
use safe_types::membership::Membership;
use safe_types::register::Register;
use safe_types::wire::NodeStatus;
use safe_types::{NetworkMap, NodeInfo};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::config::NodeConfig;
use crate::context::NodeContext;
use crate::files;
use crate::gossip::{self, Arrival, JoinError};
use crate::identity::{hex_id, IdentityError, NodeIdentity};
use crate::membership::{self, MembershipFileError, MembershipState};
use crate::peers::Peers;
use crate::quic;
use crate::records::Records;
use crate::replication;
use crate::server;
use crate::status;
use crate::store::{Store, StoreError};

/// Name of the file under the root directory holding the node's [`ReadyRecord`] as JSON.
pub const READY_FILE: &str = "node.json";
/// The QUIC application close code a node sends its peers when it shuts down.
pub const SHUTDOWN_CODE: u32 = 0;
/// The reason sent with [`SHUTDOWN_CODE`].
const SHUTDOWN_REASON: &[u8] = b"node shutting down";
/// How long a shutdown waits for peers to acknowledge the close.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);
/// `node.json` says nothing secret.
const READY_FILE_MODE: u32 = 0o644;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configuration is unusable.
    #[error("invalid node configuration: {0}")]
    InvalidConfig(&'static str),
    /// The root directory could not be created.
    #[error("cannot create node root directory {path}: {source}")]
    Root {
        /// The root directory.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The node key could not be loaded or created.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The saved membership could not be read or written.
    #[error(transparent)]
    Membership(#[from] MembershipFileError),
    /// The TLS configuration could not be built.
    #[error("invalid TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The QUIC endpoint could not be bound to the listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The listen address.
        addr: SocketAddr,
        /// What the socket layer said.
        source: io::Error,
    },
    /// The node could not come into its network.
    #[error(transparent)]
    Join(#[from] JoinError),
    /// `node.json` could not be written.
    #[error("cannot write {path}: {source}")]
    ReadyFile {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The blocking part of startup (disk work) panicked or was cancelled.
    #[error("node startup task failed: {0}")]
    StartupTask(#[from] tokio::task::JoinError),
}

/// What a node announces once it is a member of its network: printed as one JSON line on the
/// binary's stdout and kept in `<root>/node.json`, for launchers and tests to learn its id and
/// (possibly OS-chosen) address.
///
/// ```text
/// {"event":"listening","id":"<64 hex>","addr":"127.0.0.1:PORT","public_key":"<64 hex>"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyRecord {
    /// Always [`ReadyRecord::LISTENING`].
    pub event: String,
    /// The node id, 64 lowercase hex digits.
    pub id: String,
    /// The address the endpoint is bound to.
    pub addr: SocketAddr,
    /// The node's ed25519 public key, 64 lowercase hex digits.
    pub public_key: String,
}

impl ReadyRecord {
    /// The value of [`ReadyRecord::event`].
    pub const LISTENING: &'static str = "listening";

    /// The record of the node described by `info`.
    pub fn new(info: &NodeInfo) -> Self {
        Self {
            event: Self::LISTENING.to_owned(),
            id: hex_id(&info.id),
            addr: info.addr,
            public_key: hex::encode(info.public_key),
        }
    }

    /// The record as one line of JSON, without the line end.
    pub fn to_json(&self) -> String {
        // Serialising strings and an address into JSON cannot fail; fall back to an empty object
        // rather than panic if it ever did.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// What the node found under its root.
struct Opened {
    identity: NodeIdentity,
    store: Arc<Store>,
    registers: Arc<Records<Register>>,
    accounts: Arc<Records<Account>>,
    saved: Option<Membership>,
}

/// Starts nodes.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Starts a node as `config` says, on the current tokio runtime, and returns once it is a
    /// member of its network (see the module documentation).
    pub async fn start(config: NodeConfig) -> Result<RunningNode, NodeError> {
        if let Some(problem) = config.problem() {
            return Err(NodeError::InvalidConfig(problem));
        }
        let root = config.root.clone();
        let opened = tokio::task::spawn_blocking(move || open_root(&root)).await??;
        let certificate = opened.identity.certificate()?;
        let crypto = safe_tls::server_crypto(certificate.clone())?;
        let endpoint = bind(&config.listen, &opened.identity, crypto)?;
        let addr = endpoint
            .local_addr()
            .map_err(|source| NodeError::Bind { addr: config.listen, source })?;
        if addr.ip().is_unspecified() {
            tracing::warn!(%addr, "listening on an unspecified address: the network map will list it as is");
        }
        let info = NodeInfo::new(opened.identity.public_key(), addr);

        let arrival = match (&opened.saved, config.bootstrap.is_empty()) {
            (Some(_), _) => Arrival::Rejoin,
            (None, true) => Arrival::Genesis,
            (None, false) => Arrival::Join,
        };
        let view = match &opened.saved {
            Some(saved) => {
                if arrival == Arrival::Rejoin
                    && (saved.replication_factor != config.replication_factor
                        || saved.faucet != config.faucet)
                {
                    tracing::info!(
                        replication_factor = saved.replication_factor,
                        faucet = saved.faucet,
                        "keeping the settings of the saved network"
                    );
                }
                saved.clone()
            }
            // A new node's view until it adopts its network's: it answers nothing meanwhile.
            None => Membership::genesis(info.clone(), config.replication_factor, config.faucet),
        };
        let membership = Arc::new(MembershipState::new(info.clone(), &config.root, view));
        let peers = Peers::new(endpoint.clone(), certificate, config.call_timeout);
        let ctx = Arc::new(NodeContext::new(
            info.clone(),
            opened.identity.keypair(),
            config.clone(),
            opened.store,
            opened.registers,
            opened.accounts,
            Arc::clone(&membership),
            peers,
        ));
        let mut tasks = JoinSet::new();
        tasks.spawn(server::accept_loop(endpoint.clone(), Arc::clone(&ctx)));
        if arrival == Arrival::Rejoin {
            ctx.start_serving();
        }
        let mut node = RunningNode { endpoint, ctx, tasks, ready: ReadyRecord::new(&info) };

        gossip::arrive(&node.ctx, arrival, &config.bootstrap).await?;
        if arrival == Arrival::Join {
            let (members, _) = membership.summary();
            let view = membership.view();
            tracing::info!(
                members,
                replication_factor = view.replication_factor,
                faucet = view.faucet,
                "adopted the network's settings"
            );
        }
        // Subscribed before saving, so no change after the save goes unsaved.
        let changes = membership.subscribe();
        membership.save().await?;
        node.ctx.start_serving();
        node.write_ready_file().await?;

        node.tasks.spawn(membership::persist_changes(Arc::clone(&membership), changes));
        node.tasks.spawn(gossip::run(Arc::clone(&node.ctx)));
        node.tasks.spawn(replication::run(Arc::clone(&node.ctx)));
        node.tasks.spawn(status::run(Arc::clone(&node.ctx)));
        node.ctx.gossip_soon.notify_one();
        tracing::info!(id = %node.ready.id, %addr, root = %config.root.display(), "node ready");
        Ok(node)
    }
}

/// Creates the root if needed, then loads everything under it.
fn open_root(root: &Path) -> Result<Opened, NodeError> {
    std::fs::create_dir_all(root)
        .map_err(|source| NodeError::Root { path: root.to_owned(), source })?;
    // A status file of an earlier run would tell a launcher about a node that is not there yet.
    for stale in [status::STATUS_FILE, READY_FILE] {
        match std::fs::remove_file(root.join(stale)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(NodeError::Root { path: root.join(stale), source: e })
            }
            _ => {}
        }
    }
    Ok(Opened {
        identity: NodeIdentity::load_or_create(root)?,
        store: Arc::new(Store::open(root)?),
        registers: Arc::new(Records::open(root)?),
        accounts: Arc::new(Records::open(root)?),
        saved: membership::load(root)?,
    })
}

/// The node's endpoint: server for everyone, client toward other nodes, with the stateless-reset
/// key of `identity`.
fn bind(
    listen: &SocketAddr,
    identity: &NodeIdentity,
    crypto: quinn::crypto::rustls::QuicServerConfig,
) -> Result<Endpoint, NodeError> {
    let bind_error = |source| NodeError::Bind { addr: *listen, source };
    let socket = UdpSocket::bind(listen).map_err(bind_error)?;
    widen_receive_buffer(&socket);
    let mut endpoint_config = EndpointConfig::new(Arc::new(identity.reset_key()));
    // Accept large datagrams; how large the node sends is found by path MTU discovery.
    endpoint_config
        .max_udp_payload_size(quic::MAX_UDP_PAYLOAD)
        .map_err(|_| bind_error(std::io::Error::other("invalid maximum UDP payload size")))?;
    // Both keys survive restarts: see `NodeIdentity::connection_id_key`.
    let cid_key = identity.connection_id_key();
    endpoint_config.cid_generator(move || Box::new(HashedConnectionIdGenerator::from_key(cid_key)));
    Endpoint::new(
        endpoint_config,
        Some(quic::server_config(crypto)),
        socket,
        Arc::new(TokioRuntime),
    )
    .map_err(bind_error)
}

/// Asks for a receive buffer of [`quic::RECEIVE_BUFFER`] bytes, and says so in the log when the
/// kernel grants less: the node works either way, but drops and resends more under load.
fn widen_receive_buffer(socket: &UdpSocket) {
    let socket = socket2::SockRef::from(socket);
    if let Err(e) = socket.set_recv_buffer_size(quic::RECEIVE_BUFFER) {
        tracing::info!(error = %e, "could not set the UDP receive buffer");
        return;
    }
    // Linux reports twice what it granted (the other half is its bookkeeping).
    match socket.recv_buffer_size() {
        Ok(granted) if granted < quic::RECEIVE_BUFFER => tracing::info!(
            granted_kib = granted / 1024,
            wanted_kib = quic::RECEIVE_BUFFER / 1024,
            "the UDP receive buffer is smaller than wanted: raise net.core.rmem_max for fewer drops under load"
        ),
        _ => {}
    }
}

/// A node serving requests as a member of its network. Dropping it stops it at once (like a
/// crash); [`Self::shutdown`] leaves cleanly.
#[derive(Debug)]
pub struct RunningNode {
    endpoint: Endpoint,
    ctx: Arc<NodeContext>,
    tasks: JoinSet<()>,
    ready: ReadyRecord,
}

impl std::fmt::Debug for NodeContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeContext").field("id", &hex_id(&self.info.id)).finish_non_exhaustive()
    }
}

impl RunningNode {
    /// The node as the network map lists it, with the address it is actually bound to.
    pub fn info(&self) -> NodeInfo {
        self.ctx.info.clone()
    }

    /// What the node announces now that it is ready.
    pub fn ready_record(&self) -> &ReadyRecord {
        &self.ready
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.ctx.config.root
    }

    /// The node's chunks (for inspection; requests go through the network).
    pub fn store(&self) -> &Store {
        &self.ctx.store
    }

    /// The node's view of the membership.
    pub fn membership(&self) -> Membership {
        self.ctx.membership.view()
    }

    /// The network map of the node's view.
    pub fn network_map(&self) -> NetworkMap {
        self.ctx.membership.map()
    }

    /// What the node would answer to `Status`.
    pub fn status(&self) -> NodeStatus {
        status::node_status(&self.ctx)
    }

    async fn write_ready_file(&self) -> Result<(), NodeError> {
        let path = self.ctx.config.root.join(READY_FILE);
        let line = format!("{}\n", self.ready.to_json());
        let target = path.clone();
        let written = tokio::task::spawn_blocking(move || {
            files::write_atomic(&target, line.as_bytes(), READY_FILE_MODE)
        })
        .await;
        written
            .map_err(io::Error::other)
            .and_then(|r| r)
            .map_err(|source| NodeError::ReadyFile { path, source })
    }

    /// Stops the node: tells a few peers it is leaving, saves its membership, closes every
    /// connection with [`SHUTDOWN_CODE`] and waits (a bounded time) for peers to be told.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        gossip::leave(&self.ctx).await;
        if let Err(e) = self.ctx.membership.save().await {
            tracing::warn!(error = %e, "cannot save the membership");
        }
        self.endpoint.close(VarInt::from_u32(SHUTDOWN_CODE), SHUTDOWN_REASON);
        let stopped = async {
            self.endpoint.wait_idle().await;
            while self.tasks.join_next().await.is_some() {}
        };
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, stopped).await.is_err() {
            tracing::info!("closed connections did not drain in time");
        }
        tracing::info!(id = %self.ready.id, "node stopped");
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        // The server's connection and stream tasks hold their own endpoint handles; without this
        // they would keep serving after the node is gone. The JoinSet aborts the rest.
        self.endpoint.close(VarInt::from_u32(SHUTDOWN_CODE), SHUTDOWN_REASON);
    }
}
