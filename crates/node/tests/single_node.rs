//! One node in this process (a network of one), driven over real QUIC on loopback by a client
//! that pins its id: storing and fetching chunks, refusing bad, oversized and unauthorised input
//! without harm, and keeping its data and identity across a restart.

mod common;

use bytes::Bytes;
use common::{
    client_endpoint, connect, connect_as, connect_from, connect_to, exchange, request, start_node,
    test_config, within, CALM,
};
use futures::future::join_all;
use safe_node::{Node, NodeConfig, NodeIdentity};
use safe_types::account::{Account, Amount, Credit, SignedTransfer, Transfer, TransferId};
use safe_types::keys::Keypair;
use safe_types::membership::Membership;
use safe_types::register::{Entry, Register, RegisterAddress, RegisterCreate, SignedEntry};
use safe_types::wire::{self, ErrorKind, ErrorResponse, ItemId, Request, Response};
use safe_types::{Chunk, NetworkMap, NodeInfo, XorName, MAX_CHUNK_SIZE};

/// The error of `response`, failing the test if it is not an error.
fn error_of(response: &[u8]) -> ErrorResponse {
    match wire::decode::<Response>(response).expect("response is a valid frame") {
        Response::Error(error) => error,
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// The error kind of `response`, failing the test if it is not an error.
fn error_kind(response: &[u8]) -> ErrorKind {
    error_of(response).kind
}

/// Content of `len` bytes that differs from test to test.
fn content(len: usize, seed: u8) -> Bytes {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect::<Vec<u8>>().into()
}

async fn put(connection: &quinn::Connection, content: Bytes) -> XorName {
    let expected = Chunk::new(content.clone()).expect("valid chunk").address();
    match request(connection, &Request::PutChunk { content }).await {
        Response::Stored { address } => {
            assert_eq!(address, expected);
            address
        }
        other => panic!("expected Stored, got {other:?}"),
    }
}

async fn get(connection: &quinn::Connection, address: XorName) -> Response {
    request(connection, &Request::GetChunk { address }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_and_serves_chunks_of_1_byte_1_kib_and_1_mib() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        for (len, seed) in [(1, 1), (1024, 2), (MAX_CHUNK_SIZE, 3)] {
            let content = content(len, seed);
            let address = put(&connection, content.clone()).await;
            assert_eq!(get(&connection, address).await, Response::Chunk { content });
        }
        assert_eq!(node.store().chunk_count(), 3);
        node.shutdown().await;
    })
    .await;
}

/// A client endpoint that accepts datagrams as large as a node's (and as the wasm client does),
/// so the node's path MTU discovery may grow past quinn's default bound.
fn large_datagram_client_endpoint() -> quinn::Endpoint {
    let mut config = quinn::EndpointConfig::default();
    config.max_udp_payload_size(65_527).expect("valid payload size");
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    quinn::Endpoint::new(config, None, socket, std::sync::Arc::new(quinn::TokioRuntime))
        .expect("client endpoint")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_on_loopback_keep_the_large_datagrams_mtu_discovery_found() {
    // The node once sent its data in batches of up to ten datagrams of the path MTU (16 KiB on
    // loopback): over the 64 KiB one UDP send may carry, refused by the kernel and dropped
    // silently, which quinn then took for an MTU black hole, sending 1200-byte datagrams after.
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let endpoint = large_datagram_client_endpoint();
        let connection = connect_from(&endpoint, &node).await;
        let content = content(MAX_CHUNK_SIZE, 7);
        let address = put(&connection, content.clone()).await;
        // Discovery settles within a few round trips; the first read gives it time.
        assert_eq!(get(&connection, address).await, Response::Chunk { content: content.clone() });
        let before = connection.stats().udp_rx;
        for _ in 0..8 {
            assert_eq!(get(&connection, address).await, Response::Chunk { content: content.clone() });
        }
        let after = connection.stats().udp_rx;
        let (datagrams, bytes) = (after.datagrams - before.datagrams, after.bytes - before.bytes);
        let mean = bytes / datagrams.max(1);
        assert!(
            mean > 8 * 1024,
            "8 reads of 1 MiB came in {datagrams} datagrams of {mean} bytes on average; expected the 16 KiB MTU discovery finds on loopback"
        );
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_the_same_chunk_twice_succeeds() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let first = put(&connection, content(100, 9)).await;
        let second = put(&connection, content(100, 9)).await;
        assert_eq!(first, second);
        assert_eq!(node.store().chunk_count(), 1);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_run_at_once_on_one_connection() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let puts = (0..32u8).map(|i| put(&connection, content(4096, i)));
        let addresses = join_all(puts).await;
        let gets = addresses.iter().map(|a| get(&connection, *a));
        for (i, response) in join_all(gets).await.into_iter().enumerate() {
            let seed = u8::try_from(i).expect("small index");
            assert_eq!(response, Response::Chunk { content: content(4096, seed) });
        }
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_address_is_not_found() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        match get(&connection, XorName([0x5a; 32])).await {
            Response::Error(ErrorResponse { kind: ErrorKind::NotFound, .. }) => {}
            other => panic!("expected NotFound, got {other:?}"),
        }
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn has_chunks_names_the_asked_chunks_held_here_once_each() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let a = put(&connection, content(10, 1)).await;
        let b = put(&connection, content(10, 2)).await;
        let absent = XorName([0x77; 32]);
        let asked = vec![absent, b, a, b];
        match request(&connection, &Request::HasChunks { addresses: asked }).await {
            Response::Holding { addresses } => assert_eq!(addresses, vec![b, a]),
            other => panic!("expected Holding, got {other:?}"),
        }
        let too_many = vec![absent; wire::MAX_OFFER + 1];
        let answer = request(&connection, &Request::HasChunks { addresses: too_many }).await;
        assert!(
            matches!(
                answer,
                Response::Error(ErrorResponse { kind: ErrorKind::InvalidRequest, .. })
            ),
            "{answer:?}"
        );
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_over_the_size_limit_is_refused_and_not_stored() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let too_big = Request::PutChunk { content: content(MAX_CHUNK_SIZE + 1, 4) };
        let response = exchange(&connection, &wire::encode(&too_big).expect("encodes"), true).await;
        assert_eq!(error_kind(&response), ErrorKind::InvalidRequest);
        assert_eq!(node.store().chunk_count(), 0);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_map_lists_this_node_at_its_bound_address() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let config = NodeConfig { replication_factor: 3, ..test_config(root.path(), CALM) };
        let node = Node::start(config).await.expect("node starts");
        let info = node.info();
        assert_ne!(info.addr.port(), 0);
        assert!(info.is_consistent());
        let (_endpoint, connection) = connect_to(&node).await;
        let expected = NetworkMap { epoch: 1, replication_factor: 3, nodes: vec![info] };
        assert_eq!(
            request(&connection, &Request::NetworkMap).await,
            Response::NetworkMap(expected)
        );
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_replication_factor_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let listen = "127.0.0.1:0".parse().expect("address");
    let config = NodeConfig { replication_factor: 0, ..NodeConfig::new(root.path(), listen) };
    assert!(matches!(Node::start(config).await, Err(safe_node::NodeError::InvalidConfig(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_length_prefix_is_refused_before_the_body_arrives() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        // Only the prefixes are sent and the streams stay open: the node can only answer by
        // judging the prefix alone, without waiting for (or reserving room for) the body.
        for claimed in [wire::MAX_FRAME_BODY + 1, u32::MAX as usize] {
            let prefix = u32::try_from(claimed).expect("fits in a prefix").to_be_bytes();
            let error = error_of(&exchange(&connection, &prefix, false).await);
            assert_eq!(error.kind, ErrorKind::InvalidRequest, "prefix {claimed}");
            // Refused for its size, not after timing out waiting for the body.
            assert!(error.message.contains("larger than the maximum"), "{}", error.message);
        }
        let map = NetworkMap { epoch: 1, replication_factor: 4, nodes: vec![node.info()] };
        assert_eq!(request(&connection, &Request::NetworkMap).await, Response::NetworkMap(map));
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_errors_while_the_node_keeps_serving() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let stored = put(&connection, content(10, 5)).await;

        // A stream that stalls in the middle of its prefix must not hold anything else up.
        let (mut stalled, _stalled_recv) = connection.open_bi().await.expect("stream opens");
        stalled.write_all(&[0, 0]).await.expect("partial prefix written");

        let mut unsupported = wire::encode(&Request::NetworkMap).expect("encodes");
        unsupported[wire::LENGTH_PREFIX] = wire::WIRE_VERSION + 1;
        let cases: [(&str, Vec<u8>, ErrorKind); 6] = [
            (
                "garbage body",
                vec![0, 0, 0, 3, wire::WIRE_VERSION, 0xff, 0xff],
                ErrorKind::InvalidRequest,
            ),
            ("unsupported version", unsupported, ErrorKind::UnsupportedVersion),
            ("nothing at all", vec![], ErrorKind::InvalidRequest),
            ("zero length", vec![0, 0, 0, 0], ErrorKind::InvalidRequest),
            ("partial prefix", vec![0, 0], ErrorKind::InvalidRequest),
            (
                "truncated body",
                vec![0, 0, 0, 100, wire::WIRE_VERSION, 1, 2],
                ErrorKind::InvalidRequest,
            ),
        ];
        for (name, bytes, kind) in cases {
            let response = exchange(&connection, &bytes, true).await;
            assert_eq!(error_kind(&response), kind, "{name}");
        }
        // Trailing bytes after a whole frame are not part of the request.
        let mut trailing = wire::encode(&Request::GetChunk { address: stored }).expect("encodes");
        trailing.extend_from_slice(b"extra");
        let response = exchange(&connection, &trailing, true).await;
        assert_eq!(
            wire::decode::<Response>(&response).expect("valid"),
            Response::Chunk { content: content(10, 5) }
        );

        // Still serving, on this connection and on a new one, with the stalled stream open.
        assert_eq!(get(&connection, stored).await, Response::Chunk { content: content(10, 5) });
        let (_endpoint2, second) = connect_to(&node).await;
        assert_eq!(get(&second, stored).await, Response::Chunk { content: content(10, 5) });
        assert_eq!(node.store().chunk_count(), 1);
        drop(stalled);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_expecting_another_node_id_fails_the_handshake() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let endpoint = client_endpoint();
        let info = node.info();
        let mut wrong = info.id;
        wrong.0[31] ^= 1;
        match connect(&endpoint, info.addr, wrong).await {
            Err(quinn::ConnectionError::TransportError(_)) => {}
            other => panic!("a wrong id must fail the TLS handshake, got {other:?}"),
        }
        // The node is unharmed and the right id still works.
        let connection = connect(&endpoint, info.addr, info.id).await.expect("right id accepted");
        assert!(matches!(
            request(&connection, &Request::NetworkMap).await,
            Response::NetworkMap(_)
        ));
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_and_id_survive_a_restart() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let first = node.info();
        let (endpoint, connection) = connect_to(&node).await;
        let address = put(&connection, content(2048, 6)).await;
        drop(connection);
        drop(endpoint);
        node.shutdown().await;

        let node = start_node(root.path()).await;
        let second = node.info();
        assert_eq!(second.id, first.id);
        assert_eq!(second.public_key, first.public_key);
        let (_endpoint, connection) = connect_to(&node).await;
        assert_eq!(get(&connection, address).await, Response::Chunk { content: content(2048, 6) });
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_client_connections() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        assert!(matches!(
            request(&connection, &Request::NetworkMap).await,
            Response::NetworkMap(_)
        ));
        node.shutdown().await;
        match connection.closed().await {
            quinn::ConnectionError::ApplicationClosed(close) => {
                assert_eq!(close.error_code, quinn::VarInt::from_u32(safe_node::SHUTDOWN_CODE));
            }
            other => panic!("expected an application close, got {other:?}"),
        }
    })
    .await;
}

/// One request of every kind, well formed, with what a plain client should get for it.
fn every_request(node: &NodeInfo) -> Vec<(&'static str, Request)> {
    let owner = Keypair::from_secret_bytes(&[21; 32]);
    let other = Keypair::from_secret_bytes(&[22; 32]);
    let address = RegisterAddress { name: XorName([23; 32]), tag: 1100 };
    let create = RegisterCreate::new(address, &owner);
    let entry = Entry { content: Bytes::from_static(b"hello"), parents: Default::default() };
    let signed_entry = SignedEntry::new(address, entry, &owner);
    let mut register = Register::new(create.clone()).expect("valid creation");
    register.write(signed_entry.clone()).expect("entry");
    let transfer = SignedTransfer::new(
        Transfer {
            from: owner.public_key(),
            to: other.public_key(),
            amount: Amount(5),
            nonce: 1,
            reference: [1; 16],
        },
        &owner,
    );
    let credit =
        Credit::Faucet { to: owner.public_key(), amount: Amount(9), id: TransferId([24; 32]) };
    let mut account = Account::new(owner.public_key());
    account.apply_credit(&credit).expect("credit");
    vec![
        ("NetworkMap", Request::NetworkMap),
        ("GetChunk", Request::GetChunk { address: XorName([25; 32]) }),
        ("PutChunk", Request::PutChunk { content: Bytes::from_static(b"some chunk") }),
        ("CreateRegister", Request::CreateRegister(create)),
        ("WriteRegister", Request::WriteRegister { address, entry: signed_entry }),
        ("GetRegister", Request::GetRegister { address }),
        ("GetAccount", Request::GetAccount { owner: owner.public_key() }),
        ("Transfer", Request::Transfer(transfer.clone())),
        (
            "Faucet",
            Request::Faucet { to: owner.public_key(), amount: Amount(9), id: TransferId([26; 32]) },
        ),
        ("Status", Request::Status),
        ("HasChunks", Request::HasChunks { addresses: vec![XorName([28; 32]), XorName([29; 32])] }),
        ("Join", Request::Join { info: node.clone() }),
        ("Gossip", Request::Gossip(Membership::genesis(node.clone(), 4, false))),
        ("Offer", Request::Offer { items: vec![ItemId::Chunk(XorName([27; 32]))] }),
        ("PutRegister", Request::PutRegister(register)),
        ("PutAccount", Request::PutAccount(account)),
        ("Debit", Request::Debit(transfer.clone())),
        ("Credit", Request::Credit(Credit::Transfer(transfer))),
    ]
}

fn is_node_only(name: &str) -> bool {
    matches!(name, "Join" | "Gossip" | "Offer" | "PutRegister" | "PutAccount" | "Debit" | "Credit")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_requests_are_forbidden_to_clients_and_to_non_members() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let info = node.info();
        let endpoint = client_endpoint();
        let plain = connect(&endpoint, info.addr, info.id).await.expect("plain client");
        let stranger = NodeIdentity::generate();
        let certificate = stranger.certificate().expect("certificate");
        let outsider =
            connect_as(&endpoint, info.addr, info.id, Some(certificate)).await.expect("node cert");
        for (name, req) in every_request(&info) {
            if !is_node_only(name) {
                continue;
            }
            let answer = request(&plain, &req).await;
            assert_eq!(common::error_kind(&answer), ErrorKind::Forbidden, "{name} from a client");
            // A node that is not a member may only join, and only as itself.
            let answer = request(&outsider, &req).await;
            assert_eq!(common::error_kind(&answer), ErrorKind::Forbidden, "{name} from a stranger");
        }
        // Nothing was taken in.
        assert_eq!(node.network_map().nodes, vec![info.clone()]);
        let status = node.status();
        assert_eq!((status.registers, status.accounts, status.chunks), (0, 0, 0));
        // Client requests stay open to both.
        for connection in [&plain, &outsider] {
            assert!(matches!(request(connection, &Request::Status).await, Response::Status(_)));
        }
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_of_every_kind_get_errors_and_the_node_keeps_serving() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let info = node.info();
        let endpoint = client_endpoint();
        // As a node presenting a certificate, so node-only requests get past authorisation too.
        let certificate = NodeIdentity::generate().certificate().expect("certificate");
        let connection =
            connect_as(&endpoint, info.addr, info.id, Some(certificate)).await.expect("connect");
        let stored = put(&connection, content(64, 8)).await;

        for (name, req) in every_request(&info) {
            let frame = wire::encode(&req).expect("encodes");
            let body = wire::LENGTH_PREFIX + 1;

            let mut wrong_version = frame.clone();
            wrong_version[wire::LENGTH_PREFIX] = wire::WIRE_VERSION.wrapping_add(1);
            let answer = error_of(&exchange(&connection, &wrong_version, true).await);
            assert_eq!(answer.kind, ErrorKind::UnsupportedVersion, "{name}: wrong version");

            let mut unknown_kind = frame.clone();
            unknown_kind[body] = 0x7f;
            let answer = error_of(&exchange(&connection, &unknown_kind, true).await);
            assert_eq!(answer.kind, ErrorKind::InvalidRequest, "{name}: unknown kind");

            // The prefix promises the whole frame; the stream ends one byte early.
            let answer = error_of(&exchange(&connection, &frame[..frame.len() - 1], true).await);
            assert_eq!(answer.kind, ErrorKind::InvalidRequest, "{name}: truncated frame");

            // The prefix says one byte less: the body is cut short of its last field.
            let mut short = frame[..frame.len() - 1].to_vec();
            let len = u32::try_from(short.len() - wire::LENGTH_PREFIX).expect("small");
            short[..wire::LENGTH_PREFIX].copy_from_slice(&len.to_be_bytes());
            let answer = error_of(&exchange(&connection, &short, true).await);
            assert_eq!(answer.kind, ErrorKind::InvalidRequest, "{name}: short body");

            // An oversized prefix ahead of a real request.
            let mut oversized = frame.clone();
            let too_long = u32::try_from(wire::MAX_FRAME_BODY + 1).expect("fits");
            oversized[..wire::LENGTH_PREFIX].copy_from_slice(&too_long.to_be_bytes());
            let answer = error_of(&exchange(&connection, &oversized, true).await);
            assert_eq!(answer.kind, ErrorKind::InvalidRequest, "{name}: oversized");

            // Flipped bytes in the payload: whatever it decodes to (or not), a valid answer.
            let mut flipped = frame.clone();
            for i in (body + 1..flipped.len()).step_by(7) {
                flipped[i] ^= 0x5a;
            }
            let answer = exchange(&connection, &flipped, true).await;
            assert!(wire::decode::<Response>(&answer).is_ok(), "{name}: flipped bytes");
        }

        // Still serving, on this connection and on a new one.
        assert_eq!(get(&connection, stored).await, Response::Chunk { content: content(64, 8) });
        let (_endpoint2, second) = connect_to(&node).await;
        assert!(matches!(request(&second, &Request::Status).await, Response::Status(_)));
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_from_one_address_are_bounded() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let info = node.info();
        let endpoint = client_endpoint();
        let mut connections = Vec::new();
        let refused = loop {
            match connect(&endpoint, info.addr, info.id).await {
                Ok(connection) => {
                    // The node answers on every connection it accepted.
                    let answer = request(&connection, &Request::Status).await;
                    assert!(matches!(answer, Response::Status(_)));
                    connections.push(connection);
                    assert!(connections.len() <= 64, "no limit on connections from one address");
                }
                Err(e) => break e,
            }
        };
        assert!(matches!(refused, quinn::ConnectionError::ConnectionClosed(_)), "{refused:?}");
        assert_eq!(connections.len(), 16);
        // Another address is not held up, and closing one makes room again.
        let (_other, second) = connect_to(&node).await;
        assert!(matches!(request(&second, &Request::Status).await, Response::Status(_)));
        connections.pop().expect("a connection").close(0u32.into(), b"done");
        let again = common::wait_for("room for a new connection", common::PATIENCE, || async {
            connect(&endpoint, info.addr, info.id).await.ok()
        })
        .await;
        assert!(matches!(request(&again, &Request::Status).await, Response::Status(_)));
        node.shutdown().await;
    })
    .await;
}
