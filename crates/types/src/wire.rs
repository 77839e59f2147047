//! The wire protocol between clients and nodes.
//!
//! Transport is QUIC with TLS 1.3 and ALPN [`ALPN`]. Each request travels on its own
//! bidirectional stream: the client writes one request frame and finishes its half, the node
//! answers with one response frame and finishes its half.
//!
//! ```text
//! frame = [body length: u32 big-endian][wire version: u8][postcard-encoded body]
//! ```
//!
//! The length counts the version byte and the body, and is checked against [`MAX_FRAME_BODY`]
//! before anything is allocated, so a peer cannot make the other side reserve more than that.

use bytes::Bytes;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use xor_name::XorName;

use crate::account::{Account, Amount, Credit, SignedTransfer, TransferId};
use crate::keys::PublicKey;
use crate::membership::Membership;
use crate::register::{EntryHash, Register, RegisterAddress, RegisterCreate, SignedEntry};
use crate::{ChunkReceipt, NetworkMap, NodeInfo};

/// The TLS application protocol name: protocol and major version.
pub const ALPN: &[u8] = b"safe/1";
/// The version byte this build writes and the only one it reads.
pub const WIRE_VERSION: u8 = 1;
/// Bytes before the body: the length prefix.
pub const LENGTH_PREFIX: usize = 4;
/// The largest body (version byte included) either side accepts: room for a full chunk, a full
/// register or a full account.
pub const MAX_FRAME_BODY: usize = 2 * 1024 * 1024;
/// The largest whole frame.
pub const MAX_FRAME: usize = LENGTH_PREFIX + MAX_FRAME_BODY;
/// The most item ids in one [`Request::Offer`] or [`Response::Want`], and the most addresses in
/// one [`Request::HasChunks`].
pub const MAX_OFFER: usize = 4096;

/// What a client (or a node) asks a node.
///
/// The requests from [`Request::Join`] on are between nodes only: a node answers them only to a
/// peer that presented a node certificate on the connection and (but for `Join`) is a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Send your view of the network's membership.
    NetworkMap,
    /// Send the chunk stored at `address`.
    GetChunk {
        /// SHA3-256 of the wanted content.
        address: XorName,
    },
    /// Store this content as a chunk (its address is computed and checked by the node).
    PutChunk {
        /// The chunk's content, at most [`crate::MAX_CHUNK_SIZE`] bytes.
        content: Bytes,
    },
    /// Create a register (creating it again with the same owner is a no-op).
    CreateRegister(RegisterCreate),
    /// Add an entry to a register.
    WriteRegister {
        /// Which register.
        address: RegisterAddress,
        /// The entry, signed by the register's owner.
        entry: SignedEntry,
    },
    /// Send the register at `address`.
    GetRegister {
        /// Which register.
        address: RegisterAddress,
    },
    /// Send the account of `owner`.
    GetAccount {
        /// The account's key.
        owner: PublicKey,
    },
    /// Apply a transfer: the node debits the sender on a majority of its account's holders,
    /// then credits the receiver on a majority of its holders.
    Transfer(SignedTransfer),
    /// Credit test coins to `to` (only in a network whose membership enables the faucet).
    Faucet {
        /// The receiving key.
        to: PublicKey,
        /// How much.
        amount: Amount,
        /// A fresh random id, so a retried request credits once.
        id: TransferId,
    },
    /// Describe yourself.
    Status,
    /// Between nodes: the peer (whose certificate carries `info`'s key) joins the network.
    Join {
        /// The joining node.
        info: NodeInfo,
    },
    /// Between nodes: here is my view of the membership; send yours.
    Gossip(Membership),
    /// Between nodes: I hold these items, which by my view you should hold too.
    Offer {
        /// At most [`MAX_OFFER`] ids.
        items: Vec<ItemId>,
    },
    /// Between nodes: merge this register replica into yours.
    PutRegister(Register),
    /// Between nodes: merge this account replica into yours.
    PutAccount(Account),
    /// Between nodes: apply this debit to your replica of the sender's account.
    Debit(SignedTransfer),
    /// Between nodes: apply this credit to your replica of the receiver's account.
    Credit(Credit),
    /// Store this chunk, and have the other nodes that should hold it (by this node's view)
    /// store it too: answered with [`Response::Replicated`] once a majority of them hold it,
    /// or the node gave up on the rest; the copies still missing go on in the background. A
    /// client sends a chunk to its closest holder this way once, instead of to every holder.
    ReplicateChunk {
        /// The chunk's content, at most [`crate::MAX_CHUNK_SIZE`] bytes.
        content: Bytes,
    },
    /// Between nodes: store this chunk (a copy `ReplicateChunk` forwards) and answer with a
    /// receipt ([`Response::Held`]).
    HoldChunk {
        /// The chunk's content.
        content: Bytes,
    },
    /// Which of these chunks do you hold? (A client checking a file's replicas.) Answered with
    /// [`Response::Holding`]; the answer is the node's word, not a proof of the content.
    HasChunks {
        /// At most [`MAX_OFFER`] chunk addresses.
        addresses: Vec<XorName>,
    },
}

