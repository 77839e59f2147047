//! Files through self-encryption: sizes from empty to 64 MiB round-trip byte-exact, the chunks
//! stored are the ones the data map lists, ranged reads fetch only the chunks they need, forged
//! chunks and malformed data maps are caught, and an upload holds a bounded number of bytes
//! whatever the file's size, reporting its progress on the way.
//!
//! Every test drives the client through [`harness::Sim`]: virtual time, no sockets. The data
//! map is read back from the nodes by [`harness::parse_data_map`], which decodes the format by
//! hand rather than with the client's code.

mod harness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use harness::{
    content, noise, parse_data_map, range, url_address, Asked, MapEntry, NodeEvent, Sim,
    DATA_MAP_MAGIC,
};
use safe_client::safe_types::{ContentType, DataType, SafeUrl, XorName, XorUrlBase};
use safe_client::{ByteRange, ByteSource, ErrorCode, Operation, Output, ProgressUnit, Source};

/// The pieces self-encryption cuts files into: 1 MiB less the 4 KiB that compression and
/// sealing may add to a piece that does not compress (`.cargo/config.toml`).
const PIECE: usize = 1024 * 1024 - 4096;
const MIB: usize = 1024 * 1024;

/// How many pieces (and encrypted chunks) a self-encrypted file of `size` bytes makes.
fn pieces(size: usize) -> usize {
    if size < 3 * PIECE {
        3
    } else {
        size.div_ceil(PIECE)
    }
}

/// The data map of the file at `url`, read from the nodes.
fn data_map(sim: &Sim, url: &str) -> Vec<MapEntry> {
    let chunk = sim.stored_chunk(&url_address(url)).expect("the data-map chunk is stored");
    let (entries, child) = parse_data_map(&chunk).expect("a data map");
    assert_eq!(child, None, "a root map");
    entries
}

/// The addresses the nodes were asked for by `GetChunk` while `op` ran, in the order each
/// node logged them.
fn fetched_during<T>(sim: &mut Sim, op: impl FnOnce(&mut Sim) -> T) -> (T, Vec<XorName>) {
    let before: Vec<usize> = sim.nodes.iter().map(|n| n.log.len()).collect();
    let out = op(sim);
    let fetched = sim
        .nodes
        .iter()
        .zip(before)
        .flat_map(|(n, from)| n.log[from..].iter())
        .filter_map(|(_, e)| match e {
            NodeEvent::Request { asked: Asked::GetChunk(a), .. } => Some(*a),
            _ => None,
        })
        .collect();
    (out, fetched)
}

/// Stores `data` in a chunk of its own on every node that should hold it, as if a client had
/// stored it; gives a file URL naming it.
fn place_chunk(sim: &mut Sim, data: &[u8]) -> String {
    let address = XorName::from_content(data);
    for i in sim.holders(&address) {
        sim.nodes[i].store.insert(address, Bytes::copy_from_slice(data));
    }
    SafeUrl::new_xorurl(address, 0, ContentType::Raw, DataType::File, XorUrlBase::Base32z)
        .expect("url")
        .to_string()
}

fn sorted(mut names: Vec<XorName>) -> Vec<XorName> {
    names.sort();
    names
}

// ---- sizes --------------------------------------------------------------------------------

