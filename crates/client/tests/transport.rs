//! How `safe_client::Client` behaves over time and on a bad link: deadlines (exactly when the
//! virtual clock passes them), cancellation, operations in flight together, datagram loss,
//! `close()`, and coming back after idle connections and node restarts.
//!
//! Every test drives the client through [`harness::Sim`]: virtual time, no sockets.

mod harness;

use std::time::Duration;

use bytes::Bytes;
use harness::{content, noise, url_address, Asked, Loss, NodeEvent, NodeOptions, Sim, SimConfig};
use quinn_proto::ConnectionError;
use safe_client::safe_types::{
    ContentType, DataType, NetworkMap, SafeUrl, XorName, XorUrlBase, MAX_CHUNK_SIZE,
};
use safe_client::{Config, Error, ErrorCode, Operation, Output};

const TEN_SECONDS: Duration = Duration::from_secs(10);

fn with_timeout(nodes: usize, timeout: Duration) -> Sim {
    Sim::with(SimConfig {
        client: Config { timeout, ..Config::default() },
        ..SimConfig::nodes(nodes)
    })
}

fn get_op(url: &str) -> Operation {
    Operation::FilesGet { url: url.to_owned(), range: None }
}

// ---- deadlines ----------------------------------------------------------------------------

#[test]
fn an_unanswered_get_times_out_exactly_at_the_configured_timeout() {
    let mut sim = with_timeout(1, TEN_SECONDS);
    sim.connect();
    let url = sim.store(b"never coming back", None);
    sim.nodes[0].behaviour.swallow_requests = true;

    let started = sim.now();
    let id = sim.start(get_op(&url)).expect("start");
    sim.run_until_time(started + TEN_SECONDS - Duration::from_millis(1));
    assert!(sim.completion(id).is_none(), "completed before the deadline");
    assert!(sim.nodes[0].requests().contains(&Asked::GetChunk(url_address(&url))));

    let completion = sim.run_until_complete(id);

    assert_eq!(sim.completed_at(id), Some(started + TEN_SECONDS));
    let err = completion.result.expect_err("timed out");
    assert_eq!(err.code, ErrorCode::Timeout, "{err}");
    assert!(err.message.contains("files_get") && err.message.contains("10 s"), "{err}");
    assert_eq!(sim.client.running(), 0);
}

#[test]
fn connecting_to_a_silent_node_fails_with_network_at_the_deadline() {
    // A timeout shorter than the 5 s handshake limit (with a longer one the handshake limit
    // ends the attempt first: see operations.rs).
    let deadline = Duration::from_secs(2);
    let mut sim = with_timeout(1, deadline);
    sim.nodes[0].behaviour.silent = true;

    let started = sim.now();
    let id = sim.start(Operation::Connect(vec![sim.contact(0, false)])).expect("start");
    sim.run_until_time(started + deadline - Duration::from_millis(1));
    assert!(sim.completion(id).is_none(), "completed before the deadline");
    let completion = sim.run_until_complete(id);

    assert_eq!(sim.completed_at(id), Some(started + deadline));
    let err = completion.result.expect_err("nobody answers");
    assert_eq!(err.code, ErrorCode::Network, "a connect timeout is a network failure: {err}");
    assert!(err.message.contains("could not reach"), "{err}");
    assert!(!sim.client.is_connected());
    assert!(sim.nodes[0].dropped_silent > 0, "the client did try");
}

#[test]
fn with_a_long_timeout_a_silent_contact_fails_when_the_handshake_gives_up() {
    // Default timeout (120 s): the QUIC handshake's idle timeout ends the attempt first.
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.silent = true;

    let started = sim.now();
    let err = sim.run(Operation::Connect(vec![sim.contact(0, false)])).expect_err("silent");

    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("could not connect to 10.0.1.1:12000"), "{err}");
    assert!(sim.now() - started < Config::default().timeout, "gave up before the deadline");
}

#[test]
fn each_operation_has_its_own_deadline() {
    let mut sim = with_timeout(1, TEN_SECONDS);
    sim.connect();
    let url = sim.store(b"slow", None);
    sim.nodes[0].behaviour.swallow_requests = true;

    let first_started = sim.now();
    let first = sim.start(get_op(&url)).expect("start");
    sim.run_for(Duration::from_secs(4));
    let second_started = sim.now();
    let second = sim.start(get_op(&url)).expect("start");
    sim.run_until_complete(second);

    assert_eq!(sim.completed_at(first), Some(first_started + TEN_SECONDS));
    assert_eq!(sim.completed_at(second), Some(second_started + TEN_SECONDS));
}

