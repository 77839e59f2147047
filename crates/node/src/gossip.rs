//! Membership in motion: joining a network, gossiping views, detecting failed peers, and saying
//! goodbye.
//!
//! - Join: a new node sends `Join { info }` to its bootstrap contacts (a few at a time) until one
//!   answers with its membership, which the node adopts (network settings included). A node
//!   restarted on a root that holds a membership rejoins the same way through the members it
//!   knew; if none answers within the failure timeout it carries on with the view it saved (the
//!   others rejoin through it when they come back).
//! - Gossip: every interval (or sooner, after a join or a failure), the node sends its view to up
//!   to [`GOSSIP_FANOUT`] random joined peers, plus every peer it has not heard from for a
//!   quarter of the failure timeout (a probe), and merges their answers. A peer that answers
//!   `Forbidden` does not count this node as a member (it never heard of it, or marked it gone):
//!   the node joins again through that peer.
//! - Failure detection: a joined peer not heard from (no answer, no request) for the failure
//!   timeout is marked as gone, and the change gossiped at once. Every [`GONE_PROBE_ROUNDS`]
//!   rounds one member marked as gone is probed as well, so a node wrongly taken for gone, or a
//!   part of the network cut off from the rest, finds its way back. A node that was itself
//!   stalled (paused, starved of CPU) for half the failure timeout judges nobody by that silence.
//!
//! Who owns what: the gossip loop ([`run`]) is one task; each exchange with a peer is a task in a
//! `JoinSet` the loop owns (so they all stop with it), and at most one exchange per peer is in
//! flight, so a dead peer never piles up probes nor holds up the exchanges with live ones.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::select_ok;
use rand::seq::SliceRandom;
use safe_types::membership::{MemberState, Membership};
use safe_types::wire::{ErrorKind, Request, Response};
use safe_types::{NodeInfo, XorName};
use tokio::task::JoinSet;

use crate::config::Contact;
use crate::context::NodeContext;
use crate::reply::error;

/// Random peers each gossip round talks to.
pub(crate) const GOSSIP_FANOUT: usize = 3;
/// Every this many rounds, one member marked as gone is probed too: if it is back (or was never
/// gone, only cut off), the two sides learn of each other and two parts of a network that each
/// took the other for gone (after a restart of the whole network, say) become one again.
const GONE_PROBE_ROUNDS: u64 = 10;
/// Contacts a joining node tries at once.
const JOIN_FANOUT: usize = 8;
/// First pause between two rounds of join attempts; it doubles up to [`JOIN_BACKOFF_MAX`].
const JOIN_BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest pause between two rounds of join attempts.
const JOIN_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long a leaving node waits for its goodbyes to be taken.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// How a node comes into its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// It starts a new network.
    Genesis,
    /// It joins through its bootstrap contacts, or fails after the join timeout.
    Join,
    /// It rejoins the network it saved, through its contacts and the members it knew, or after
    /// the failure timeout carries on with the saved view.
    Rejoin,
}

/// Why a node could not come into its network.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// No bootstrap contact answered a join request in time.
    #[error("no bootstrap contact let this node join within {timeout:?} (tried: {contacts})")]
    NoContact {
        /// How long the node tried.
        timeout: Duration,
        /// The contacts, comma-separated.
        contacts: String,
    },
}