#[test]
fn sizes_from_empty_to_five_mib_round_trip_and_store_exactly_the_chunks_of_their_map() {
    let mut sim = Sim::new(1);
    sim.connect();
    let sizes = [0, 1, 2, 3, 1024, MIB - 1, MIB, MIB + 1, 5 * MIB];
    for (seed, len) in sizes.into_iter().enumerate() {
        let data = noise(len, seed as u64);
        let held_before = sim.nodes[0].store.len();

        let url = sim.store(&data, None);
        let got = sim.get(&url, None).expect("get");

        assert_eq!(got.len(), len);
        assert!(got[..] == data[..], "the {len}-byte file differs");
        let root = url_address(&url);
        let stored = sim.nodes[0].store.len() - held_before;
        if len < 3 {
            // Under self-encryption's minimum: the file is its own chunk.
            assert_eq!(root, XorName::from_content(&data), "{len} bytes");
            assert_eq!(stored, 1, "{len} bytes");
            continue;
        }
        let map = data_map(&sim, &url);
        assert_eq!(map.len(), pieces(len), "{len} bytes");
        assert_eq!(stored, map.len() + 1, "{len} bytes: the map's chunks and the map");
        assert_eq!(map.iter().map(|e| e.size).sum::<u64>(), len as u64);
        for (i, entry) in map.iter().enumerate() {
            assert_eq!(entry.index, i as u64);
            assert!(entry.size <= PIECE as u64);
            let chunk = sim.nodes[0].store.get(&entry.address).expect("listed chunk stored");
            assert_eq!(XorName::from_content(chunk), entry.address, "named by its SHA3-256");
            assert!(chunk.len() <= safe_client::safe_types::MAX_CHUNK_SIZE);
        }
        // The content is encrypted: no chunk holds the file's bytes in the clear.
        if len >= 1024 {
            let probe = &data[len / 2..len / 2 + 64];
            assert!(map
                .iter()
                .all(|e| !sim.nodes[0].store[&e.address].windows(64).any(|w| w == probe)));
        }
    }
}

#[test]
fn the_same_content_gets_the_same_url_and_no_new_chunks() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = content(300_000, 7);
    let first = sim.store(&data, None);
    let held = sim.nodes[0].store.len();

    let second = sim.store(&data, None);

    assert_eq!(first, second, "convergent encryption");
    assert_eq!(sim.nodes[0].store.len(), held);
}

#[test]
fn a_64_mib_file_round_trips_holding_a_few_mib_on_upload() {
    // Natively only: it takes minutes in the wasm debug build.
    let mut sim = Sim::new(1);
    sim.connect();
    let data = Bytes::from(noise(64 * MIB, 64));

    let (url, held) = store_counting(&mut sim, data.clone());
    let got = sim.get(&url, None).expect("get");

    assert!(got == data, "64 MiB differ");
    assert_eq!(data_map(&sim, &url).len(), pieces(64 * MIB));
    assert!(held <= 8 * PIECE as u64, "held {held} bytes");
}

// ---- memory -------------------------------------------------------------------------------

/// A source that counts how many bytes the client has read from it.
struct Counting {
    data: Bytes,
    offset: usize,
    read: Arc<AtomicU64>,
}

impl ByteSource for Counting {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        let end = self.data.len().min(self.offset + max);
        let piece = self.data.slice(self.offset..end);
        self.offset = end;
        self.read.fetch_add(piece.len() as u64, Ordering::Relaxed);
        Ok(piece)
    }
}

/// Stores `data` (at least 3 pieces) on a one-node network through a counting source; gives its
/// URL and the most bytes the client had read but the node did not yet hold, at any moment of
/// the upload (each chunk stored counted as a whole piece, though the last piece may be
/// shorter).
fn store_counting(sim: &mut Sim, data: Bytes) -> (String, u64) {
    let count = pieces(data.len()) as u64;
    let read = Arc::new(AtomicU64::new(0));
    let source = Source::new(Counting { data, offset: 0, read: read.clone() });
    let held_before = sim.nodes[0].store.len() as u64;
    let id = sim.start(Operation::StoreFile { source, media_type: None }).expect("start");
    let mut most = 0;
    sim.run_until(|s| {
        // The data map is stored last: until then, every new chunk holds a whole piece.
        let stored = (s.nodes[0].store.len() as u64 - held_before).min(count);
        most = most.max(read.load(Ordering::Relaxed).saturating_sub(stored * PIECE as u64));
        s.completion(id).is_some()
    });
    match sim.completion(id).map(|c| c.result.clone()) {
        Some(Ok(Output::Stored(url))) => (url, most),
        other => panic!("store failed: {other:?}"),
    }
}

