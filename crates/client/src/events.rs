//! What the client reports to its driver besides datagrams: operation ids, progress, and
//! completions. A leaf module (apart from the result types), so that the shared network state,
//! the task runner and the operations use these without using the client itself.

use crate::error::Error;
use crate::ops::Output;

/// Identifies an operation from `start` to its completion.
pub type OpId = u64;

/// How far a long operation has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The operation.
    pub id: OpId,
    /// How much is done.
    pub done: u64,
    /// How much there is in all.
    pub total: u64,
    /// What `done` and `total` count.
    pub unit: ProgressUnit,
    /// What is being worked on (e.g. a file's path), if that helps a user.
    pub item: Option<String>,
}

/// What a [`Progress`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Bytes of a file.
    Bytes,
    /// Files of a folder.
    Files,
}

/// An operation that finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The id `start` returned.
    pub id: OpId,
    /// What it gave, or why it failed.
    pub result: Result<Output, Error>,
}
