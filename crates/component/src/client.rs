//! The exported `client` resource: one core [`safe_client::Client`] and the sockets it was lent.

use std::cell::RefCell;
use std::time::Instant;

use bytes::BytesMut;
use safe_client::{Client, Error, ErrorCode, Operation, Output};

use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::datagram::{Datagram, UdpSocket};
use crate::convert::{self, Convert};

/// The state behind one `client` resource. Exported methods take `&self`, and the host never
/// calls back into the component while a call is running, so a `RefCell` is enough.
pub(crate) struct ClientResource(RefCell<Inner>);

struct Inner {
    core: Client,
    sockets: Vec<UdpSocket>,
    /// Reused for every datagram the core writes.
    buf: Vec<u8>,
}

impl Inner {
    /// Hands every datagram the core has to send to the host, one batch per socket.
    fn flush(&mut self, now: Instant) {
        let mut batches: Vec<Vec<Datagram>> = self.sockets.iter().map(|_| Vec::new()).collect();
        while let Some(t) = self.core.poll_transmit(now, &mut self.buf) {
            if let Some(batch) = batches.get_mut(t.socket) {
                batch.push(Datagram {
                    remote: convert::ip_socket_address(t.destination),
                    data: self.buf[..t.size].to_vec(),
                });
            }
        }
        for (socket, batch) in self.sockets.iter().zip(batches) {
            if !batch.is_empty() {
                socket.send(&batch);
            }
        }
    }
}

impl wit::GuestClient for ClientResource {
    fn new(options: wit::Options) -> Self {
        let config = options.convert(&mut ()).unwrap_or_default();
        let core = Client::new(config);
        Self(RefCell::new(Inner { core, sockets: Vec::new(), buf: Vec::with_capacity(1500) }))
    }

    fn attach_socket(&self, socket: UdpSocket) -> u32 {
        let mut inner = self.0.borrow_mut();
        let local = convert::socket_addr(&socket.local_address());
        let index = inner.core.add_socket(local);
        inner.sockets.push(socket);
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    fn handle_datagrams(&self, socket: u32, datagrams: Vec<Datagram>) {
        let now = Instant::now();
        let mut inner = self.0.borrow_mut();
        let received = datagrams
            .into_iter()
            .map(|d| (convert::socket_addr(&d.remote), BytesMut::from(&d.data[..])));
        inner.core.handle_datagrams(now, socket as usize, received);
        inner.flush(now);
    }

    fn handle_timeout(&self) {
        let now = Instant::now();
        let mut inner = self.0.borrow_mut();
        inner.core.handle_timeout(now);
        inner.flush(now);
    }

    fn next_timeout(&self) -> Option<u64> {
        let deadline = self.0.borrow_mut().core.poll_timeout()?;
        let micros = deadline.saturating_duration_since(Instant::now()).as_micros();
        Some(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    fn node_addresses(&self) -> Vec<wit::IpSocketAddress> {
        self.0.borrow().core.node_addresses().into_iter().map(convert::ip_socket_address).collect()
    }

    fn start(&self, request: wit::Request) -> Result<u64, wit::Error> {
        let now = Instant::now();
        let mut inner = self.0.borrow_mut();
        #[cfg(feature = "faults")]
        crate::faults::inject(&request, &inner.sockets)?;
        let operation: Operation = request.convert(&mut ()).map_err(wit_error)?;
        let id = inner.core.start(now, operation).map_err(wit_error)?;
        inner.flush(now);
        Ok(id)
    }

    fn cancel(&self, id: u64) {
        let now = Instant::now();
        let mut inner = self.0.borrow_mut();
        inner.core.cancel(now, id);
        inner.flush(now);
    }

    fn drain_progress(&self) -> Vec<wit::Progress> {
        let mut inner = self.0.borrow_mut();
        std::iter::from_fn(|| inner.core.poll_progress())
            .filter_map(|p| p.convert(&mut ()).ok())
            .collect()
    }

    fn drain_completions(&self) -> Vec<wit::Completion> {
        let mut inner = self.0.borrow_mut();
        std::iter::from_fn(|| inner.core.poll_completion())
            .map(|c| wit::Completion { id: c.id, outcome: outcome(c.result) })
            .collect()
    }
}

impl Drop for ClientResource {
    /// Tells the nodes the connections are closing, so they need not wait for a timeout.
    fn drop(&mut self) {
        let now = Instant::now();
        let inner = self.0.get_mut();
        inner.core.close(now, Error::new(ErrorCode::Cancelled, "the client was dropped"));
        inner.flush(now);
    }
}

/// The WIT form of a core error.
fn wit_error(e: Error) -> wit::Error {
    let message = e.message.clone();
    e.convert(&mut ()).unwrap_or(wit::Error { code: wit::ErrorCode::Internal, message })
}

/// A finished operation's outcome in WIT form; an output that does not convert (a bug) is an
/// `internal` error rather than a trap.
fn outcome(result: Result<Output, Error>) -> Result<wit::Response, wit::Error> {
    result.and_then(|output| output.convert(&mut ())).map_err(wit_error)
}
