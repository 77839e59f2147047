//! Registers: small mutable data as a Merkle-DAG CRDT.
//!
//! A register lives at a (name, type tag) address and has one owner key. Each entry names the
//! entries it supersedes (its parents) by hash, so concurrent writes stand side by side as
//! several heads, and merging two replicas is the union of their entries. Every entry is signed
//! by the owner over (address, entry hash); nodes and clients accept nothing else. Sizes are
//! bounded so a whole register always fits in one wire frame.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use xor_name::XorName;

use crate::keys::{Keypair, PublicKey, Signature};

/// The largest entry content, in bytes.
pub const MAX_ENTRY_SIZE: usize = 1024;
/// The most parents an entry may name.
pub const MAX_PARENTS: usize = 16;
/// The most entries a register holds.
pub const MAX_ENTRIES: usize = 1000;

const CREATE_DOMAIN: &[u8] = b"safe:register-create:v1";
const ENTRY_DOMAIN: &[u8] = b"safe:register-entry:v1";

/// Where a register lives: its name and type tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RegisterAddress {
    /// The register's name (random, or derived from something like an NRS name).
    pub name: XorName,
    /// The type tag: what kind of register it is (1100 FilesContainer, 1500 NRS map, ...).
    pub tag: u64,
}

impl RegisterAddress {
    /// Where the register is placed in the network: SHA3-256 of name and tag.
    pub fn xorname(&self) -> XorName {
        XorName::from_content_parts(&[&self.name.0, &self.tag.to_be_bytes()])
    }
}

/// The hash of an entry: SHA3-256 of its encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryHash(pub [u8; 32]);

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", hex::encode(self.0))
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// One write: content and the entries it supersedes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The value written.
    pub content: Bytes,
    /// The entries this one supersedes (usually the heads the writer saw).
    pub parents: BTreeSet<EntryHash>,
}

impl Entry {
    /// The entry's hash.
    pub fn hash(&self) -> EntryHash {
        // Encoding plain bytes and hashes cannot fail.
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        EntryHash(XorName::from_content(&bytes).0)
    }
}

/// The owner's request to create a register, signed so nobody can create it in their name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCreate {
    /// Where the register lives.
    pub address: RegisterAddress,
    /// Who may write it.
    pub owner: PublicKey,
    /// The owner's signature of (address, owner).
    pub signature: Signature,
}

impl RegisterCreate {
    /// The creation of the register at `address` owned by `owner`.
    pub fn new(address: RegisterAddress, owner: &Keypair) -> Self {
        let key = owner.public_key();
        Self { address, owner: key, signature: owner.sign(CREATE_DOMAIN, &(address, key)) }
    }

    /// Checks the owner's signature.
    pub fn verify(&self) -> Result<(), RegisterError> {
        if self.owner.verify(CREATE_DOMAIN, &(self.address, self.owner), &self.signature) {
            Ok(())
        } else {
            Err(RegisterError::BadCreateSignature)
        }
    }
}

/// An entry with the owner's signature over (address, entry hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    /// The entry.
    pub entry: Entry,
    /// The owner's signature.
    pub signature: Signature,
}

impl SignedEntry {
    /// Signs `entry` for the register at `address`.
    pub fn new(address: RegisterAddress, entry: Entry, owner: &Keypair) -> Self {
        let signature = owner.sign(ENTRY_DOMAIN, &(address, entry.hash()));
        Self { entry, signature }
    }

    /// Checks the entry's bounds and that `owner` signed it for `address`; gives its hash.
    pub fn verify(
        &self,
        address: &RegisterAddress,
        owner: &PublicKey,
    ) -> Result<EntryHash, RegisterError> {
        if self.entry.content.len() > MAX_ENTRY_SIZE {
            return Err(RegisterError::EntryTooLarge { size: self.entry.content.len() });
        }
        if self.entry.parents.len() > MAX_PARENTS {
            return Err(RegisterError::TooManyParents { count: self.entry.parents.len() });
        }
        let hash = self.entry.hash();
        if owner.verify(ENTRY_DOMAIN, &(*address, hash), &self.signature) {
            Ok(hash)
        } else {
            Err(RegisterError::NotOwner)
        }
    }
}

/// Why a register or an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The creation is not signed by the owner it names.
    #[error("the register creation is not signed by its owner")]
    BadCreateSignature,
    /// The entry is not signed by the register's owner.
    #[error("the entry is not signed by the register's owner")]
    NotOwner,
    /// The entry's content is over [`MAX_ENTRY_SIZE`].
    #[error("entry of {size} bytes is larger than the maximum of {MAX_ENTRY_SIZE} bytes")]
    EntryTooLarge {
        /// The content size.
        size: usize,
    },
    /// The entry names more than [`MAX_PARENTS`] parents.
    #[error("entry names {count} parents, more than the maximum of {MAX_PARENTS}")]
    TooManyParents {
        /// How many it names.
        count: usize,
    },
    /// The entry names a parent the register does not have.
    #[error("entry names parent {0} which is not in the register")]
    UnknownParent(EntryHash),
    /// The register already holds [`MAX_ENTRIES`] entries.
    #[error("the register is full ({MAX_ENTRIES} entries)")]
    Full,
    /// Two replicas disagree on the register's address or owner.
    #[error("the replicas are of different registers (address or owner differ)")]
    Mismatch,
}

