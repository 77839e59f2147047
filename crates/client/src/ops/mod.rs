//! The Safe API as operations: what a caller can start ([`Operation`], in `operation`), what
//! each gives back ([`Output`] and its parts, in `output`), and one module per kind of data that
//! owns its operations' arguments, their checks and their futures.
//!
//! Imports run one way: `operation` dispatches to the op modules; they use each other
//! downwards (`resolve` and `containers` over `files`, `nrs`, `multimap`, `registers`, `keys`;
//! all of them over `quorum` and `connect`) and `output` last, which uses nothing of theirs.

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
mod resolve;

pub use connect::Contact;
pub use containers::{LocalItem, LocalItems, LocalKind};
pub use files::ByteRange;
pub use operation::Operation;
pub use output::{
    ContainerResult, FileChange, FileInfo, FilesContainerData, FilesMap, KeypairInfo, MultimapData,
    MultimapEntry, NetworkInfo, NrsEntryData, NrsMapContainerData, Output, ProcessedFiles,
    PublicFile, RegisterData, RegisterEntry, SafeData, SafeKeyData,
};
