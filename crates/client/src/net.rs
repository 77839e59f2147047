//! What operations see of the network: the network map, and requests to nodes as futures.
//!
//! Operations are `async` code without a clock or sockets. They share one [`Net`] handle with
//! the driver; a request only queues work in the [`Transport`], and the future resolves when
//! the driver has moved the node's answer into it. Single-threaded by design: the handle is an
//! `Rc<RefCell<..>>`, borrowed only inside a poll or a driver step, never across an `.await`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::{AbortHandle, LocalBoxFuture};
use futures::FutureExt;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::Rng;
use safe_types::keys::Keypair;
use safe_types::wire::{self, ErrorKind, ErrorResponse, Request, Response};
use safe_types::{NetworkMap, NodeInfo, XorName, XorUrlBase};

use crate::timers::{Sleep, Timers};
use crate::transport::{Reply, RequestError, RequestId, Target, Transport};
use crate::{Error, ErrorCode, OpId, Progress, ProgressUnit};

/// State shared by the driver and the operations.
pub(crate) struct Shared {
    pub(crate) transport: Transport,
    pub(crate) map: Option<Rc<NetworkMap>>,
    pub(crate) xorurl_base: XorUrlBase,
    /// Writes are skipped and answered as if they succeeded (see [`Net::dry_run`]).
    pub(crate) dry_run: bool,
    /// The driver's clock and the operations' deadlines.
    pub(crate) timers: Timers,
    /// Work handed off by operations, to go on after they complete (see [`Net::detach`]).
    pub(crate) detached: Vec<LocalBoxFuture<'static, ()>>,
    /// Writes still going to their last holders in the background, oldest first (see
    /// [`Net::detach_write`]), their frames' bytes in all, and the next one's id.
    pub(crate) background: VecDeque<BackgroundWrite>,
    pub(crate) background_bytes: u64,
    pub(crate) next_background: u64,
    /// When the map was last fetched.
    pub(crate) map_fetched: Option<Instant>,
    /// Set when a node of the map could not be reached: the next operation refreshes the map.
    pub(crate) map_stale: bool,
    /// Set while an operation refreshes the map, so others do not pile on.
    pub(crate) map_refreshing: bool,
    /// The key that owns the registers this client creates and signs their entries.
    pub(crate) keypair: Keypair,
    /// Randomness for new keys, register names and request ids.
    pub(crate) rng: StdRng,
    /// The operation being polled, so it can report its progress.
    pub(crate) current_op: Option<OpId>,
    /// The latest progress of each operation that reported some, in reporting order.
    pub(crate) progress: VecDeque<Progress>,
}

/// A write going on in the background, which [`Net::trim_background`] may abandon.
pub(crate) struct BackgroundWrite {
    id: u64,
    bytes: u64,
    handle: AbortHandle,
}

/// A cheap handle on the shared state, held by each operation.
#[derive(Clone)]
pub(crate) struct Net(Rc<RefCell<Shared>>);

impl Net {
    pub(crate) fn new(shared: Shared) -> Self {
        Self(Rc::new(RefCell::new(shared)))
    }

    /// Runs `f` on the shared state; never call while another borrow is live.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }

    /// Runs `f` on the shared state unless it is borrowed (for destructors, which may run
    /// anywhere).
    pub(crate) fn try_with(&self, f: impl FnOnce(&mut Shared)) {
        if let Ok(mut shared) = self.0.try_borrow_mut() {
            f(&mut shared);
        }
    }

    /// Waits until the driver's clock has moved `duration` on.
    pub(crate) fn sleep(&self, duration: Duration) -> Sleep {
        self.with(|s| s.timers.sleep(duration))
    }

    /// Lets `work` go on in the background, for at most `grace`, after the operation that
    /// started it has completed (e.g. the puts to the last holders of a stored chunk).
    pub(crate) fn detach(&self, grace: Duration, work: impl Future<Output = ()> + 'static) {
        let sleep = self.sleep(grace);
        let bounded = async move {
            futures::pin_mut!(work);
            futures::pin_mut!(sleep);
            futures::future::select(work, sleep).await;
        };
        self.with(|s| s.detached.push(bounded.boxed_local()));
    }

    /// As [`Net::detach`], for writes of a `bytes`-long frame still going to some holders after
    /// a majority acknowledged it: the bytes count towards [`Net::trim_background`] until the
    /// work ends, times out or is abandoned.
    pub(crate) fn detach_write(
        &self,
        bytes: u64,
        grace: Duration,
        work: impl Future<Output = ()> + 'static,
    ) {
        /// Gives the bytes back however the work ends (finished, timed out, dropped).
        struct Held(Net, u64);
        impl Drop for Held {
            fn drop(&mut self) {
                let id = self.1;
                self.0.try_with(|s| {
                    if let Some(at) = s.background.iter().position(|b| b.id == id) {
                        if let Some(write) = s.background.remove(at) {
                            s.background_bytes = s.background_bytes.saturating_sub(write.bytes);
                        }
                    }
                });
            }
        }
        let (work, handle) = futures::future::abortable(work);
        let id = self.with(|s| {
            let id = s.next_background;
            s.next_background += 1;
            s.background.push_back(BackgroundWrite { id, bytes, handle });
            s.background_bytes += bytes;
            id
        });
        let held = Held(self.clone(), id);
        self.detach(grace, async move {
            let _ = work.await;
            drop(held);
        });
    }

