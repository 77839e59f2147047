//! The driving loop around one client, on a thread of its own.
//!
//! Who owns what: the driver thread owns the engine (a wasm instance or the native core), the
//! UDP sockets lent to it and its one timer. Everything reaches the engine through the driver,
//! one call at a time: operations from the `Safe` (over a channel), datagram batches from the
//! sockets, the timer. After every call it drains progress and completions (answering the
//! callers) and re-arms the timer with the engine's next deadline, as the Node host's driver
//! (`host/engine/driver.ts`) does. If the engine fails for good (a trap), the driver answers
//! every pending and later call with `Internal`; other `Safe`s in the process are unaffected.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use safe_client::{Operation, Output};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::engine::{Engine, Fatal};
use crate::{ErrorCode, SafeError};

/// The most datagrams handed to the engine in one call.
const BATCH: usize = 64;

/// What the `Safe` asks of its driver.
pub(crate) enum Command {
    /// Start an operation and answer when it finishes.
    Start { operation: Operation, reply: oneshot::Sender<Result<Output, SafeError>> },
    /// Reject what is pending with `Closed`, tell the nodes, stop.
    Close { reply: oneshot::Sender<()> },
}

/// The receive buffer each socket asks for, as the Node host's (host/engine/sockets.ts).
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

/// Binds the sockets the Node host binds: IPv4 on all interfaces, and IPv6 (v6 only) where the
/// machine has it.
fn bind_sockets() -> io::Result<Vec<(Arc<UdpSocket>, SocketAddr)>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let mut sockets = Vec::new();
    let mut last_error = None;
    for (domain, addr) in [
        (Domain::IPV4, SocketAddr::from(([0, 0, 0, 0], 0))),
        (Domain::IPV6, SocketAddr::from(([0u16; 8], 0))),
    ] {
        let bound = (|| {
            let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
            if domain == Domain::IPV6 {
                socket.set_only_v6(true)?;
            }
            socket.set_nonblocking(true)?;
            // As the Node host: room for the bursts of 16 KiB datagrams nodes send on loopback
            // (the kernel grants at most net.core.rmem_max; its default stays if refused).
            let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
            socket.bind(&addr.into())?;
            let socket = UdpSocket::from_std(socket.into())?;
            let local = socket.local_addr()?;
            Ok::<_, io::Error>((Arc::new(socket), local))
        })();
        match bound {
            Ok(s) => sockets.push(s),
            Err(e) => last_error = Some(e),
        }
    }
    match (sockets.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(sockets),
    }
}