#[test]
fn an_upload_holds_a_bounded_number_of_bytes_whatever_the_size() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = Bytes::from(noise(12 * PIECE, 12));

    let (url, held) = store_counting(&mut sim, data.clone());

    // The file's first two pieces (encrypted last), the piece being cut, and four uploads in
    // flight: about seven pieces, far below the file's twelve.
    assert!(held <= 8 * PIECE as u64, "held {held} bytes");
    assert!(held >= 4 * PIECE as u64, "the bound is what is measured: {held}");
    assert!(sim.get(&url, None).expect("get") == data);
}

#[test]
fn a_source_that_fails_or_ends_early_fails_the_store_without_a_url() {
    struct Broken {
        size: u64,
        served: u64,
        fail_after: u64,
        error: bool,
    }
    impl ByteSource for Broken {
        fn size(&self) -> u64 {
            self.size
        }
        fn read(&mut self, max: usize) -> Result<Bytes, String> {
            if self.served >= self.fail_after {
                return if self.error { Err("disk on fire".into()) } else { Ok(Bytes::new()) };
            }
            let n = (max as u64).min(self.fail_after - self.served);
            self.served += n;
            Ok(Bytes::from(noise(n as usize, self.served)))
        }
    }
    let mut sim = Sim::new(1);
    sim.connect();
    for (error, expected) in [(true, "disk on fire"), (false, "ended after 1500000 of its")] {
        let source =
            Source::new(Broken { size: 4 * MIB as u64, served: 0, fail_after: 1_500_000, error });
        let err = sim
            .run(Operation::StoreFile { source, media_type: None })
            .expect_err("the source broke");
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
        assert!(err.message.contains(expected), "{err}");
        let maps = sim.nodes[0].store.values().filter(|c| c.starts_with(DATA_MAP_MAGIC)).count();
        assert_eq!(maps, 0, "no data map was stored");
    }
}

// ---- progress -----------------------------------------------------------------------------

#[test]
fn progress_in_bytes_rises_to_the_total_on_store_and_on_read() {
    let mut sim = Sim::new(1);
    sim.connect();
    // More chunks than a read fetches at once (16), so the read reports more than once.
    let size = 24 * MIB;
    let data = noise(size, 3);

    let store = sim
        .start(Operation::StoreBytes { data: data.clone().into(), media_type: None })
        .expect("start");
    let url = match sim.run_until_complete(store).result {
        Ok(Output::Stored(url)) => url,
        other => panic!("{other:?}"),
    };
    let get = sim.start(Operation::FilesGet { url, range: range(10, None) }).expect("start");
    sim.run_until_complete(get);

    for (id, total) in [(store, size), (get, size - 10)] {
        let seen: Vec<u64> = sim
            .progress
            .iter()
            .filter(|(_, p)| p.id == id)
            .map(|(_, p)| {
                assert_eq!((p.total, p.unit), (total as u64, ProgressUnit::Bytes));
                p.done
            })
            .collect();
        // One per chunk or so; reports made in one step of the driver replace each other.
        assert!(seen.len() >= 2, "more than one report: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "rising: {seen:?}");
        assert_eq!(seen.last(), Some(&(total as u64)), "{seen:?}");
    }
}

// ---- ranges -------------------------------------------------------------------------------

#[test]
fn ranged_reads_fetch_only_the_chunks_that_hold_the_range() {
    let mut sim = Sim::new(1);
    sim.connect();
    let size = 5 * MIB;
    let data = noise(size, 5);
    let url = sim.store(&data, None);
    let map = data_map(&sim, &url);
    assert_eq!(map.len(), 6);
    let (p, end) = (PIECE as u64, size as u64);

    // (range, the pieces it needs)
    let cases: [(Option<ByteRange>, &[usize]); 10] = [
        (range(2 * MIB as u64 + MIB as u64 / 2, Some(2 * MIB as u64 + MIB as u64 / 2 + 10)), &[2]),
        (range(p - 5, Some(p + 5)), &[0, 1]),
        (range(p - 1, Some(2 * p + 1)), &[0, 1, 2]),
        (range(p, Some(2 * p)), &[1]),
        (range(0, Some(10)), &[0]),
        (range(end - 10, None), &[5]),
        (range(end - 3, Some(end + 1000)), &[5]),
        (range(100, Some(100)), &[]),
        (range(end, None), &[]),
        (None, &[0, 1, 2, 3, 4, 5]),
    ];
    for (r, needed) in cases {
        let (got, fetched) = fetched_during(&mut sim, |sim| sim.get(&url, r).expect("in range"));

        let (start, stop) = match r {
            Some(ByteRange { start, end: e }) => {
                (start as usize, e.map_or(size, |e| (e as usize).min(size)))
            }
            None => (0, size),
        };
        assert!(got[..] == data[start..stop], "{r:?}");
        let mut expected = vec![url_address(&url)];
        expected.extend(needed.iter().map(|&i| map[i].address));
        assert_eq!(fetched[0], url_address(&url), "the data map first: {r:?}");
        assert_eq!(sorted(fetched), sorted(expected), "{r:?}");
    }
}

#[test]
fn a_range_starting_past_the_end_of_a_large_file_fails_after_reading_only_its_map() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = sim.store(&noise(5 * MIB, 6), None);

    let (err, fetched) = fetched_during(&mut sim, |sim| {
        sim.get(&url, range(5 * MIB as u64 + 1, None)).expect_err("past")
    });

    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert!(err.message.contains("5242881") && err.message.contains("5242880-byte"), "{err}");
    assert_eq!(fetched, vec![url_address(&url)]);
}

