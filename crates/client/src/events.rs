//! What the client reports to its driver besides datagrams and completions (which carry an
//! [`Output`](crate::Output), so they live with it in `ops::operation`): operation ids and
//! progress. A leaf module, so that the shared network state, the task runner and the
//! operations use these without using the client itself.

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
