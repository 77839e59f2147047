//! Fuzzing the client's input surfaces with proptest: what a hostile node answers, and what a
//! hostile writer stored (data maps, FilesMaps, register and multimap entries), reach the
//! client's decoders through the real request path of [`harness::Sim`]. For every case:
//! no panic (a panic in the component is a trap), no error code `Internal` (that is for bugs),
//! every operation completes, the live heap stays under [`HEAP_LIMIT`] (enforced by the
//! allocator: an allocation past it aborts the test), and the same client works afterwards.
//!
//! Cases per property: `PROPTEST_CASES` (default 48 here; `npm run fuzz` runs thousands).
//! Failing seeds are kept by proptest in `hostile.proptest-regressions` next to this file,
//! committed, and run first every time.
//! Native only: the allocator cap and proptest stay off the wasm test build, whose input
//! surface the datagram fuzz (`scripts/fuzz-datagrams.mjs`) covers through the real component.
#![cfg(not(target_family = "wasm"))]

mod harness;

use std::alloc::System;

use bytes::Bytes;
use cap::Cap;
use harness::{Sim, DATA_MAP_MAGIC};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use safe_client::safe_types::{ContentType, DataType, SafeUrl, XorName, XorUrlBase};
use safe_client::{ByteRange, Error, ErrorCode, Operation, Output};

/// The most the whole test process may have allocated at once: a client and a node at work,
/// with a hostile answer buffered (frames are bounded at 2 MiB) several times over.
const HEAP_LIMIT: usize = 256 * 1024 * 1024;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, HEAP_LIMIT);

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Fails the case if an operation's error is a bug rather than the hostile input's fault.
fn no_bug(what: &str, result: &Result<Output, Error>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_ne!(e.code, ErrorCode::Internal, "{} gave Internal: {}", what, e);
    }
    Ok(())
}

/// The client still stores and reads correctly through an honest node.
fn still_works(sim: &mut Sim) -> Result<(), TestCaseError> {
    let data = b"the client still works after the hostile input";
    let url = sim.try_store(data, None).map_err(|e| TestCaseError::fail(format!("store: {e}")))?;
    let got = sim.get(&url, None).map_err(|e| TestCaseError::fail(format!("get: {e}")))?;
    prop_assert_eq!(&got[..], &data[..]);
    Ok(())
}

fn url_of(sim: &mut Sim, op: Operation) -> String {
    match sim.run(op) {
        Ok(Output::Url(url)) => url,
        other => panic!("expected a URL, got {other:?}"),
    }
}

/// A File XOR-URL for a chunk stored as it is on the node (its address is its hash, so the
/// client's hash check passes and the content reaches the decoders).
fn plant_file(sim: &mut Sim, content: Vec<u8>) -> String {
    let address = XorName::from_content(&content);
    sim.nodes[0].store.insert(address, Bytes::from(content));
    SafeUrl::new_xorurl(address, 0, ContentType::Raw, DataType::File, XorUrlBase::Base32z)
        .expect("a XOR-URL")
        .to_xorurl(XorUrlBase::Base32z)
}

