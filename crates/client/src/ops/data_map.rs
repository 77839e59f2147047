//! The data-map chunk: what the URL of a self-encrypted file points at, how a reader tells it
//! apart from a file small enough to be stored raw, and how a data map too large for one chunk
//! is shrunk into child levels. Pure functions, no network: [`super::files`] moves the chunks.
//!
//! # Format
//!
//! A file of fewer than `self_encryption::MIN_ENCRYPTABLE_BYTES` (3) bytes is one raw chunk of
//! its bytes. Any other file is self-encrypted with the `self_encryption` crate, cut into pieces
//! of `self_encryption::MAX_CHUNK_SIZE` (1 MiB - 4 KiB, set in `.cargo/config.toml`), and its
//! URL names a data-map chunk:
//!
//! ```text
//! b"safe-wasi:dmap:1"  ++  DataMap::to_bytes()      (the crate's versioned bincode form)
//! ```
//!
//! One departure from the crate: each `ChunkInfo::dst_hash` is the network address of that
//! encrypted chunk, SHA3-256 of its content (what nodes check, and what `self_encryption` itself
//! used before 0.35), instead of the crate's BLAKE3 hash, so a reader fetches every chunk by the
//! name the map gives and checks it. The pieces' sizes and source hashes, the chunk keys and
//! the child levels are the crate's.
//!
//! A reader needs no hint from the URL: a chunk shorter than 3 bytes is a raw file; anything
//! else must start with the magic and hold a valid map, or the file is malformed.
//!
//! # Child levels
//!
//! A map whose chunk would exceed `safe_types::MAX_CHUNK_SIZE` (a file of more than ~12 GiB) is
//! shrunk with the crate's `shrink_data_map`: its serialized form is itself self-encrypted, at
//! child level 1, into three chunks, and the root map lists those (`child: Some(1)`). A reader
//! decrypts them to get the full map back. One level covers files of up to ~38 GiB (see
//! [`max_file_size`]); wasm32 cannot address files of 4 GiB or more anyway.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};
use safe_types::{XorName, MAX_CHUNK_SIZE};
use self_encryption::{ChunkInfo, DataMap, MIN_ENCRYPTABLE_BYTES};

/// What a data-map chunk starts with.
pub(super) const MAGIC: &[u8; 16] = b"safe-wasi:dmap:1";

/// The size of the pieces self-encryption cuts a file into.
pub(super) const PIECE: usize = self_encryption::MAX_CHUNK_SIZE;

/// Room left in a chunk for what compression and sealing may add to a piece that does not
/// compress (the crate keeps as much below its own 4 MiB default).
const HEADROOM: usize = 4096;

const _: () = assert!(
    PIECE + HEADROOM == MAX_CHUNK_SIZE,
    "self_encryption was built with another MAX_CHUNK_SIZE: run cargo from the repository root, \
     where .cargo/config.toml sets it"
);

/// Files shorter than this are stored as one raw chunk.
pub(super) const MIN_ENCRYPTED_SIZE: u64 = MIN_ENCRYPTABLE_BYTES as u64;

/// How many levels of child maps a reader follows (a writer makes at most one).
const MAX_LEVELS: usize = 4;

/// A serialized map is this long plus [`MAP_BYTES_PER_CHUNK`] for each chunk it lists (bincode:
/// a version byte, the list's length as 8 bytes, and `child: None` as one byte).
const MAP_FIXED_BYTES: usize = 10;
/// Index and size as 8 bytes each, and two 32-byte hashes.
const MAP_BYTES_PER_CHUNK: usize = 80;

/// The largest file this client stores: one level of shrinking must bring its map down to three
/// chunks (so the serialized map must make fewer than three pieces), and the crate counts bytes
/// in `usize`.
pub(super) fn max_file_size() -> u64 {
    let chunks = (3 * PIECE - 1 - MAP_FIXED_BYTES) / MAP_BYTES_PER_CHUNK;
    (chunks as u64 * PIECE as u64).min(usize::MAX as u64)
}

/// What the chunk a file URL names holds.
pub(super) enum Root {
    /// The whole file, stored as it is.
    Raw(Bytes),
    /// The file's data map (possibly a child level).
    Encrypted(DataMap),
}

/// Reads a file's root chunk; the error says why it is neither a raw file nor a data map.
pub(super) fn decode_root(content: Bytes) -> Result<Root, String> {
    if (content.len() as u64) < MIN_ENCRYPTED_SIZE {
        return Ok(Root::Raw(content));
    }
    let Some(map) = content.strip_prefix(MAGIC) else {
        return Err(format!(
            "its chunk of {} bytes is neither a raw file (under {MIN_ENCRYPTED_SIZE} bytes) nor \
             a data map",
            content.len()
        ));
    };
    decode_map(map).map(Root::Encrypted)
}