#[test]
fn with_the_default_timeout_a_hung_closest_holder_is_skipped_once_its_connection_idles_out() {
    // No per-request timeout: the hung node is given up when QUIC's idle timeout ends its
    // connection, and the next holder answers well within the operation's 120 s.
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(4000, 52);
    let url = sim.store(&data, None);
    let address = url_address(&url);
    let holders = sim.holders(&address);
    sim.nodes[holders[0]].behaviour.swallow_requests = true;

    let started = sim.now();
    let got = sim.get(&url, None).expect("the next holder answers");

    assert_eq!(&got[..], &data[..]);
    assert!(sim.nodes[holders[1]].requests().contains(&Asked::GetChunk(address)));
    assert!(sim.now() - started < Config::default().timeout);
}

#[test]
fn a_timeout_too_large_for_the_clock_does_not_overflow() {
    let mut sim = with_timeout(1, Duration::MAX);
    sim.connect();
    let url = sim.store(b"no deadline to speak of", None);
    sim.nodes[0].behaviour.swallow_requests = true;

    let id = sim.start(get_op(&url)).expect("start");
    let deadline = sim.client.poll_timeout().expect("a QUIC timer at least");
    assert!(deadline > sim.now());
    sim.nodes[0].behaviour.swallow_requests = false;
    sim.cancel(id);

    assert_eq!(&sim.get(&url, None).expect("get")[..], b"no deadline to speak of");
}

// ---- cancel -------------------------------------------------------------------------------

#[test]
fn cancelling_an_in_flight_get_completes_it_and_stops_its_stream() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = content(5000, 1);
    let url = sim.store(&data, None);
    let address = url_address(&url);
    sim.nodes[0].behaviour.swallow_requests = true;

    let id = sim.start(get_op(&url)).expect("start");
    sim.run_until(|s| s.nodes[0].requests().contains(&Asked::GetChunk(address)));
    let cancelled_at = sim.now();
    sim.cancel(id);

    let (at, completion) = sim.completions.last().cloned().expect("completes at once");
    assert_eq!(completion.id, id);
    assert_eq!(at, cancelled_at);
    let err = completion.result.expect_err("cancelled");
    assert_eq!(err.code, ErrorCode::Cancelled, "{err}");
    assert_eq!(sim.client.running(), 0);

    // The node hears that nobody wants the answer any more.
    sim.run_until(|s| {
        s.nodes[0].log.iter().any(|(_, e)| matches!(e, NodeEvent::AnswerStopped { .. }))
    });

    // The client is still usable: same connection, next get answered.
    sim.nodes[0].behaviour.swallow_requests = false;
    assert_eq!(&sim.get(&url, None).expect("works after cancel")[..], &data[..]);
    assert_eq!(sim.nodes[0].connections_seen(), 1);
    assert_eq!(sim.completions.iter().filter(|(_, c)| c.id == id).count(), 1);
}

#[test]
fn cancelling_a_connect_leaves_the_client_able_to_connect() {
    let mut sim = Sim::new(1);
    sim.nodes[0].behaviour.silent = true;
    let id = sim.start(Operation::Connect(vec![sim.contact(0, false)])).expect("start");
    sim.run_for(Duration::from_secs(2));

    sim.cancel(id);

    let err =
        sim.completion(id).cloned().expect("completes at once").result.expect_err("cancelled");
    assert_eq!(err.code, ErrorCode::Cancelled, "{err}");
    assert!(!sim.client.is_connected());
    sim.nodes[0].behaviour.silent = false;
    assert_eq!(sim.connect().nodes, 1);
}

#[test]
fn cancel_of_an_unknown_or_finished_operation_is_ignored() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"done", None);
    let id = sim.start(get_op(&url)).expect("start");
    sim.run_until_complete(id);
    let before = sim.completions.len();

    sim.cancel(id);
    sim.cancel(9_999);

    assert_eq!(sim.completions.len(), before);
    assert!(matches!(sim.completion(id).map(|c| &c.result), Some(Ok(Output::Bytes(_)))));
}

