//! A deterministic network for the client's tests, after quinn-proto's `Pair`: one
//! [`safe_client::Client`] and N in-memory [`TestNode`]s exchanging datagrams through a
//! simulated link with a virtual clock, fixed latency, an MTU and deterministic loss.
//!
//! Nothing here touches a socket, a thread or the real clock's passing: time is a fixed
//! `Instant` plus an offset that only [`Sim`] moves, jumping straight to the next thing that
//! will happen (a datagram's arrival, a QUIC timer, an operation's deadline, a node's delayed
//! answer). Every loop is bounded, so a client that never settles fails its test instead of
//! hanging it. The same code runs natively and compiled to wasm32-wasip1.
//!
//! Each test binary uses part of this module; the rest would warn as dead code.
#![allow(dead_code)]

pub(crate) mod local;
mod node;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use safe_client::safe_types::{NetworkMap, NodeInfo, SafeUrl, XorName, DEFAULT_REPLICATION_FACTOR};
use safe_client::{
    ByteRange, Client, Completion, Config, Contact, Error, NetworkInfo, OpId, Operation, Output,
    Progress, PublicFile, SafeData,
};

#[allow(unused_imports)]
pub(crate) use node::{
    Asked, BadAnswer, Behaviour, CertificateKey, MapLie, NodeEvent, NodeOptions, TestNode,
};

/// Where the client's socket is bound.
pub(crate) const CLIENT_ADDR: &str = "10.0.0.1:4000";
/// At most this many steps per `run_*` call: far more than any test needs.
const MAX_STEPS: usize = 1_000_000;
/// Virtual time a `run_*` call may cover before the test is failed as stuck.
const MAX_VIRTUAL_TIME: Duration = Duration::from_secs(3600);

/// Which datagrams the link drops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Loss {
    None,
    /// Every `n`-th datagram sent (counting both directions together).
    EveryNth(u64),
    /// Each datagram with probability `rate`, from a PRNG seeded with `seed`.
    Random {
        seed: u64,
        rate: f64,
    },
}

/// How to build a [`Sim`].
#[derive(Debug, Clone)]
pub(crate) struct SimConfig {
    /// How many nodes.
    pub(crate) nodes: usize,
    /// R in the network map the nodes give out.
    pub(crate) replication_factor: u8,
    /// One-way delay of every datagram.
    pub(crate) latency: Duration,
    /// Datagrams larger than this are dropped.
    pub(crate) mtu: usize,
    pub(crate) loss: Loss,
    pub(crate) client: Config,
    /// Set-up of every node.
    pub(crate) node: NodeOptions,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            nodes: 1,
            replication_factor: DEFAULT_REPLICATION_FACTOR,
            latency: Duration::from_millis(5),
            mtu: 1500,
            loss: Loss::None,
            client: Config { rng_seed: Some([0x5a; 32]), ..Config::default() },
            node: NodeOptions::default(),
        }
    }
}

impl SimConfig {
    pub(crate) fn nodes(nodes: usize) -> Self {
        Self { nodes, ..Self::default() }
    }
}

struct InFlight {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    data: Vec<u8>,
}

/// Counters of what the link did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LinkStats {
    pub(crate) sent: u64,
    pub(crate) lost: u64,
    pub(crate) too_big: u64,
    pub(crate) unroutable: u64,
}

/// One client, N nodes, a link and a virtual clock (see the module docs).
pub(crate) struct Sim {
    pub(crate) client: Client,
    pub(crate) client_addr: SocketAddr,
    pub(crate) nodes: Vec<TestNode>,
    /// Operations that finished, with the virtual time the client reported them.
    pub(crate) completions: Vec<(Instant, Completion)>,
    /// Progress the client reported, with the virtual time, in order.
    pub(crate) progress: Vec<(Instant, Progress)>,
    pub(crate) stats: LinkStats,
    /// The honest map every node was given.
    pub(crate) map: NetworkMap,
    socket: usize,
    epoch: Instant,
    now: Instant,
    latency: Duration,
    mtu: usize,
    loss: Loss,
    rng: u64,
    in_flight: VecDeque<InFlight>,
    buf: Vec<u8>,
}

impl Sim {
    /// `n` honest nodes and a client with default settings.
    pub(crate) fn new(n: usize) -> Self {
        Self::with(SimConfig::nodes(n))
    }