/// A serialized data map, checked so that reading the file cannot go wrong in ways that hurt.
pub(super) fn decode_map(bytes: &[u8]) -> Result<DataMap, String> {
    let map =
        DataMap::from_bytes(bytes).map_err(|e| format!("its data map does not decode: {e}"))?;
    check(&map)?;
    Ok(map)
}

/// The data-map chunk for `map`.
pub(super) fn encode(map: &DataMap) -> Result<Bytes, String> {
    let serialized = map.to_bytes().map_err(|e| format!("the data map does not serialize: {e}"))?;
    let mut chunk = BytesMut::with_capacity(MAGIC.len() + serialized.len());
    chunk.put_slice(MAGIC);
    chunk.put_slice(&serialized);
    Ok(chunk.freeze())
}

/// What a reader requires of a map: the crate's shape (at least three chunks, indices `0..n`),
/// pieces no larger than the crate cuts (so a crafted chunk cannot decompress to more), and few
/// enough chunks in a child map that resolving it stays small.
fn check(map: &DataMap) -> Result<(), String> {
    let infos = map.infos();
    if infos.len() < 3 {
        return Err(format!(
            "its data map lists {} chunks, and self-encryption makes at least 3",
            infos.len()
        ));
    }
    if let Some(level) = map.child() {
        if level == 0 || level > MAX_LEVELS {
            return Err(format!(
                "its data map is at child level {level}, outside 1..={MAX_LEVELS}"
            ));
        }
        if infos.len() > 3 {
            return Err(format!("its child data map lists {} chunks, more than 3", infos.len()));
        }
    }
    for (position, info) in infos.iter().enumerate() {
        if info.index != position {
            return Err(format!("its data map lists chunk {} at position {position}", info.index));
        }
        if info.src_size == 0 || info.src_size > PIECE {
            return Err(format!(
                "its data map gives chunk {position} {} bytes, outside 1..={PIECE}",
                info.src_size
            ));
        }
    }
    Ok(())
}

