//! The Safe client component in wasmtime, and the same core natively, behind one Rust API.
//!
//! [`Safe`] mirrors the TypeScript host's `Safe` in snake_case, with the same lock semantics
//! (connect and set_keypair write, everything else reads, two reads run together) and a typed
//! [`SafeError`] with the same codes. Each `Safe` runs its client on a driver thread of its own:
//! either `pkg/safe_client.wasm` in wasmtime's component model ([`Backend::Wasm`]), the very
//! component the Node host runs, or `safe-client` linked natively ([`Backend::Native`]), the
//! speed baseline. The host lends the client UDP sockets (IPv4 and IPv6), runs its one timer,
//! feeds it datagrams and reads local files for it; QUIC and TLS stay inside the client.
//!
//! ```no_run
//! use safe_wasmtime::{Backend, Options, Safe};
//!
//! # async fn demo() -> Result<(), safe_wasmtime::SafeError> {
//! let safe = Safe::new(Options::new(Backend::Wasm("pkg/safe_client.wasm".into()))).await?;
//! safe.connect(&[]).await?; // reads $SAFE_HOME/network_contacts/default
//! let url = safe.store_bytes(&b"hello"[..], Some("text/plain")).await?;
//! let bytes = safe.files_get(&url, None).await?;
//! assert_eq!(&bytes[..], b"hello");
//! let (a, b) = tokio::join!(safe.fetch(&url, None), safe.fetch(&url, None)); // at once
//! # let _ = (a, b);
//! safe.close().await;
//! # Ok(()) }
//! ```

mod bindings;
mod contacts;
/// The conversion between the core's types and the WIT's, written once for the component and
/// this host (see its header).
#[path = "../../component/src/convert.rs"]
mod convert;
mod driver;
mod engine;
mod error;
pub mod json;
mod local;
mod resources;
mod safe;

pub use contacts::{contacts_path, parse_contact, read_contacts_file, safe_home};
pub use engine::cache::default_dir as default_cache_dir;
pub use error::{ErrorCode, SafeError};
pub use safe::{Backend, ContainerChange, Options, Safe};
pub use safe_client::safe_types::XorUrlBase;
pub use safe_client::{
    ByteRange, ChunkKind, ChunkReplicas, FileChange, FileReplicas, FilesMap, KeypairInfo,
    MultimapEntry, NetworkInfo, Operation, Output, RegisterEntry, Replica, ReplicaState, SafeData,
};
