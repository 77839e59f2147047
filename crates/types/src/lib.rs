//! Base types of the Safe Network, shared by the client (compiled to wasm) and the nodes (native).
//!
//! Everything here is data and pure functions: no I/O, no clock, no randomness. The crate is the
//! vocabulary both sides agree on:
//! - [`XorName`]: a 256-bit name; chunks, registers, accounts and nodes all live in this space.
//! - [`Chunk`]: immutable content, addressed by the SHA3-256 of its bytes; [`ChunkReceipt`], a
//!   node's signed word that it holds one.
//! - [`NetworkMap`] / [`NodeInfo`]: who is in the network, where they listen, which key they hold.
//! - [`SafeUrl`]: the `safe://` XOR-URL format of sn_api 0.66-0.82, and [`VersionHash`], the
//!   content version (`?v=`) it can carry.
//! - [`keys`]: ed25519 owners and domain-separated signatures.
//! - [`register`]: the Merkle-DAG register CRDT.
//! - [`account`]: test-coin accounts, amounts and signed transfers.
//! - [`membership`]: who is in the network, a CRDT the nodes converge on.
//! - [`wire`]: the versioned, length-delimited messages clients and nodes exchange.

pub mod account;
mod chunk;
pub mod keys;
mod media_types;
pub mod membership;
mod network;
pub mod register;
mod url;
mod version_hash;
pub mod wire;

pub use chunk::{Chunk, ChunkError, ChunkReceipt, MAX_CHUNK_SIZE};
pub use network::{node_id, NetworkMap, NodeInfo, DEFAULT_REPLICATION_FACTOR};
pub use url::{ContentType, DataType, SafeUrl, UrlError, XorUrlBase};
pub use version_hash::{VersionHash, VersionHashError};
pub use xor_name::{XorName, XOR_NAME_LEN};
