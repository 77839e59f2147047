//! The two engines the driver can run: the component in wasmtime ([`wasm`]) and the same core
//! linked natively ([`native`]). Both take the same inputs (sockets, datagrams, the timer,
//! operations) and give the same outputs (completions, progress, the next deadline), so the
//! driver loop (`driver.rs`) is written once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use safe_client::{Operation, Output, Progress};
use tokio::net::UdpSocket;

use crate::SafeError;

pub(crate) mod cache;
mod gate;
pub(crate) mod native;
pub(crate) mod wasm;

/// The engine stopped for good (the component trapped): every pending and later call fails.
#[derive(Debug)]
pub(crate) struct Fatal(pub(crate) String);

/// An operation that finished: its id and what it gave.
pub(crate) type Finished = (u64, Result<Output, SafeError>);

/// One client, driven one call at a time. Every call returns promptly.
pub(crate) trait Engine {
    /// Lends the client a bound socket; its index for `handle_datagrams`.
    async fn attach_socket(
        &mut self,
        socket: Arc<UdpSocket>,
        local: SocketAddr,
    ) -> Result<u32, Fatal>;
    /// Datagrams that arrived on socket `socket`, in arrival order.
    async fn handle_datagrams(
        &mut self,
        socket: u32,
        datagrams: Vec<(SocketAddr, Vec<u8>)>,
    ) -> Result<(), Fatal>;
    /// The delay `next_timeout` gave has passed.
    async fn handle_timeout(&mut self) -> Result<(), Fatal>;
    /// How long until `handle_timeout` is due; `None` when no timer is needed.
    async fn next_timeout(&mut self) -> Result<Option<Duration>, Fatal>;
    /// Starts an operation; an argument wrong on its face fails at once.
    async fn start(&mut self, operation: Operation) -> Result<Result<u64, SafeError>, Fatal>;
    /// Cancels an operation (it completes with `Cancelled`).
    #[allow(
        dead_code,
        reason = "the Rust Safe has no cancellation yet (no AbortSignal counterpart)"
    )]
    async fn cancel(&mut self, id: u64) -> Result<(), Fatal>;
    /// The operations that finished since the last call.
    async fn drain_completions(&mut self) -> Result<Vec<Finished>, Fatal>;
    /// The latest progress of running operations.
    async fn drain_progress(&mut self) -> Result<Vec<Progress>, Fatal>;
    /// Closes every connection, telling the nodes.
    async fn close(&mut self);
}

/// Sends a batch of datagrams without waiting: a full socket buffer drops the datagram, as the
/// network itself may (QUIC recovers).
pub(crate) fn send_batch(
    socket: &UdpSocket,
    batch: impl IntoIterator<Item = (SocketAddr, impl AsRef<[u8]>)>,
) {
    for (remote, data) in batch {
        if let Err(e) = socket.try_send_to(data.as_ref(), remote) {
            if e.kind() != std::io::ErrorKind::WouldBlock {
                tracing_free_log(&format!("udp send to {remote} failed: {e}"));
            }
        }
    }
}

/// Debug logging on stderr when `SAFE_WASMTIME_DEBUG` is set (off by default, like
/// `NODE_DEBUG=safe-wasi` in the Node host).
pub(crate) fn tracing_free_log(message: &str) {
    if std::env::var_os("SAFE_WASMTIME_DEBUG").is_some() {
        eprintln!("safe-wasmtime: {message}");
    }
}
