//! What every part of a running node shares: its identity, its data, its view of the network and
//! its connections to peers, in one [`NodeContext`] behind an `Arc`.
//!
//! Who owns what: the context owns no task. The server's connection and stream tasks, the
//! gossip, replication, persister and status tasks, and the background pushes each hold an
//! `Arc<NodeContext>`; each piece of state inside has its own synchronisation (documented in its
//! module), and no lock of one is held while taking another's, except the per-account transfer
//! lock ([`AccountLocks`]), which is held across the network calls of one transfer and nothing
//! else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use safe_types::account::Account;
use safe_types::keys::{Keypair, PublicKey};
use safe_types::register::Register;
use safe_types::NodeInfo;
use tokio::sync::{watch, Notify, OwnedMutexGuard};

use crate::config::NodeConfig;
use crate::membership::MembershipState;
use crate::peers::Peers;
use crate::records::Records;
use crate::replication::state::Replication;
use crate::store::Store;

/// Past this many entries, the lock table drops those no transfer holds any more.
const ACCOUNT_LOCKS_PRUNE_AT: usize = 1024;

/// The state of a running node.
pub(crate) struct NodeContext {
    /// This node as the network map lists it.
    pub(crate) info: NodeInfo,
    /// Its key, which signs the receipts of the chunks it holds.
    pub(crate) key: Keypair,
    /// How it was configured (timings are read from here).
    pub(crate) config: NodeConfig,
    /// Its chunks.
    pub(crate) store: Arc<Store>,
    /// Its registers.
    pub(crate) registers: Arc<Records<Register>>,
    /// Its accounts.
    pub(crate) accounts: Arc<Records<Account>>,
    /// Its view of the membership.
    pub(crate) membership: Arc<MembershipState>,
    /// Its requests to other nodes.
    pub(crate) peers: Peers,
    /// What replication remembers between rounds, and the bound on background pushes.
    pub(crate) replication: Replication,
    /// Transfers from one account run one at a time on their coordinator.
    pub(crate) account_locks: AccountLocks,
    /// Wakes the gossip loop for an early round (after a join, or a peer marked gone).
    pub(crate) gossip_soon: Notify,
    /// Bumped when the node stores something new (for the status file).
    pub(crate) items_changed: watch::Sender<()>,
    /// Whether requests are answered (false while a new node is still joining).
    serving: AtomicBool,
}

impl NodeContext {
    /// A context; it answers requests once [`Self::start_serving`] is called.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        info: NodeInfo,
        key: Keypair,
        config: NodeConfig,
        store: Arc<Store>,
        registers: Arc<Records<Register>>,
        accounts: Arc<Records<Account>>,
        membership: Arc<MembershipState>,
        peers: Peers,
    ) -> Self {
        Self {
            info,
            key,
            config,
            store,
            registers,
            accounts,
            membership,
            peers,
            replication: Replication::new(),
            account_locks: AccountLocks::default(),
            gossip_soon: Notify::new(),
            items_changed: watch::channel(()).0,
            serving: AtomicBool::new(false),
        }
    }

    /// Whether requests are answered.
    pub(crate) fn serving(&self) -> bool {
        self.serving.load(Ordering::SeqCst)
    }

    /// Starts answering requests.
    pub(crate) fn start_serving(&self) {
        self.serving.store(true, Ordering::SeqCst);
    }

    /// Tells the status writer that an item was stored or changed.
    pub(crate) fn item_changed(&self) {
        self.items_changed.send_replace(());
    }
}

/// One async mutex per account with a transfer in progress on this node.
#[derive(Default)]
pub(crate) struct AccountLocks {
    locks: Mutex<HashMap<PublicKey, Weak<tokio::sync::Mutex<()>>>>,
}

impl AccountLocks {
    /// Waits until no other transfer of `owner`'s account runs here, and holds it off until the
    /// guard is dropped.
    pub(crate) async fn lock(&self, owner: PublicKey) -> OwnedMutexGuard<()> {
        let lock = {
            // Entries are only inserted or removed whole: a panic cannot leave a torn table.
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if locks.len() >= ACCOUNT_LOCKS_PRUNE_AT {
                locks.retain(|_, lock| lock.strong_count() > 0);
            }
            match locks.get(&owner).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(owner, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}
