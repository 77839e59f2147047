//! Register requests: create, write and read registers for clients, and merge the replicas other
//! nodes push. Every entry is checked against the owner's signature before it is kept (the
//! [`Register`] CRDT does the checking); after any change the register is pushed in the
//! background to the other holders by this node's view.

use std::sync::Arc;

use safe_types::register::{Register, RegisterAddress, RegisterCreate, RegisterError, SignedEntry};
use safe_types::wire::{ErrorKind, ItemId, Response};
use safe_types::XorName;

use crate::context::NodeContext;
use crate::reply::{error, storage_error};

/// `CreateRegister`: creating again with the same owner is done; with another owner it is a
/// conflict.
pub(crate) async fn create(ctx: &Arc<NodeContext>, create: RegisterCreate) -> Response {
    let register = match Register::new(create.clone()) {
        Ok(register) => register,
        Err(e) => return error(ErrorKind::NotOwner, e.to_string()),
    };
    let address = create.address;
    let owner = create.owner;
    let outcome = ctx
        .registers
        .apply(address, move |current| match current {
            Some(existing) if *existing.owner() == owner => (None, Ok(())),
            Some(_) => (None, Err(())),
            None => (Some(register.clone()), Ok(())),
        })
        .await;
    match outcome {
        Ok((Ok(()), changed)) => {
            if changed {
                tracing::debug!(register = %describe(&address), "created register");
                changed_here(ctx, address, None);
            }
            Response::Done
        }
        Ok((Err(()), _)) => error(
            ErrorKind::Conflict,
            format!("register {} exists with another owner", describe(&address)),
        ),
        Err(e) => storage_error(e),
    }
}

/// `WriteRegister`: adds an owner-signed entry.
pub(crate) async fn write(
    ctx: &Arc<NodeContext>,
    address: RegisterAddress,
    entry: SignedEntry,
) -> Response {
    let outcome = ctx
        .registers
        .apply(address, move |current| {
            let Some(current) = current else { return (None, Err(None)) };
            let mut register = current.clone();
            match register.write(entry.clone()) {
                Ok(hash) if register.len() == current.len() => (None, Ok(hash)),
                Ok(hash) => (Some(register), Ok(hash)),
                Err(e) => (None, Err(Some(e))),
            }
        })
        .await;
    match outcome {
        Ok((Ok(hash), changed)) => {
            if changed {
                changed_here(ctx, address, None);
            }
            Response::EntryWritten { hash }
        }
        Ok((Err(None), _)) => {
            error(ErrorKind::NotFound, format!("no register at {}", describe(&address)))
        }
        Ok((Err(Some(e)), _)) => refusal(&e),
        Err(e) => storage_error(e),
    }
}

/// `GetRegister`.
pub(crate) fn get(ctx: &NodeContext, address: &RegisterAddress) -> Response {
    match ctx.registers.get(address) {
        Some(register) => Response::Register(register.as_ref().clone()),
        None => error(ErrorKind::NotFound, format!("no register at {}", describe(address))),
    }
}

/// `PutRegister` (from node `from`): merges the replica, creating the register if it is new.
/// Entries that fail verification are left out and reported.
pub(crate) async fn put(
    ctx: &Arc<NodeContext>,
    from: Option<XorName>,
    theirs: Register,
) -> Response {
    let address = *theirs.address();
    let outcome = ctx
        .registers
        .apply(address, move |current| {
            let mut merged = match current {
                Some(ours) => ours.clone(),
                None => match Register::new(theirs.creation().clone()) {
                    Ok(fresh) => fresh,
                    Err(e) => return (None, Err(e)),
                },
            };
            let before = current.map(Register::len);
            let result = merged.merge(&theirs).map(|_| ());
            let changed = before != Some(merged.len());
            match (changed, result) {
                (_, Err(RegisterError::Mismatch)) => (None, Err(RegisterError::Mismatch)),
                (true, result) => (Some(merged), result),
                (false, result) => (None, result),
            }
        })
        .await;
    match outcome {
        Ok((result, changed)) => {
            if changed {
                changed_here(ctx, address, from);
            }
            match result {
                Ok(()) => Response::Done,
                Err(e) => refusal(&e),
            }
        }
        Err(e) => storage_error(e),
    }
}

/// After a change: tell the status writer, and push the register to the other holders (but
/// `except`, which sent the change).
fn changed_here(ctx: &Arc<NodeContext>, address: RegisterAddress, except: Option<XorName>) {
    ctx.item_changed();
    crate::replication::push_soon(ctx, ItemId::Register(address), except);
}

/// The error answer for a refused register operation.
fn refusal(e: &RegisterError) -> Response {
    let kind = match e {
        RegisterError::NotOwner | RegisterError::BadCreateSignature => ErrorKind::NotOwner,
        RegisterError::Mismatch => ErrorKind::Conflict,
        RegisterError::EntryTooLarge { .. }
        | RegisterError::TooManyParents { .. }
        | RegisterError::UnknownParent(_)
        | RegisterError::Full => ErrorKind::InvalidRequest,
    };
    error(kind, e.to_string())
}

fn describe(address: &RegisterAddress) -> String {
    format!("{}/{}", hex::encode(address.name.0), address.tag)
}
