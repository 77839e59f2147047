//! The Safe API operations of `safe_client::Client` (connect, storeBytes, filesGet, fetch)
//! against in-memory nodes: what each gives back, where data lands, which errors it reports and
//! when (at `start` or at completion), and how it copes with nodes that lie.
//!
//! Every test drives the client through [`harness::Sim`]: virtual time, no sockets.

mod harness;

use bytes::Bytes;
use harness::{content, range, url_address, Asked, MapLie, Sim, DATA_MAP_MAGIC};
use safe_client::safe_types::{
    ContentType, DataType, SafeUrl, XorName, XorUrlBase, MAX_CHUNK_SIZE,
};
use safe_client::{
    ByteRange, ByteSource, Contact, ErrorCode, NetworkInfo, Operation, Output, Source,
};

/// SHA3-256 of the bytes: the address of a chunk, and of a file under 3 bytes (stored raw).
fn address_of(data: &[u8]) -> XorName {
    XorName::from_content(data)
}

// ---- connect ------------------------------------------------------------------------------

#[test]
fn connect_through_an_unpinned_contact_learns_the_whole_map() {
    let mut sim = Sim::new(3);
    assert!(!sim.client.is_connected());

    let info = sim.connect();

    assert_eq!(info, NetworkInfo { nodes: 3, epoch: 1, replication_factor: 4 });
    assert!(sim.client.is_connected());
    assert_eq!(sim.nodes[0].requests(), vec![Asked::NetworkMap]);
    assert!(sim.nodes[1].requests().is_empty() && sim.nodes[2].requests().is_empty());
}

#[test]
fn connect_pinned_to_a_wrong_id_fails_and_the_right_id_succeeds() {
    let mut sim = Sim::new(2);
    // Node 1's id for node 0's address: node 0's certificate cannot match it.
    let wrong = Contact { addr: sim.nodes[0].addr, id: Some(sim.nodes[1].id()) };

    let err = sim.run(Operation::Connect(vec![wrong])).expect_err("the id does not match");

    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains(&sim.nodes[0].addr.to_string()), "names the contact: {err}");
    assert!(err.message.contains("certificate"), "names the certificate problem: {err}");
    assert!(!sim.client.is_connected());
    assert!(sim.nodes[0].requests().is_empty(), "no request may reach an unverified node");

    let right = sim.contact(0, true);
    let out = sim.run(Operation::Connect(vec![right])).expect("pinned to the right id");
    assert!(matches!(out, Output::Connected(NetworkInfo { nodes: 2, .. })), "{out:?}");
    assert!(sim.client.is_connected());
}

#[test]
fn connect_rejects_a_map_with_a_node_whose_id_is_not_its_key_hash() {
    let mut sim = Sim::new(3);
    sim.nodes[0].behaviour.map_lie = Some(MapLie::WrongId);

    let err = sim.run(Operation::Connect(vec![sim.contact(0, false)])).expect_err("forged map");

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("does not match its key"), "{err}");
    assert!(!sim.client.is_connected());
}

#[test]
fn connect_rejects_a_map_that_leaves_out_the_node_that_sent_it() {
    let mut sim = Sim::new(3);
    sim.nodes[0].behaviour.map_lie = Some(MapLie::OmitSelf);

    let err = sim.run(Operation::Connect(vec![sim.contact(0, false)])).expect_err("map omits node");

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("without itself"), "{err}");
    assert!(!sim.client.is_connected());
}

#[test]
fn connect_uses_an_honest_contact_when_another_lies() {
    let mut sim = Sim::new(3);
    sim.nodes[0].behaviour.map_lie = Some(MapLie::WrongId);

    let contacts = vec![sim.contact(0, false), sim.contact(1, false)];
    let out = sim.run(Operation::Connect(contacts)).expect("node 1 is honest");

    assert!(matches!(out, Output::Connected(NetworkInfo { nodes: 3, .. })), "{out:?}");
    assert_eq!(sim.nodes[1].requests(), vec![Asked::NetworkMap]);
}

#[test]
fn connect_refuses_an_empty_contact_list_at_start() {
    let mut sim = Sim::new(1);
    let err = sim.start(Operation::Connect(Vec::new())).expect_err("no contacts");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert_eq!(sim.stats.sent, 0);
}

