//! Test helpers: a small QUIC client that pins node ids with safe-tls (optionally presenting a
//! node certificate, as nodes do), helpers to talk the wire protocol correctly or not, a
//! condition poller with a deadline, and a network of in-process nodes on loopback.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quinn::{Connection, ConnectionError, Endpoint};
use safe_node::{Contact, Node, NodeConfig, NodeIdentity, RunningNode};
use safe_tls::NodeCertificate;
use safe_types::wire::{self, ErrorKind, Request, Response};
use safe_types::{NodeInfo, XorName};

/// Upper bound on any one test, so a bug shows as a failure instead of a hung run.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a condition that the network reaches by itself may take on a busy machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Runs `test` with [`TEST_TIMEOUT`].
pub async fn within<T>(test: impl Future<Output = T>) -> T {
    match tokio::time::timeout(TEST_TIMEOUT, test).await {
        Ok(output) => output,
        Err(_) => panic!("test did not finish within {TEST_TIMEOUT:?}"),
    }
}

/// Polls `check` until it returns `Some`, failing the test with `what` after `patience`.
pub async fn wait_for<T, F, Fut>(what: &str, patience: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting after {patience:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends the nodes' logs to the test output when `RUST_LOG` is set (e.g. `safe_node=debug`).
pub fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// Timings for tests: fast gossip and replication; failures are detected after
/// `failure_timeout`.
pub fn test_config(root: &Path, failure_timeout: Duration) -> NodeConfig {
    init_logs();
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    NodeConfig {
        gossip_interval: Duration::from_millis(100),
        failure_timeout,
        replication_interval: Duration::from_millis(500),
        call_timeout: Duration::from_secs(2),
        join_timeout: Duration::from_secs(30),
        ..NodeConfig::new(root, listen)
    }
}

/// A failure timeout long enough that no live node is ever taken for dead on a busy machine.
pub const CALM: Duration = Duration::from_secs(20);

/// Starts a genesis node on loopback, port 0, with its data under `root`.
pub async fn start_node(root: &Path) -> RunningNode {
    Node::start(test_config(root, CALM)).await.expect("node starts")
}

/// A client endpoint on loopback.
pub fn client_endpoint() -> Endpoint {
    Endpoint::client("127.0.0.1:0".parse().expect("loopback address")).expect("client endpoint")
}

/// Connects to the node at `addr`, accepting only the node whose id is `expected`, presenting
/// `identity`'s certificate if given (as a node would).
pub async fn connect_as(
    endpoint: &Endpoint,
    addr: SocketAddr,
    expected: XorName,
    identity: Option<NodeCertificate>,
) -> Result<Connection, ConnectionError> {
    let crypto = safe_tls::client_crypto(Some(expected), identity).expect("TLS config");
    let config = quinn::ClientConfig::new(Arc::new(crypto));
    endpoint
        .connect_with(config, addr, safe_tls::SERVER_NAME)
        .expect("connection parameters are valid")
        .await
}

/// Connects as a plain client (no certificate).
pub async fn connect(
    endpoint: &Endpoint,
    addr: SocketAddr,
    expected: XorName,
) -> Result<Connection, ConnectionError> {
    connect_as(endpoint, addr, expected, None).await
}

/// A plain client connected to `node`, with its endpoint kept alive alongside the connection.
pub async fn connect_to(node: &RunningNode) -> (Endpoint, Connection) {
    let endpoint = client_endpoint();
    let connection = connect_from(&endpoint, node).await;
    (endpoint, connection)
}

/// Connects from `endpoint` to `node`, expecting its id.
pub async fn connect_from(endpoint: &Endpoint, node: &RunningNode) -> Connection {
    let info = node.info();
    connect(endpoint, info.addr, info.id).await.expect("handshake succeeds")
}

/// Sends `request` on a new stream and returns the node's response.
pub async fn request(connection: &Connection, request: &Request) -> Response {
    let frame = wire::encode(request).expect("request encodes");
    let response = exchange(connection, &frame, true).await;
    wire::decode(&response).expect("response is a valid frame")
}

/// Sends `bytes` on a new stream (finishing it if `finish`) and returns everything the node sends
/// back before finishing its side.
pub async fn exchange(connection: &Connection, bytes: &[u8], finish: bool) -> Vec<u8> {
    let (mut send, mut recv) = connection.open_bi().await.expect("stream opens");
    send.write_all(bytes).await.expect("request written");
    if finish {
        send.finish().expect("stream finishes");
    }
    recv.read_to_end(wire::MAX_FRAME).await.expect("response read")
}

/// The error kind of `response`, failing the test if it is not an error.
pub fn error_kind(response: &Response) -> ErrorKind {
    match response {
        Response::Error(error) => error.kind,
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// A client that keeps one connection per node, optionally presenting a node certificate.
pub struct Client {
    endpoint: Endpoint,
    identity: Option<NodeCertificate>,
    connections: Mutex<HashMap<XorName, Connection>>,
}

impl Client {
    /// A plain client, as applications are.
    pub fn new() -> Self {
        Self { endpoint: client_endpoint(), identity: None, connections: Mutex::default() }
    }

    /// A client presenting `identity`'s node certificate (a node that is not a member).
    pub fn with_identity(identity: &NodeIdentity) -> Self {
        let certificate = identity.certificate().expect("certificate");
        Self {
            endpoint: client_endpoint(),
            identity: Some(certificate),
            connections: Mutex::default(),
        }
    }

    /// Sends `request` to `node` and returns its answer.
    pub async fn ask(&self, node: &NodeInfo, request: &Request) -> Response {
        let cached = self.connections.lock().expect("lock").get(&node.id).cloned();
        let connection = match cached {
            Some(c) if c.close_reason().is_none() && c.remote_address() == node.addr => c,
            _ => {
                let c = connect_as(&self.endpoint, node.addr, node.id, self.identity.clone())
                    .await
                    .expect("handshake succeeds");
                self.connections.lock().expect("lock").insert(node.id, c.clone());
                c
            }
        };
        self::request(&connection, request).await
    }

    /// Like [`Self::ask`], but `None` if the node cannot be reached within `limit`.
    pub async fn try_ask(
        &self,
        node: &NodeInfo,
        request: &Request,
        limit: Duration,
    ) -> Option<Response> {
        let attempt = async {
            let connection =
                connect_as(&self.endpoint, node.addr, node.id, self.identity.clone()).await.ok()?;
            let frame = wire::encode(request).expect("request encodes");
            let (mut send, mut recv) = connection.open_bi().await.ok()?;
            send.write_all(&frame).await.ok()?;
            send.finish().ok()?;
            let answer = recv.read_to_end(wire::MAX_FRAME).await.ok()?;
            wire::decode(&answer).ok()
        };
        tokio::time::timeout(limit, attempt).await.ok().flatten()
    }
}

/// Starts a node on `root` listening on `addr`, waiting for the address to be free (the socket of
/// a node just stopped in this process is released once its connections have drained).
pub async fn start_again(template: &NodeConfig, root: &Path, addr: SocketAddr) -> RunningNode {
    let config = NodeConfig { root: root.to_owned(), listen: addr, ..template.clone() };
    let deadline = Instant::now() + PATIENCE;
    loop {
        match Node::start(config.clone()).await {
            Ok(node) => return node,
            Err(safe_node::NodeError::Bind { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("node does not start again: {e}"),
        }
    }
}

/// In-process nodes on loopback: a genesis node and nodes that joined through it.
pub struct TestNetwork {
    /// The nodes; `None` where one was killed.
    pub nodes: Vec<Option<RunningNode>>,
    /// Each node's root (kept until the network is dropped).
    pub roots: Vec<tempfile::TempDir>,
    /// Each node's address (a restarted node listens there again, as the launcher does).
    pub addresses: Vec<SocketAddr>,
    /// What every node was started with (but root and bootstrap).
    pub template: NodeConfig,
}

impl TestNetwork {
    /// Starts `count` nodes: a genesis node with `replicas` and `faucet`, then the others through
    /// it, all at once. Returns once every node sees all of them.
    pub async fn start(
        count: usize,
        replicas: u8,
        faucet: bool,
        failure_timeout: Duration,
    ) -> Self {
        let scratch = tempfile::tempdir().expect("temp dir");
        let template = NodeConfig {
            replication_factor: replicas,
            faucet,
            ..test_config(scratch.path(), failure_timeout)
        };
        let genesis_root = tempfile::tempdir().expect("temp dir");
        let genesis =
            Node::start(NodeConfig { root: genesis_root.path().to_owned(), ..template.clone() })
                .await
                .expect("genesis starts");
        let contact = Contact { id: Some(genesis.info().id), addr: genesis.info().addr };
        let roots: Vec<tempfile::TempDir> =
            (1..count).map(|_| tempfile::tempdir().expect("temp dir")).collect();
        let joiners = roots.iter().map(|root| {
            Node::start(NodeConfig {
                root: root.path().to_owned(),
                bootstrap: vec![contact],
                // Joiners' own settings are ignored: the network's apply.
                replication_factor: 1,
                faucet: false,
                ..template.clone()
            })
        });
        let joined = futures::future::join_all(joiners).await;
        let mut nodes = vec![Some(genesis)];
        nodes.extend(joined.into_iter().map(|n| Some(n.expect("node joins"))));
        let mut all_roots = vec![genesis_root];
        all_roots.extend(roots);
        let addresses = nodes.iter().flatten().map(|n| n.info().addr).collect();
        let network = Self { nodes, roots: all_roots, addresses, template };
        network.wait_until_all_see(count).await;
        network
    }

    /// The nodes still running.
    pub fn live(&self) -> impl Iterator<Item = &RunningNode> {
        self.nodes.iter().flatten()
    }

    /// Node `i`, which must be running.
    pub fn node(&self, i: usize) -> &RunningNode {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// Waits until every running node's map lists exactly the running nodes, `count` of them.
    pub async fn wait_until_all_see(&self, count: usize) {
        let mut expected: Vec<XorName> = self.live().map(|n| n.info().id).collect();
        expected.sort();
        assert_eq!(expected.len(), count, "running nodes");
        wait_for(&format!("every node sees the {count} running nodes"), PATIENCE, || {
            let agreed = self.live().all(|node| {
                let mut ids: Vec<XorName> = node.network_map().nodes.iter().map(|n| n.id).collect();
                ids.sort();
                ids == expected
            });
            async move { agreed.then_some(()) }
        })
        .await;
    }

    /// Stops node `i` without telling anyone, as a crash would.
    pub fn kill(&mut self, i: usize) -> NodeInfo {
        let node = self.nodes[i].take().expect("node is running");
        let info = node.info();
        drop(node);
        info
    }

    /// Starts node `i` again on its root and address (it rejoins through the members it knew).
    pub async fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].is_none(), "node {i} is still running");
        let node = start_again(&self.template, self.roots[i].path(), self.addresses[i]).await;
        self.nodes[i] = Some(node);
    }

    /// Stops every node cleanly, then starts them all again at once on their roots and
    /// addresses.
    pub async fn restart_all(&mut self) {
        let stopping = self.nodes.iter_mut().filter_map(Option::take).map(RunningNode::shutdown);
        futures::future::join_all(stopping).await;
        let starting = self
            .roots
            .iter()
            .zip(&self.addresses)
            .map(|(root, addr)| start_again(&self.template, root.path(), *addr));
        self.nodes = futures::future::join_all(starting).await.into_iter().map(Some).collect();
    }

    /// The running nodes that hold `name` by the placement rule (the `replicas` closest).
    pub fn holders(&self, name: &XorName) -> Vec<NodeInfo> {
        let map = self.live().next().expect("a running node").network_map();
        map.holders(name).into_iter().cloned().collect()
    }

    /// The running node with id `id`.
    pub fn by_id(&self, id: &XorName) -> &RunningNode {
        self.live().find(|n| n.info().id == *id).expect("a running node with that id")
    }

    /// Stops every node cleanly.
    pub async fn shutdown(self) {
        futures::future::join_all(self.nodes.into_iter().flatten().map(RunningNode::shutdown))
            .await;
    }
}