// ---- concurrency --------------------------------------------------------------------------

#[test]
fn two_gets_started_back_to_back_are_in_flight_together() {
    let mut sim = Sim::new(1);
    sim.connect();
    let (a, b) = (content(3000, 2), content(7000, 3));
    let (url_a, url_b) = (sim.store(&a, None), sim.store(&b, None));
    let (addr_a, addr_b) = (url_address(&url_a), url_address(&url_b));
    // A node that thinks before answering: if the client sent the second request only after
    // the first answer, the node would answer the first before hearing the second.
    sim.nodes[0].behaviour.answer_delay = Duration::from_millis(50);
    let log_start = sim.nodes[0].log.len();

    let id_a = sim.start(get_op(&url_a)).expect("start a");
    let id_b = sim.start(get_op(&url_b)).expect("start b");
    assert_eq!(sim.client.running(), 2);
    sim.run_until(|s| s.completion(id_a).is_some() && s.completion(id_b).is_some());

    let events: Vec<&NodeEvent> = sim.nodes[0].log[log_start..].iter().map(|(_, e)| e).collect();
    let position = |wanted: &dyn Fn(&NodeEvent) -> bool| {
        events.iter().position(|e| wanted(e)).expect("event in the node's log")
    };
    let got_a = position(
        &|e| matches!(e, NodeEvent::Request { asked, .. } if *asked == Asked::GetChunk(addr_a)),
    );
    let got_b = position(
        &|e| matches!(e, NodeEvent::Request { asked, .. } if *asked == Asked::GetChunk(addr_b)),
    );
    let first_answer = position(&|e| matches!(e, NodeEvent::Answered { .. }));
    assert!(
        got_a < first_answer && got_b < first_answer,
        "both requests before any answer: {events:#?}"
    );

    let result = |id| sim.completion(id).map(|c| c.result.clone());
    assert_eq!(result(id_a), Some(Ok(Output::Bytes(a.into()))));
    assert_eq!(result(id_b), Some(Ok(Output::Bytes(b.into()))));
    let (ta, tb) = (sim.completed_at(id_a).expect("a"), sim.completed_at(id_b).expect("b"));
    let apart = if ta > tb { ta - tb } else { tb - ta };
    assert!(apart < Duration::from_millis(50), "answers came {apart:?} apart");
}

#[test]
fn many_operations_at_once_all_complete() {
    let mut sim = Sim::new(5);
    sim.connect();
    let files: Vec<Vec<u8>> = (0..12).map(|i| content(1000 + 977 * i, i as u8)).collect();
    let stores: Vec<u64> = files
        .iter()
        .map(|f| {
            let op = Operation::StoreBytes { data: f.clone().into(), media_type: None };
            sim.start(op).expect("start store")
        })
        .collect();
    sim.run_until(|s| stores.iter().all(|id| s.completion(*id).is_some()));
    let urls: Vec<String> = stores
        .iter()
        .map(|id| match sim.completion(*id).map(|c| c.result.clone()) {
            Some(Ok(Output::Stored(url))) => url,
            other => panic!("store {id}: {other:?}"),
        })
        .collect();

    let gets: Vec<u64> = urls.iter().map(|u| sim.start(get_op(u)).expect("start get")).collect();
    sim.run_until(|s| gets.iter().all(|id| s.completion(*id).is_some()));
    for (id, file) in gets.iter().zip(&files) {
        assert_eq!(
            sim.completion(*id).map(|c| c.result.clone()),
            Some(Ok(Output::Bytes(file.clone().into())))
        );
    }
}

#[test]
fn requests_beyond_the_node_stream_limit_wait_for_a_stream_and_complete() {
    let mut sim = Sim::with(SimConfig {
        node: NodeOptions { max_streams: 2, ..NodeOptions::default() },
        ..SimConfig::nodes(1)
    });
    sim.connect();
    let files: Vec<Vec<u8>> = (0..3).map(|i| content(2000, i)).collect();
    let urls: Vec<String> = files.iter().map(|f| sim.store(f, None)).collect();
    sim.nodes[0].behaviour.answer_delay = Duration::from_millis(30);

    let gets: Vec<u64> = (0..10).map(|i| sim.start(get_op(&urls[i % 3])).expect("start")).collect();
    sim.run_until(|s| gets.iter().all(|id| s.completion(*id).is_some()));

    for (i, id) in gets.iter().enumerate() {
        let expected = Output::Bytes(files[i % 3].clone().into());
        assert_eq!(sim.completion(*id).map(|c| c.result.clone()), Some(Ok(expected)), "get {i}");
    }
    assert_eq!(sim.nodes[0].connections_seen(), 1, "queued on the one connection");
}