#[test]
fn connect_to_an_address_where_nothing_listens_fails_promptly_whatever_the_timeout() {
    let mut config = harness::SimConfig::nodes(1);
    config.client.timeout = std::time::Duration::from_secs(600);
    let mut sim = Sim::with(config);
    // An address no node of the simulation has: every datagram to it is lost.
    let nobody = Contact { addr: "10.0.9.9:12000".parse().expect("address"), id: None };

    let id = sim.start(Operation::Connect(vec![nobody])).expect("started");
    let done = sim.run_until_complete(id);

    let err = done.result.expect_err("nothing answers");
    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("10.0.9.9:12000"), "names the contact: {err}");
    assert!(err.message.contains("no answer"), "says what happened: {err}");
    let took = sim.completed_at(id).expect("completed") - sim.epoch();
    assert!(
        took <= std::time::Duration::from_secs(6),
        "gave up after {took:?}, not at the timeout"
    );
    assert!(!sim.client.is_connected());
}

#[test]
fn connect_tries_every_contact_at_once_and_an_unreachable_one_does_not_delay_it() {
    let mut sim = Sim::new(2);
    let nobody = Contact { addr: "10.0.9.9:12000".parse().expect("address"), id: None };

    let id = sim.start(Operation::Connect(vec![nobody, sim.contact(1, true)])).expect("started");
    let done = sim.run_until_complete(id);

    assert!(matches!(done.result, Ok(Output::Connected(NetworkInfo { nodes: 2, .. }))), "{done:?}");
    let took = sim.completed_at(id).expect("completed") - sim.epoch();
    assert!(
        took < std::time::Duration::from_secs(1),
        "took {took:?}: the live contact was not asked at once"
    );
}

#[test]
fn connect_to_an_address_family_without_a_socket_fails_with_network() {
    let mut sim = Sim::new(1);
    let v6 = Contact { addr: "[fd00::1]:12000".parse().expect("address"), id: None };

    let err = sim.run(Operation::Connect(vec![v6])).expect_err("only an IPv4 socket");

    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("no socket"), "{err}");
    assert_eq!(sim.stats.sent, 0);
}

// ---- store and get ------------------------------------------------------------------------

#[test]
fn store_then_get_on_one_node_uses_one_connection() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = b"hello safe network";

    let url = sim.store(data, None);
    let got = sim.get(&url, None).expect("get");

    assert_eq!(&got[..], data);
    // 18 bytes are self-encrypted: three encrypted chunks, and the data map the URL names.
    let chunks = sim.file_chunks(&url);
    assert_eq!(chunks.len(), 4);
    assert!(sim.nodes[0].store[&chunks[0]].starts_with(DATA_MAP_MAGIC));
    let requests = sim.nodes[0].requests();
    assert_eq!(requests.len(), 9, "{requests:?}");
    assert_eq!(requests[0], Asked::NetworkMap);
    // The encrypted chunks are stored first, the data map once they are; each is sent once,
    // to its closest holder (here the only one) to store and replicate.
    let mut puts = requests[1..5].to_vec();
    assert_eq!(puts[3], Asked::ReplicateChunk(chunks[0]));
    // Reading starts with the data map, then fetches the chunks it lists.
    assert_eq!(requests[5], Asked::GetChunk(chunks[0]));
    let mut gets = requests[6..].to_vec();
    puts.sort_by_key(|a| format!("{a:?}"));
    gets.sort_by_key(|a| format!("{a:?}"));
    let mut expected_puts: Vec<Asked> = chunks.iter().map(|c| Asked::ReplicateChunk(*c)).collect();
    let mut expected_gets: Vec<Asked> = chunks[1..].iter().map(|c| Asked::GetChunk(*c)).collect();
    expected_puts.sort_by_key(|a| format!("{a:?}"));
    expected_gets.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(puts, expected_puts);
    assert_eq!(gets, expected_gets);
    // The unpinned bootstrap connection proved node 0's id, so pinned requests reuse it.
    assert_eq!(sim.nodes[0].connections_seen(), 1);
    assert_eq!(sim.client.connections(), 1);
}