/// The file's level-0 map with network addresses, from what `stream_encrypt` gave: its final
/// map (shrunk if the file made more than three chunks), the shrinking chunks it made (held back,
/// by the crate's hash), and the network address of every chunk uploaded (by the crate's hash).
pub(super) fn with_network_addresses(
    stream_map: DataMap,
    held_back: &HashMap<XorName, Bytes>,
    addresses: &HashMap<XorName, XorName>,
) -> Result<DataMap, String> {
    let level0 = if stream_map.is_child() {
        let mut held = |hash: XorName| {
            held_back.get(&hash).cloned().ok_or_else(|| {
                self_encryption::Error::Generic(format!("no shrinking chunk {hash:x}"))
            })
        };
        self_encryption::get_root_data_map(stream_map, &mut held)
            .map_err(|e| format!("the encryptor's data map does not resolve: {e}"))?
    } else {
        stream_map
    };
    let infos = level0
        .infos()
        .iter()
        .map(|info| match addresses.get(&info.dst_hash) {
            Some(address) => Ok(ChunkInfo { dst_hash: *address, ..info.clone() }),
            None => Err(format!("chunk {} of the data map was never uploaded", info.index)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DataMap::new(infos))
}

/// Shrinks `map` (with network addresses) until its chunk fits: the root map, and the chunks of
/// the level below it, to be stored first. A map that fits comes back as it is.
pub(super) fn shrink(mut map: DataMap) -> Result<(DataMap, Vec<Bytes>), String> {
    let mut lower = Vec::new();
    while encode(&map)?.len() > MAX_CHUNK_SIZE {
        let serialized = map.to_bytes().map_err(|e| e.to_string())?.len();
        if serialized >= 3 * PIECE {
            // `shrink_data_map` would then make several levels at once, naming chunks by the
            // crate's hash inside them; `max_file_size` keeps files below this.
            return Err(format!("a data map of {serialized} bytes is too large to shrink"));
        }
        let (shrunk, made) = self_encryption::shrink_data_map(map, |_, _| Ok(()))
            .map_err(|e| format!("the data map does not shrink: {e}"))?;
        let made: HashMap<XorName, Bytes> = made
            .into_iter()
            .map(|c| (self_encryption::hash::content_hash(&c.content), c.content))
            .collect();
        let mut infos = Vec::with_capacity(shrunk.len());
        for info in shrunk.infos() {
            let content = made
                .get(&info.dst_hash)
                .ok_or_else(|| format!("shrinking lost chunk {}", info.index))?;
            infos.push(ChunkInfo { dst_hash: XorName::from_content(content), ..info.clone() });
            lower.push(content.clone());
        }
        let level = shrunk.child().ok_or("shrinking made no child level")?;
        map = DataMap::with_child(infos, level);
    }
    Ok((map, lower))
}

/// How the crate cuts a file of `size` bytes (at least 3) into pieces, and the order in which
/// `stream_encrypt` hands out their chunks (pieces 2, 3, ... first; 0 and 1, whose keys need
/// every other piece's hash, last). Used for progress, and checked against the final map.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    size: u64,
    count: usize,
}

impl Layout {
    /// The layout of a file of `size` bytes, from [`MIN_ENCRYPTED_SIZE`] to [`max_file_size`].
    pub(super) fn new(size: u64) -> Option<Self> {
        if !(MIN_ENCRYPTED_SIZE..=max_file_size()).contains(&size) {
            return None;
        }
        let piece = PIECE as u64;
        let count = if size < 3 * piece { 3 } else { size.div_ceil(piece) };
        Some(Self { size, count: usize::try_from(count).ok()? })
    }

    /// The file's size, which fits a `usize` (see [`max_file_size`]).
    pub(super) fn size(&self) -> usize {
        usize::try_from(self.size).unwrap_or(usize::MAX)
    }

    /// How many pieces (and level-0 chunks).
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The size of piece `index`.
    pub(super) fn piece_size(&self, index: usize) -> u64 {
        let piece = PIECE as u64;
        if self.size < 3 * piece {
            let third = self.size / 3;
            return if index < 2 { third } else { self.size - 2 * third };
        }
        if index + 1 < self.count {
            piece
        } else {
            self.size - (self.count as u64 - 1) * piece
        }
    }

    /// The piece whose chunk `stream_encrypt` hands out `nth` (from 0).
    pub(super) fn index_of_nth(&self, nth: usize) -> usize {
        match self.count - nth {
            2 => 0,
            1 => 1,
            _ => nth + 2,
        }
    }

    /// Whether `map` cuts the file as this layout says.
    pub(super) fn matches(&self, map: &DataMap) -> bool {
        map.len() == self.count
            && map
                .infos()
                .iter()
                .enumerate()
                .all(|(i, info)| info.index == i && info.src_size as u64 == self.piece_size(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes that do not compress (a xorshift generator).
    fn noise(len: usize, mut seed: u64) -> Bytes {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            out.extend_from_slice(&seed.to_le_bytes());
        }
        out.truncate(len);
        Bytes::from(out)
    }

    fn fake_map(chunks: usize) -> DataMap {
        DataMap::new(
            (0..chunks)
                .map(|index| ChunkInfo {
                    index,
                    dst_hash: XorName::from_content(&index.to_le_bytes()),
                    src_hash: self_encryption::hash::content_hash(&index.to_be_bytes()),
                    src_size: PIECE,
                })
                .collect(),
        )
    }

    #[test]
    fn the_crate_was_built_with_our_piece_size() {
        assert_eq!(self_encryption::MAX_CHUNK_SIZE, 1024 * 1024 - 4096);
    }

    #[test]
    fn a_piece_that_does_not_compress_still_fits_a_chunk_once_encrypted() {
        // Three full pieces of noise: the largest chunks the crate makes.
        let (_, chunks) = self_encryption::encrypt(noise(3 * PIECE, 7)).expect("encrypts");
        for chunk in chunks {
            assert!(chunk.content.len() > PIECE, "noise does not compress");
            assert!(chunk.content.len() <= MAX_CHUNK_SIZE, "{} bytes", chunk.content.len());
        }
    }

    #[test]
    fn serialized_maps_have_the_size_max_file_size_assumes() {
        for chunks in [3, 4, 100] {
            let bytes = fake_map(chunks).to_bytes().expect("serializes");
            assert_eq!(bytes.len(), MAP_FIXED_BYTES + MAP_BYTES_PER_CHUNK * chunks);
        }
    }

    #[test]
    fn the_layout_is_the_crates_and_so_is_the_order_of_its_chunks() {
        for size in [3, 4, 100, 3 * PIECE - 1, 3 * PIECE, 3 * PIECE + 1] {
            let data = noise(size, size as u64);
            let layout = Layout::new(size as u64).expect("in range");
            let mut stream = self_encryption::stream_encrypt(
                size,
                data.chunks(10_000).map(Bytes::copy_from_slice),
            )
            .expect("stream");
            let mut order = Vec::new();
            let mut held_back = HashMap::new();
            let mut addresses = HashMap::new();
            for chunk in stream.chunks() {
                let (hash, content) = chunk.expect("chunk");
                if order.len() < layout.count() {
                    order.push(hash);
                    addresses.insert(hash, XorName::from_content(&content));
                } else {
                    held_back.insert(hash, content);
                }
            }
            let stream_map = stream.into_datamap().expect("a map");
            assert_eq!(stream_map.is_child(), layout.count() > 3, "{size}");
            let level0 = self_encryption::get_root_data_map(stream_map, &mut |h| {
                held_back.get(&h).cloned().ok_or(self_encryption::Error::Generic("missing".into()))
            })
            .expect("resolves");
            assert!(layout.matches(&level0), "{size}: {level0:?}");
            for (nth, hash) in order.iter().enumerate() {
                assert_eq!(level0.infos()[layout.index_of_nth(nth)].dst_hash, *hash, "{size}");
            }
            let addressed = with_network_addresses(
                DataMap::new(level0.infos().to_vec()),
                &held_back,
                &addresses,
            )
            .expect("every chunk has an address");
            assert!(addressed.infos().iter().all(|i| addresses.values().any(|a| *a == i.dst_hash)));
        }
    }

    #[test]
    fn sizes_outside_the_encrypted_range_have_no_layout() {
        assert!(Layout::new(2).is_none());
        assert!(Layout::new(max_file_size() + 1).is_none());
        assert_eq!(Layout::new(max_file_size()).map(|l| l.count() > 3), Some(true));
    }

    #[test]
    fn a_data_map_chunk_round_trips_and_is_told_from_a_raw_file() {
        let map = fake_map(5);
        let chunk = encode(&map).expect("encodes");
        assert!(chunk.starts_with(MAGIC));
        assert!(matches!(decode_root(chunk), Ok(Root::Encrypted(m)) if m == map));
        for raw in [&b""[..], b"a", b"ab"] {
            assert!(matches!(decode_root(Bytes::from_static(raw)), Ok(Root::Raw(r)) if r == raw));
        }
        assert!(decode_root(Bytes::from_static(b"abc")).is_err());
        let mut garbage = MAGIC.to_vec();
        garbage.extend_from_slice(b"not a map");
        assert!(decode_root(Bytes::from(garbage)).is_err());
    }

    #[test]
    fn maps_a_reader_could_be_hurt_by_are_refused() {
        let mut too_big = fake_map(3);
        too_big.chunk_identifiers[1].src_size = PIECE + 1;
        let mut gap = fake_map(4);
        gap.chunk_identifiers[3].index = 7;
        let wide_child = DataMap::with_child(fake_map(4).chunk_identifiers, 1);
        let deep_child = DataMap::with_child(fake_map(3).chunk_identifiers, MAX_LEVELS + 1);
        for map in [fake_map(2), too_big, gap, wide_child, deep_child] {
            let bytes = map.to_bytes().expect("serializes");
            assert!(decode_map(&bytes).is_err(), "{map:?}");
        }
    }

    #[test]
    fn a_map_too_large_for_a_chunk_shrinks_to_one_that_fits_and_resolves_back() {
        let map = fake_map(MAX_CHUNK_SIZE / MAP_BYTES_PER_CHUNK + 1);
        assert!(encode(&map).expect("encodes").len() > MAX_CHUNK_SIZE);

        let (root, lower) = shrink(map.clone()).expect("shrinks");

        assert_eq!(root.child(), Some(1));
        assert_eq!((root.len(), lower.len()), (3, 3));
        assert!(encode(&root).expect("encodes").len() <= MAX_CHUNK_SIZE);
        let index = self_encryption::DataMapIndex::new(&root).expect("indexes");
        let mut serialized = Vec::new();
        for (i, info) in root.infos().iter().enumerate() {
            let content = lower
                .iter()
                .find(|c| XorName::from_content(c) == info.dst_hash)
                .expect("named by its network address");
            serialized.extend_from_slice(&index.decrypt_chunk(i, content).expect("decrypts"));
        }
        assert_eq!(decode_map(&serialized).expect("the full map"), map);

        let small = fake_map(4);
        let (same, none) = shrink(small.clone()).expect("fits as it is");
        assert_eq!((same, none.len()), (small, 0));
    }
}