/// Receives what has arrived on `socket`: waits for the first datagram, then takes what else is
/// already queued (up to [`BATCH`]). Cancel-safe: it only waits while it holds nothing.
async fn recv_batch(socket: Option<&UdpSocket>, buf: &mut [u8]) -> Vec<(SocketAddr, Vec<u8>)> {
    let Some(socket) = socket else { return std::future::pending().await };
    let mut batch = Vec::new();
    loop {
        match socket.try_recv_from(buf) {
            Ok((n, from)) => {
                batch.push((from, buf[..n].to_vec()));
                if batch.len() >= BATCH {
                    return batch;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !batch.is_empty() {
                    return batch;
                }
                if socket.readable().await.is_err() {
                    return std::future::pending().await;
                }
            }
            // An ICMP error from an earlier send (port unreachable): datagram loss, ignored.
            Err(_) => {
                if !batch.is_empty() {
                    return batch;
                }
            }
        }
    }
}

/// The driver's state besides the engine.
struct Driver<E> {
    engine: E,
    pending: HashMap<u64, oneshot::Sender<Result<Output, SafeError>>>,
    failure: Option<SafeError>,
    deadline: Option<Instant>,
    running: Arc<AtomicUsize>,
}

impl<E: Engine> Driver<E> {
    fn die(&mut self, fatal: Fatal) {
        let error = SafeError::new(
            ErrorCode::Internal,
            format!(
                "the Safe client component stopped: {}; create a new Safe (and please report this)",
                fatal.0
            ),
        );
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(error.clone()));
        }
        self.running.store(0, Ordering::SeqCst);
        self.deadline = None;
        self.failure = Some(error);
    }

    /// After every call: settle what finished, re-arm the timer.
    async fn after_call(&mut self, result: Result<(), Fatal>) {
        if self.failure.is_some() {
            return;
        }
        let step = async {
            result?;
            // Progress is not reported by this host yet; drained so it does not pile up.
            self.engine.drain_progress().await?;
            for (id, outcome) in self.engine.drain_completions().await? {
                if let Some(reply) = self.pending.remove(&id) {
                    let _ = reply.send(outcome);
                }
            }
            self.engine.next_timeout().await
        };
        match step.await {
            Ok(next) => {
                self.running.store(self.pending.len(), Ordering::SeqCst);
                self.deadline = next.map(|d| Instant::now() + d);
            }
            Err(fatal) => self.die(fatal),
        }
    }

    async fn start(
        &mut self,
        operation: Operation,
        reply: oneshot::Sender<Result<Output, SafeError>>,
    ) {
        if let Some(e) = &self.failure {
            let _ = reply.send(Err(e.clone()));
            return;
        }
        match self.engine.start(operation).await {
            Ok(Ok(id)) => {
                self.pending.insert(id, reply);
                self.after_call(Ok(())).await;
            }
            Ok(Err(e)) => {
                let _ = reply.send(Err(e));
                self.after_call(Ok(())).await;
            }
            Err(fatal) => {
                // The call that trapped fails like the ones pending: with Internal.
                self.die(fatal);
                if let Some(e) = &self.failure {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }

    async fn close(&mut self) {
        let closed = SafeError::new(ErrorCode::Closed, "the Safe was closed; create a new Safe");
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(closed.clone()));
        }
        self.running.store(0, Ordering::SeqCst);
        if self.failure.is_none() {
            self.engine.close().await;
        }
    }
}

/// Runs the driver until the `Safe` closes or is dropped.
pub(crate) async fn run<E: Engine>(
    mut engine: E,
    mut commands: mpsc::UnboundedReceiver<Command>,
    running: Arc<AtomicUsize>,
) -> Result<(), SafeError> {
    let sockets = bind_sockets().map_err(|e| {
        SafeError::new(ErrorCode::Network, format!("could not bind a UDP socket: {e}"))
    })?;
    let mut indices = Vec::new();
    for (socket, local) in &sockets {
        // A fresh socket is writable, but tokio learns it only from the reactor: without this,
        // the first datagrams (a connect's Initial packets) could meet `WouldBlock` and be lost.
        let _ = socket.writable().await;
        let index = engine.attach_socket(socket.clone(), *local).await.map_err(|f| {
            SafeError::new(
                ErrorCode::Internal,
                format!("the component could not take a socket: {}", f.0),
            )
        })?;
        indices.push(index);
    }
    let v4 = sockets.first().map(|(s, _)| s.clone());
    let v6 = sockets.get(1).map(|(s, _)| s.clone());
    let (i4, i6) = (indices.first().copied().unwrap_or(0), indices.get(1).copied().unwrap_or(0));
    let mut d = Driver { engine, pending: HashMap::new(), failure: None, deadline: None, running };
    let (mut buf4, mut buf6) = (vec![0u8; 65536], vec![0u8; 65536]);
    loop {
        let deadline = d.deadline;
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Start { operation, reply }) => d.start(operation, reply).await,
                Some(Command::Close { reply }) => {
                    d.close().await;
                    let _ = reply.send(());
                    return Ok(());
                }
                None => {
                    d.close().await;
                    return Ok(());
                }
            },
            batch = recv_batch(v4.as_deref(), &mut buf4), if d.failure.is_none() => {
                let r = d.engine.handle_datagrams(i4, batch).await;
                d.after_call(r).await;
            }
            batch = recv_batch(v6.as_deref(), &mut buf6), if d.failure.is_none() => {
                let r = d.engine.handle_datagrams(i6, batch).await;
                d.after_call(r).await;
            }
            _ = async { match deadline { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => {
                d.deadline = None;
                let r = d.engine.handle_timeout().await;
                d.after_call(r).await;
            }
        }
    }
}
