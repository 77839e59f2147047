//! Replication: every item ends up on the R joined nodes closest to it, and stays there as nodes
//! come and go. Nodes never delete what they hold.
//!
//! - Background pushes ([`push_soon`]): after a register or account changes here, it is pushed
//!   (`PutRegister` / `PutAccount`) to the other holders by this node's view.
//! - Anti-entropy ([`run`]): every replication interval, and soon after the set of joined nodes
//!   changes, the node works out for each joined peer the items it holds that, by its view, the
//!   peer should hold too; it offers them in batches of at most [`MAX_OFFER`] ids (`Offer`) and
//!   pushes what the peer wants (`PutChunk`, `PutRegister`, `PutAccount`). A peer wants every
//!   chunk it lacks, and every register and account offered: replicas of those may differ, and an
//!   id says nothing of the content. To keep that cheap, the node remembers which generation of
//!   each register and account it last delivered to each peer, and does not send the same one
//!   again.
//!
//! Who owns what: the anti-entropy loop is one task, which talks to a few peers at once and to
//! each with a few pushes at once. Background pushes are detached tasks, at most
//! [`state::MAX_BACKGROUND_PUSHES`] at a time (beyond that a push is left to anti-entropy), and at most
//! one queued per (peer, item): a queued push reads the item only when it starts, so it carries
//! every change made before. [`state::Replication`] holds those bookkeeping sets behind plain
//! mutexes, never held across an await; this module holds the tasks that use them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use safe_types::wire::{ErrorKind, ItemId, Request, Response, MAX_OFFER};
use safe_types::{NodeInfo, XorName};

use self::state::lock;
use crate::context::NodeContext;
use crate::reply::{blocking, error, storage_error};

pub(crate) mod state;

/// Peers an anti-entropy round talks to at once.
const PEERS_AT_ONCE: usize = 4;
/// Pushes to one peer in flight at once during an anti-entropy round.
const PUSHES_PER_PEER: usize = 4;
/// How long after a change of the joined nodes the next round starts (changes come in bursts).
const CHANGE_DEBOUNCE: Duration = Duration::from_millis(200);

/// Pushes `item` in the background to its other holders by this node's view, but `except`.
pub(crate) fn push_soon(ctx: &Arc<NodeContext>, item: ItemId, except: Option<XorName>) {
    let map = ctx.membership.map();
    for holder in map.holders(&item.xorname()) {
        if holder.id == ctx.info.id || Some(holder.id) == except {
            continue;
        }
        let key = (holder.id, item);
        if !lock(&ctx.replication.pending).insert(key) {
            continue;
        }
        let Ok(permit) = Arc::clone(&ctx.replication.pushes).try_acquire_owned() else {
            lock(&ctx.replication.pending).remove(&key);
            tracing::debug!("too many background pushes: leaving this one to anti-entropy");
            continue;
        };
        let (ctx, holder) = (Arc::clone(ctx), holder.clone());
        tokio::spawn(async move {
            // From here on a new change needs a new push: this one may have read the item.
            lock(&ctx.replication.pending).remove(&key);
            push_item(&ctx, &holder, item).await;
            drop(permit);
        });
    }
}

/// Sends `item` to `peer`. Whether the peer took it.
async fn push_item(ctx: &NodeContext, peer: &NodeInfo, item: ItemId) -> bool {
    let (request, generation) = match item {
        ItemId::Chunk(address) => {
            let store = Arc::clone(&ctx.store);
            match blocking(move || store.get_chunk(&address)).await {
                Ok(Some(chunk)) => (Request::PutChunk { content: chunk.into_content() }, None),
                Ok(None) => return false,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a chunk to replicate");
                    return false;
                }
            }
        }
        ItemId::Register(address) => match ctx.registers.get_with_generation(&address) {
            Some((register, generation)) => {
                (Request::PutRegister(register.as_ref().clone()), Some(generation))
            }
            None => return false,
        },
        ItemId::Account(owner) => match ctx.accounts.get_with_generation(&owner) {
            Some((account, generation)) => {
                (Request::PutAccount(account.as_ref().clone()), Some(generation))
            }
            None => return false,
        },
    };
    let key = (peer.id, item);
    if generation.is_some() && lock(&ctx.replication.delivered).get(&key).copied() == generation {
        return true;
    }
    match ctx.peers.call(peer, &request).await {
        Ok(Response::Stored { .. }) => true,
        Ok(Response::Done) => {
            if let Some(generation) = generation {
                lock(&ctx.replication.delivered).insert(key, generation);
            }
            true
        }
        Ok(other) => {
            tracing::debug!(peer = %hex::encode(peer.id.0), ?item, answer = ?other, "push refused");
            false
        }
        Err(e) => {
            tracing::debug!(peer = %hex::encode(peer.id.0), ?item, error = %e, "push failed");
            false
        }
    }
}

