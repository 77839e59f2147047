//! [`Client`]: the Safe client as a sans-IO state machine.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use safe_types::keys::Keypair;
use safe_types::{NetworkMap, XorUrlBase};
use tracing::warn;

use crate::events::{OpId, Progress};
use crate::net::{Net, Shared};
use crate::tasks::Tasks;
use crate::timers::Timers;
use crate::transport::{Transmit, Transport};
use crate::{Completion, Error, ErrorCode, Operation};

/// Guards against a driver step that never settles (a bug): at most this many rounds of
/// "process events, run operations" per input.
const MAX_ROUNDS: usize = 10_000;

/// The deadline of an operation whose timeout does not fit the clock.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// How a client behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// How long an operation may run before it fails with a timeout.
    pub timeout: Duration,
    /// The base of the XOR-URLs the client writes.
    pub xorurl_base: XorUrlBase,
    /// Seeds the client's randomness (new keys, register names), for reproducible tests;
    /// `None` draws from the operating system.
    pub rng_seed: Option<[u8; 32]>,
    /// A dry runner (sn_api's `Safe::dry_runner`): writes to the network are not sent, and give
    /// what they would have given (a store its XOR-URL, without a network map); reads still go
    /// to the network. See "Dry runs" in `ops/operation.rs`.
    pub dry_run: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            xorurl_base: XorUrlBase::Base32z,
            rng_seed: None,
            dry_run: false,
        }
    }
}

/// A Safe Network client that does no I/O and never reads the clock.
///
/// Its caller owns the sockets and the timer and drives it, like a quinn-proto `Endpoint`:
///
/// - **Sockets**: [`add_socket`](Self::add_socket) for each bound UDP socket lent to the client.
/// - **Input**: [`handle_datagrams`](Self::handle_datagrams) with what arrived on a socket;
///   [`handle_timeout`](Self::handle_timeout) once [`poll_timeout`](Self::poll_timeout) has
///   passed; [`start`](Self::start) and [`cancel`](Self::cancel) operations.
/// - **Output**, after any input: [`poll_transmit`](Self::poll_transmit) until `None`, sending
///   each datagram; [`poll_completion`](Self::poll_completion) until `None`; then
///   [`poll_timeout`](Self::poll_timeout) to re-arm the timer.
///
/// Every call returns promptly. Operations run as futures inside the client; each input runs
/// them as far as they can go.
pub struct Client {
    config: Config,
    net: Net,
    tasks: Tasks,
    completions: VecDeque<Completion>,
}

impl Client {
    /// A client with no sockets, not connected to any network.
    pub fn new(config: Config) -> Self {
        let mut rng = match config.rng_seed {
            Some(seed) => StdRng::from_seed(seed),
            None => StdRng::from_entropy(),
        };
        let keypair = Keypair::from_secret_bytes(&rng.gen());
        let shared = Shared {
            transport: Transport::new(),
            map: None,
            xorurl_base: config.xorurl_base,
            dry_run: config.dry_run,
            timers: Timers::default(),
            detached: Vec::new(),
            background: VecDeque::new(),
            background_bytes: 0,
            next_background: 0,
            map_fetched: None,
            map_stale: false,
            map_refreshing: false,
            keypair,
            rng,
            current_op: None,
            progress: VecDeque::new(),
        };
        Self { config, net: Net::new(shared), tasks: Tasks::new(), completions: VecDeque::new() }
    }

    /// Lends the client a socket bound to `local`; returns its index for `handle_datagrams`
    /// and [`Transmit::socket`].
    pub fn add_socket(&mut self, local: SocketAddr) -> usize {
        self.net.with(|s| s.transport.add_socket(local))
    }

    /// Datagrams that arrived on socket `socket`, from the given remotes, in arrival order.
    pub fn handle_datagrams(
        &mut self,
        now: Instant,
        socket: usize,
        datagrams: impl IntoIterator<Item = (SocketAddr, BytesMut)>,
    ) {
        self.net.with(|s| {
            for (remote, data) in datagrams {
                s.transport.handle_datagram(now, socket, remote, data);
            }
        });
        self.drive(now);
    }

