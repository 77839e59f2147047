//! The Safe API as operations: one module per kind of data, each owning its operations (their
//! arguments, docs, checks and work) and the output shapes only it gives, declared in a
//! `table!` macro at its top; `operation` assembles the tables into [`Operation`] and
//! [`Output`] and dispatches; `output` holds the result types inside outputs and the shapes
//! several modules share.
//!
//! Imports run one way: `operation` uses every op module (their tables and start functions);
//! they use each other downwards (`replicas` over `resolve`; `resolve` and `containers` over
//! `files`, `nrs`, `multimap`, `registers`, `keys`; all of them over `quorum` and `connect`)
//! and `output` last, which uses nothing of theirs. No op module names `Operation` or `Output`: each start function gives its
//! own value, which the dispatch wraps.

/// Hands the table of every module with operations or outputs to `$define` (see
/// `operation.rs`). A new op module is added here.
macro_rules! with_tables {
    ($define:ident) => {
        collect! {
            [
                output::table,
                connect::table,
                files::table,
                resolve::table,
                keys::table,
                registers::table,
                multimap::table,
                nrs::table,
                containers::table,
                replicas::table,
            ]
            $define
        }
    };
}

mod connect;
mod containers;
mod data_map;
mod files;
mod keys;
mod multimap;
mod nrs;
mod operation;
mod output;
mod quorum;
mod registers;
mod replicas;
mod resolve;

pub use connect::Contact;
pub use containers::{LocalItem, LocalItems, LocalKind};
pub use files::ByteRange;
pub use operation::{Completion, Operation, Output};
pub use output::{
    ChunkKind, ChunkReplicas, ContainerResult, FileChange, FileInfo, FileReplicas,
    FilesContainerData, FilesMap, KeypairInfo, MultimapData, MultimapEntry, NetworkInfo,
    NrsEntryData, NrsMapContainerData, ProcessedFiles, PublicFile, RegisterData, RegisterEntry,
    Replica, ReplicaState, SafeData, SafeKeyData,
};
