//! Test-coin accounts: balances, the faucet, and transfers that cannot spend the same coins twice.
//!
//! An account lives on the R nodes closest to its owner's key. A transfer is coordinated by the
//! sender account's *primary*, the joined node closest to that key in this node's view: any other
//! node forwards the request there and relays the answer (or coordinates itself if the primary
//! cannot be reached). The primary:
//!
//! 1. takes the account's transfer lock ([`crate::context::AccountLocks`]), so transfers from one
//!    account run one at a time;
//! 2. pulls the replicas of the other holders and merges them, so it sees every debit a majority
//!    committed;
//! 3. applies the debit here (checking signature, next nonce, balance);
//! 4. sends `Debit` to the other holders; a replica that is behind answers `Conflict`, gets the
//!    whole account (`PutAccount`) and is asked again. A majority of holders (itself included)
//!    must hold the debit, else the answer is `Unavailable`;
//! 5. credits the receiver on a majority of its account's holders (`Credit`) and answers
//!    `Transferred`.
//!
//! Why two transfers spending the same coins can never both succeed: both carry the sender's
//! next nonce, a replica accepts only one debit per nonce, and two majorities of the same holders
//! share a replica. Under a stable membership the primary's lock also makes exactly one succeed.
//! A transfer answered `Unavailable` may have been partly applied; sending the same signed
//! transfer again completes it (every step is idempotent).
//!
//! `Debit`, `Credit` and `PutAccount` come from other nodes and apply to the local replica; every
//! change is pushed in the background to the other holders.

use std::sync::Arc;

use futures::future::join_all;
use safe_types::account::{Account, AccountError, Amount, Credit, SignedTransfer, TransferId};
use safe_types::keys::PublicKey;
use safe_types::wire::{ErrorKind, ItemId, Request, Response};
use safe_types::{NodeInfo, XorName};

use crate::context::NodeContext;
use crate::replication;
use crate::reply::{error, storage_error};

/// How many default call timeouts a node waits for a primary to coordinate a forwarded transfer
/// (its pull, debit, catch-up and credit rounds each take at most one).
const FORWARD_TIMEOUTS: u32 = 5;

/// `GetAccount`.
pub(crate) fn get(ctx: &NodeContext, owner: &PublicKey) -> Response {
    match ctx.accounts.get(owner) {
        Some(account) => Response::Account(account.as_ref().clone()),
        None => error(ErrorKind::NotFound, format!("no account of {owner}")),
    }
}

/// `Transfer`, from a client or (`from_member`) forwarded by a member node.
pub(crate) async fn transfer(
    ctx: &Arc<NodeContext>,
    from_member: Option<XorName>,
    signed: SignedTransfer,
) -> Response {
    if !signed.verify() {
        return error(ErrorKind::NotOwner, "the transfer is not signed by its sender");
    }
    let t = &signed.transfer;
    if t.amount.0 == 0 || t.to == t.from {
        return error(ErrorKind::InvalidRequest, AccountError::Pointless.to_string());
    }
    // A transfer a member forwarded is coordinated here, whatever this node's view says, so
    // that differing views can never bounce it around.
    if from_member.is_none() {
        let primary = ctx.membership.map().closest(&t.from.xorname(), 1).first().copied().cloned();
        if let Some(primary) = primary.filter(|p| p.id != ctx.info.id) {
            let limit = ctx.config.call_timeout * FORWARD_TIMEOUTS;
            let request = Request::Transfer(signed.clone());
            match ctx.peers.call_within(&primary, &request, limit).await {
                Ok(answer @ (Response::Transferred { .. } | Response::Error(_))) => return answer,
                Ok(other) => {
                    tracing::warn!(primary = %hex::encode(primary.id.0), answer = ?other, "unexpected answer to a forwarded transfer");
                    return error(
                        ErrorKind::Unavailable,
                        "the sender's coordinating node answered nonsense",
                    );
                }
                Err(e) => {
                    tracing::info!(primary = %hex::encode(primary.id.0), error = %e, "primary unreachable: coordinating the transfer here");
                }
            }
        }
    }
    coordinate(ctx, signed).await
}