#[test]
fn a_chunk_larger_than_the_node_stream_window_is_sent_as_flow_control_allows() {
    let mut sim = Sim::with(SimConfig {
        node: NodeOptions { stream_window: 16 * 1024, ..NodeOptions::default() },
        ..SimConfig::nodes(1)
    });
    sim.connect();
    // Incompressible, so its three encrypted chunks are over five times the window each (a
    // full 1 MiB chunk costs ~10 s in the wasm debug build).
    let data = noise(256 * 1024, 5);

    let url = sim.store(&data, None);

    assert!(sim.get(&url, None).expect("get")[..] == data[..]);
}

#[test]
fn dropping_a_client_with_operations_in_flight_is_quiet() {
    let mut sim = Sim::new(2);
    sim.connect();
    let url = sim.store(b"in flight", None);
    sim.nodes[0].behaviour.swallow_requests = true;
    sim.nodes[1].behaviour.swallow_requests = true;
    sim.start(get_op(&url)).expect("start");
    sim.start(Operation::StoreBytes { data: content(5000, 6).into(), media_type: None })
        .expect("start");
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.client.running(), 2);

    let client = std::mem::replace(&mut sim.client, safe_client::Client::new(Config::default()));
    drop(client);
}

// ---- loss ---------------------------------------------------------------------------------

#[test]
fn a_one_mib_file_survives_ten_percent_random_loss() {
    let mut sim = Sim::with(SimConfig {
        loss: Loss::Random { seed: 0x5afe, rate: 0.10 },
        latency: Duration::from_millis(20),
        ..SimConfig::nodes(1)
    });
    sim.connect();
    // Incompressible: self-encryption compresses, and the link must carry a full 1 MiB.
    let data = noise(MAX_CHUNK_SIZE, 40);

    let url = sim.store(&data, None);
    let got = sim.get(&url, None).expect("get under loss");

    assert!(got[..] == data[..], "1 MiB differs after loss");
    assert!(sim.stats.lost > 100, "the link did drop datagrams: {:?}", sim.stats);
}

#[test]
fn every_tenth_datagram_lost_with_four_holders() {
    let mut sim = Sim::with(SimConfig { loss: Loss::EveryNth(10), ..SimConfig::nodes(4) });
    sim.connect();
    let data = content(200_000, 41);

    let url = sim.store(&data, None);
    let got = sim.get(&url, None).expect("get under loss");

    assert!(got[..] == data[..]);
    // The store completed with a majority; the last holder's put finishes in the background.
    sim.run_until_idle();
    for address in sim.file_chunks(&url) {
        assert!(sim.nodes.iter().all(|n| n.store.contains_key(&address)));
    }
    assert!(sim.stats.lost > 0);
}

#[test]
fn a_small_path_mtu_and_long_latency_still_carry_a_large_file() {
    let mut sim = Sim::with(SimConfig {
        mtu: 1280,
        latency: Duration::from_millis(150),
        ..SimConfig::nodes(1)
    });
    sim.connect();
    // Incompressible, so the chunks stay large once self-encrypted.
    let data = noise(256 * 1024, 42);

    let url = sim.store(&data, None);

    assert!(sim.get(&url, None).expect("get")[..] == data[..]);
}

// ---- close --------------------------------------------------------------------------------

