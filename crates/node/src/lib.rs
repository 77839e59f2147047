//! A native Safe Network node for local test networks.
//!
//! A node has an ed25519 identity (its id is the SHA3-256 of the public key), keeps chunks on disk
//! under its root directory, and serves clients over QUIC with TLS 1.3, presenting a self-signed
//! certificate that carries its key so clients can pin it by id. Requests and responses are the
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
//! Modules:
//! - `node`: [`Node::start`], [`NodeConfig`], [`RunningNode`], the [`ReadyRecord`] announcement.
//! - `identity`: the persisted node key and its certificate ([`NodeIdentity`]).
//! - `store`: chunks on disk ([`Store`]).
//! - `server`: the QUIC endpoint, streams and framing; `service`: what each request does.
//! - `tls`: the rustls server configuration; `files`: crash-safe file writes.

mod files;
mod identity;
mod node;
mod server;
mod service;
mod store;
mod tls;

pub use identity::{IdentityError, NodeIdentity, CERTIFICATE_NAME, KEY_FILE};
pub use node::{Node, NodeConfig, NodeError, ReadyRecord, RunningNode, READY_FILE, SHUTDOWN_CODE};
pub use store::{PutOutcome, Store, StoreError};
pub use tls::TlsError;