    pub(crate) fn with(config: SimConfig) -> Self {
        let epoch = Instant::now();
        let client_addr: SocketAddr = CLIENT_ADDR.parse().expect("client address");
        let mut client = Client::new(config.client);
        let socket = client.add_socket(client_addr);
        let mut nodes: Vec<TestNode> = (0..config.nodes)
            .map(|i| {
                let addr = SocketAddr::from(([10, 0, 1, i as u8 + 1], 12000));
                TestNode::new(i as u64, addr, config.node.clone())
            })
            .collect();
        let map = NetworkMap {
            epoch: 1,
            replication_factor: config.replication_factor,
            nodes: nodes.iter().map(|n| n.info.clone()).collect(),
        };
        for node in &mut nodes {
            node.map = map.clone();
        }
        let rng = match config.loss {
            Loss::Random { seed, .. } => seed,
            _ => 0,
        };
        Self {
            client,
            client_addr,
            nodes,
            completions: Vec::new(),
            progress: Vec::new(),
            stats: LinkStats::default(),
            map,
            socket,
            epoch,
            now: epoch,
            latency: config.latency,
            mtu: config.mtu,
            loss: config.loss,
            rng,
            in_flight: VecDeque::new(),
            buf: Vec::new(),
        }
    }

    /// Puts a new client made with `config` in place of the current one, on the same address
    /// (with the same seed it has the same key pair); gives back the old one. The nodes keep
    /// what they hold.
    pub(crate) fn replace_client(&mut self, config: Config) -> Client {
        let mut client = Client::new(config);
        self.socket = client.add_socket(self.client_addr);
        self.swap_client(client)
    }

    /// Puts back a client [`Sim::replace_client`] gave (its one socket is on this address);
    /// gives the current one. The completions and progress seen so far are forgotten: each
    /// client numbers its operations from its own start.
    pub(crate) fn swap_client(&mut self, client: Client) -> Client {
        self.completions.clear();
        self.progress.clear();
        std::mem::replace(&mut self.client, client)
    }

    // ---- time -------------------------------------------------------------------------------

    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    /// When the simulation began.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// Virtual time since the simulation began.
    pub(crate) fn elapsed(&self) -> Duration {
        self.now - self.epoch
    }

    // ---- client input -----------------------------------------------------------------------

    /// Starts an operation now and sends what it queued.
    pub(crate) fn start(&mut self, operation: Operation) -> Result<OpId, Error> {
        let id = self.client.start(self.now, operation);
        self.client_output();
        id
    }

    pub(crate) fn cancel(&mut self, id: OpId) {
        self.client.cancel(self.now, id);
        self.client_output();
    }

    pub(crate) fn close(&mut self, reason: Error) {
        self.client.close(self.now, reason);
        self.client_output();
    }

    // ---- running ----------------------------------------------------------------------------

