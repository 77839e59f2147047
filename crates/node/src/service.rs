//! What the node does for each request, apart from how requests travel: one decoded [`Request`]
//! (and the node id the connection proved, if any) in, one [`Response`] out. The server module
//! owns streams and framing; this module decides who may ask what, answers the simple requests
//! (network map, status) and hands the rest to the module that owns it (chunks, registers,
//! accounts, gossip, replication).
//!
//! Who may ask what: requests from `Join` on are between nodes. They are answered only on a
//! connection whose peer presented a node certificate, and (but for `Join`) only if that node is
//! a joined member in this node's view; otherwise the answer is `Forbidden`. Client requests are
//! open to anyone.

use std::net::SocketAddr;
use std::sync::Arc;

use safe_types::wire::{ErrorKind, Request, Response};
use safe_types::{Chunk, XorName};

use crate::accounts;
use crate::chunks;
use crate::context::NodeContext;
use crate::gossip;
use crate::registers;
use crate::replication;
use crate::reply::error;
use crate::status;

/// The answer to `request`, received from `remote` on a connection whose peer proved node id
/// `peer` (`None` for a client without a node certificate). Nothing here panics on input.
pub(crate) async fn handle(
    ctx: &Arc<NodeContext>,
    peer: Option<XorName>,
    remote: SocketAddr,
    request: Request,
) -> Response {
    if !ctx.serving() {
        return error(ErrorKind::Unavailable, "the node is still joining the network");
    }
    let member = peer.filter(|id| ctx.membership.is_joined(id));
    if let Some(id) = &member {
        ctx.membership.heard_from(id);
    }
    if is_node_only(&request) {
        let allowed = match request {
            Request::Join { .. } => peer.is_some(),
            _ => member.is_some(),
        };
        if !allowed {
            return error(
                ErrorKind::Forbidden,
                if peer.is_none() {
                    "this request is only answered to nodes (no node certificate was presented)"
                } else {
                    "this request is only answered to members of the network"
                },
            );
        }
    }
    match request {
        Request::NetworkMap => Response::NetworkMap(ctx.membership.map()),
        Request::GetChunk { address } => chunks::get(ctx, address).await,
        Request::PutChunk { content } => match Chunk::new(content) {
            Ok(chunk) => chunks::put(ctx, chunk).await,
            Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
        },
        Request::ReplicateChunk { content } => match Chunk::new(content) {
            Ok(chunk) => chunks::replicate(ctx, chunk).await,
            Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
        },
        Request::HoldChunk { content } => match Chunk::new(content) {
            Ok(chunk) => chunks::hold(ctx, chunk).await,
            Err(e) => error(ErrorKind::InvalidRequest, e.to_string()),
        },
        Request::CreateRegister(create) => registers::create(ctx, create).await,
        Request::WriteRegister { address, entry } => registers::write(ctx, address, entry).await,
        Request::GetRegister { address } => registers::get(ctx, &address),
        Request::PutRegister(register) => registers::put(ctx, peer, register).await,
        Request::GetAccount { owner } => accounts::get(ctx, &owner),
        Request::Transfer(transfer) => accounts::transfer(ctx, member, transfer).await,
        Request::Faucet { to, amount, id } => accounts::faucet(ctx, to, amount, id).await,
        Request::Debit(transfer) => accounts::debit(ctx, peer, transfer).await,
        Request::Credit(credit) => accounts::credit(ctx, peer, credit).await,
        Request::PutAccount(account) => accounts::put(ctx, peer, account).await,
        Request::Status => Response::Status(status::node_status(ctx)),
        Request::Join { info } => gossip::handle_join(ctx, peer, remote, info),
        Request::Gossip(view) => gossip::handle_gossip(ctx, &view),
        Request::Offer { items } => replication::handle_offer(ctx, items).await,
        Request::HasChunks { addresses } => chunks::has(ctx, addresses).await,
    }
}

/// Whether only nodes may make `request`.
fn is_node_only(request: &Request) -> bool {
    matches!(
        request,
        Request::Join { .. }
            | Request::Gossip(_)
            | Request::Offer { .. }
            | Request::PutRegister(_)
            | Request::PutAccount(_)
            | Request::Debit(_)
            | Request::Credit(_)
            | Request::HoldChunk { .. }
    )
}
