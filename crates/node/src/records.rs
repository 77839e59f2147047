//! Registers and accounts: small CRDT records kept in memory and on disk under the root.
//!
//! ```text
//! <root>/registers/<64 hex digits of the name>-<16 hex digits of the type tag>
//! <root>/accounts/<64 hex digits of the owner's public key>
//! ```
//!
//! Each file holds one format byte ([`FORMAT`]) then the postcard encoding of the record, and is
//! replaced whole with [`files::write_atomic`]. At open every file is read (bounded by the wire
//! frame size), decoded and re-verified (every signature checked again), so a damaged or planted
//! file is skipped, never served.
//!
//! Who owns what: a [`Records`] owns the map from key to record behind one mutex, held only to
//! look up or swap an `Arc` (never across I/O or signature checks). A change is computed outside
//! the lock from a snapshot and installed only if the record's generation has not moved in the
//! meantime (else it is computed again), so concurrent merges never lose each other's entries.
//! Every installed change gets a fresh generation number, which replication uses to tell whether a
//! peer has already been sent the current state. Writes of the same record to disk are serialised
//! by a shard lock and always write the state current when the lock is taken, so the file never
//! goes back to an older state. All methods block (CPU or disk): async callers use
//! [`Records::apply`], which runs on the blocking pool.

use std::collections::HashMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use safe_types::account::Account;
use safe_types::keys::PublicKey;
use safe_types::register::{Register, RegisterAddress};
use safe_types::wire::MAX_FRAME_BODY;
use safe_types::XorName;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::files;
use crate::store::StoreError;

/// The first byte of every record file: the encoding's version.
const FORMAT: u8 = 1;
/// Record files are readable only by the node's user.
const FILE_MODE: u32 = 0o600;
/// Locks serialising the writes of records whose keys hash alike.
const WRITE_SHARDS: usize = 64;

/// A kind of record: how it is keyed, named on disk and checked.
pub(crate) trait Record:
    Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// What identifies a record.
    type Key: Copy + Eq + Hash + Send + Sync + 'static;
    /// The directory under the root.
    const DIR: &'static str;
    /// The record's key.
    fn key(&self) -> Self::Key;
    /// The file name of the record with `key`.
    fn file_name(key: &Self::Key) -> String;
    /// The key a file name stands for, if it is one of ours.
    fn parse_file_name(name: &str) -> Option<Self::Key>;
    /// The record rebuilt from scratch with every signature checked; entries that fail the
    /// checks are left out, and the reason is returned alongside.
    fn reverified(&self) -> Result<(Self, Option<String>), String>;
}

impl Record for Register {
    type Key = RegisterAddress;
    const DIR: &'static str = "registers";

    fn key(&self) -> RegisterAddress {
        *self.address()
    }

    fn file_name(key: &RegisterAddress) -> String {
        format!("{}-{:016x}", hex::encode(key.name.0), key.tag)
    }

    fn parse_file_name(name: &str) -> Option<RegisterAddress> {
        let (name_hex, tag_hex) = name.split_once('-')?;
        let name_bytes = parse_hex32(name_hex)?;
        if tag_hex.len() != 16 || tag_hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let tag = u64::from_str_radix(tag_hex, 16).ok()?;
        Some(RegisterAddress { name: XorName(name_bytes), tag })
    }

    fn reverified(&self) -> Result<(Self, Option<String>), String> {
        let mut fresh = Register::new(self.creation().clone()).map_err(|e| e.to_string())?;
        let problem = fresh.merge(self).err().map(|e| e.to_string());
        Ok((fresh, problem))
    }
}

impl Record for Account {
    type Key = PublicKey;
    const DIR: &'static str = "accounts";

    fn key(&self) -> PublicKey {
        *self.owner()
    }

    fn file_name(key: &PublicKey) -> String {
        key.to_hex()
    }

    fn parse_file_name(name: &str) -> Option<PublicKey> {
        parse_hex32(name).map(PublicKey)
    }

    fn reverified(&self) -> Result<(Self, Option<String>), String> {
        let mut fresh = Account::new(*self.owner());
        // The node's own record: its faucet credits were checked when they arrived.
        let problem = fresh.merge(self, true).err().map(|e| e.to_string());
        Ok((fresh, problem))
    }
}

/// One record in memory.
struct Slot<R> {
    record: Arc<R>,
    /// Changes with every installed change (unique across all records of the store).
    generation: u64,
}

/// The records of one kind: in memory, and under `<root>/<R::DIR>/`.
pub(crate) struct Records<R: Record> {
    dir: PathBuf,
    items: Mutex<HashMap<R::Key, Slot<R>>>,
    write_locks: Vec<Mutex<()>>,
    next_generation: AtomicU64,
}

