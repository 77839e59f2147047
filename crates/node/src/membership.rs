//! This node's view of the network's membership ([`Membership`], the CRDT of `safe_types`), what
//! it last heard from each peer, and the membership file under the root.
//!
//! ```text
//! <root>/membership    one format byte, then the postcard encoding of the Membership
//! ```
//!
//! Who owns what: [`MembershipState`] keeps the view and the liveness records behind one mutex,
//! held only for in-memory work. Every change of the view bumps a `watch` channel; the
//! persister task ([`persist_changes`]) writes the newest view to disk after each change
//! (bursts coalesce), and replication and the status file follow the same channel. The view is
//! kept honest about this node: whenever a merge shows it as gone, or with an old address, it
//! re-announces itself with a higher version (unless it is leaving).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use safe_types::membership::{MemberState, Membership, MAX_MEMBERS};
use safe_types::wire::MAX_FRAME_BODY;
use safe_types::{NetworkMap, NodeInfo, XorName};
use tokio::sync::watch;

use crate::files;

/// Name of the membership file under the root.
pub const MEMBERSHIP_FILE: &str = "membership";
/// The first byte of the membership file: the encoding's version.
const FORMAT: u8 = 1;
/// The membership says nothing secret, but only the node needs it.
const FILE_MODE: u32 = 0o600;

/// Why the membership file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MembershipFileError {
    /// The file could not be read or written.
    #[error("cannot access membership file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The file does not hold a membership. It is left alone for the operator to look at.
    #[error("membership file {path} is unusable: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads the membership saved under `root`, if there is one.
