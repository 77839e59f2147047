//! `check_replicas`: a file's chunks (the one its URL names, then its encrypted pieces in
//! order), each with the nodes of the map that should hold it, closest first, and what each
//! said: held, missing, or no usable answer (silent, or claiming chunks it was not asked about).
//! The states are checked against the test nodes' own stores, not against what the client
//! stored.

mod harness;

use harness::{noise, url_address, Asked, NodeEvent, Sim};
use safe_client::safe_types::{ContentType, DataType, SafeUrl, XorName, XorUrlBase};
use safe_client::{ChunkKind, ErrorCode, FileReplicas, Operation, Output, ReplicaState};
use std::time::Duration;

const MIB: usize = 1024 * 1024;

fn check(sim: &mut Sim, url: &str) -> Result<FileReplicas, safe_client::Error> {
    sim.run(Operation::CheckReplicas { url: url.to_owned() }).map(|out| match out {
        Output::Replicas(r) => r,
        other => panic!("check_replicas gave {other:?}"),
    })
}

/// What the nodes' stores say each holder of each chunk has.
fn by_the_stores(sim: &Sim, chunks: &[XorName]) -> Vec<Vec<(XorName, ReplicaState)>> {
    chunks
        .iter()
        .map(|address| {
            sim.holders(address)
                .into_iter()
                .map(|i| {
                    let node = &sim.nodes[i];
                    let state = if node.store.contains_key(address) {
                        ReplicaState::Held
                    } else {
                        ReplicaState::Missing
                    };
                    (node.id(), state)
                })
                .collect()
        })
        .collect()
}

fn reported(replicas: &FileReplicas) -> Vec<Vec<(XorName, ReplicaState)>> {
    replicas.chunks.iter().map(|c| c.holders.iter().map(|r| (r.node, r.state)).collect()).collect()
}

#[test]
fn lists_every_chunk_of_a_file_with_its_holders_closest_first_as_their_stores_say() {
    let mut sim = Sim::new(6);
    sim.connect();
    let url = sim.store(&noise(3 * MIB + 1, 1), None);
    sim.run_until_idle();
    let chunks = sim.file_chunks(&url);
    assert_eq!(chunks.len(), 5, "the data map and four pieces");

    let replicas = check(&mut sim, &url).expect("check_replicas");

    assert_eq!(replicas.xorurl, url);
    assert_eq!(replicas.replication_factor, sim.map.replication_factor);
    let addresses: Vec<XorName> = replicas.chunks.iter().map(|c| c.address).collect();
    assert_eq!(addresses, chunks, "the map's chunk, then the pieces in order");
    let kinds: Vec<ChunkKind> = replicas.chunks.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChunkKind::Root, ChunkKind::Piece, ChunkKind::Piece, ChunkKind::Piece, ChunkKind::Piece]
    );
    assert_eq!(reported(&replicas), by_the_stores(&sim, &chunks));
    for chunk in &replicas.chunks {
        assert_eq!(chunk.holders.len(), usize::from(sim.map.replication_factor));
        let held = chunk.holders.iter().filter(|r| r.state == ReplicaState::Held).count();
        assert!(held * 2 > chunk.holders.len(), "a store leaves each chunk on a majority");
        for r in &chunk.holders {
            assert_eq!(sim.nodes.iter().find(|n| n.id() == r.node).map(|n| n.addr), Some(r.addr));
        }
    }
    // One question per node, not per chunk.
    let asked: usize = sim
        .nodes
        .iter()
        .map(|n| {
            n.log
                .iter()
                .filter(|(_, e)| matches!(e, NodeEvent::Request { asked: Asked::HasChunks(_), .. }))
                .count()
        })
        .sum();
    let holders: std::collections::HashSet<XorName> =
        replicas.chunks.iter().flat_map(|c| c.holders.iter().map(|r| r.node)).collect();
    assert_eq!(asked, holders.len());
}