impl<R: Record> Records<R> {
    /// Opens (creating it if needed) the directory under `root` and loads every record in it.
    pub(crate) fn open(root: &Path) -> Result<Self, StoreError> {
        let dir = root.join(R::DIR);
        fs::create_dir_all(&dir).map_err(|source| io_error(&dir, source))?;
        let records = Self {
            items: Mutex::new(HashMap::new()),
            write_locks: (0..WRITE_SHARDS).map(|_| Mutex::new(())).collect(),
            next_generation: AtomicU64::new(1),
            dir,
        };
        records.load()?;
        Ok(records)
    }

    /// How many records are held.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// The keys of every record held.
    pub(crate) fn keys(&self) -> Vec<R::Key> {
        self.lock().keys().copied().collect()
    }

    /// The record with `key`.
    pub(crate) fn get(&self, key: &R::Key) -> Option<Arc<R>> {
        self.lock().get(key).map(|slot| Arc::clone(&slot.record))
    }

    /// The record with `key` and its generation.
    pub(crate) fn get_with_generation(&self, key: &R::Key) -> Option<(Arc<R>, u64)> {
        self.lock().get(key).map(|slot| (Arc::clone(&slot.record), slot.generation))
    }

    /// Changes the record at `key` and writes it to disk if it changed, on the blocking pool.
    ///
    /// `change` sees the current record (`None` if there is none) and returns the new record if it
    /// changes anything, plus what the caller wants back. It may be called more than once (if the
    /// record changed meanwhile), so it must not have side effects. Returns that output and
    /// whether a change was installed.
    pub(crate) async fn apply<T, F>(
        self: &Arc<Self>,
        key: R::Key,
        change: F,
    ) -> Result<(T, bool), StoreError>
    where
        T: Send + 'static,
        F: FnMut(Option<&R>) -> (Option<R>, T) + Send + 'static,
    {
        let records = Arc::clone(self);
        let work = move || {
            let (output, changed) = records.update(key, change);
            if changed {
                records.persist(&key)?;
            }
            Ok((output, changed))
        };
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => result,
            Err(e) => Err(StoreError::Io { path: self.dir.clone(), source: io::Error::other(e) }),
        }
    }

    /// The in-memory half of [`Self::apply`].
    fn update<T>(
        &self,
        key: R::Key,
        mut change: impl FnMut(Option<&R>) -> (Option<R>, T),
    ) -> (T, bool) {
        loop {
            let snapshot = self.get_with_generation(&key);
            let (new, output) = change(snapshot.as_ref().map(|(r, _)| r.as_ref()));
            let Some(new) = new else { return (output, false) };
            let mut items = self.lock();
            let current = items.get(&key).map(|slot| slot.generation);
            if current == snapshot.as_ref().map(|(_, g)| *g) {
                let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
                items.insert(key, Slot { record: Arc::new(new), generation });
                return (output, true);
            }
            // Changed by someone else since the snapshot: compute again from the new state.
        }
    }

    /// Writes the current state of the record at `key` to its file.
    fn persist(&self, key: &R::Key) -> Result<(), StoreError> {
        let shard = shard_of(key, self.write_locks.len());
        // The lock guards no data, so a panic while it was held left nothing inconsistent.
        let _write = self.write_locks[shard].lock().unwrap_or_else(|p| p.into_inner());
        // Taken under the write lock: whoever writes last writes the newest state.
        let Some(record) = self.get(key) else { return Ok(()) };
        let bytes = postcard::to_extend(record.as_ref(), vec![FORMAT])
            .map_err(|e| io_error(&self.dir, io::Error::other(e)))?;
        let path = self.dir.join(R::file_name(key));
        files::write_atomic(&path, &bytes, FILE_MODE).map_err(|source| io_error(&path, source))
    }

    fn load(&self) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.dir)
            .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
            .map_err(|source| io_error(&self.dir, source))?;
        let mut items = self.lock();
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if files::is_temporary(&name) {
                tracing::info!(path = %path.display(), "removing unfinished write");
                fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
                continue;
            }
            let Some(key) = R::parse_file_name(&name) else { continue };
            match read_record::<R>(&path, &key) {
                Ok(record) => {
                    let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
                    items.insert(key, Slot { record: Arc::new(record), generation });
                }
                Err(reason) => {
                    tracing::warn!(path = %path.display(), %reason, "ignoring unusable record file");
                }
            }
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<R::Key, Slot<R>>> {
        // Every critical section only swaps whole slots, so a panic cannot leave a torn one.
        self.items.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Which of `shards` write locks guards `key` (the same one every time within a process).
fn shard_of<K: Hash>(key: &K, shards: usize) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % shards.max(1) as u64) as usize
}

