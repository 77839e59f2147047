//! Nodes that break the rules: certificates that are not Safe node identities, another
//! protocol version, answers that are not frames, oversized length prefixes, answers of the
//! wrong kind and reset streams. The client must turn each into a typed error (or skip the node
//! and read from another holder), never hang, buffer without bound or panic.
//!
//! Every test drives the client through [`harness::Sim`]: virtual time, no sockets.

mod harness;

use std::time::Duration;

use harness::{
    content, url_address, Asked, BadAnswer, CertificateKey, NodeEvent, NodeOptions, Sim, SimConfig,
};
use safe_client::safe_types::XorName;
use safe_client::{ErrorCode, Operation};

fn connect_error(sim: &mut Sim) -> safe_client::Error {
    let contact = sim.contact(0, false);
    sim.run(Operation::Connect(vec![contact])).expect_err("connect must fail")
}

// ---- identity -----------------------------------------------------------------------------

#[test]
fn a_certificate_without_an_ed25519_key_is_refused_even_unpinned() {
    let mut sim = Sim::with(SimConfig {
        node: NodeOptions { certificate: CertificateKey::EcdsaP256, ..NodeOptions::default() },
        ..SimConfig::nodes(1)
    });

    let err = connect_error(&mut sim);

    // The client offers only ed25519 signatures, so the handshake fails before any certificate
    // is even checked.
    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("handshake failed"), "{err}");
    assert!(sim.nodes[0].requests().is_empty(), "no request went to an unidentified node");
}

#[test]
fn a_node_speaking_another_protocol_version_is_refused() {
    let mut sim = Sim::with(SimConfig {
        node: NodeOptions { alpn: b"safe/2".to_vec(), ..NodeOptions::default() },
        ..SimConfig::nodes(1)
    });

    let err = connect_error(&mut sim);

    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(sim.nodes[0].requests().is_empty());
}

#[test]
fn a_node_whose_certificate_key_is_not_the_one_in_the_map_is_never_used() {
    // Node 1 restarts with a foreign certificate: the map still lists its real key, so the
    // client, pinning ids from the map, must refuse to talk to it and use the other holders.
    let mut sim = Sim::new(3);
    sim.connect();
    let data = content(800, 1);
    sim.nodes[1].restart_with(NodeOptions {
        certificate: CertificateKey::EcdsaP256,
        ..NodeOptions::default()
    });

    let url = sim.store(&data, None);

    assert!(sim.nodes[1].store.is_empty(), "no chunk of the file reached node 1");
    assert!(sim.nodes[1].requests().is_empty());
    assert_eq!(&sim.get(&url, None).expect("other holders")[..], &data[..]);
}

// ---- malformed answers --------------------------------------------------------------------

#[test]
fn an_answer_that_is_not_a_frame_is_a_protocol_error() {
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.bad_answer = Some(BadAnswer::NotAFrame);

    let err = connect_error(&mut sim);

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("malformed"), "{err}");
}

#[test]
fn an_oversized_length_prefix_fails_at_once_and_stops_the_stream() {
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.bad_answer = Some(BadAnswer::HugePrefix);

    let started = sim.now();
    let err = connect_error(&mut sim);

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("larger than the maximum"), "{err}");
    assert!(sim.now() - started < Duration::from_secs(1), "no waiting for the rest");
    sim.run_until(|s| {
        s.nodes[0].log.iter().any(|(_, e)| matches!(e, NodeEvent::AnswerStopped { .. }))
    });
}

#[test]
fn an_answer_of_the_wrong_kind_is_a_protocol_error() {
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.bad_answer = Some(BadAnswer::WrongKind);

    let err = connect_error(&mut sim);

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("something else"), "{err}");
}

#[test]
fn a_reset_answer_stream_is_a_protocol_error() {
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.bad_answer = Some(BadAnswer::Reset);

    let err = connect_error(&mut sim);

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("reset"), "{err}");
}

#[test]
fn reads_skip_holders_that_answer_garbage() {
    for bad in [BadAnswer::NotAFrame, BadAnswer::HugePrefix, BadAnswer::WrongKind, BadAnswer::Reset]
    {
        let mut sim = Sim::new(4);
        sim.connect();
        let data = content(3000, 2);
        let url = sim.store(&data, None);
        let address = url_address(&url);
        let holders = sim.holders(&address);
        sim.nodes[holders[0]].behaviour.bad_answer = Some(bad);

        let got = sim.get(&url, None).unwrap_or_else(|e| panic!("{bad:?}: {e}"));

        assert_eq!(&got[..], &data[..], "{bad:?}");
        assert!(sim.nodes[holders[1]].requests().contains(&Asked::GetChunk(address)), "{bad:?}");
    }
}

#[test]
fn a_read_from_holders_that_all_answer_garbage_is_a_protocol_error() {
    let mut sim = Sim::new(4);
    sim.connect();
    let url = sim.store(&content(3000, 3), None);
    for node in &mut sim.nodes {
        node.behaviour.bad_answer = Some(BadAnswer::NotAFrame);
    }

    let err = sim.get(&url, None).expect_err("nobody answers properly");

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
}

#[test]
fn acknowledgements_for_the_wrong_chunk_do_not_count() {
    let mut sim = Sim::new(4);
    sim.connect();
    let data = content(3000, 4);
    let holders = sim.holders(&XorName::from_content(&data));
    sim.nodes[holders[0]].behaviour.bad_answer = Some(BadAnswer::WrongKind);
    sim.nodes[holders[2]].behaviour.bad_answer = Some(BadAnswer::WrongKind);

    let err = sim.try_store(&data, None).expect_err("only 2 true acknowledgements");

    // Two lies make a majority impossible: the store gives up at once and reports the lie
    // (a protocol violation weighs more than an unreachable node).
    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("of 4 nodes, 3 needed"), "{err}");
    assert!(err.message.contains("acknowledged the wrong chunk"), "{err}");
}