/// Random bytes, or a valid sample with a few bytes changed, cut or added.
fn mutated(sample: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = sample.len().max(1);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        (
            proptest::collection::vec((0..len, any::<u8>()), 1..8),
            0..len + 1,
            proptest::collection::vec(any::<u8>(), 0..32)
        )
            .prop_map(move |(flips, cut, tail)| {
                let mut bytes = sample.clone();
                for (at, b) in flips {
                    if let Some(x) = bytes.get_mut(at) {
                        *x ^= b | 1;
                    }
                }
                bytes.truncate(cut);
                bytes.extend(tail);
                bytes
            }),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Every answer of a node bent at random (every `Response` variant, mutated, out of turn),
    /// across the operations that read each kind of answer.
    #[test]
    fn a_hostile_node_cannot_break_the_client(seed in any::<u64>()) {
        let mut sim = Sim::new(1);
        sim.connect();
        let file = sim.store(&harness::content(5000, 3), None);
        let tiny = sim.store(b"ab", None);
        let register = url_of(&mut sim, Operation::RegisterCreate { name: None, tag: 1200, content_type: None });
        let contact = sim.contact(0, false);

        sim.nodes[0].behaviour.hostile = Some(seed);
        let ops = vec![
            ("connect", Operation::Connect(vec![contact])),
            ("filesGet", Operation::FilesGet { url: file.clone(), range: None }),
            ("filesGet range", Operation::FilesGet { url: file.clone(), range: Some(ByteRange { start: 100, end: Some(4000) }) }),
            ("fetch", Operation::Fetch { url: tiny.clone(), range: None }),
            ("storeBytes", Operation::StoreBytes { data: Bytes::from(harness::content(3000, 9)), media_type: None }),
            ("registerRead", Operation::RegisterRead { url: register.clone() }),
            ("registerWrite", Operation::RegisterWrite { url: register.clone(), entry: Bytes::from_static(b"v"), parents: None }),
            ("keysCreatePreloadTestCoins", Operation::KeysCreatePreloadTestCoins { amount: "1".into() }),
            ("filesContainerCreate", Operation::FilesContainerCreate),
        ];
        for (what, op) in ops {
            match sim.start(op) {
                Ok(id) => no_bug(what, &sim.run_until_complete(id).result)?,
                Err(e) => prop_assert_ne!(e.code, ErrorCode::Internal, "{} refused at start: {}", what, e),
            }
        }

        sim.nodes[0].behaviour.hostile = None;
        still_works(&mut sim)?;
    }

    /// Data maps as a hostile uploader could store them: random bytes behind the magic, or a
    /// real data map with bytes changed.
    #[test]
    fn hostile_data_maps_are_refused(bytes in mutated(real_data_map())) {
        let mut sim = Sim::new(1);
        sim.connect();
        let mut content = DATA_MAP_MAGIC.to_vec();
        content.extend(bytes.strip_prefix(DATA_MAP_MAGIC).unwrap_or(&bytes));
        let url = plant_file(&mut sim, content);
        no_bug("filesGet", &sim.run(Operation::FilesGet { url: url.clone(), range: None }))?;
        no_bug("fetch range", &sim.run(Operation::Fetch { url, range: Some(ByteRange { start: 1, end: Some(9) }) }))?;
        still_works(&mut sim)?;
    }

    /// A FilesContainer version whose FilesMap file is not what a FilesMap should be.
    #[test]
    fn hostile_files_maps_are_refused(json in mutated(br#"{"/a.txt":{"link":"safe://hy","type":"text/plain","size":"5","created":"2020-01-01T00:00:00Z"},"/d":{"type":"inode/directory"}}"#.to_vec())) {
        let mut sim = Sim::new(1);
        sim.connect();
        let container = url_of(&mut sim, Operation::FilesContainerCreate);
        let map = sim.store(&json, None);
        let written = sim.run(Operation::RegisterWrite { url: container.clone(), entry: Bytes::from(map), parents: None });
        prop_assert!(written.is_ok(), "the owner writes a version: {:?}", written);
        no_bug("filesContainerGet", &sim.run(Operation::FilesContainerGet { url: container.clone() }))?;
        no_bug("fetch a path", &sim.run(Operation::Fetch { url: format!("{container}/a.txt"), range: None }))?;
        still_works(&mut sim)?;
    }

    /// Register and multimap entries of any content, read as a multimap.
    #[test]
    fn hostile_multimap_entries_are_refused(entries in proptest::collection::vec(mutated(rmp_entry()), 1..4), key in proptest::collection::vec(any::<u8>(), 0..16)) {
        let mut sim = Sim::new(1);
        sim.connect();
        let multimap = url_of(&mut sim, Operation::MultimapCreate { name: None, tag: 20_000 });
        for entry in entries {
            let written = sim.run(Operation::RegisterWrite { url: multimap.clone(), entry: Bytes::from(entry), parents: Some(Vec::new()) });
            no_bug("registerWrite", &written)?;
        }
        no_bug("multimapGetByKey", &sim.run(Operation::MultimapGetByKey { url: multimap.clone(), key: Bytes::from(key) }))?;
        no_bug("fetch", &sim.run(Operation::Fetch { url: multimap.clone(), range: None }))?;
        no_bug("registerRead", &sim.run(Operation::RegisterRead { url: multimap }))?;
        still_works(&mut sim)?;
    }
}

/// A real data map (without the magic): what a 5000-byte file's root chunk holds.
fn real_data_map() -> Vec<u8> {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(&harness::content(5000, 1), None);
    let root = sim.stored_chunk(&harness::url_address(&url)).expect("the root chunk");
    root.strip_prefix(DATA_MAP_MAGIC).expect("a data map").to_vec()
}

/// A real multimap entry's content (a MessagePack key-value pair), as multimaps write them.
fn rmp_entry() -> Vec<u8> {
    let mut sim = Sim::new(1);
    sim.connect();
    let multimap = url_of(&mut sim, Operation::MultimapCreate { name: None, tag: 20_000 });
    let op = Operation::MultimapInsert {
        url: multimap.clone(),
        key: Bytes::from_static(b"colour"),
        value: Bytes::from_static(b"red"),
        replace: Vec::new(),
    };
    let Ok(Output::EntryHash(hash)) = sim.run(op) else { panic!("inserted") };
    match sim.run(Operation::RegisterReadEntry { url: multimap, hash }) {
        Ok(Output::Entry(content)) => content.to_vec(),
        other => panic!("read the entry: {other:?}"),
    }
}
