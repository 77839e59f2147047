//! Starting and stopping a node: from a [`NodeConfig`] to a [`RunningNode`] serving on its
//! endpoint, and back.
//!
//! Starting loads or creates the identity, opens the store, binds the QUIC endpoint, records the
//! node's address in `<root>/node.json` and spawns the server. The node then runs on the tokio
//! runtime it was started on until [`RunningNode::shutdown`] (or until the `RunningNode` is
//! dropped, which closes the endpoint without waiting).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quinn::{Endpoint, VarInt};
use safe_types::{NodeInfo, DEFAULT_REPLICATION_FACTOR};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::files;
use crate::identity::{hex_id, IdentityError, NodeIdentity};
use crate::server;
use crate::service::Service;
use crate::store::{Store, StoreError};
use crate::tls::{self, TlsError};

/// Name of the file under the root directory holding the node's [`ReadyRecord`] as JSON.
pub const READY_FILE: &str = "node.json";
/// The QUIC application close code a node sends its peers when it shuts down.
pub const SHUTDOWN_CODE: u32 = 0;
/// The reason sent with [`SHUTDOWN_CODE`].
const SHUTDOWN_REASON: &[u8] = b"node shutting down";
/// How long a shutdown waits for peers to acknowledge the close.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// `node.json` says nothing secret.
const READY_FILE_MODE: u32 = 0o644;

/// How to run a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Directory holding the node's key and data; created if missing.
    pub root: PathBuf,
    /// UDP address to listen on; port 0 picks a free port (see [`RunningNode::info`]).
    pub listen: SocketAddr,
    /// How many nodes hold each item, as announced in the network map; at least 1.
    pub replication_factor: u8,
}

impl NodeConfig {
    /// A configuration with the default replication factor.
    pub fn new(root: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Self { root: root.into(), listen, replication_factor: DEFAULT_REPLICATION_FACTOR }
    }
}

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
    /// The TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The QUIC endpoint could not be bound to the listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The listen address.
        addr: SocketAddr,
        /// What the socket layer said.
        source: io::Error,
    },
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

/// What a node announces once it listens: printed as one JSON line on the binary's stdout and
/// kept in `<root>/node.json`, for launchers and tests to learn its id and (possibly
/// OS-chosen) address.
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

/// Starts nodes.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Starts a node as `config` says, on the current tokio runtime, and returns once it listens.
    pub async fn start(config: NodeConfig) -> Result<RunningNode, NodeError> {
        if config.replication_factor == 0 {
            return Err(NodeError::InvalidConfig("replication factor must be at least 1"));
        }
        let root = config.root.clone();
        let (identity, store) = tokio::task::spawn_blocking(move || open_root(&root)).await??;
        let crypto = tls::server_crypto(&identity)?;
        let endpoint = Endpoint::server(server::server_config(crypto), config.listen)
            .map_err(|source| NodeError::Bind { addr: config.listen, source })?;
        let addr = endpoint
            .local_addr()
            .map_err(|source| NodeError::Bind { addr: config.listen, source })?;
        if addr.ip().is_unspecified() {
            tracing::warn!(%addr, "listening on an unspecified address: the network map will list it as is");
        }
        let info = NodeInfo::new(identity.public_key(), addr);
        let ready = ReadyRecord::new(&info);
        let ready_path = config.root.join(READY_FILE);
        let line = format!("{}\n", ready.to_json());
        let written = {
            let path = ready_path.clone();
            tokio::task::spawn_blocking(move || {
                files::write_atomic(&path, line.as_bytes(), READY_FILE_MODE)
            })
            .await
        };
        if let Err(source) = written.map_err(io::Error::other).and_then(|r| r) {
            endpoint.close(VarInt::from_u32(SHUTDOWN_CODE), SHUTDOWN_REASON);
            return Err(NodeError::ReadyFile { path: ready_path, source });
        }

        let service =
            Arc::new(Service::new(Arc::clone(&store), info.clone(), config.replication_factor));
        let accept = tokio::spawn(server::accept_loop(endpoint.clone(), service));
        tracing::info!(id = %ready.id, %addr, root = %config.root.display(), "node listening");
        Ok(RunningNode { endpoint, info, ready, store, accept })
    }
}

/// Creates the root if needed, then loads the identity and opens the store under it.
fn open_root(root: &Path) -> Result<(NodeIdentity, Arc<Store>), NodeError> {
    std::fs::create_dir_all(root)
        .map_err(|source| NodeError::Root { path: root.to_owned(), source })?;
    let identity = NodeIdentity::load_or_create(root)?;
    let store = Store::open(root)?;
    Ok((identity, Arc::new(store)))
}

/// A node serving requests. Dropping it closes the endpoint at once; [`Self::shutdown`] also
/// waits for peers to be told.
#[derive(Debug)]
pub struct RunningNode {
    endpoint: Endpoint,
    info: NodeInfo,
    ready: ReadyRecord,
    store: Arc<Store>,
    accept: JoinHandle<()>,
}

impl RunningNode {
    /// The node as the network map lists it, with the address it is actually bound to.
    pub fn info(&self) -> NodeInfo {
        self.info.clone()
    }

    /// What the node announces now that it listens.
    pub fn ready_record(&self) -> &ReadyRecord {
        &self.ready
    }

    /// The node's store (for inspection; requests go through the network).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops the node: closes every connection with [`SHUTDOWN_CODE`] and waits (a bounded time)
    /// for peers to be told.
    pub async fn shutdown(mut self) {
        self.endpoint.close(VarInt::from_u32(SHUTDOWN_CODE), SHUTDOWN_REASON);
        let stopped = async {
            self.endpoint.wait_idle().await;
            // The accept loop ends once the endpoint is closed.
            if let Err(e) = (&mut self.accept).await {
                tracing::error!(error = %e, "accept loop failed");
            }
        };
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, stopped).await.is_err() {
            tracing::warn!("peers did not acknowledge the shutdown in time");
        }
        tracing::info!(id = %self.ready.id, "node stopped");
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        // The server's tasks hold their own endpoint handles; without this they would keep
        // serving after the node is gone.
        self.endpoint.close(VarInt::from_u32(SHUTDOWN_CODE), SHUTDOWN_REASON);
    }
}