#[test]
fn fetch_of_a_range_gives_the_whole_files_size_and_its_data_map_address() {
    let mut sim = Sim::new(1);
    sim.connect();
    let data = noise(3 * MIB, 8);
    let url = sim.store(&data, Some("text/plain"));

    let file = sim.fetch(&url, range(MIB as u64, Some(MIB as u64 + 4))).expect("fetch");

    assert_eq!(file.size, data.len() as u64);
    assert_eq!(file.xorname, url_address(&url));
    assert_eq!(&file.data[..], &data[MIB..MIB + 4]);
    assert_eq!(file.media_type.as_deref(), Some("text/plain"));
}

// ---- forged chunks and malformed maps -----------------------------------------------------

#[test]
fn a_holder_returning_an_altered_encrypted_chunk_is_caught_and_another_holder_used() {
    let mut sim = Sim::new(5);
    sim.connect();
    let data = noise(200_000, 9);
    let url = sim.store(&data, None);
    let target = data_map(&sim, &url)[1].address;
    let holders = sim.holders(&target);
    sim.nodes[holders[0]].behaviour.alter_chunks = true;

    let got = sim.get(&url, None).expect("the next holder is honest");

    assert!(got[..] == data[..]);
    assert!(sim.nodes[holders[0]].requests().contains(&Asked::GetChunk(target)));
    assert!(sim.nodes[holders[1]].requests().contains(&Asked::GetChunk(target)));
}

#[test]
fn an_encrypted_chunk_altered_on_every_holder_fails_the_read_with_protocol() {
    let mut sim = Sim::new(5);
    sim.connect();
    let url = sim.store(&noise(200_000, 10), None);
    let target = data_map(&sim, &url)[2].address;
    for i in sim.holders(&target) {
        let mut altered = sim.nodes[i].store[&target].to_vec();
        altered[100] ^= 1;
        sim.nodes[i].store.insert(target, altered.into());
    }

    let err = sim.get(&url, None).expect_err("no intact copy");

    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(
        err.message.contains("chunk 2 of the file") && err.message.contains("bad data"),
        "{err}"
    );
    // A range that does not need the chunk still reads.
    assert_eq!(sim.get(&url, range(0, Some(10))).expect("piece 0 is intact").len(), 10);
}

