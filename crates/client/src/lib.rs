//! The Safe Network client core, sans-IO: QUIC (quinn-proto + rustls, TLS 1.3) to the nodes and
//! the Safe API as operations, driven entirely by its caller's datagrams and clock.
//!
//! It knows nothing of sockets, timers, threads or WebAssembly: the component crate drives it
//! with the host's UDP sockets and timer, and tests drive it with in-memory nodes and a virtual
//! clock. See [`Client`] for the order of calls.

mod client;
mod error;
mod events;
mod net;
mod ops;
mod source;
mod tasks;
mod timers;
mod transport;

pub use client::{Client, Config};
pub use error::{Error, ErrorCode};
pub use events::{OpId, Progress, ProgressUnit};
pub use ops::{
    ByteRange, ChunkKind, ChunkReplicas, Completion, Contact, ContainerResult, FileChange,
    FileInfo, FileReplicas, FilesContainerData, FilesMap, KeypairInfo, LocalItem, LocalItems,
    LocalKind, MultimapData, MultimapEntry, NetworkInfo, NrsEntryData, NrsMapContainerData,
    Operation, Output, ProcessedFiles, PublicFile, RegisterData, RegisterEntry, Replica,
    ReplicaState, SafeData, SafeKeyData,
};
pub use safe_types;
pub use source::{ByteSource, Source};
pub use transport::Transmit;