#[test]
fn a_file_under_three_bytes_is_one_chunk() {
    let mut sim = Sim::new(4);
    sim.connect();
    let url = sim.store(b"hi", None);

    let replicas = check(&mut sim, &url).expect("check_replicas");

    assert_eq!(replicas.chunks.len(), 1);
    assert_eq!(replicas.chunks[0].address, XorName::from_content(b"hi"));
    assert_eq!(replicas.chunks[0].kind, ChunkKind::Root);
    assert_eq!(reported(&replicas), by_the_stores(&sim, &[url_address(&url)]));
}

#[test]
fn a_lost_copy_is_missing_on_that_node_only() {
    let mut sim = Sim::new(6);
    sim.connect();
    let url = sim.store(&noise(MIB, 2), None);
    sim.run_until_idle();
    let chunks = sim.file_chunks(&url);
    let lost = chunks[2];
    let holder = sim.holders(&lost)[1];
    assert!(sim.nodes[holder].store.remove(&lost).is_some(), "the holder had it");

    let replicas = check(&mut sim, &url).expect("check_replicas");

    let reported = reported(&replicas);
    assert_eq!(reported, by_the_stores(&sim, &chunks));
    assert_eq!(reported[2][1], (sim.nodes[holder].id(), ReplicaState::Missing));
}

#[test]
fn a_silent_holder_is_reported_without_failing_the_check() {
    let mut sim = Sim::new(6);
    sim.connect();
    let url = sim.store(&noise(MIB, 3), None);
    sim.run_until_idle();
    let chunks = sim.file_chunks(&url);
    // A holder of some chunk other than the one the URL names (so reading the map is quick).
    let mute = sim.holders(&chunks[1])[3];
    sim.nodes[mute].behaviour.swallow_requests = true;
    let started = sim.now();

    let replicas = check(&mut sim, &url).expect("check_replicas");

    let took = sim.now() - started;
    assert!(took >= Duration::from_secs(10) && took < Duration::from_secs(20), "took {took:?}");
    let mut expected = by_the_stores(&sim, &chunks);
    for holders in &mut expected {
        for (node, state) in holders.iter_mut() {
            if *node == sim.nodes[mute].id() {
                *state = ReplicaState::NoAnswer;
            }
        }
    }
    assert_eq!(reported(&replicas), expected);
}

#[test]
fn a_node_claiming_chunks_it_was_not_asked_about_is_not_believed() {
    let mut sim = Sim::new(6);
    sim.connect();
    let url = sim.store(&noise(MIB, 4), None);
    sim.run_until_idle();
    let chunks = sim.file_chunks(&url);
    let liar = sim.holders(&chunks[1])[0];
    sim.nodes[liar].behaviour.overclaim = true;

    let replicas = check(&mut sim, &url).expect("check_replicas");

    for chunk in &replicas.chunks {
        for r in &chunk.holders {
            if r.node == sim.nodes[liar].id() {
                assert_eq!(r.state, ReplicaState::NoAnswer);
            } else {
                let i = sim.nodes.iter().position(|n| n.id() == r.node).expect("a node");
                let held = sim.nodes[i].store.contains_key(&chunk.address);
                assert_eq!(r.state == ReplicaState::Held, held);
            }
        }
    }
}

#[test]
fn only_files_are_checked() {
    let mut sim = Sim::new(4);
    sim.connect();
    let key = SafeUrl::new_xorurl(
        XorName([9; 32]),
        0,
        ContentType::Raw,
        DataType::SafeKey,
        XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string();

    let not_a_file = check(&mut sim, &key).expect_err("a key is not a file");
    assert_eq!(not_a_file.code, ErrorCode::InvalidArgument);
    assert!(not_a_file.message.contains("not a file"), "{}", not_a_file.message);

    let bad = check(&mut sim, "safe://").expect_err("not a URL");
    assert_eq!(bad.code, ErrorCode::InvalidUrl);

    let absent = SafeUrl::new_xorurl(
        XorName([8; 32]),
        0,
        ContentType::Raw,
        DataType::File,
        XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string();
    assert_eq!(check(&mut sim, &absent).expect_err("nothing there").code, ErrorCode::NotFound);
}