#[test]
fn a_malformed_data_map_gives_protocol() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = sim.store(&noise(100_000, 11), None);
    let real = sim.stored_chunk(&url_address(&url)).expect("the map");
    let entry = |i: usize| DATA_MAP_MAGIC.len() + 9 + 80 * i;

    let mut garbage = DATA_MAP_MAGIC.to_vec();
    garbage.extend_from_slice(b"not a data map");
    let mut wrong_source_hash = real.to_vec();
    wrong_source_hash[entry(1) + 40] ^= 1;
    let mut oversized_piece = real.to_vec();
    oversized_piece[entry(0) + 72..entry(0) + 80].copy_from_slice(&(8 * MIB as u64).to_le_bytes());
    let mut gap = real.to_vec();
    gap[entry(2)] = 7;
    let mut wrong_version = real.to_vec();
    wrong_version[DATA_MAP_MAGIC.len()] = 2;
    let truncated = real[..real.len() - 1].to_vec();

    for (name, chunk, says) in [
        ("no magic", b"three bytes or more without the magic".to_vec(), "neither a raw file"),
        ("garbage after the magic", garbage, "does not decode"),
        ("another version", wrong_version, "does not decode"),
        ("truncated", truncated, "does not decode"),
        ("a piece larger than self-encryption cuts", oversized_piece, "outside 1..="),
        ("a gap in the indices", gap, "lists chunk 7 at position 2"),
        ("a source hash changed", wrong_source_hash, "does not decrypt"),
    ] {
        let forged = place_chunk(&mut sim, &chunk);
        let err = sim.get(&forged, None).expect_err(name);
        assert_eq!(err.code, ErrorCode::Protocol, "{name}: {err}");
        assert!(err.message.contains("malformed") && err.message.contains(says), "{name}: {err}");
    }
}

#[test]
fn a_data_map_listing_a_chunk_nobody_holds_is_not_found() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = sim.store(&noise(100_000, 12), None);
    let mut map = sim.stored_chunk(&url_address(&url)).expect("the map").to_vec();
    let at = DATA_MAP_MAGIC.len() + 9 + 8;
    map[at..at + 32].copy_from_slice(&XorName::from_content(b"stored nowhere").0);
    let forged = place_chunk(&mut sim, &map);

    let err = sim.get(&forged, None).expect_err("a chunk is missing");

    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    assert!(err.message.contains("chunk 0 of the file"), "{err}");
}

#[test]
fn a_holder_slower_than_the_majority_does_not_make_an_upload_hold_more() {
    // Four holders of everything; one takes 30 s to answer each request (a majority never
    // waits for it, so every one of its puts would linger in the background).
    let mut sim = Sim::new(4);
    sim.connect();
    sim.nodes[3].behaviour.answer_delay = std::time::Duration::from_secs(30);
    let data = Bytes::from(noise(24 * PIECE, 24));
    let id = sim
        .start(Operation::StoreFile { source: Source::from_bytes(data.clone()), media_type: None })
        .expect("start");
    let mut most = 0;
    sim.run_until(|s| {
        most = most.max(s.client.background_write_bytes());
        s.completion(id).is_some()
    });
    let url = match sim.completion(id).map(|c| c.result.clone()) {
        Some(Ok(Output::Stored(url))) => url,
        other => panic!("store failed: {other:?}"),
    };

    // The budget (8 MiB) plus the uploads in flight when it was last checked (4) and the
    // data map, not the file's 24 MiB.
    assert!(most <= (8 * MIB + 5 * PIECE) as u64, "held {most} bytes for the slow holder");
    assert!(most >= 4 * MIB as u64, "the slow holder's puts were measured: {most}");
    assert!(sim.get(&url, None).expect("get") == data);
}