#[test]
fn close_fails_pending_operations_with_the_reason_and_closes_the_connections() {
    let mut sim = Sim::new(2);
    sim.connect();
    let url = sim.store(b"pending", None);
    for node in &mut sim.nodes {
        node.behaviour.swallow_requests = true;
    }
    let get = sim.start(get_op(&url)).expect("start");
    let store = sim
        .start(Operation::StoreBytes { data: content(10, 1).into(), media_type: None })
        .expect("start");
    sim.run_until(|s| s.nodes.iter().map(|n| n.requests().len()).sum::<usize>() >= 5);

    let reason = Error::new(ErrorCode::Cancelled, "the Safe was closed");
    sim.close(reason.clone());

    for id in [get, store] {
        assert_eq!(sim.completion(id).map(|c| c.result.clone()), Some(Err(reason.clone())));
    }
    assert!(!sim.client.is_connected());
    assert_eq!(sim.client.running(), 0);
    sim.run_until_idle();
    for node in &sim.nodes {
        let closed = node.log.iter().any(|(_, e)| match e {
            NodeEvent::ConnectionLost {
                reason: ConnectionError::ApplicationClosed(close), ..
            } => &close.reason[..] == b"client closed",
            _ => false,
        });
        assert!(closed, "node {} saw the client close: {:#?}", node.addr, node.log);
    }
    assert_eq!(sim.client.connections(), 0, "closed connections are drained and dropped");

    let err = sim.start(get_op(&url)).expect_err("closed");
    assert_eq!(err.code, ErrorCode::NotConnected, "{err}");
}

#[test]
fn a_closed_client_can_connect_again() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"before close", None);
    sim.close(Error::new(ErrorCode::Cancelled, "closed"));
    sim.run_until_idle();

    sim.connect();

    assert_eq!(&sim.get(&url, None).expect("after reconnect")[..], b"before close");
    assert_eq!(sim.nodes[0].connections_seen(), 2);
}

// ---- recovery -----------------------------------------------------------------------------

#[test]
fn an_idle_connection_times_out_and_the_next_request_reconnects() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"after a pause", None);
    assert_eq!(sim.client.connections(), 1);

    sim.run_for(Duration::from_secs(120));
    assert_eq!(sim.client.connections(), 0, "idle connection dropped");
    assert_eq!(sim.client.poll_timeout(), None, "an idle client arms no timer");

    assert_eq!(&sim.get(&url, None).expect("reconnects")[..], b"after a pause");
    assert_eq!(sim.nodes[0].connections_seen(), 2);
}

#[test]
fn after_a_node_restart_one_operation_fails_and_the_next_reconnects() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"survives restarts", None);
    sim.nodes[0].restart();

    // The node no longer knows the connection; the client learns it when the connection
    // idles out (quinn's stateless reset needs a reset key that survives restarts).
    let err = sim.get(&url, None).expect_err("the old connection is dead");
    assert_eq!(err.code, ErrorCode::Network, "{err}");

    assert_eq!(&sim.get(&url, None).expect("new connection")[..], b"survives restarts");
}

#[test]
fn a_node_restart_is_invisible_when_another_holder_answers() {
    let mut sim = Sim::new(2);
    sim.connect();
    let data = b"two copies";
    let url = sim.store(data, None);
    let closest = sim.holders(&url_address(&url))[0];
    sim.nodes[closest].restart();

    assert_eq!(&sim.get(&url, None).expect("falls back")[..], data);
}

// ---- majorities and fallbacks -----------------------------------------------------------

#[test]
fn a_store_acknowledged_by_a_majority_completes_although_one_holder_never_answers() {
    let mut sim = with_timeout(5, TEN_SECONDS);
    sim.connect();
    let data = content(4000, 50);
    let mute = 2;
    sim.nodes[mute].behaviour.swallow_requests = true;

    let result = sim.try_store(&data, None);

    let url = result.expect("3 of 4 acknowledged: a majority");
    assert!(url.starts_with("safe://"));
    let mut mute_held = 0;
    for address in sim.file_chunks(&url) {
        let holders = sim.holders(&address);
        mute_held += usize::from(holders.contains(&mute));
        let stored = holders.iter().filter(|&&i| sim.nodes[i].store.contains_key(&address)).count();
        assert_eq!(stored, 4, "all four got the chunk; three acknowledged, one kept silent");
    }
    assert!(mute_held > 0, "the mute node is a holder of some chunk of the file");
}

#[test]
fn a_read_falls_back_when_the_closest_holder_never_answers() {
    let mut sim = with_timeout(5, TEN_SECONDS);
    sim.connect();
    let data = content(4000, 51);
    let url = sim.store(&data, None);
    let holders = sim.holders(&url_address(&url));
    sim.nodes[holders[0]].behaviour.swallow_requests = true;

    let got = sim.get(&url, None).expect("three other holders have it");

    assert_eq!(&got[..], &data[..]);
}

