//! What replication remembers between rounds, apart from the tasks that use it (the parent
//! module), so that the node's shared context can hold it without depending on those tasks.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use safe_types::wire::ItemId;
use safe_types::XorName;
use tokio::sync::Semaphore;

/// Background pushes in flight at once.
pub(crate) const MAX_BACKGROUND_PUSHES: usize = 64;

/// What replication remembers between rounds.
pub(crate) struct Replication {
    /// Slots of the background pushes in flight.
    pub(crate) pushes: Arc<Semaphore>,
    /// Background pushes queued and not started yet.
    pub(super) pending: Mutex<HashSet<(XorName, ItemId)>>,
    /// The generation of each register and account last delivered to each peer.
    pub(super) delivered: Mutex<HashMap<(XorName, ItemId), u64>>,
}

impl Replication {
    pub(crate) fn new() -> Self {
        Self {
            pushes: Arc::new(Semaphore::new(MAX_BACKGROUND_PUSHES)),
            pending: Mutex::default(),
            delivered: Mutex::default(),
        }
    }
}

/// Locks one of the bookkeeping sets.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only whole entries are inserted or removed: a panic cannot leave torn bookkeeping.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