/// Reads, decodes and re-verifies the record file at `path`, which must hold the record `key`.
fn read_record<R: Record>(path: &Path, key: &R::Key) -> Result<R, String> {
    let bytes = files::read_bounded(path, MAX_FRAME_BODY + 1)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the file is larger than any record".to_owned())?;
    let (format, body) = bytes.split_first().ok_or_else(|| "the file is empty".to_owned())?;
    if *format != FORMAT {
        return Err(format!("unknown format {format}"));
    }
    let record: R = postcard::from_bytes(body).map_err(|e| e.to_string())?;
    if record.key() != *key {
        return Err("the file holds another record than its name says".to_owned());
    }
    let (record, problem) = record.reverified()?;
    if let Some(problem) = problem {
        tracing::warn!(path = %path.display(), %problem, "dropped entries that fail verification");
    }
    Ok(record)
}

fn parse_hex32(name: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(name, &mut bytes).ok()?;
    // Only the lowercase spelling the node writes.
    (hex::encode(bytes) == name).then_some(bytes)
}

fn io_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use safe_types::account::{Amount, Credit, TransferId};
    use safe_types::keys::Keypair;
    use safe_types::register::{Entry, RegisterCreate, SignedEntry};

    fn owner() -> Keypair {
        Keypair::from_secret_bytes(&[4; 32])
    }

    fn register() -> Register {
        let address = RegisterAddress { name: XorName([7; 32]), tag: 1100 };
        Register::new(RegisterCreate::new(address, &owner())).expect("valid")
    }

    #[test]
    fn file_names_round_trip() {
        let address = RegisterAddress { name: XorName([0xab; 32]), tag: 0x1234 };
        let name = Register::file_name(&address);
        assert_eq!(name, format!("{}-0000000000001234", "ab".repeat(32)));
        assert_eq!(Register::parse_file_name(&name), Some(address));
        assert_eq!(Register::parse_file_name(&name.to_uppercase()), None);
        let key = owner().public_key();
        assert_eq!(Account::parse_file_name(&Account::file_name(&key)), Some(key));
        assert_eq!(Account::parse_file_name("README"), None);
    }

    #[tokio::test]
    async fn records_survive_a_reopen_and_damaged_files_are_skipped() {
        let root = tempfile::tempdir().expect("temp dir");
        let registers = Arc::new(Records::<Register>::open(root.path()).expect("open"));
        let mut reg = register();
        let address = *reg.address();
        let entry = Entry { content: Bytes::from_static(b"v1"), parents: Default::default() };
        reg.write(SignedEntry::new(address, entry, &owner())).expect("write");
        let stored = reg.clone();
        let ((), changed) =
            registers.apply(address, move |_| (Some(stored.clone()), ())).await.expect("apply");
        assert!(changed);
        let ((), changed) = registers.apply(address, |_| (None, ())).await.expect("no-op");
        assert!(!changed);

        let accounts = Arc::new(Records::<Account>::open(root.path()).expect("open"));
        let key = owner().public_key();
        let credit = Credit::Faucet { to: key, amount: Amount(5), id: TransferId([1; 32]) };
        accounts
            .apply(key, move |current| {
                let mut account = current.cloned().unwrap_or_else(|| Account::new(key));
                account.apply_credit(&credit).expect("credit");
                (Some(account), ())
            })
            .await
            .expect("apply");
        // A planted file, a file under the wrong name and a stray temporary file.
        let dir = root.path().join("registers");
        let other = RegisterAddress { name: XorName([8; 32]), tag: 1 };
        fs::write(dir.join(Register::file_name(&other)), b"\x01garbage").expect("plant");
        fs::copy(dir.join(Register::file_name(&address)), dir.join(Register::file_name(&other)))
            .expect("misname");
        fs::write(dir.join(".x.0123.tmp"), b"partial").expect("stray");
        drop(registers);
        drop(accounts);

        let registers = Records::<Register>::open(root.path()).expect("reopen");
        assert_eq!(registers.keys(), vec![address]);
        assert_eq!(registers.get(&address).as_deref(), Some(&reg));
        assert!(!dir.join(".x.0123.tmp").exists());
        let accounts = Records::<Account>::open(root.path()).expect("reopen");
        let account = accounts.get(&key).expect("account");
        assert_eq!(account.balance(), Ok(Amount(5)));
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let root = tempfile::tempdir().expect("temp dir");
        let registers = Records::<Register>::open(root.path()).expect("open");
        let base = register();
        let address = *base.address();
        registers.update(address, |_| (Some(base.clone()), ()));
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let registers = &registers;
                s.spawn(move || {
                    let entry =
                        Entry { content: Bytes::from(vec![i]), parents: Default::default() };
                    let signed = SignedEntry::new(address, entry, &owner());
                    registers.update(address, |current| {
                        let mut reg = current.cloned().expect("exists");
                        reg.write(signed.clone()).expect("write");
                        (Some(reg), ())
                    });
                });
            }
        });
        assert_eq!(registers.get(&address).expect("register").len(), 8);
    }
}