#[test]
fn store_places_every_chunk_on_exactly_the_r_closest_nodes() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(4096, 1);

    let url = sim.store(&data, None);

    // The data map and the three encrypted chunks it lists.
    let chunks = sim.file_chunks(&url);
    assert_eq!(chunks.len(), 4);
    for address in &chunks {
        let holders = sim.holders(address);
        assert_eq!(holders.len(), 4);
        // Cross-check the placement rule independently: the 4 nodes of smallest XOR distance.
        let mut by_distance: Vec<(Vec<u8>, usize)> = (0..5)
            .map(|i| {
                let d: Vec<u8> =
                    sim.nodes[i].id().0.iter().zip(address.0).map(|(a, b)| a ^ b).collect();
                (d, i)
            })
            .collect();
        by_distance.sort();
        let expected: Vec<usize> = by_distance.iter().take(4).map(|(_, i)| *i).collect();
        assert_eq!(holders, expected);
        let content = sim.stored_chunk(address).expect("stored");
        assert_eq!(address_of(&content), *address, "content-addressed");
        for (i, node) in sim.nodes.iter().enumerate() {
            let held = node.store.get(address);
            let asked = node.requests();
            if holders.contains(&i) {
                assert_eq!(held, Some(&content), "holder {i} has the chunk");
                // The closest holder is asked to replicate it; test nodes forward nothing, so
                // the client puts it to the others itself.
                let put = if i == holders[0] {
                    Asked::ReplicateChunk(*address)
                } else {
                    Asked::PutChunk(*address)
                };
                assert!(asked.contains(&put), "holder {i} was asked {put:?}: {asked:?}");
            } else {
                assert_eq!(held, None, "node {i} is not a holder");
                assert!(!asked.contains(&Asked::PutChunk(*address)));
                assert!(!asked.contains(&Asked::ReplicateChunk(*address)));
            }
        }
    }
    assert_eq!(&sim.get(&url, None).expect("get")[..], &data[..]);
    // Reads go to the closest holder first, and it answered.
    for address in &chunks {
        let closest = sim.holders(address)[0];
        for (i, node) in sim.nodes.iter().enumerate() {
            let asked = node.requests().contains(&Asked::GetChunk(*address));
            assert_eq!(asked, i == closest, "node {i} asked for the chunk: {asked}");
        }
    }
}

#[test]
fn receipts_a_holder_signed_for_others_do_not_count() {
    let mut sim = Sim::new(4);
    sim.connect();
    for node in &mut sim.nodes {
        node.behaviour.forge_receipts = true;
    }
    let data = content(4096, 3);

    let url = sim.store(&data, None);

    // Each closest holder claimed every copy with receipts it signed itself: the client counted
    // only its own, and put the chunk to the other holders.
    for address in sim.file_chunks(&url) {
        let holders = sim.holders(&address);
        for &i in &holders[1..] {
            assert!(sim.nodes[i].requests().contains(&Asked::PutChunk(address)), "holder {i}");
            assert!(sim.nodes[i].store.contains_key(&address), "holder {i} has the chunk");
        }
    }
    assert_eq!(&sim.get(&url, None).expect("get")[..], &data[..]);
}

#[test]
fn a_closest_holder_that_never_answers_is_passed_over() {
    let data = content(4096, 4);
    // The same nodes and data give the same chunks: mute the closest holder of the data map.
    let mute = {
        let mut probe = Sim::new(4);
        probe.connect();
        let url = probe.store(&data, None);
        probe.holders(&probe.file_chunks(&url)[0])[0]
    };
    let mut sim = Sim::new(4);
    sim.connect();
    sim.nodes[mute].behaviour.swallow_requests = true;

    let url = sim.store(&data, None);

    let chunks = sim.file_chunks(&url);
    let mut passed_over = 0;
    for address in &chunks {
        let holders = sim.holders(address);
        let stored = holders.iter().filter(|&&i| sim.nodes[i].store.contains_key(address)).count();
        assert!(stored >= 3, "a majority of the 4 holders has the chunk");
        if holders[0] == mute {
            passed_over += 1;
            for &i in &holders[1..] {
                assert!(sim.nodes[i].requests().contains(&Asked::PutChunk(*address)));
            }
        }
    }
    assert!(passed_over > 0, "the muted node was the closest holder of the data map");
    for node in &mut sim.nodes {
        node.behaviour.swallow_requests = false;
    }
    assert_eq!(&sim.get(&url, None).expect("get")[..], &data[..]);
}

