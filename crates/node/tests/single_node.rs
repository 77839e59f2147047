//! A node in this process, driven over real QUIC on loopback by a client that pins its id:
//! storing and fetching chunks, refusing bad input without harm, and keeping its data and identity
//! across a restart.

mod common;

use bytes::Bytes;
use common::{client_endpoint, connect, connect_to, exchange, request, start_node, within};
use futures::future::join_all;
use safe_node::{Node, NodeConfig};
use safe_types::wire::{self, ErrorKind, ErrorResponse, Request, Response};
use safe_types::{Chunk, NetworkMap, XorName, MAX_CHUNK_SIZE};

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

#[tokio::test]
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
        assert_eq!(node.store().chunk_count().expect("count"), 3);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn storing_the_same_chunk_twice_succeeds() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let first = put(&connection, content(100, 9)).await;
        let second = put(&connection, content(100, 9)).await;
        assert_eq!(first, second);
        assert_eq!(node.store().chunk_count().expect("count"), 1);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
async fn chunk_over_the_size_limit_is_refused_and_not_stored() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let (_endpoint, connection) = connect_to(&node).await;
        let too_big = Request::PutChunk { content: content(MAX_CHUNK_SIZE + 1, 4) };
        let response = exchange(&connection, &wire::encode(&too_big).expect("encodes"), true).await;
        assert_eq!(error_kind(&response), ErrorKind::InvalidRequest);
        assert_eq!(node.store().chunk_count().expect("count"), 0);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn network_map_lists_this_node_at_its_bound_address() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let listen = "127.0.0.1:0".parse().expect("address");
        let config = NodeConfig { replication_factor: 3, ..NodeConfig::new(root.path(), listen) };
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

#[tokio::test]
async fn zero_replication_factor_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let listen = "127.0.0.1:0".parse().expect("address");
    let config = NodeConfig { replication_factor: 0, ..NodeConfig::new(root.path(), listen) };
    assert!(matches!(Node::start(config).await, Err(safe_node::NodeError::InvalidConfig(_))));
}

#[tokio::test]
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

#[tokio::test]
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
        assert_eq!(node.store().chunk_count().expect("count"), 1);
        drop(stalled);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
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
