//! Immutable chunks: content-addressed blobs. A chunk's address is the SHA3-256 of its bytes, so
//! anyone holding an address can check that the bytes a node returned are the ones stored; and
//! [`ChunkReceipt`]s, a node's signed word that it holds one, so a client can count the copies
//! of a chunk that another node reports having made.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use xor_name::XorName;

use crate::keys::{Keypair, PublicKey, Signature};
use crate::NodeInfo;

/// The largest chunk a client may store and a node accepts (1 MiB).
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;

/// An immutable piece of content together with its address.
///
/// A `Chunk` can only be built from bytes that hash to its address and fit [`MAX_CHUNK_SIZE`], so
/// holding one means the content has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    address: XorName,
    content: Bytes,
}

/// Why bytes could not be accepted as a chunk.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    /// The content is larger than [`MAX_CHUNK_SIZE`].
    #[error("chunk of {size} bytes is larger than the maximum of {max} bytes")]
    TooLarge {
        /// Size of the rejected content.
        size: usize,
        /// The limit, [`MAX_CHUNK_SIZE`].
        max: usize,
    },
    /// The content does not hash to the address it was fetched or stored under.
    #[error("chunk content does not hash to its address {expected:x}")]
    AddressMismatch {
        /// The address the content was expected to have.
        expected: XorName,
    },
}

impl Chunk {
    /// Makes a chunk of `content`, computing its address.
    pub fn new(content: Bytes) -> Result<Self, ChunkError> {
        check_size(content.len())?;
        Ok(Self { address: XorName::from_content(&content), content })
    }

    /// Accepts `content` as the chunk at `address` only if it hashes to that address.
    pub fn verified(address: XorName, content: Bytes) -> Result<Self, ChunkError> {
        check_size(content.len())?;
        if XorName::from_content(&content) != address {
            return Err(ChunkError::AddressMismatch { expected: address });
        }
        Ok(Self { address, content })
    }

    /// The chunk's address: SHA3-256 of its content.
    pub fn address(&self) -> XorName {
        self.address
    }

    /// The chunk's content.
    pub fn content(&self) -> &Bytes {
        &self.content
    }

    /// Gives up the chunk, keeping its content.
    pub fn into_content(self) -> Bytes {
        self.content
    }
}

/// A node's signature of a chunk's address: its word that it holds the chunk. The node that
/// stores a chunk for a client and forwards it to the other holders
/// ([`crate::wire::Request::ReplicateChunk`]) hands back every holder's receipt, so the client can
/// count the copies itself instead of trusting that node's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkReceipt {
    /// The node that holds the chunk.
    pub node: XorName,
    /// Its signature of the chunk's address, under [`ChunkReceipt::DOMAIN`].
    pub signature: Signature,
}

impl ChunkReceipt {
    /// What receipts sign, before the address: they can be mistaken for no other signature.
    pub const DOMAIN: &'static [u8] = b"safe:chunk-held:v1";

    /// The receipt of node `node`, whose key pair is `key`, for the chunk at `address`.
    pub fn new(address: &XorName, node: XorName, key: &Keypair) -> Self {
        Self { node, signature: key.sign(Self::DOMAIN, address) }
    }

    /// Whether this is `holder`'s valid receipt for the chunk at `address`.
    pub fn is_from(&self, holder: &NodeInfo, address: &XorName) -> bool {
        self.node == holder.id
            && holder.is_consistent()
            && PublicKey(holder.public_key).verify(Self::DOMAIN, address, &self.signature)
    }
}

fn check_size(size: usize) -> Result<(), ChunkError> {
    if size > MAX_CHUNK_SIZE {
        return Err(ChunkError::TooLarge { size, max: MAX_CHUNK_SIZE });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_bound_to_the_address_and_the_holder() {
        let key = Keypair::from_secret_bytes(&[5; 32]);
        let holder = NodeInfo::new(key.public_key().0, "127.0.0.1:1".parse().expect("addr"));
        let other = NodeInfo::new([9; 32], "127.0.0.1:2".parse().expect("addr"));
        let address = XorName([1; 32]);
        let receipt = ChunkReceipt::new(&address, holder.id, &key);
        assert!(receipt.is_from(&holder, &address));
        assert!(!receipt.is_from(&holder, &XorName([2; 32])), "another chunk");
        assert!(!receipt.is_from(&other, &address), "another node");
        let claimed = ChunkReceipt { node: other.id, ..receipt.clone() };
        assert!(!claimed.is_from(&other, &address), "a signature by someone else");
        let mut forged = receipt;
        forged.signature = key.sign(b"safe:other:v1", &address);
        assert!(!forged.is_from(&holder, &address), "another domain");
    }

    #[test]
    fn address_is_sha3_256_of_content() {
        // SHA3-256("abc"), FIPS 202 example value.
        let expected = "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532";
        let chunk = Chunk::new(Bytes::from_static(b"abc")).expect("small chunk");
        assert_eq!(format!("{:x}", chunk.address()), expected);
    }

    #[test]
    fn verified_rejects_altered_content() {
        let chunk = Chunk::new(Bytes::from_static(b"original")).expect("small chunk");
        let err = Chunk::verified(chunk.address(), Bytes::from_static(b"0riginal"));
        assert_eq!(err, Err(ChunkError::AddressMismatch { expected: chunk.address() }));
        assert!(Chunk::verified(chunk.address(), Bytes::from_static(b"original")).is_ok());
    }

    #[test]
    fn size_limit_is_inclusive() {
        assert!(Chunk::new(Bytes::from(vec![7u8; MAX_CHUNK_SIZE])).is_ok());
        assert_eq!(
            Chunk::new(Bytes::from(vec![7u8; MAX_CHUNK_SIZE + 1])),
            Err(ChunkError::TooLarge { size: MAX_CHUNK_SIZE + 1, max: MAX_CHUNK_SIZE })
        );
    }
}