#[test]
fn store_succeeds_with_one_of_four_holders_silent() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(2048, 2);
    let silent = 1;
    sim.nodes[silent].behaviour.silent = true;

    let url = sim.store(&data, None);

    let chunks = sim.file_chunks(&url);
    let mut silent_held = 0;
    for address in &chunks {
        let holders = sim.holders(address);
        let stored = holders.iter().filter(|&&i| sim.nodes[i].store.contains_key(address)).count();
        if holders.contains(&silent) {
            silent_held += 1;
            assert_eq!(stored, 3, "the silent holder has nothing");
        } else {
            assert_eq!(stored, 4);
        }
    }
    assert!(silent_held > 0, "the silent node is a holder of some chunk of the file");
    assert_eq!(&sim.get(&url, None).expect("the next holder answers")[..], &data[..]);
}

#[test]
fn store_fails_with_two_of_four_holders_silent() {
    // Four nodes, R = 4: every node holds every chunk of the file, so each chunk has two
    // silent holders.
    let mut sim = Sim::new(4);
    sim.connect();
    let data = content(2048, 3);
    sim.nodes[1].behaviour.silent = true;
    sim.nodes[3].behaviour.silent = true;

    let err = sim.try_store(&data, None).expect_err("2 of 4 is not a majority");

    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("confirmed by 2 of 4 nodes, 3 needed"), "{err}");
}

#[test]
fn with_fewer_nodes_than_r_every_node_holds_and_a_majority_of_them_is_needed() {
    // 3 nodes, R = 4: all 3 hold, 2 needed.
    let mut sim = Sim::new(3);
    sim.connect();
    let data = content(100, 4);
    sim.nodes[2].behaviour.silent = true;
    let url = sim.store(&data, None);
    for address in sim.file_chunks(&url) {
        assert!(sim.nodes[0].store.contains_key(&address));
        assert!(sim.nodes[1].store.contains_key(&address));
    }

    sim.nodes[1].behaviour.silent = true;
    let err = sim.try_store(&content(100, 5), None).expect_err("1 of 3");
    assert_eq!(err.code, ErrorCode::Network, "{err}");
    assert!(err.message.contains("confirmed by 1 of 3 nodes, 2 needed"), "{err}");
    let _ = url;
}

// ---- sizes --------------------------------------------------------------------------------

#[test]
fn sizes_from_empty_to_one_mib_round_trip_byte_exact() {
    let mut sim = Sim::new(1);
    sim.connect();
    for (len, seed) in [(0, 9), (1, 10), (1024, 11), (MAX_CHUNK_SIZE, 12)] {
        let data = content(len, seed);
        let url = sim.store(&data, None);
        let got = sim.get(&url, None).expect("get");
        assert_eq!(got.len(), len);
        assert!(got[..] == data[..], "{len}-byte file differs");
        // Under 3 bytes a file is its own chunk; larger files are named by their data map.
        let named = sim.nodes[0].store[&url_address(&url)].clone();
        if len < 3 {
            assert_eq!(url_address(&url), address_of(&data));
        } else {
            assert!(named.starts_with(DATA_MAP_MAGIC), "{len} bytes");
            assert_eq!(url_address(&url), address_of(&named));
        }
    }
}

/// A source that only claims to be large: nothing may be read from it.
struct Huge(u64);

impl ByteSource for Huge {
    fn size(&self) -> u64 {
        self.0
    }

    fn read(&mut self, _max: usize) -> Result<Bytes, String> {
        panic!("a file refused at start is never read")
    }
}

#[test]
fn storing_more_than_the_maximum_file_size_is_refused_at_start_before_anything_is_sent() {
    let mut sim = Sim::new(1);
    sim.connect();
    let sent = sim.stats.sent;

    // An argument wrong on its face fails `start` itself. 64 GiB is beyond what one data-map
    // chunk with one child level describes (and beyond what wasm32 addresses).
    let source = Source::new(Huge(64 << 30));
    let err = sim.start(Operation::StoreFile { source, media_type: None }).expect_err("too large");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert!(err.message.contains("68719476736 bytes") && err.message.contains("split"), "{err}");
    assert_eq!(sim.stats.sent, sent, "nothing was sent");
    assert!(sim.nodes[0].store.is_empty());
}