    /// One round: deliver the datagrams whose time has come, fire due timers, collect every
    /// side's output. Returns whether anything happened; the clock does not move.
    pub(crate) fn step(&mut self) -> bool {
        let now = self.now;
        let mut busy = false;
        let mut to_client = Vec::new();
        while self.in_flight.front().is_some_and(|d| d.at <= now) {
            let Some(d) = self.in_flight.pop_front() else { break };
            busy = true;
            if d.to == self.client_addr {
                to_client.push((d.from, BytesMut::from(&d.data[..])));
            } else if let Some(node) = self.nodes.iter_mut().find(|n| n.addr == d.to) {
                node.handle_datagram(now, d.from, BytesMut::from(&d.data[..]));
            } else {
                self.stats.unroutable += 1;
            }
        }
        if !to_client.is_empty() {
            self.client.handle_datagrams(now, self.socket, to_client);
        }
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
            busy = true;
        }
        busy |= self.client_output();
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            if node.next_wakeup().is_some_and(|t| t <= now) {
                node.handle_timeout(now);
                busy = true;
            }
            node.drive(now);
            let from = node.addr;
            while let Some((to, data)) = self.nodes[i].poll_transmit() {
                busy = true;
                self.send(from, to, data);
            }
        }
        busy
    }

    /// When the next thing will happen if nothing is done meanwhile.
    pub(crate) fn next_event(&mut self) -> Option<Instant> {
        let arrival = self.in_flight.front().map(|d| d.at);
        let client = self.client.poll_timeout();
        let nodes = self.nodes.iter_mut().filter_map(|n| n.next_wakeup()).min();
        [arrival, client, nodes].into_iter().flatten().min()
    }

    /// Runs until `done` holds, moving the clock to each next event. Fails the test if the
    /// simulation goes idle first, or runs more than [`MAX_STEPS`] steps or
    /// [`MAX_VIRTUAL_TIME`] of virtual time.
    pub(crate) fn run_until(&mut self, mut done: impl FnMut(&Sim) -> bool) {
        let started = self.now;
        for _ in 0..MAX_STEPS {
            if done(self) {
                return;
            }
            if self.step() {
                continue;
            }
            if done(self) {
                return;
            }
            match self.next_event() {
                Some(t) => self.now = self.now.max(t),
                None => {
                    panic!("simulation went idle at {:?} before the condition held", self.elapsed())
                }
            }
            assert!(
                self.now - started <= MAX_VIRTUAL_TIME,
                "condition not reached within {MAX_VIRTUAL_TIME:?} of virtual time"
            );
        }
        panic!("condition not reached within {MAX_STEPS} steps (at {:?})", self.elapsed());
    }

    /// Runs every event up to and including `until`, then sets the clock to `until`.
    pub(crate) fn run_until_time(&mut self, until: Instant) {
        for _ in 0..MAX_STEPS {
            if self.step() {
                continue;
            }
            match self.next_event() {
                Some(t) if t <= until => self.now = self.now.max(t),
                _ => {
                    self.now = self.now.max(until);
                    self.step();
                    return;
                }
            }
        }
        panic!("{MAX_STEPS} steps did not reach {:?}", until - self.epoch);
    }

    /// Runs for `d` of virtual time.
    pub(crate) fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until_time(until);
    }

    /// Runs until every side is idle: nothing in flight and no timer armed (or the bound).
    pub(crate) fn run_until_idle(&mut self) {
        let started = self.now;
        for _ in 0..MAX_STEPS {
            if self.step() {
                continue;
            }
            match self.next_event() {
                Some(t) => self.now = self.now.max(t),
                None => return,
            }
            assert!(self.now - started <= MAX_VIRTUAL_TIME, "never went idle");
        }
        panic!("not idle after {MAX_STEPS} steps");
    }

    /// Runs until operation `id` completes and returns its completion.
    pub(crate) fn run_until_complete(&mut self, id: OpId) -> Completion {
        self.run_until(|s| s.completion(id).is_some());
        self.completion(id).cloned().expect("just completed")
    }

    /// Operation `id`'s completion, if it has one.
    pub(crate) fn completion(&self, id: OpId) -> Option<&Completion> {
        self.completions.iter().find(|(_, c)| c.id == id).map(|(_, c)| c)
    }

    /// The virtual time at which operation `id` completed.
    pub(crate) fn completed_at(&self, id: OpId) -> Option<Instant> {
        self.completions.iter().find(|(_, c)| c.id == id).map(|(t, _)| *t)
    }

    /// Starts `operation` and runs until it completes.
    pub(crate) fn run(&mut self, operation: Operation) -> Result<Output, Error> {
        let id = self.start(operation)?;
        self.run_until_complete(id).result
    }

    // ---- Safe helpers -----------------------------------------------------------------------

    /// How to reach node `i`, pinned to its id or not.
    pub(crate) fn contact(&self, i: usize, pinned: bool) -> Contact {
        let node = &self.nodes[i];
        Contact { addr: node.addr, id: pinned.then(|| node.id()) }
    }

    /// Connects through node 0, unpinned, and expects success.
    pub(crate) fn connect(&mut self) -> NetworkInfo {
        let contact = self.contact(0, false);
        match self.run(Operation::Connect(vec![contact])) {
            Ok(Output::Connected(info)) => info,
            other => panic!("connect failed: {other:?}"),
        }
    }

    pub(crate) fn try_store(
        &mut self,
        data: &[u8],
        media_type: Option<&str>,
    ) -> Result<String, Error> {
        let op = Operation::StoreBytes {
            data: Bytes::copy_from_slice(data),
            media_type: media_type.map(str::to_owned),
        };
        self.run(op).map(|out| match out {
            Output::Stored(url) => url,
            other => panic!("storeBytes gave {other:?}"),
        })
    }

    /// Stores `data` and expects success; returns its XOR-URL.
    pub(crate) fn store(&mut self, data: &[u8], media_type: Option<&str>) -> String {
        self.try_store(data, media_type).expect("storeBytes succeeds")
    }

    pub(crate) fn get(&mut self, url: &str, range: Option<ByteRange>) -> Result<Bytes, Error> {
        self.run(Operation::FilesGet { url: url.to_owned(), range }).map(|out| match out {
            Output::Bytes(b) => b,
            other => panic!("filesGet gave {other:?}"),
        })
    }

    pub(crate) fn fetch(
        &mut self,
        url: &str,
        range: Option<ByteRange>,
    ) -> Result<PublicFile, Error> {
        self.run(Operation::Fetch { url: url.to_owned(), range }).map(|out| match out {
            Output::Data(SafeData::PublicFile(f)) => f,
            other => panic!("fetch gave {other:?}"),
        })
    }

    /// Indices of the nodes that hold `address` under the honest map, closest first.
    pub(crate) fn holders(&self, address: &XorName) -> Vec<usize> {
        self.map.holders(address).iter().map(|info| self.index_of(info)).collect()
    }

    pub(crate) fn index_of(&self, info: &NodeInfo) -> usize {
        self.nodes.iter().position(|n| n.id() == info.id).expect("a node of the map")
    }

    /// The chunk at `address` as the first node holding it has it.
    pub(crate) fn stored_chunk(&self, address: &XorName) -> Option<Bytes> {
        self.nodes.iter().find_map(|n| n.store.get(address).cloned())
    }

    /// The chunks a stored file is made of: the one its URL names, then (for a self-encrypted
    /// file) the encrypted chunks its data map lists, in order. Read from the nodes' stores.
    pub(crate) fn file_chunks(&self, url: &str) -> Vec<XorName> {
        let root = url_address(url);
        let chunk = self.stored_chunk(&root).expect("some node holds the file's chunk");
        let mut chunks = vec![root];
        if chunk.len() >= 3 {
            let (entries, child) = parse_data_map(&chunk).expect("a data map");
            assert_eq!(child, None, "the harness reads only root data maps");
            chunks.extend(entries.iter().map(|e| e.address));
        }
        chunks
    }

    // ---- the link ---------------------------------------------------------------------------

    /// Sends what the client queued and collects what it finished. Returns whether it sent.
    fn client_output(&mut self) -> bool {
        let mut sent = false;
        let mut buf = std::mem::take(&mut self.buf);
        while let Some(t) = self.client.poll_transmit(self.now, &mut buf) {
            assert_eq!(t.socket, self.socket, "the client has one socket");
            sent = true;
            self.send(self.client_addr, t.destination, buf[..t.size].to_vec());
        }
        self.buf = buf;
        while let Some(p) = self.client.poll_progress() {
            self.progress.push((self.now, p));
        }
        while let Some(c) = self.client.poll_completion() {
            self.completions.push((self.now, c));
        }
        sent
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, data: Vec<u8>) {
        self.stats.sent += 1;
        if data.len() > self.mtu {
            self.stats.too_big += 1;
            return;
        }
        if self.lose() {
            self.stats.lost += 1;
            return;
        }
        // Fixed latency keeps arrivals in sending order.
        self.in_flight.push_back(InFlight { at: self.now + self.latency, from, to, data });
    }

    fn lose(&mut self) -> bool {
        match self.loss {
            Loss::None => false,
            Loss::EveryNth(n) => self.stats.sent % n == 0,
            Loss::Random { rate, .. } => {
                // SplitMix64: tiny, seedable, the same on every platform.
                self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.rng;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 53) as f64 <= rate
            }
        }
    }
}