/// What a node answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The node's view of the membership.
    NetworkMap(NetworkMap),
    /// The content of the requested chunk.
    Chunk {
        /// The content; the client checks it hashes to the address it asked for.
        content: Bytes,
    },
    /// The chunk is stored (or already was) at `address`.
    Stored {
        /// SHA3-256 of the content.
        address: XorName,
    },
    /// A register replica.
    Register(Register),
    /// The entry is in the register.
    EntryWritten {
        /// The entry's hash.
        hash: EntryHash,
    },
    /// An account replica.
    Account(Account),
    /// The transfer (or faucet credit) is applied.
    Transferred {
        /// Its id.
        id: TransferId,
    },
    /// The node's description.
    Status(NodeStatus),
    /// The node's view of the membership (answer to `Join` and `Gossip`).
    Membership(Membership),
    /// The offered items the node lacks and wants pushed.
    Want {
        /// At most [`MAX_OFFER`] ids.
        items: Vec<ItemId>,
    },
    /// Done (answer to the requests that return nothing).
    Done,
    /// The request failed.
    Error(ErrorResponse),
    /// Answer to `ReplicateChunk`: the chunk at `address` is held by the nodes whose receipts
    /// these are (the answering node's own first).
    Replicated {
        /// SHA3-256 of the content.
        address: XorName,
        /// One per node that confirmed it holds the chunk.
        receipts: Vec<ChunkReceipt>,
    },
    /// Answer to `HoldChunk`: this node holds the chunk.
    Held(ChunkReceipt),
    /// Answer to `HasChunks`: those of the asked addresses whose chunks this node holds.
    Holding {
        /// A subset of the addresses asked about.
        addresses: Vec<XorName>,
    },
}

/// An item a node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ItemId {
    /// A chunk, by its address.
    Chunk(XorName),
    /// A register, by its address.
    Register(RegisterAddress),
    /// An account, by its owner.
    Account(PublicKey),
}

impl ItemId {
    /// Where the item lives in the network: the nodes closest to this name hold it.
    pub fn xorname(&self) -> XorName {
        match self {
            Self::Chunk(name) => *name,
            Self::Register(address) => address.xorname(),
            Self::Account(owner) => owner.xorname(),
        }
    }
}

/// A node's description of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The node.
    pub info: NodeInfo,
    /// Members it knows as joined.
    pub members: u32,
    /// Its membership epoch.
    pub epoch: u64,
    /// Chunks it stores.
    pub chunks: u64,
    /// Registers it stores.
    pub registers: u64,
    /// Accounts it stores.
    pub accounts: u64,
}

/// A node's refusal, with a reason meant for logs and users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// Human-readable detail.
    pub message: String,
}

