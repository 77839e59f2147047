//! [`SafeError`]: every failure of the Rust API, with the same stable codes as the TypeScript
//! host's `SafeError` (`host/core/errors.ts`).

use std::fmt;

/// What kind of failure; stable across versions. Match on this, not on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument is malformed or out of range.
    InvalidArgument,
    /// A string is not a valid safe:// URL.
    InvalidUrl,
    /// The network holds nothing at the address.
    NotFound,
    /// The operation did not finish within the Safe's timeout.
    Timeout,
    /// The operation needs `connect()` first.
    NotConnected,
    /// Nodes could not be reached, or dropped the connection.
    Network,
    /// A node answered something the protocol does not allow (including forged data).
    Protocol,
    /// The operation was cancelled inside the client.
    Cancelled,
    /// The change needs the owner's key.
    NotOwner,
    /// The paying account's balance does not cover the amount.
    InsufficientBalance,
    /// The change conflicts with a concurrent one: re-read and retry.
    Conflict,
    /// The Safe was closed; create a new one.
    Closed,
    /// `connect()` found no contacts file and was given no bootstrap contacts.
    NoContacts,
    /// The caller gave up on the operation.
    Aborted,
    /// A bug in safe-wasi (for instance the component trapped): please report it.
    Internal,
}

impl ErrorCode {
    /// The code as the TypeScript host spells it (`"NotFound"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "InvalidArgument",
            Self::InvalidUrl => "InvalidUrl",
            Self::NotFound => "NotFound",
            Self::Timeout => "Timeout",
            Self::NotConnected => "NotConnected",
            Self::Network => "Network",
            Self::Protocol => "Protocol",
            Self::Cancelled => "Cancelled",
            Self::NotOwner => "NotOwner",
            Self::InsufficientBalance => "InsufficientBalance",
            Self::Conflict => "Conflict",
            Self::Closed => "Closed",
            Self::NoContacts => "NoContacts",
            Self::Aborted => "Aborted",
            Self::Internal => "Internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of a [`Safe`](crate::Safe) call: a [`code`](Self::code) to match on and a
/// message for people that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SafeError {
    code: ErrorCode,
    message: String,
}

impl SafeError {
    /// A new error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// What kind of failure.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What happened and what to do, for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<safe_client::Error> for SafeError {
    fn from(e: safe_client::Error) -> Self {
        use safe_client::ErrorCode as C;
        let code = match e.code {
            C::InvalidArgument => ErrorCode::InvalidArgument,
            C::InvalidUrl => ErrorCode::InvalidUrl,
            C::NotFound => ErrorCode::NotFound,
            C::Timeout => ErrorCode::Timeout,
            C::NotConnected => ErrorCode::NotConnected,
            C::Network => ErrorCode::Network,
            C::Protocol => ErrorCode::Protocol,
            C::Cancelled => ErrorCode::Cancelled,
            C::NotOwner => ErrorCode::NotOwner,
            C::InsufficientBalance => ErrorCode::InsufficientBalance,
            C::Conflict => ErrorCode::Conflict,
            C::Internal => ErrorCode::Internal,
        };
        Self::new(code, e.message)
    }
}