// ---- ranges -------------------------------------------------------------------------------

#[test]
fn ranged_reads_slice_the_file_and_clamp_the_end() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = content(100, 20);
    let url = sim.store(&data, None);
    let len = data.len() as u64;

    let cases: [(Option<ByteRange>, &[u8]); 7] = [
        (range(0, Some(1)), &data[0..1]),
        (range(10, Some(20)), &data[10..20]),
        (range(90, None), &data[90..]),
        (range(0, Some(len)), &data[..]),
        (range(50, Some(10_000)), &data[50..]),
        (range(len, None), &[]),
        (range(5, Some(5)), &[]),
    ];
    for (r, expected) in cases {
        assert_eq!(&sim.get(&url, r).expect("in range")[..], expected, "{r:?}");
    }
}

#[test]
fn a_range_starting_past_the_end_fails_at_completion() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(&content(100, 21), None);

    // The length is unknown until the chunk arrives, so `start` accepts it.
    let id = sim
        .start(Operation::FilesGet { url: url.clone(), range: range(101, None) })
        .expect("start accepts it");
    let err = sim.run_until_complete(id).result.expect_err("past the end");

    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert!(err.message.contains("101") && err.message.contains("100-byte"), "{err}");
}

#[test]
fn a_range_ending_before_it_starts_fails_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"0123456789", None);
    let sent = sim.stats.sent;

    for op in [
        Operation::FilesGet { url: url.clone(), range: range(5, Some(4)) },
        Operation::Fetch { url: url.clone(), range: range(5, Some(4)) },
    ] {
        let err = sim.start(op).expect_err("end < start");
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    }
    assert_eq!(sim.stats.sent, sent);
}

// ---- fetch --------------------------------------------------------------------------------

#[test]
fn fetch_describes_the_public_file() {
    let mut sim = Sim::new(2);
    sim.connect();
    let data = b"<p>plain text, really</p>".to_vec();
    let url = sim.store(&data, Some("text/plain"));

    let file = sim.fetch(&url, None).expect("fetch");

    assert_eq!(&file.data[..], &data[..]);
    // The file's address is its data map's.
    assert_eq!(file.xorname, url_address(&url));
    assert!(sim.nodes[0].store[&file.xorname].starts_with(DATA_MAP_MAGIC));
    assert_eq!(file.size, data.len() as u64);
    assert_eq!(file.media_type.as_deref(), Some("text/plain"));
    assert_eq!(file.resolved_from, url);
    assert_eq!(file.xorurl, url);

    // Raw content declares no media type; a range keeps the whole file's size.
    let raw = sim.store(&content(300, 22), None);
    let part = sim.fetch(&raw, range(100, Some(110))).expect("ranged fetch");
    assert_eq!(part.media_type, None);
    assert_eq!(part.size, 300);
    assert_eq!(&part.data[..], &content(300, 22)[100..110]);
}

#[test]
fn fetch_resolved_from_is_the_url_as_given_and_xorurl_uses_the_client_base() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(b"written in another base", Some("text/plain"));
    let base32 = SafeUrl::parse(&url).expect("valid").to_xorurl(XorUrlBase::Base32);
    assert_ne!(base32, url);

    let file = sim.fetch(&base32, None).expect("any base reads");

    assert_eq!(file.resolved_from, base32);
    assert_eq!(file.xorurl, url, "written in the client's base (base32z)");
    assert_eq!(&file.data[..], b"written in another base");
}

#[test]
fn store_refuses_a_media_type_the_url_format_cannot_carry_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    let op = Operation::StoreBytes {
        data: Bytes::from_static(b"x"),
        media_type: Some("application/x-no-such-type".into()),
    };
    let err = sim.start(op).expect_err("unsupported media type");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
}

// ---- lying nodes --------------------------------------------------------------------------