/// The kinds of failure a node reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// Nothing is stored at the address.
    NotFound,
    /// The request could not be decoded or breaks a rule (size, hash, ...).
    InvalidRequest,
    /// The frame's wire version is not one this node speaks.
    UnsupportedVersion,
    /// The node could not store or read its data; another node may do better.
    Storage,
    /// The request is not signed by the owner of the register or account it changes.
    NotOwner,
    /// The sender's balance does not cover the transfer.
    InsufficientFunds,
    /// The request conflicts with the stored state (a nonce already spent, a register created
    /// by another owner): re-read the state and try again.
    Conflict,
    /// Not allowed from this peer (a node-only request from a client), or not in this network
    /// (a faucet request where there is no faucet).
    Forbidden,
    /// Too few holders confirmed the change (a majority is needed).
    Unavailable,
}

impl ErrorResponse {
    /// An error response of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The length prefix announces more than [`MAX_FRAME_BODY`].
    #[error("frame of {len} bytes is larger than the maximum of {max} bytes")]
    TooLong {
        /// The announced or actual body length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The frame ended before the length prefix said it would, or has bytes after it.
    #[error("frame length mismatch: prefix says {expected} bytes, {actual} follow")]
    LengthMismatch {
        /// What the prefix announced.
        expected: usize,
        /// What arrived.
        actual: usize,
    },
    /// The frame is shorter than its length prefix, or empty.
    #[error("frame is truncated")]
    Truncated,
    /// The frame was written in a wire version this build does not read.
    #[error("wire version {0} is not supported (this build speaks version {WIRE_VERSION})")]
    UnsupportedVersion(u8),
    /// The body is not a valid message.
    #[error("malformed message: {0}")]
    Malformed(#[from] postcard::Error),
}

/// Writes `message` as one frame.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, WireError> {
    let mut frame = vec![0u8; LENGTH_PREFIX];
    frame.push(WIRE_VERSION);
    let mut frame = postcard::to_extend(message, frame)?;
    let body = frame.len() - LENGTH_PREFIX;
    if body > MAX_FRAME_BODY {
        return Err(WireError::TooLong { len: body, max: MAX_FRAME_BODY });
    }
    let prefix =
        u32::try_from(body).map_err(|_| WireError::TooLong { len: body, max: MAX_FRAME_BODY })?;
    frame[..LENGTH_PREFIX].copy_from_slice(&prefix.to_be_bytes());
    Ok(frame)
}

/// Reads the body length from a frame's first bytes, refusing lengths over the limit, so a reader
/// knows how much to accept before it buffers anything.
pub fn body_len(prefix: [u8; LENGTH_PREFIX]) -> Result<usize, WireError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME_BODY {
        return Err(WireError::TooLong { len, max: MAX_FRAME_BODY });
    }
    if len == 0 {
        return Err(WireError::Truncated);
    }
    Ok(len)
}