/// Brings the node into its network as `arrival` says, through `bootstrap` (and, rejoining,
/// the members it knew). Returns once its view lists it as joined.
pub(crate) async fn arrive(
    ctx: &Arc<NodeContext>,
    arrival: Arrival,
    bootstrap: &[Contact],
) -> Result<(), JoinError> {
    let patience = match arrival {
        Arrival::Genesis => {
            ctx.membership.ensure_self();
            return Ok(());
        }
        Arrival::Join => ctx.config.join_timeout,
        Arrival::Rejoin => ctx.config.failure_timeout,
    };
    let own = ctx.info.clone();
    let deadline = Instant::now() + patience;
    let mut backoff = JOIN_BACKOFF_MIN;
    loop {
        let known: Vec<Contact> = ctx
            .membership
            .known_nodes()
            .into_iter()
            .map(|n| Contact { id: Some(n.id), addr: n.addr })
            .collect();
        let mut candidates: Vec<Contact> = bootstrap
            .iter()
            .chain(known.iter())
            .filter(|c| c.addr != own.addr && c.id != Some(own.id))
            .copied()
            .collect();
        if candidates.is_empty() && arrival == Arrival::Rejoin {
            tracing::info!("no other member known: carrying on with the saved membership");
            ctx.membership.ensure_self();
            return Ok(());
        }
        // Bootstrap contacts first, then members at random.
        let bootstrapped = bootstrap.len().min(candidates.len());
        let (first, rest) = candidates.split_at_mut(bootstrapped);
        first.shuffle(&mut rand::thread_rng());
        rest.shuffle(&mut rand::thread_rng());
        candidates.truncate(JOIN_FANOUT);
        if !candidates.is_empty() {
            let attempts = candidates.iter().map(|c| Box::pin(join_through(ctx, *c)));
            if let Ok((view, _)) = select_ok(attempts).await {
                ctx.membership.adopt(view);
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            if arrival == Arrival::Rejoin {
                tracing::warn!("no member answered: carrying on with the saved membership");
                ctx.membership.ensure_self();
                return Ok(());
            }
            let contacts = bootstrap.iter().map(Contact::to_string).collect::<Vec<_>>().join(", ");
            return Err(JoinError::NoContact { timeout: patience, contacts });
        }
        tokio::time::sleep(backoff.min(deadline.saturating_duration_since(Instant::now()))).await;
        backoff = (backoff * 2).min(JOIN_BACKOFF_MAX);
    }
}

/// Asks `contact` to let this node join, and returns the view it answered with.
async fn join_through(ctx: &NodeContext, contact: Contact) -> Result<Membership, ()> {
    let request = Request::Join { info: ctx.info.clone() };
    match ctx.peers.call_contact(contact.addr, contact.id, &request).await {
        Ok((Some(_), Response::Membership(view))) if lists_as_joined(&view, &ctx.info) => {
            tracing::info!(%contact, members = view.joined().count(), "joined the network");
            Ok(view)
        }
        Ok((_, answer)) => {
            tracing::debug!(%contact, ?answer, "join refused");
            Err(())
        }
        Err(e) => {
            tracing::debug!(%contact, error = %e, "join contact unreachable");
            Err(())
        }
    }
}

fn lists_as_joined(view: &Membership, info: &NodeInfo) -> bool {
    view.get(&info.id).is_some_and(|m| m.state == MemberState::Joined && m.info == *info)
}

/// `Join` from `remote`, on a connection whose peer proved node id `peer`.
pub(crate) fn handle_join(
    ctx: &NodeContext,
    peer: Option<XorName>,
    remote: SocketAddr,
    info: NodeInfo,
) -> Response {
    if peer != Some(info.id) {
        return error(ErrorKind::Forbidden, "a node can only announce itself");
    }
    // A node's endpoint both listens and connects, so it asks from the address it announces;
    // nobody can point the network at an address that is not theirs.
    let own_address = info.addr.port() == remote.port()
        && (info.addr.ip() == remote.ip() || info.addr.ip().is_unspecified());
    if !own_address {
        return error(
            ErrorKind::Forbidden,
            format!(
                "a node must announce the address it connects from ({remote}), not {}",
                info.addr
            ),
        );
    }
    if !info.is_consistent() {
        return error(ErrorKind::InvalidRequest, "the node id is not the hash of its key");
    }
    match ctx.membership.announce(info.clone()) {
        Some(view) => {
            tracing::info!(node = %hex::encode(info.id.0), addr = %info.addr, "node joined");
            ctx.gossip_soon.notify_one();
            Response::Membership(view)
        }
        None => error(ErrorKind::Unavailable, "the network is full"),
    }
}

/// `Gossip` from a member: merge its view and answer with ours.
pub(crate) fn handle_gossip(ctx: &NodeContext, theirs: &Membership) -> Response {
    ctx.membership.merge(theirs);
    Response::Membership(ctx.membership.view())
}

/// The gossip loop: runs until aborted.
pub(crate) async fn run(ctx: Arc<NodeContext>) {
    let in_flight: Arc<Mutex<HashSet<XorName>>> = Arc::default();
    let mut exchanges = JoinSet::new();
    let quiet = ctx.config.failure_timeout / 4;
    let mut rounds: u64 = 0;
    let mut last_round = Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(ctx.config.gossip_interval) => {}
            () = ctx.gossip_soon.notified() => {}
        }
        let now = Instant::now();
        let pause = now.duration_since(last_round);
        last_round = now;
        if pause > ctx.config.failure_timeout / 2 {
            tracing::warn!(?pause, "this node was stalled: not judging its peers by that silence");
            ctx.membership.forgive_all();
        }
        while exchanges.try_join_next().is_some() {}
        let peers = ctx.membership.peers();
        let mut targets: Vec<NodeInfo> =
            peers.choose_multiple(&mut rand::thread_rng(), GOSSIP_FANOUT).cloned().collect();
        for peer in ctx.membership.quiet_peers(quiet) {
            if !targets.iter().any(|t| t.id == peer.id) {
                targets.push(peer);
            }
        }
        rounds += 1;
        if rounds % GONE_PROBE_ROUNDS == 0 {
            targets.extend(ctx.membership.gone_nodes().choose(&mut rand::thread_rng()).cloned());
        }
        for peer in targets {
            if lock(&in_flight).insert(peer.id) {
                let (ctx, in_flight) = (Arc::clone(&ctx), Arc::clone(&in_flight));
                exchanges.spawn(async move {
                    exchange(&ctx, &peer).await;
                    lock(&in_flight).remove(&peer.id);
                });
            }
        }
        let gone = ctx.membership.expire(ctx.config.failure_timeout);
        for node in &gone {
            tracing::info!(node = %hex::encode(node.id.0), addr = %node.addr, "peer silent for too long: marked as gone");
        }
        if !gone.is_empty() {
            ctx.gossip_soon.notify_one();
        }
        let keep: HashSet<XorName> = peers.iter().map(|p| p.id).collect();
        ctx.peers.retain(&keep);
    }
}