#[test]
fn a_lying_closest_holder_is_skipped_for_the_next_one() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(10_000, 30);
    let url = sim.store(&data, None);
    let address = url_address(&url);
    let holders = sim.holders(&address);
    sim.nodes[holders[0]].behaviour.alter_chunks = true;

    let got = sim.get(&url, None).expect("the second holder is honest");

    assert!(got[..] == data[..]);
    assert!(sim.nodes[holders[0]].requests().contains(&Asked::GetChunk(address)));
    assert!(sim.nodes[holders[1]].requests().contains(&Asked::GetChunk(address)));
    assert!(!sim.nodes[holders[2]].requests().contains(&Asked::GetChunk(address)));
}

#[test]
fn when_every_holder_lies_the_read_fails_with_protocol() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(10_000, 31);
    let url = sim.store(&data, None);
    for node in &mut sim.nodes {
        node.behaviour.alter_chunks = true;
    }

    let err = sim.get(&url, None).expect_err("no honest copy");

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("bad data"), "{err}");
    let err = sim.fetch(&url, None).expect_err("fetch checks too");
    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
}

#[test]
fn a_lie_is_caught_even_when_the_liar_is_the_only_one_holding_the_chunk() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = content(500, 32);
    let url = sim.store(&data, None);
    let address = url_address(&url);
    let holders = sim.holders(&address);
    for &i in &holders[1..] {
        sim.nodes[i].store.clear();
    }
    sim.nodes[holders[0]].behaviour.alter_chunks = true;

    let err = sim.get(&url, None).expect_err("the only copy is forged");

    // The other holders said NotFound; the forgery is what matters.
    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
}

// ---- bad input ----------------------------------------------------------------------------

#[test]
fn an_address_nobody_holds_is_not_found() {
    let mut sim = Sim::new(5);
    sim.connect();
    let nowhere = address_of(b"never stored");
    let url =
        SafeUrl::new_xorurl(nowhere, 0, ContentType::Raw, DataType::File, XorUrlBase::Base32z)
            .expect("url")
            .to_string();

    let err = sim.get(&url, None).expect_err("nothing there");

    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    // Every holder was asked before giving up, and no other node.
    let holders = sim.holders(&nowhere);
    for (i, node) in sim.nodes.iter().enumerate() {
        let asked = node.requests().contains(&Asked::GetChunk(nowhere));
        assert_eq!(asked, holders.contains(&i), "node {i}");
    }
}

#[test]
fn an_nrs_url_is_refused_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    // filesGet reads XOR-URLs only; fetch resolves NRS names (see nrs_and_multimaps.rs).
    let op = Operation::FilesGet { url: "safe://mysite/index.html".into(), range: None };
    let err = sim.start(op).expect_err("NRS is not resolved");
    assert_eq!(err.code, ErrorCode::InvalidUrl, "{err}");
    assert!(err.message.contains("NRS"), "{err}");
}

#[test]
fn malformed_urls_and_non_file_urls_are_refused_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    let err = sim
        .start(Operation::FilesGet { url: "http://example.com".into(), range: None })
        .expect_err("not safe://");
    assert_eq!(err.code, ErrorCode::InvalidUrl, "{err}");

    let register = SafeUrl::new_xorurl(
        XorName([5; 32]),
        0,
        ContentType::Raw,
        DataType::Register,
        XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string();
    // filesGet reads files only; fetch resolves registers too (see nrs_and_multimaps.rs).
    let err =
        sim.start(Operation::FilesGet { url: register, range: None }).expect_err("a register");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
}

#[test]
fn operations_before_connect_fail_at_start_with_not_connected() {
    let mut sim = Sim::new(1);
    let url = SafeUrl::new_xorurl(
        XorName([1; 32]),
        0,
        ContentType::Raw,
        DataType::File,
        XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string();
    for op in [
        Operation::StoreBytes { data: Bytes::from_static(b"x"), media_type: None },
        Operation::FilesGet { url: url.clone(), range: None },
        Operation::Fetch { url, range: None },
    ] {
        let err = sim.start(op).expect_err("not connected");
        assert_eq!(err.code, ErrorCode::NotConnected, "{err}");
    }
    assert_eq!(sim.stats.sent, 0);
    assert_eq!(sim.client.running(), 0);
}