/// Steps 1 to 5 of a transfer (see the module documentation).
async fn coordinate(ctx: &Arc<NodeContext>, signed: SignedTransfer) -> Response {
    let from = signed.transfer.from;
    let _turn = ctx.account_locks.lock(from).await;
    let holders = holders_of(ctx, &from);
    let others: Vec<&NodeInfo> = holders.iter().filter(|h| h.id != ctx.info.id).collect();
    let holds_it_here = others.len() < holders.len();

    let request = Request::GetAccount { owner: from };
    let replicas: Vec<Account> = join_all(others.iter().map(|h| ctx.peers.call(h, &request)))
        .await
        .into_iter()
        .filter_map(|answer| match answer {
            Ok(Response::Account(account)) if *account.owner() == from => Some(account),
            _ => None,
        })
        .collect();
    let debit = signed.clone();
    let faucet = ctx.membership.faucet();
    let outcome = ctx
        .accounts
        .apply(from, move |current| {
            let mut account = current.cloned().unwrap_or_else(|| Account::new(from));
            for replica in &replicas {
                if let Err(e) = account.merge(replica, faucet) {
                    tracing::warn!(error = %e, "a replica of the sender's account conflicts with this one");
                }
            }
            let result = account.apply_debit(&debit);
            let changed = differs(current, &account);
            (changed.then_some(account), result)
        })
        .await;
    match outcome {
        Ok((result, changed)) => {
            if changed {
                changed_here(ctx, from, None);
            }
            if let Err(e) = result {
                return refusal(&e);
            }
        }
        Err(e) => return storage_error(e),
    }
    let Some(account) = ctx.accounts.get(&from) else {
        return error(ErrorKind::Storage, "the sender's account vanished");
    };

    let replicated =
        join_all(others.iter().map(|h| replicate_debit(ctx, h, &signed, &account))).await;
    let debited = replicated.into_iter().filter(|ok| *ok).count() + usize::from(holds_it_here);
    if !majority(debited, holders.len()) {
        return error(
            ErrorKind::Unavailable,
            format!(
                "the debit reached {debited} of the {} holders of the sender's account; send the same transfer again to complete it",
                holders.len()
            ),
        );
    }
    let (credited, receivers) = credit_majority(ctx, &Credit::Transfer(signed.clone())).await;
    if !majority(credited, receivers) {
        return error(
            ErrorKind::Unavailable,
            format!(
                "the sender was debited but the credit reached {credited} of the {receivers} holders of the receiver's account; send the same transfer again to complete it"
            ),
        );
    }
    Response::Transferred { id: signed.id() }
}

/// Makes `holder` hold the debit: `Debit`, and if its replica is behind, `PutAccount` then
/// `Debit` again. Whether it holds it in the end.
async fn replicate_debit(
    ctx: &NodeContext,
    holder: &NodeInfo,
    debit: &SignedTransfer,
    account: &Account,
) -> bool {
    let request = Request::Debit(debit.clone());
    match ctx.peers.call(holder, &request).await {
        Ok(Response::Done) => return true,
        Ok(Response::Error(e)) if e.kind == ErrorKind::Conflict => {}
        Ok(other) => {
            tracing::debug!(holder = %hex::encode(holder.id.0), answer = ?other, "debit refused");
            return false;
        }
        Err(e) => {
            tracing::debug!(holder = %hex::encode(holder.id.0), error = %e, "debit not delivered");
            return false;
        }
    }
    if let Err(e) = ctx.peers.call(holder, &Request::PutAccount(account.clone())).await {
        tracing::debug!(holder = %hex::encode(holder.id.0), error = %e, "account not delivered");
        return false;
    }
    matches!(ctx.peers.call(holder, &request).await, Ok(Response::Done))
}

/// Applies `credit` on the holders of the receiver's account (here too if this node is one).
/// Returns how many confirmed, and how many holders there are.
async fn credit_majority(ctx: &Arc<NodeContext>, credit: &Credit) -> (usize, usize) {
    let to = credit.to();
    let holders = holders_of(ctx, &to);
    let request = Request::Credit(credit.clone());
    let remote = holders.iter().filter(|h| h.id != ctx.info.id).map(|h| async {
        match ctx.peers.call(h, &request).await {
            Ok(Response::Done) => true,
            other => {
                tracing::debug!(holder = %hex::encode(h.id.0), answer = ?other, "credit not confirmed");
                false
            }
        }
    });
    let local = async {
        if holders.iter().any(|h| h.id == ctx.info.id) {
            matches!(apply_credit(ctx, credit.clone(), None).await, Response::Done)
        } else {
            false
        }
    };
    let (local, remote) = futures::future::join(local, join_all(remote)).await;
    let confirmed = remote.into_iter().filter(|ok| *ok).count() + usize::from(local);
    (confirmed, holders.len())
}

/// `Faucet`: mints test coins, in a network whose membership enables it.
pub(crate) async fn faucet(
    ctx: &Arc<NodeContext>,
    to: PublicKey,
    amount: Amount,
    id: TransferId,
) -> Response {
    if !ctx.membership.faucet() {
        return error(ErrorKind::Forbidden, "this network has no faucet");
    }
    if amount.0 == 0 {
        return error(ErrorKind::InvalidRequest, "a faucet credit must be of a positive amount");
    }
    let (credited, holders) = credit_majority(ctx, &Credit::Faucet { to, amount, id }).await;
    if majority(credited, holders) {
        Response::Transferred { id }
    } else {
        error(
            ErrorKind::Unavailable,
            format!("the credit reached {credited} of the {holders} holders of the account; send the same request again"),
        )
    }
}

