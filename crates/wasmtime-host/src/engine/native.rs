//! The native engine: `safe-client`'s [`Client`] linked into this binary, no wasm. The speed
//! baseline every other host is compared with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use safe_client::{Client, Config, Error, ErrorCode, Operation, Progress};
use tokio::net::UdpSocket;

use super::{send_batch, Engine, Fatal, Finished};

/// The core client and the sockets lent to it.
pub(crate) struct NativeEngine {
    core: Client,
    sockets: Vec<Arc<UdpSocket>>,
    buf: Vec<u8>,
}

impl NativeEngine {
    pub(crate) fn new(config: Config) -> Self {
        Self { core: Client::new(config), sockets: Vec::new(), buf: Vec::with_capacity(1500) }
    }

    /// Sends what the core has to send, one batch per socket.
    fn flush(&mut self, now: Instant) {
        let mut batches: Vec<Vec<(SocketAddr, Vec<u8>)>> =
            self.sockets.iter().map(|_| Vec::new()).collect();
        while let Some(t) = self.core.poll_transmit(now, &mut self.buf) {
            if let Some(batch) = batches.get_mut(t.socket) {
                batch.push((t.destination, self.buf[..t.size].to_vec()));
            }
        }
        for (socket, batch) in self.sockets.iter().zip(batches) {
            send_batch(socket, batch);
        }
    }
}

impl Engine for NativeEngine {
    async fn attach_socket(
        &mut self,
        socket: Arc<UdpSocket>,
        local: SocketAddr,
    ) -> Result<u32, Fatal> {
        let index = self.core.add_socket(local);
        self.sockets.push(socket);
        Ok(u32::try_from(index).unwrap_or(u32::MAX))
    }

    async fn handle_datagrams(
        &mut self,
        socket: u32,
        datagrams: Vec<(SocketAddr, Vec<u8>)>,
    ) -> Result<(), Fatal> {
        let now = Instant::now();
        let received =
            datagrams.into_iter().map(|(remote, data)| (remote, BytesMut::from(&data[..])));
        self.core.handle_datagrams(now, socket as usize, received);
        self.flush(now);
        Ok(())
    }

    async fn handle_timeout(&mut self) -> Result<(), Fatal> {
        let now = Instant::now();
        self.core.handle_timeout(now);
        self.flush(now);
        Ok(())
    }

    async fn next_timeout(&mut self) -> Result<Option<Duration>, Fatal> {
        Ok(self.core.poll_timeout().map(|d| d.saturating_duration_since(Instant::now())))
    }

    async fn start(
        &mut self,
        operation: Operation,
    ) -> Result<Result<u64, crate::SafeError>, Fatal> {
        let now = Instant::now();
        let started = self.core.start(now, operation).map_err(crate::SafeError::from);
        self.flush(now);
        Ok(started)
    }

    async fn cancel(&mut self, id: u64) -> Result<(), Fatal> {
        let now = Instant::now();
        self.core.cancel(now, id);
        self.flush(now);
        Ok(())
    }

    async fn drain_completions(&mut self) -> Result<Vec<Finished>, Fatal> {
        Ok(std::iter::from_fn(|| self.core.poll_completion())
            .map(|c| (c.id, c.result.map_err(crate::SafeError::from)))
            .collect())
    }

    async fn drain_progress(&mut self) -> Result<Vec<Progress>, Fatal> {
        Ok(std::iter::from_fn(|| self.core.poll_progress()).collect())
    }

    async fn close(&mut self) {
        let now = Instant::now();
        self.core.close(now, Error::new(ErrorCode::Cancelled, "the Safe was closed"));
        self.flush(now);
    }
}