    /// The time [`poll_timeout`](Self::poll_timeout) gave has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.net.with(|s| s.transport.handle_timeout(now));
        self.drive(now);
    }

    /// Starts `operation`. Arguments that are wrong on their face fail here; anything else is
    /// reported by a [`Completion`].
    pub fn start(&mut self, now: Instant, operation: Operation) -> Result<OpId, Error> {
        let timeout = operation.timeout_error(self.config.timeout.as_secs_f64());
        let future = operation.start(&self.net)?;
        // An absurd timeout must not overflow the clock (a panic would trap the component).
        let deadline = now.checked_add(self.config.timeout).unwrap_or(now + FAR_FUTURE);
        let id = self.tasks.next_id();
        let future = CurrentOp { id, net: self.net.clone(), inner: future };
        self.tasks.spawn(id, deadline, timeout, future);
        self.drive(now);
        Ok(id)
    }

    /// Stops operation `id`: it completes with [`ErrorCode::Cancelled`]. Unknown ids are ignored.
    pub fn cancel(&mut self, now: Instant, id: OpId) {
        let reason = Error::new(ErrorCode::Cancelled, "the operation was cancelled");
        if self.tasks.cancel(id, reason) {
            self.drive(now);
        }
    }

    /// Cancels every operation with `reason` and closes all connections, telling the nodes.
    /// Keep polling transmits afterwards so the close reaches them.
    pub fn close(&mut self, now: Instant, reason: Error) {
        self.tasks.cancel_all(&reason);
        self.drive(now);
        self.net.with(|s| {
            s.transport.close_all(now);
            s.map = None;
        });
        self.drive(now);
    }

    /// The next datagram to send, written into `buf`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.net.with(|s| s.transport.poll_transmit(now, buf))
    }

    /// When the client next needs [`handle_timeout`](Self::handle_timeout), if ever.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let (transport, timers) =
            self.net.with(|s| (s.transport.poll_timeout(), s.timers.next_deadline()));
        [transport, timers, self.tasks.next_deadline()].into_iter().flatten().min()
    }

    /// The next operation that finished.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.completions.pop_front()
    }

    /// The latest progress of an operation (at most one report per operation since the last
    /// call). Read it before the completions, so an operation's last report comes before its end.
    pub fn poll_progress(&mut self) -> Option<Progress> {
        self.net.with(|s| s.progress.pop_front())
    }

    /// The network map the client works with (refreshed as operations find it old or stale).
    pub fn network_map(&self) -> Option<NetworkMap> {
        self.net.with(|s| s.map.as_deref().cloned())
    }

    /// Where the nodes of the network map listen (none before `connect`): besides the bootstrap
    /// contacts, the only addresses the client sends to, so a host may confine it to them.
    pub fn node_addresses(&self) -> Vec<SocketAddr> {
        self.net
            .with(|s| s.map.as_ref().map(|m| m.nodes.iter().map(|n| n.addr).collect()))
            .unwrap_or_default()
    }

    /// Whether a network map has been obtained.
    pub fn is_connected(&self) -> bool {
        self.net.with(|s| s.map.is_some())
    }

    /// How many operations are running.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// How many QUIC connections are open or closing.
    pub fn connections(&self) -> usize {
        self.net.with(|s| s.transport.connection_count())
    }

    /// Bytes of write frames still going, in the background, to holders slower than the
    /// majority that acknowledged them.
    pub fn background_write_bytes(&self) -> u64 {
        self.net.with(|s| s.background_bytes)
    }

    fn drive(&mut self, now: Instant) {
        self.tasks.expire(now);
        for _ in 0..MAX_ROUNDS {
            let detached = self.net.with(|s| {
                s.timers.fire(now);
                s.transport.process(now);
                s.transport.flush(now);
                std::mem::take(&mut s.detached)
            });
            for work in detached {
                self.tasks.spawn_background(work);
            }
            if !self.tasks.run(&mut self.completions) {
                return;
            }
        }
        warn!("driver step did not settle after {MAX_ROUNDS} rounds");
    }
}

/// Polls an operation's future with the shared state knowing which operation it is, so
/// progress it reports is attributed to it.
struct CurrentOp<F> {
    id: OpId,
    net: Net,
    inner: F,
}

impl<F: Future + Unpin> Future for CurrentOp<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let id = self.id;
        self.net.with(|s| s.current_op = Some(id));
        let result = Pin::new(&mut self.inner).poll(cx);
        self.net.with(|s| s.current_op = None);
        result
    }
}