/// `Debit` from member `from`: applies it to the local replica of the sender's account. A
/// replica that cannot take it because it is behind (or holds another debit with that nonce)
/// answers `Conflict`.
pub(crate) async fn debit(
    ctx: &Arc<NodeContext>,
    from: Option<XorName>,
    signed: SignedTransfer,
) -> Response {
    let owner = signed.transfer.from;
    match change_account(ctx, owner, from, move |account| account.apply_debit(&signed)).await {
        Ok(Ok(())) => Response::Done,
        Ok(Err(e @ (AccountError::InsufficientFunds { .. } | AccountError::OutOfOrder { .. }))) => {
            error(ErrorKind::Conflict, format!("this replica is behind: {e}"))
        }
        Ok(Err(e)) => refusal(&e),
        Err(failed) => failed,
    }
}

/// `Credit` from member `from`.
pub(crate) async fn credit(
    ctx: &Arc<NodeContext>,
    from: Option<XorName>,
    credit: Credit,
) -> Response {
    if matches!(credit, Credit::Faucet { .. }) && !ctx.membership.faucet() {
        return error(ErrorKind::Forbidden, "this network has no faucet");
    }
    apply_credit(ctx, credit, from).await
}

async fn apply_credit(ctx: &Arc<NodeContext>, credit: Credit, from: Option<XorName>) -> Response {
    let owner = credit.to();
    match change_account(ctx, owner, from, move |account| account.apply_credit(&credit)).await {
        Ok(Ok(())) => Response::Done,
        Ok(Err(e)) => refusal(&e),
        Err(failed) => failed,
    }
}

/// Applies `change` (a debit or a credit) to the local replica of `owner`'s account, a new one
/// if there is none, and tells the account's other holders when it took. Gives the change's
/// refusal, or the answer to send for a storage failure.
async fn change_account<F>(
    ctx: &Arc<NodeContext>,
    owner: PublicKey,
    from: Option<XorName>,
    mut change: F,
) -> Result<Result<(), AccountError>, Response>
where
    F: FnMut(&mut Account) -> Result<bool, AccountError> + Send + 'static,
{
    let outcome = ctx
        .accounts
        .apply(owner, move |current| {
            let mut account = current.cloned().unwrap_or_else(|| Account::new(owner));
            match change(&mut account) {
                Ok(true) => (Some(account), Ok(())),
                Ok(false) => (None, Ok(())),
                Err(e) => (None, Err(e)),
            }
        })
        .await;
    match outcome {
        Ok((result, changed)) => {
            if changed {
                changed_here(ctx, owner, from);
            }
            Ok(result)
        }
        Err(e) => Err(storage_error(e)),
    }
}

/// `PutAccount` from member `from`: merges the replica into the local one.
pub(crate) async fn put(
    ctx: &Arc<NodeContext>,
    from: Option<XorName>,
    theirs: Account,
) -> Response {
    let owner = *theirs.owner();
    let faucet = ctx.membership.faucet();
    let outcome = ctx
        .accounts
        .apply(owner, move |current| {
            let mut merged = current.cloned().unwrap_or_else(|| Account::new(owner));
            let result = merged.merge(&theirs, faucet);
            let changed = differs(current, &merged);
            (changed.then_some(merged), result)
        })
        .await;
    match outcome {
        Ok((result, changed)) => {
            if changed {
                changed_here(ctx, owner, from);
            }
            match result {
                Ok(_) => Response::Done,
                Err(e) => refusal(&e),
            }
        }
        Err(e) => storage_error(e),
    }
}

/// The holders of the account of `owner`, by this node's view.
fn holders_of(ctx: &NodeContext, owner: &PublicKey) -> Vec<NodeInfo> {
    ctx.membership.map().holders(&owner.xorname()).into_iter().cloned().collect()
}

/// Whether `account` says more than `current` (an absent account says nothing).
fn differs(current: Option<&Account>, account: &Account) -> bool {
    match current {
        Some(current) => current != account,
        None => account.operations() != (0, 0),
    }
}

fn majority(confirmed: usize, holders: usize) -> bool {
    holders > 0 && confirmed * 2 > holders
}

/// After a change: tell the status writer, and push the account to the other holders (but
/// `except`, which sent the change).
fn changed_here(ctx: &Arc<NodeContext>, owner: PublicKey, except: Option<XorName>) {
    ctx.item_changed();
    replication::push_soon(ctx, ItemId::Account(owner), except);
}

/// The error answer for a refused account operation.
fn refusal(e: &AccountError) -> Response {
    let kind = match e {
        AccountError::BadSignature => ErrorKind::NotOwner,
        AccountError::InsufficientFunds { .. } => ErrorKind::InsufficientFunds,
        AccountError::DoubleSpend { .. } | AccountError::OutOfOrder { .. } => ErrorKind::Conflict,
        AccountError::NoFaucet => ErrorKind::Forbidden,
        AccountError::WrongAccount
        | AccountError::Pointless
        | AccountError::Full
        | AccountError::Overflow => ErrorKind::InvalidRequest,
    };
    error(kind, e.to_string())
}