// ---- keeping the network map current -------------------------------------------------------

/// Gives every node `map`, as the network's membership would after a change.
fn set_maps(sim: &mut Sim, map: &NetworkMap) {
    for n in &mut sim.nodes {
        n.map = map.clone();
    }
}

#[test]
fn the_client_learns_a_node_that_joined_once_its_map_is_old() {
    let mut sim = Sim::new(5);
    let newcomer = sim.nodes[4].info.id;
    let mut before = sim.nodes[0].map.clone();
    before.nodes.retain(|n| n.id != newcomer);
    before.epoch = 10;
    set_maps(&mut sim, &before);
    sim.connect();
    assert_eq!(sim.client.network_map().expect("map").nodes.len(), 4);

    let mut after = before.clone();
    after.nodes.push(sim.nodes[4].info.clone());
    after.epoch = 11;
    set_maps(&mut sim, &after);
    // A young map is trusted: no refresh.
    sim.store(b"soon after", None);
    assert_eq!(sim.client.network_map().expect("map").nodes.len(), 4);
    // Ten seconds on, the next operation fetches it again.
    sim.run_for(Duration::from_secs(11));
    sim.store(b"later", None);
    let map = sim.client.network_map().expect("map");
    assert_eq!(map.nodes.len(), 5);
    assert_eq!(map.epoch, 11);
}

#[test]
fn the_client_drops_a_node_that_left_once_its_map_is_old() {
    let mut sim = Sim::new(5);
    sim.connect();
    let gone = sim.nodes[3].info.id;
    let mut after = sim.nodes[0].map.clone();
    after.nodes.retain(|n| n.id != gone);
    after.epoch += 1;
    set_maps(&mut sim, &after);
    sim.nodes[3].behaviour.silent = true;
    sim.run_for(Duration::from_secs(11));
    sim.store(b"after the departure", None);
    let map = sim.client.network_map().expect("map");
    assert_eq!(map.nodes.len(), 4);
    assert!(map.get(&gone).is_none());
}

#[test]
fn failing_to_reach_a_node_makes_the_next_operation_refresh_a_young_map() {
    let mut sim = Sim::new(5);
    sim.connect(); // through node 0: the client has not talked to node 4 yet
    let leaver = 4;
    // A file small enough to be its own chunk (under 3 bytes), whose closest holder is node
    // 4, placed directly on the other holders.
    let data = (0u8..=255)
        .map(|i| vec![i; 2])
        .find(|d| sim.holders(&XorName::from_content(d))[0] == leaver)
        .expect("some content lands first on node 4");
    let address = XorName::from_content(&data);
    for i in sim.holders(&address).into_iter().filter(|&i| i != leaver) {
        sim.nodes[i].store.insert(address, Bytes::from(data.clone()));
    }
    // Node 4 leaves the network and comes back speaking another protocol: connecting to it
    // fails at once.
    let mut after = sim.nodes[0].map.clone();
    after.nodes.retain(|n| n.id != sim.nodes[leaver].info.id);
    after.epoch += 1;
    set_maps(&mut sim, &after);
    sim.nodes[leaver]
        .restart_with(NodeOptions { alpn: b"other/1".to_vec(), ..NodeOptions::default() });

    let url =
        SafeUrl::new_xorurl(address, 0, ContentType::Raw, DataType::File, XorUrlBase::Base32z)
            .expect("url")
            .to_string();
    assert_eq!(sim.get(&url, None).expect("another holder answers")[..], data[..]);
    assert_eq!(sim.client.network_map().expect("map").nodes.len(), 5, "no refresh yet");
    sim.store(b"next", None);
    assert_eq!(sim.client.network_map().expect("map").nodes.len(), 4, "refreshed although young");
}

#[test]
fn a_map_refresh_that_finds_an_older_map_keeps_the_newer_one() {
    let mut sim = Sim::new(3);
    sim.connect();
    let epoch = sim.client.network_map().expect("map").epoch;
    let mut older = sim.nodes[0].map.clone();
    older.epoch = epoch.saturating_sub(1);
    older.nodes.truncate(1);
    set_maps(&mut sim, &older);
    sim.run_for(Duration::from_secs(11));
    sim.store(b"x", None);
    assert_eq!(sim.client.network_map().expect("map").nodes.len(), 3);
}