    /// Abandons the oldest background writes until at most `limit` bytes of them go on, so a
    /// long upload neither waits for nor piles frames up for a holder slower than the majority
    /// (the chunks it misses are on a majority, and nodes re-replicate when membership changes).
    pub(crate) fn trim_background(&self, limit: u64) {
        let abandoned: Vec<AbortHandle> = self.with(|s| {
            let mut abandoned = Vec::new();
            while s.background_bytes > limit {
                let Some(write) = s.background.pop_front() else { break };
                s.background_bytes = s.background_bytes.saturating_sub(write.bytes);
                abandoned.push(write.handle);
            }
            abandoned
        });
        // Outside the borrow: aborting wakes the task.
        for handle in abandoned {
            handle.abort();
        }
    }

    /// The network map, or `NotConnected`.
    pub(crate) fn map(&self) -> Result<Rc<NetworkMap>, Error> {
        self.with(|s| s.map.clone()).ok_or_else(Error::not_connected)
    }

    pub(crate) fn xorurl_base(&self) -> XorUrlBase {
        self.with(|s| s.xorurl_base)
    }

    /// Whether this is a dry runner: every write to the network (chunk puts, register
    /// creations and entries, transfers, the faucet) is skipped where it would be sent and
    /// answered with what it would have given; reads are sent as usual.
    pub(crate) fn dry_run(&self) -> bool {
        self.with(|s| s.dry_run)
    }

    /// Notes that a node of the map could not be reached (it may have left the network).
    pub(crate) fn mark_map_stale(&self) {
        self.with(|s| s.map_stale = true);
    }

    /// Reports the progress of the operation being polled (replacing what it reported before,
    /// if the caller has not read that yet).
    pub(crate) fn report_progress(
        &self,
        done: u64,
        total: u64,
        unit: ProgressUnit,
        item: Option<String>,
    ) {
        self.with(|s| {
            let Some(id) = s.current_op else { return };
            s.progress.retain(|p| p.id != id);
            s.progress.push_back(Progress { id, done, total, unit, item });
        });
    }

    /// The client's owner key pair.
    pub(crate) fn keypair(&self) -> Keypair {
        self.with(|s| s.keypair.clone())
    }

    /// 32 random bytes (a secret key, a register name, a request id).
    pub(crate) fn random32(&self) -> [u8; 32] {
        self.with(|s| s.rng.gen())
    }

    /// Sends `request` to the node at `target`.
    pub(crate) fn request(&self, target: Target, request: &Request) -> RequestFuture {
        let frame = wire::encode(request).map(Bytes::from).map_err(|e| e.to_string());
        self.enqueue(target, frame)
    }

    /// Sends an encoded request frame (so one frame can go to several nodes without copying).
    pub(crate) fn send_frame(&self, target: Target, frame: Bytes) -> RequestFuture {
        self.enqueue(target, Ok(frame))
    }

    fn enqueue(&self, target: Target, frame: Result<Bytes, String>) -> RequestFuture {
        let id = self.with(|s| s.transport.enqueue(target, frame));
        RequestFuture { net: self.clone(), id, done: false }
    }

    /// Sends `request` to a node of the map, pinned to its id.
    pub(crate) fn request_node(&self, node: &NodeInfo, request: &Request) -> RequestFuture {
        self.request(Target { addr: node.addr, id: Some(node.id) }, request)
    }
}

/// A request in flight; dropping it abandons the request.
pub(crate) struct RequestFuture {
    net: Net,
    id: RequestId,
    done: bool,
}

impl Future for RequestFuture {
    type Output = Result<Reply, RequestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        match self.net.with(|s| s.transport.poll_request(id, cx.waker())) {
            Some(outcome) => {
                self.done = true;
                Poll::Ready(outcome)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for RequestFuture {
    fn drop(&mut self) {
        if !self.done {
            // The driver never drops operations while it holds the state, but stay safe.
            let id = self.id;
            self.net.try_with(|s| s.transport.abandon(id));
        }
    }
}

/// A node's answer as an operation sees it: a response, or the node's refusal as an error.
pub(crate) fn node_answer(node: &str, response: Response) -> Result<Response, Error> {
    match response {
        Response::Error(ErrorResponse { kind, message }) => {
            let code = match kind {
                ErrorKind::NotFound => ErrorCode::NotFound,
                ErrorKind::InvalidRequest => ErrorCode::InvalidArgument,
                ErrorKind::UnsupportedVersion => ErrorCode::Protocol,
                ErrorKind::Storage | ErrorKind::Unavailable => ErrorCode::Network,
                ErrorKind::NotOwner => ErrorCode::NotOwner,
                ErrorKind::InsufficientFunds => ErrorCode::InsufficientBalance,
                ErrorKind::Conflict => ErrorCode::Conflict,
                ErrorKind::Forbidden => ErrorCode::InvalidArgument,
            };
            Err(Error::new(code, format!("node {node} refused: {message}")))
        }
        other => Ok(other),
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Malformed { .. } => Error::protocol(e.to_string()),
            RequestError::Encode(_) => Error::new(ErrorCode::Internal, e.to_string()),
            _ => Error::network(e.to_string()),
        }
    }
}

/// Short printable form of a node id for messages.
pub(crate) fn short(id: &XorName) -> String {
    format!("{id:x}").chars().take(12).collect()
}