/// Deterministic pseudo-random bytes that do not compress (xorshift), different for each seed.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The address a file's XOR-URL names.
pub(crate) fn url_address(url: &str) -> XorName {
    SafeUrl::parse(url).expect("a valid XOR-URL").xorname()
}

/// What a data-map chunk starts with (see `crates/client/src/ops/data_map.rs`).
pub(crate) const DATA_MAP_MAGIC: &[u8] = b"safe-wasi:dmap:1";

/// One chunk a data map lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MapEntry {
    pub(crate) index: u64,
    /// The encrypted chunk's network address: SHA3-256 of its content.
    pub(crate) address: XorName,
    /// How many bytes of the file it holds.
    pub(crate) size: u64,
}

/// A data map read from its chunk without the client's code, as a cross-check of the format:
/// the magic, then self_encryption's `DataMap` in bincode (version byte 1, the count of entries
/// as a little-endian u64, each entry as index u64, destination and source hashes of 32 bytes,
/// size u64, then the child level as an option). `None` if the bytes are not one.
pub(crate) fn parse_data_map(chunk: &[u8]) -> Option<(Vec<MapEntry>, Option<u64>)> {
    fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    }
    let map = chunk.strip_prefix(DATA_MAP_MAGIC)?;
    if map.first() != Some(&1) {
        return None;
    }
    let count = usize::try_from(u64_at(map, 1)?).ok()?;
    let mut at = 9;
    let mut entries = Vec::new();
    for _ in 0..count {
        let index = u64_at(map, at)?;
        let address = XorName(map.get(at + 8..at + 40)?.try_into().ok()?);
        let size = u64_at(map, at + 72)?;
        entries.push(MapEntry { index, address, size });
        at += 80;
    }
    let child = match map.get(at..)? {
        [0] => None,
        [1, rest @ ..] if rest.len() == 8 => Some(u64_at(rest, 0)?),
        _ => return None,
    };
    Some((entries, child))
}

/// Deterministic pseudo-random content of `len` bytes, different for each `seed`.
pub(crate) fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed).collect()
}

/// A whole-file range `[start, end)`.
pub(crate) fn range(start: u64, end: Option<u64>) -> Option<ByteRange> {
    Some(ByteRange { start, end })
}