/// One gossip exchange with `peer` (which may be a probe).
async fn exchange(ctx: &NodeContext, peer: &NodeInfo) {
    let request = Request::Gossip(ctx.membership.view());
    let limit = ctx.config.probe_timeout();
    match ctx.peers.call_within(peer, &request, limit).await {
        Ok(Response::Membership(theirs)) => {
            ctx.membership.heard_from(&peer.id);
            ctx.membership.merge(&theirs);
        }
        Ok(Response::Error(e)) if e.kind == ErrorKind::Forbidden => {
            ctx.membership.heard_from(&peer.id);
            tracing::debug!(peer = %hex::encode(peer.id.0), "peer does not count this node as a member: joining through it");
            let contact = Contact { id: Some(peer.id), addr: peer.addr };
            if let Ok(view) = join_through(ctx, contact).await {
                ctx.membership.merge(&view);
            }
        }
        Ok(other) => {
            ctx.membership.heard_from(&peer.id);
            tracing::debug!(peer = %hex::encode(peer.id.0), answer = ?other, "unexpected answer to gossip");
        }
        Err(e) => tracing::debug!(peer = %hex::encode(peer.id.0), error = %e, "gossip failed"),
    }
}

/// Marks this node as gone and tells a few peers, for a clean shutdown (bounded in time).
pub(crate) async fn leave(ctx: &NodeContext) {
    let view = ctx.membership.leave();
    let peers = ctx.membership.peers();
    let told: Vec<NodeInfo> =
        peers.choose_multiple(&mut rand::thread_rng(), 2 * GOSSIP_FANOUT).cloned().collect();
    let request = Request::Gossip(view);
    let goodbyes = told.iter().map(|p| ctx.peers.call_within(p, &request, GOODBYE_TIMEOUT));
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, futures::future::join_all(goodbyes)).await;
}

fn lock(set: &Mutex<HashSet<XorName>>) -> std::sync::MutexGuard<'_, HashSet<XorName>> {
    // Only whole ids are inserted or removed: a panic cannot leave a torn set.
    set.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