/// Reads one whole frame (prefix included) as a `T`.
pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, WireError> {
    let prefix: [u8; LENGTH_PREFIX] =
        frame.get(..LENGTH_PREFIX).and_then(|p| p.try_into().ok()).ok_or(WireError::Truncated)?;
    let len = body_len(prefix)?;
    let body = &frame[LENGTH_PREFIX..];
    if body.len() != len {
        return Err(WireError::LengthMismatch { expected: len, actual: body.len() });
    }
    let (version, payload) = body.split_first().ok_or(WireError::Truncated)?;
    if *version != WIRE_VERSION {
        return Err(WireError::UnsupportedVersion(*version));
    }
    Ok(postcard::from_bytes(payload)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_CHUNK_SIZE;

    #[test]
    fn frames_round_trip() {
        let messages = [
            Request::NetworkMap,
            Request::GetChunk { address: XorName([3; 32]) },
            Request::PutChunk { content: Bytes::from(vec![9u8; MAX_CHUNK_SIZE]) },
        ];
        for m in messages {
            let frame = encode(&m).expect("encodes");
            assert_eq!(decode::<Request>(&frame).expect("decodes"), m);
        }
        let map = NetworkMap {
            epoch: 7,
            replication_factor: 4,
            nodes: vec![NodeInfo::new([1; 32], "127.0.0.1:12000".parse().expect("addr"))],
        };
        let r = Response::NetworkMap(map);
        assert_eq!(decode::<Response>(&encode(&r).expect("encodes")).expect("decodes"), r);
    }

    #[test]
    fn frame_layout_is_prefix_version_body() {
        // GetChunk is variant 1 of Request (postcard: varint 1), then 32 raw bytes of xorname.
        let frame = encode(&Request::GetChunk { address: XorName([0xab; 32]) }).expect("encodes");
        assert_eq!(&frame[..4], &34u32.to_be_bytes());
        assert_eq!(frame[4], WIRE_VERSION);
        assert_eq!(frame[5], 1);
        assert_eq!(&frame[6..], &[0xab; 32]);
    }

    #[test]
    fn refuses_oversized_prefix_before_reading() {
        let too_long = u32::try_from(MAX_FRAME_BODY + 1).expect("fits").to_be_bytes();
        assert!(matches!(body_len(too_long), Err(WireError::TooLong { .. })));
        assert!(matches!(body_len([0, 0, 0, 0]), Err(WireError::Truncated)));
        let oversized = Request::PutChunk { content: Bytes::from(vec![0u8; MAX_FRAME_BODY]) };
        assert!(matches!(encode(&oversized), Err(WireError::TooLong { .. })));
    }

    #[test]
    fn a_full_register_and_a_full_account_fit_in_a_frame() {
        use crate::account::{Transfer, MAX_ACCOUNT_OPS};
        use crate::keys::Keypair;
        use crate::register::{Entry, EntryHash, MAX_ENTRIES, MAX_ENTRY_SIZE, MAX_PARENTS};
        use std::collections::BTreeSet;

        let owner = Keypair::from_secret_bytes(&[1; 32]);
        let address = RegisterAddress { name: XorName([2; 32]), tag: u64::MAX };
        // Worst case per entry: full content and the most parents. Built without the parent
        // checks of `Register::write`, since only the encoded size matters here.
        let parents: BTreeSet<EntryHash> =
            (0..MAX_PARENTS as u8).map(|i| EntryHash([i; 32])).collect();
        let entry = Entry { content: Bytes::from(vec![0xab; MAX_ENTRY_SIZE]), parents };
        let signed = SignedEntry::new(address, entry, &owner);
        let one = postcard::to_allocvec(&signed).expect("encodes").len() + 32;
        assert!(one * MAX_ENTRIES + 1024 < MAX_FRAME_BODY, "register: {} bytes", one * MAX_ENTRIES);

        let t = Transfer {
            from: owner.public_key(),
            to: owner.public_key(),
            amount: crate::account::Amount(u64::MAX),
            nonce: u64::MAX,
            reference: [0xff; 16],
        };
        let signed = SignedTransfer::new(t, &owner);
        let debit = postcard::to_allocvec(&signed).expect("encodes").len() + 10;
        let credit = postcard::to_allocvec(&Credit::Transfer(signed)).expect("encodes").len() + 32;
        assert!((debit + credit) * MAX_ACCOUNT_OPS + 1024 < MAX_FRAME_BODY, "account");
    }

    #[test]
    fn rejects_bad_frames() {
        let mut frame = encode(&Request::NetworkMap).expect("encodes");
        assert!(matches!(
            decode::<Request>(&frame[..frame.len() - 1]),
            Err(WireError::LengthMismatch { .. })
        ));
        frame[4] = 2;
        assert!(matches!(decode::<Request>(&frame), Err(WireError::UnsupportedVersion(2))));
        let garbage = [0, 0, 0, 3, WIRE_VERSION, 0xff, 0xff];
        assert!(matches!(decode::<Request>(&garbage), Err(WireError::Malformed(_))));
        assert!(matches!(decode::<Request>(&[0, 0]), Err(WireError::Truncated)));
    }
}
