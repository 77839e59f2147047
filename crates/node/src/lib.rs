//! A native Safe Network node for local test networks.
//!
//! A node has an ed25519 identity (its id is the SHA3-256 of the public key) and serves over QUIC
//! with TLS 1.3, presenting a self-signed certificate that carries its key so clients and fellow
//! nodes can pin it by id (see `safe-tls`). Nodes form a network: a genesis node starts it, others
//! join through a bootstrap contact, and every node keeps a view of the membership that converges
//! by gossip, with failed nodes detected and marked as gone. Chunks, registers and test-coin
//! accounts live on the R nodes closest to their name, are kept on disk under each node's root,
//! and are copied again by anti-entropy when nodes come and go. Requests and responses are the
//! frames of [`safe_types::wire`], one request per bidirectional stream.
//!
//! ```no_run
//! # async fn run() -> Result<(), safe_node::NodeError> {
//! use safe_node::{Node, NodeConfig};
//!
//! let node = Node::start(NodeConfig::new("/tmp/node-1", "127.0.0.1:0".parse().unwrap())).await?;
//! println!("{}", node.ready_record().to_json());
//! node.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Modules (the ones that own tasks or locks say so in their header):
//! - `node`: [`Node::start`], [`RunningNode`], the [`ReadyRecord`] announcement; owns the tasks.
//! - `config`: [`NodeConfig`], bootstrap [`Contact`]s, default timings.
//! - `identity`: the persisted node key, its certificate and stateless-reset key.
//! - `context`: the state every part of a running node shares.
//! - `server`: the QUIC endpoint's accepting side, streams, framing and limits; `quic`: the
//!   transport settings it shares with `peers`.
//! - `service`: who may ask what, and the simple requests; `chunks`: storing and serving chunks,
//!   and the replicated put (a client's chunk forwarded to its other holders); `registers` and `accounts`: the
//!   register and test-coin requests (transfers are coordinated by the sender's primary);
//!   `reply`: error answers and store work off the async threads, for all of them.
//! - `membership`: this node's view of the network and its file; `gossip`: joining, gossip,
//!   failure detection, leaving.
//! - `peers`: requests to other nodes (cached connections, timeouts).
//! - `replication`: background pushes and anti-entropy; `replication::state`: what they remember,
//!   held in `context`.
//! - `store`: chunks on disk ([`Store`]); `records`: registers and accounts on disk; `files`:
//!   crash-safe file writes; `status`: the `Status` answer and `status.json`.

mod accounts;
mod chunks;
mod config;
mod context;
mod files;
mod gossip;
mod identity;
mod membership;
mod node;
mod peers;
mod quic;
mod records;
mod registers;
mod replication;
mod reply;
mod server;
mod service;
mod status;
mod store;

pub use config::{
    Contact, ContactError, Fault, NodeConfig, DEFAULT_CALL_TIMEOUT, DEFAULT_FAILURE_TIMEOUT,
    DEFAULT_GOSSIP_INTERVAL, DEFAULT_JOIN_TIMEOUT, DEFAULT_REPLICATION_INTERVAL, SLOW_CHUNK_WRITE,
};
pub use gossip::JoinError;
pub use identity::{IdentityError, NodeIdentity, KEY_FILE};
pub use membership::{MembershipFileError, MEMBERSHIP_FILE};
pub use node::{Node, NodeError, ReadyRecord, RunningNode, READY_FILE, SHUTDOWN_CODE};
pub use status::{StatusFile, STATUS_FILE, STATUS_MIN_INTERVAL};
pub use store::{PutOutcome, Store, StoreError};