/// `Offer` from a member: the items it should want.
pub(crate) async fn handle_offer(ctx: &NodeContext, items: Vec<ItemId>) -> Response {
    if items.len() > MAX_OFFER {
        return error(
            ErrorKind::InvalidRequest,
            format!("an offer names at most {MAX_OFFER} items, this one {}", items.len()),
        );
    }
    let store = Arc::clone(&ctx.store);
    let wanted = blocking(move || {
        let mut seen = HashSet::new();
        Ok(items
            .into_iter()
            .filter(|item| seen.insert(*item))
            .filter(|item| match item {
                ItemId::Chunk(address) => !store.has_chunk(address),
                // Held or not, the offered replica may have entries this one lacks.
                ItemId::Register(_) | ItemId::Account(_) => true,
            })
            .collect())
    })
    .await;
    match wanted {
        Ok(items) => Response::Want { items },
        Err(e) => storage_error(e),
    }
}

/// The anti-entropy loop: runs until aborted.
pub(crate) async fn run(ctx: Arc<NodeContext>) {
    let mut changes = ctx.membership.subscribe();
    let mut placed_on = joined_ids(&ctx);
    let mut next_round = tokio::time::Instant::now() + ctx.config.replication_interval;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next_round) => {}
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                // Only a change of who is joined moves items; version bumps do not.
                if joined_ids(&ctx) == placed_on {
                    continue;
                }
                tokio::time::sleep(CHANGE_DEBOUNCE).await;
                changes.borrow_and_update();
            }
        }
        placed_on = joined_ids(&ctx);
        round(&ctx).await;
        next_round = tokio::time::Instant::now() + ctx.config.replication_interval;
    }
}

fn joined_ids(ctx: &NodeContext) -> Vec<XorName> {
    let mut ids: Vec<XorName> = ctx.membership.map().nodes.into_iter().map(|n| n.id).collect();
    ids.sort_unstable();
    ids
}

/// One anti-entropy round.
async fn round(ctx: &Arc<NodeContext>) {
    let map = ctx.membership.map();
    let peers: Vec<NodeInfo> = map.nodes.iter().filter(|n| n.id != ctx.info.id).cloned().collect();
    {
        let keep: HashSet<XorName> = peers.iter().map(|p| p.id).collect();
        lock(&ctx.replication.delivered).retain(|(peer, _), _| keep.contains(peer));
    }
    if peers.is_empty() {
        return;
    }
    let store = Arc::clone(&ctx.store);
    let chunks = match blocking(move || store.chunk_addresses()).await {
        Ok(chunks) => chunks,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list chunks to replicate");
            Vec::new()
        }
    };
    let items = chunks
        .into_iter()
        .map(ItemId::Chunk)
        .chain(ctx.registers.keys().into_iter().map(ItemId::Register))
        .chain(ctx.accounts.keys().into_iter().map(ItemId::Account));
    let mut per_peer: HashMap<XorName, Vec<ItemId>> = HashMap::new();
    for item in items {
        for holder in map.holders(&item.xorname()) {
            if holder.id != ctx.info.id {
                per_peer.entry(holder.id).or_default().push(item);
            }
        }
    }
    let work: Vec<(NodeInfo, Vec<ItemId>)> =
        peers.into_iter().filter_map(|p| per_peer.remove(&p.id).map(|items| (p, items))).collect();
    stream::iter(work)
        .for_each_concurrent(PEERS_AT_ONCE, |(peer, items)| sync_peer(ctx, peer, items))
        .await;
}

/// Offers `items` to `peer` and pushes what it wants.
async fn sync_peer(ctx: &NodeContext, peer: NodeInfo, items: Vec<ItemId>) {
    let mut pushed = 0usize;
    for batch in items.chunks(MAX_OFFER) {
        let mut offered: HashSet<ItemId> = batch.iter().copied().collect();
        let request = Request::Offer { items: batch.to_vec() };
        let wanted = match ctx.peers.call(&peer, &request).await {
            Ok(Response::Want { items }) => items,
            Ok(other) => {
                tracing::debug!(peer = %hex::encode(peer.id.0), answer = ?other, "offer refused");
                return;
            }
            Err(e) => {
                tracing::debug!(peer = %hex::encode(peer.id.0), error = %e, "offer failed");
                return;
            }
        };
        // Only what was offered, each once.
        let wanted: Vec<ItemId> = wanted.into_iter().filter(|item| offered.remove(item)).collect();
        let results: Vec<bool> = stream::iter(wanted)
            .map(|item| push_item(ctx, &peer, item))
            .buffer_unordered(PUSHES_PER_PEER)
            .collect()
            .await;
        pushed += results.into_iter().filter(|ok| *ok).count();
    }
    if pushed > 0 {
        tracing::debug!(peer = %hex::encode(peer.id.0), pushed, "anti-entropy pushed items");
    }
}