pub(crate) fn load(root: &Path) -> Result<Option<Membership>, MembershipFileError> {
    let path = root.join(MEMBERSHIP_FILE);
    let malformed = |reason: String| MembershipFileError::Malformed { path: path.clone(), reason };
    let bytes = match files::read_bounded(&path, MAX_FRAME_BODY) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(malformed("larger than any membership".to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(MembershipFileError::Io { path, source }),
    };
    match bytes.split_first() {
        Some((&FORMAT, body)) => {
            let saved: Membership =
                postcard::from_bytes(body).map_err(|e| malformed(e.to_string()))?;
            let forged = saved.members().find(|m| !m.info.is_consistent()).map(|m| m.info.id);
            match forged {
                Some(id) => Err(malformed(format!(
                    "member {} does not hold the key its id is made from",
                    hex::encode(id.0)
                ))),
                None => Ok(Some(saved)),
            }
        }
        Some((format, _)) => Err(malformed(format!("unknown format {format}"))),
        None => Err(malformed("empty".to_owned())),
    }
}

/// What the node knows of the membership.
struct Inner {
    view: Membership,
    /// When each joined peer last answered or asked something (or joined).
    last_heard: HashMap<XorName, Instant>,
}

/// This node's view of the membership.
pub(crate) struct MembershipState {
    own: NodeInfo,
    path: PathBuf,
    inner: Mutex<Inner>,
    /// Set when the node is shutting down: it then no longer re-announces itself.
    leaving: AtomicBool,
    /// Bumped (with the epoch) on every change of the view.
    changes: watch::Sender<u64>,
    /// Serialises writes of the membership file.
    write_lock: tokio::sync::Mutex<()>,
}

impl MembershipState {
    /// The state of the node `own`, starting from `view`, saved under `root`.
    pub(crate) fn new(own: NodeInfo, root: &Path, view: Membership) -> Self {
        let now = Instant::now();
        let last_heard = view.joined().map(|n| (n.id, now)).collect();
        let (changes, _) = watch::channel(view.epoch());
        Self {
            own,
            path: root.join(MEMBERSHIP_FILE),
            inner: Mutex::new(Inner { view, last_heard }),
            leaving: AtomicBool::new(false),
            changes,
            write_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// A copy of the view.
    pub(crate) fn view(&self) -> Membership {
        self.lock().view.clone()
    }

    /// The network map of the view.
    pub(crate) fn map(&self) -> NetworkMap {
        self.lock().view.map()
    }

    /// The network's faucet setting.
    pub(crate) fn faucet(&self) -> bool {
        self.lock().view.faucet
    }

    /// How many nodes are joined, and the epoch.
    pub(crate) fn summary(&self) -> (u32, u64) {
        let inner = self.lock();
        let joined = u32::try_from(inner.view.joined().count()).unwrap_or(u32::MAX);
        (joined, inner.view.epoch())
    }

    /// Whether `id` is a joined member.
    pub(crate) fn is_joined(&self, id: &XorName) -> bool {
        self.lock().view.get(id).is_some_and(|m| m.state == MemberState::Joined)
    }

    /// The joined members other than this node.
    pub(crate) fn peers(&self) -> Vec<NodeInfo> {
        self.lock().view.joined().filter(|n| n.id != self.own.id).cloned().collect()
    }

    /// Every member other than this node, joined first.
    pub(crate) fn known_nodes(&self) -> Vec<NodeInfo> {
        let inner = self.lock();
        let mut members: Vec<_> =
            inner.view.members().filter(|m| m.info.id != self.own.id).collect();
        members.sort_by_key(|m| m.state);
        members.into_iter().map(|m| m.info.clone()).collect()
    }

    /// The members marked as gone (but this node).
    pub(crate) fn gone_nodes(&self) -> Vec<NodeInfo> {
        let inner = self.lock();
        inner
            .view
            .members()
            .filter(|m| m.state == MemberState::Left && m.info.id != self.own.id)
            .map(|m| m.info.clone())
            .collect()
    }

    /// A receiver told of every change of the view.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Records that `id` answered or asked something just now.
    pub(crate) fn heard_from(&self, id: &XorName) {
        let mut inner = self.lock();
        if inner.view.get(id).is_some_and(|m| m.state == MemberState::Joined) {
            inner.last_heard.insert(*id, Instant::now());
        }
    }

    /// Replaces the view by `view` (the one a bootstrap node answered a join with), keeping
    /// anything newer this node knew. Returns whether the view changed.
    pub(crate) fn adopt(&self, mut view: Membership) -> bool {
        let mut inner = self.lock();
        view.merge(&inner.view);
        let changed = view != inner.view;
        let before = inner.view.clone();
        inner.view = view;
        self.after_change(&mut inner, &before, changed)
    }

    /// Merges another node's view into this one. Returns whether this one changed.
    pub(crate) fn merge(&self, other: &Membership) -> bool {
        let mut inner = self.lock();
        let before = inner.view.clone();
        let changed = inner.view.merge(other);
        self.after_change(&mut inner, &before, changed)
    }

    /// Makes sure the view lists this node as joined at its current address. Returns whether
    /// the view changed.
    pub(crate) fn ensure_self(&self) -> bool {
        let mut inner = self.lock();
        let before = inner.view.clone();
        self.after_change(&mut inner, &before, false)
    }

    /// Records `info` (a node that proved it holds `info`'s key) as joined, with a version above
    /// any it had, and returns the view. `None` if the membership is full.
    pub(crate) fn announce(&self, info: NodeInfo) -> Option<Membership> {
        let mut inner = self.lock();
        if inner.view.get(&info.id).is_none() && inner.view.members().count() >= MAX_MEMBERS {
            return None;
        }
        let before = inner.view.clone();
        inner.view.announce(info);
        self.after_change(&mut inner, &before, true);
        Some(inner.view.clone())
    }

    /// Counts every joined peer as heard from just now: after this node itself was stalled
    /// (paused, starved of CPU), silence says nothing about the peers.
    pub(crate) fn forgive_all(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        let Inner { view, last_heard } = &mut *inner;
        for node in view.joined() {
            last_heard.insert(node.id, now);
        }
    }

    /// Marks as gone every joined peer not heard from for `timeout`. Returns them.
    pub(crate) fn expire(&self, timeout: Duration) -> Vec<NodeInfo> {
        let now = Instant::now();
        let mut inner = self.lock();
        let before = inner.view.clone();
        let Inner { view, last_heard } = &mut *inner;
        let silent: Vec<NodeInfo> = view
            .joined()
            .filter(|n| n.id != self.own.id)
            .filter(|n| {
                let heard = *last_heard.entry(n.id).or_insert(now);
                now.duration_since(heard) > timeout
            })
            .cloned()
            .collect();
        for node in &silent {
            view.mark_left(&node.id);
            last_heard.remove(&node.id);
        }
        self.after_change(&mut inner, &before, !silent.is_empty());
        silent
    }

    /// The joined peers not heard from for `quiet`.
    pub(crate) fn quiet_peers(&self, quiet: Duration) -> Vec<NodeInfo> {
        let now = Instant::now();
        let inner = self.lock();
        inner
            .view
            .joined()
            .filter(|n| n.id != self.own.id)
            .filter(|n| inner.last_heard.get(&n.id).is_none_or(|t| now.duration_since(*t) > quiet))
            .cloned()
            .collect()
    }

    /// Marks this node as gone in its own view, for a clean shutdown, and returns the view.
    pub(crate) fn leave(&self) -> Membership {
        self.leaving.store(true, Ordering::SeqCst);
        let mut inner = self.lock();
        let before = inner.view.clone();
        let changed = inner.view.mark_left(&self.own.id);
        self.after_change(&mut inner, &before, changed);
        inner.view.clone()
    }

    /// Writes the current view to the membership file.
    pub(crate) async fn save(self: &Arc<Self>) -> Result<(), MembershipFileError> {
        let _writing = self.write_lock.lock().await;
        // Taken after the write lock: the last write is always of the newest view.
        let view = self.view();
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || {
            let bytes = postcard::to_extend(&view, vec![FORMAT]).map_err(io::Error::other)?;
            files::write_atomic(&path, &bytes, FILE_MODE)
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r);
        written.map_err(|source| MembershipFileError::Io { path: self.path.clone(), source })
    }

    /// Keeps this node's own entry current, resets the liveness clock of peers whose entry
    /// changed, and tells subscribers. Returns whether the view changed.
    fn after_change(&self, inner: &mut Inner, before: &Membership, changed: bool) -> bool {
        let mut changed = changed;
        if !self.leaving.load(Ordering::SeqCst) {
            let current = inner.view.get(&self.own.id);
            if !current.is_some_and(|m| m.state == MemberState::Joined && m.info == self.own) {
                if current.is_some_and(|m| m.state == MemberState::Left) {
                    tracing::info!("the network marked this node as gone: announcing it again");
                }
                inner.view.announce(self.own.clone());
                changed = true;
            }
        }
        if !changed {
            return false;
        }
        let now = Instant::now();
        let mut joined = HashSet::new();
        for member in inner.view.members() {
            if member.state == MemberState::Joined {
                joined.insert(member.info.id);
                let old = before.get(&member.info.id).map(|m| (m.version, m.state));
                if old != Some((member.version, member.state)) {
                    inner.last_heard.insert(member.info.id, now);
                }
            }
        }
        inner.last_heard.retain(|id, _| joined.contains(id));
        self.changes.send_replace(inner.view.epoch());
        true
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the view a valid CRDT state, even if it panicked midway.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes the view to disk after every change `changes` reports, until aborted. Bursts of
/// changes coalesce into one write of the newest view.
pub(crate) async fn persist_changes(
    state: Arc<MembershipState>,
    mut changes: watch::Receiver<u64>,
) {
    while changes.changed().await.is_ok() {
        if let Err(e) = state.save().await {
            tracing::error!(error = %e, "cannot save the membership");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: u8, port: u16) -> NodeInfo {
        NodeInfo::new([key; 32], format!("127.0.0.1:{port}").parse().expect("addr"))
    }

    #[test]
    fn a_node_marked_gone_announces_itself_again() {
        let root = tempfile::tempdir().expect("temp dir");
        let (a, b) = (node(1, 1), node(2, 2));
        let mut view = Membership::genesis(a.clone(), 3, false);
        view.announce(b.clone());
        let state = MembershipState::new(b.clone(), root.path(), view.clone());
        let mut theirs = view.clone();
        theirs.mark_left(&b.id);
        assert!(state.merge(&theirs));
        let member = state.view().get(&b.id).cloned().expect("member");
        assert_eq!(member.state, MemberState::Joined);
        assert_eq!(member.version, 3);
        // Unless it is leaving.
        state.leave();
        assert!(!state.is_joined(&b.id));
    }

    #[test]
    fn a_new_address_is_announced() {
        let root = tempfile::tempdir().expect("temp dir");
        let view = Membership::genesis(node(1, 1), 3, false);
        let state = MembershipState::new(node(1, 9), root.path(), view);
        assert!(state.ensure_self());
        assert_eq!(state.map().nodes, vec![node(1, 9)]);
        assert!(!state.ensure_self());
    }

    #[test]
    fn silent_peers_expire() {
        let root = tempfile::tempdir().expect("temp dir");
        let (a, b) = (node(1, 1), node(2, 2));
        let mut view = Membership::genesis(a.clone(), 3, false);
        view.announce(b.clone());
        let state = MembershipState::new(a.clone(), root.path(), view);
        assert!(state.expire(Duration::from_secs(60)).is_empty());
        assert_eq!(state.quiet_peers(Duration::ZERO), vec![b.clone()]);
        assert_eq!(state.expire(Duration::ZERO), vec![b.clone()]);
        assert!(!state.is_joined(&b.id));
        assert!(state.is_joined(&a.id));
    }

    #[tokio::test]
    async fn the_view_is_saved_and_loaded() {
        let root = tempfile::tempdir().expect("temp dir");
        assert_eq!(load(root.path()).expect("nothing saved"), None);
        let mut view = Membership::genesis(node(1, 1), 2, true);
        view.announce(node(2, 2));
        let state = Arc::new(MembershipState::new(node(1, 1), root.path(), view.clone()));
        state.save().await.expect("save");
        assert_eq!(load(root.path()).expect("load"), Some(view));
        std::fs::write(root.path().join(MEMBERSHIP_FILE), b"\x01\xff").expect("damage");
        assert!(matches!(load(root.path()), Err(MembershipFileError::Malformed { .. })));
    }
}
