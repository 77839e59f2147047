//! The client's error: a stable code to match on and a message that says what to do.

use std::fmt;

/// The kinds of failure, stable across versions (the host shows them as `SafeError.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument is malformed or out of range.
    InvalidArgument,
    /// A string is not a valid `safe://` URL.
    InvalidUrl,
    /// The network holds nothing at the address.
    NotFound,
    /// The operation did not finish within the client's timeout.
    Timeout,
    /// The operation needs a connected client.
    NotConnected,
    /// Nodes could not be reached, or dropped the connection.
    Network,
    /// A node answered something the protocol does not allow, including forged data.
    Protocol,
    /// The operation was cancelled by the caller.
    Cancelled,
    /// The change needs the owner's key: the register or account belongs to another key.
    NotOwner,
    /// The paying account's balance does not cover the amount.
    InsufficientBalance,
    /// The change conflicts with a concurrent one (e.g. the same coins spent twice): re-read
    /// and try again.
    Conflict,
    /// A broken invariant inside the client.
    Internal,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An operation's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened and what to do about it.
    pub message: String,
}

impl Error {
    /// An error of `code` saying `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Network, message)
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Protocol, message)
    }

    pub(crate) fn not_connected() -> Self {
        Self::new(
            ErrorCode::NotConnected,
            "the client is not connected to a network: call connect() first",
        )
    }
}

impl From<safe_types::UrlError> for Error {
    fn from(e: safe_types::UrlError) -> Self {
        match e {
            safe_types::UrlError::UnsupportedMediaType(_) => Self::invalid_argument(e.to_string()),
            _ => Self::new(ErrorCode::InvalidUrl, e.to_string()),
        }
    }
}