/// A register replica: its creation and every entry written to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    create: RegisterCreate,
    entries: BTreeMap<EntryHash, SignedEntry>,
}

impl Register {
    /// An empty register, if the creation is properly signed.
    pub fn new(create: RegisterCreate) -> Result<Self, RegisterError> {
        create.verify()?;
        Ok(Self { create, entries: BTreeMap::new() })
    }

    /// Where it lives.
    pub fn address(&self) -> &RegisterAddress {
        &self.create.address
    }

    /// Who may write it.
    pub fn owner(&self) -> &PublicKey {
        &self.create.owner
    }

    /// The signed creation.
    pub fn creation(&self) -> &RegisterCreate {
        &self.create
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with hash `hash`.
    pub fn get(&self, hash: &EntryHash) -> Option<&Entry> {
        self.entries.get(hash).map(|s| &s.entry)
    }

    /// Every entry, by hash.
    pub fn entries(&self) -> impl Iterator<Item = (&EntryHash, &Entry)> {
        self.entries.iter().map(|(h, s)| (h, &s.entry))
    }

    /// The current values: entries no other entry names as a parent.
    pub fn heads(&self) -> Vec<(EntryHash, &Entry)> {
        let superseded: BTreeSet<&EntryHash> =
            self.entries.values().flat_map(|s| s.entry.parents.iter()).collect();
        self.entries
            .iter()
            .filter(|(h, _)| !superseded.contains(h))
            .map(|(h, s)| (*h, &s.entry))
            .collect()
    }

    /// Adds a signed entry; writing one that is already there changes nothing. Returns its hash.
    pub fn write(&mut self, signed: SignedEntry) -> Result<EntryHash, RegisterError> {
        let hash = signed.verify(&self.create.address, &self.create.owner)?;
        if self.entries.contains_key(&hash) {
            return Ok(hash);
        }
        if let Some(missing) = signed.entry.parents.iter().find(|p| !self.entries.contains_key(p)) {
            return Err(RegisterError::UnknownParent(*missing));
        }
        if self.entries.len() >= MAX_ENTRIES {
            return Err(RegisterError::Full);
        }
        self.entries.insert(hash, signed);
        Ok(hash)
    }

    /// Merges another replica of the same register into this one. Entries that fail checks are
    /// skipped (and the first such failure is returned after the rest were merged). Returns
    /// how many entries were added.
    pub fn merge(&mut self, other: &Register) -> Result<usize, RegisterError> {
        if other.create.address != self.create.address || other.create.owner != self.create.owner {
            return Err(RegisterError::Mismatch);
        }
        let mut pending: Vec<&SignedEntry> = other
            .entries
            .iter()
            .filter(|(h, _)| !self.entries.contains_key(h))
            .map(|(_, s)| s)
            .collect();
        let mut added = 0;
        let mut first_error = None;
        // Parents before children: repeat while some entry could be added.
        loop {
            let before = pending.len();
            let mut waiting = Vec::new();
            for signed in pending {
                match self.write(signed.clone()) {
                    Ok(_) => added += 1,
                    Err(RegisterError::UnknownParent(_)) => waiting.push(signed),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            pending = waiting;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        if let Some(orphan) = pending.first() {
            first_error.get_or_insert_with(|| {
                RegisterError::UnknownParent(
                    orphan.entry.parents.iter().next().copied().unwrap_or(EntryHash([0; 32])),
                )
            });
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(added),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Keypair {
        Keypair::from_secret_bytes(&[5; 32])
    }

    fn register() -> Register {
        let address = RegisterAddress { name: XorName([9; 32]), tag: 1100 };
        Register::new(RegisterCreate::new(address, &owner())).expect("valid creation")
    }

    fn entry(content: &str, parents: &[EntryHash]) -> Entry {
        Entry {
            content: Bytes::copy_from_slice(content.as_bytes()),
            parents: parents.iter().copied().collect(),
        }
    }

    #[test]
    fn owner_writes_form_a_dag_with_heads() {
        let mut reg = register();
        let addr = *reg.address();
        let a = reg.write(SignedEntry::new(addr, entry("a", &[]), &owner())).expect("a");
        let b = reg.write(SignedEntry::new(addr, entry("b", &[a]), &owner())).expect("b");
        let c = reg.write(SignedEntry::new(addr, entry("c", &[a]), &owner())).expect("c");
        let heads: BTreeSet<EntryHash> = reg.heads().into_iter().map(|(h, _)| h).collect();
        assert_eq!(heads, [b, c].into_iter().collect());
        let d = reg.write(SignedEntry::new(addr, entry("d", &[b, c]), &owner())).expect("d");
        assert_eq!(reg.heads().into_iter().map(|(h, _)| h).collect::<Vec<_>>(), vec![d]);
        // Writing the same entry again changes nothing.
        assert_eq!(reg.write(SignedEntry::new(addr, entry("d", &[b, c]), &owner())), Ok(d));
        assert_eq!(reg.len(), 4);
    }

    #[test]
    fn refuses_entries_not_signed_by_the_owner() {
        let mut reg = register();
        let addr = *reg.address();
        let mallory = Keypair::from_secret_bytes(&[6; 32]);
        assert_eq!(
            reg.write(SignedEntry::new(addr, entry("x", &[]), &mallory)),
            Err(RegisterError::NotOwner)
        );
        // A signature for another register does not carry over.
        let other = RegisterAddress { name: XorName([9; 32]), tag: 1101 };
        assert_eq!(
            reg.write(SignedEntry::new(other, entry("x", &[]), &owner())),
            Err(RegisterError::NotOwner)
        );
        // Nor does a signature over different content.
        let mut forged = SignedEntry::new(addr, entry("x", &[]), &owner());
        forged.entry.content = Bytes::from_static(b"y");
        assert_eq!(reg.write(forged), Err(RegisterError::NotOwner));
        assert!(reg.is_empty());
    }

    #[test]
    fn refuses_forged_creation_and_bounds() {
        let address = RegisterAddress { name: XorName([1; 32]), tag: 1 };
        let mut create = RegisterCreate::new(address, &owner());
        create.owner = Keypair::from_secret_bytes(&[8; 32]).public_key();
        assert_eq!(Register::new(create), Err(RegisterError::BadCreateSignature));

        let mut reg = register();
        let addr = *reg.address();
        let big =
            Entry { content: Bytes::from(vec![0u8; MAX_ENTRY_SIZE + 1]), parents: BTreeSet::new() };
        assert!(matches!(
            reg.write(SignedEntry::new(addr, big, &owner())),
            Err(RegisterError::EntryTooLarge { .. })
        ));
        let unknown = EntryHash([3; 32]);
        assert_eq!(
            reg.write(SignedEntry::new(addr, entry("x", &[unknown]), &owner())),
            Err(RegisterError::UnknownParent(unknown))
        );
    }

    #[test]
    fn concurrent_replicas_merge_to_the_same_dag() {
        let mut r1 = register();
        let addr = *r1.address();
        let root = r1.write(SignedEntry::new(addr, entry("root", &[]), &owner())).expect("root");
        let mut r2 = r1.clone();
        let x = r1.write(SignedEntry::new(addr, entry("x", &[root]), &owner())).expect("x");
        let x2 = r1.write(SignedEntry::new(addr, entry("x2", &[x]), &owner())).expect("x2");
        let y = r2.write(SignedEntry::new(addr, entry("y", &[root]), &owner())).expect("y");
        let mut m1 = r1.clone();
        let mut m2 = r2.clone();
        assert_eq!(m1.merge(&r2), Ok(1));
        assert_eq!(m2.merge(&r1), Ok(2));
        assert_eq!(m1, m2);
        let heads: BTreeSet<EntryHash> = m1.heads().into_iter().map(|(h, _)| h).collect();
        assert_eq!(heads, [x2, y].into_iter().collect());
        // Merging again is a no-op.
        assert_eq!(m1.merge(&m2), Ok(0));
    }

    #[test]
    fn merge_skips_forged_entries_and_other_registers() {
        let mut honest = register();
        let addr = *honest.address();
        let root =
            honest.write(SignedEntry::new(addr, entry("root", &[]), &owner())).expect("root");
        let mut tampered = honest.clone();
        let mut forged = SignedEntry::new(addr, entry("evil", &[root]), &owner());
        forged.entry.content = Bytes::from_static(b"worse");
        tampered.entries.insert(forged.entry.hash(), forged);
        assert_eq!(honest.merge(&tampered), Err(RegisterError::NotOwner));
        assert_eq!(honest.len(), 1);

        let other_owner = Keypair::from_secret_bytes(&[7; 32]);
        let other = Register::new(RegisterCreate::new(addr, &other_owner)).expect("valid");
        assert_eq!(honest.merge(&other), Err(RegisterError::Mismatch));
    }

    #[test]
    fn placement_depends_on_name_and_tag() {
        let a = RegisterAddress { name: XorName([1; 32]), tag: 1 };
        let b = RegisterAddress { name: XorName([1; 32]), tag: 2 };
        assert_ne!(a.xorname(), b.xorname());
        assert_ne!(a.xorname(), a.name);
    }
}
