//! How the node words its answers: error responses, and store work run off the async threads
//! with its failure turned into an answer. A leaf module every request handler uses.

use safe_types::wire::{ErrorKind, ErrorResponse, Response};

use crate::store::StoreError;

/// Runs store work off the async threads, since it does blocking file I/O.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("storage task failed: {e}")),
    }
}

/// The answer to a request the node could not serve from its storage.
pub(crate) fn storage_error(reason: impl std::fmt::Display) -> Response {
    tracing::error!(%reason, "storage failure");
    // The details (paths, OS errors) are for the node's operator, not for peers.
    error(ErrorKind::Storage, "the node could not access its storage")
}

/// An error answer.
pub(crate) fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
    Response::Error(ErrorResponse::new(kind, message))
}
