//! What a node says about itself: the `Status` answer ([`NodeStatus`]) and `<root>/status.json`,
//! which a launcher reads to wait until every node sees the whole network.
//!
//! ```text
//! {"id":"<64 hex>","addr":"127.0.0.1:PORT","pid":1234,"members":5,"epoch":17,"chunks":3,"registers":1,"accounts":2}
//! ```
//!
//! `members` is the number of joined nodes in this node's view. The file is replaced atomically,
//! only when something in it changed, and at most every [`STATUS_MIN_INTERVAL`]; one task
//! ([`run`]) does it, woken by membership changes and by newly stored items.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use safe_types::wire::NodeStatus;
use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::files;

/// Name of the status file under the root.
pub const STATUS_FILE: &str = "status.json";
/// Shortest time between two writes of the status file.
pub const STATUS_MIN_INTERVAL: Duration = Duration::from_millis(500);
/// How soon a failed write of the status file is tried again.
const STATUS_RETRY: Duration = Duration::from_secs(5);
/// The status file says nothing secret.
const FILE_MODE: u32 = 0o644;

/// The content of `<root>/status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFile {
    /// The node id, 64 lowercase hex digits.
    pub id: String,
    /// Where the node listens.
    pub addr: SocketAddr,
    /// The node's process id.
    pub pid: u32,
    /// How many nodes are joined in this node's view.
    pub members: u32,
    /// The epoch of this node's view of the membership.
    pub epoch: u64,
    /// Chunks stored.
    pub chunks: u64,
    /// Registers stored.
    pub registers: u64,
    /// Accounts stored.
    pub accounts: u64,
}

impl StatusFile {
    /// The file's content for `status`.
    pub fn new(status: &NodeStatus) -> Self {
        Self {
            id: hex::encode(status.info.id.0),
            addr: status.info.addr,
            pid: std::process::id(),
            members: status.members,
            epoch: status.epoch,
            chunks: status.chunks,
            registers: status.registers,
            accounts: status.accounts,
        }
    }
}

/// The node's description of itself now.
pub(crate) fn node_status(ctx: &NodeContext) -> NodeStatus {
    let (members, epoch) = ctx.membership.summary();
    NodeStatus {
        info: ctx.info.clone(),
        members,
        epoch,
        chunks: ctx.store.chunk_count(),
        registers: ctx.registers.len() as u64,
        accounts: ctx.accounts.len() as u64,
    }
}

/// Keeps `<root>/status.json` current: runs until aborted.
pub(crate) async fn run(ctx: Arc<NodeContext>) {
    let path = ctx.config.root.join(STATUS_FILE);
    let mut membership = ctx.membership.subscribe();
    let mut items = ctx.items_changed.subscribe();
    let mut written: Option<StatusFile> = None;
    loop {
        let status = StatusFile::new(&node_status(&ctx));
        if written.as_ref() != Some(&status) {
            let json = match serde_json::to_vec(&status) {
                Ok(mut json) => {
                    json.push(b'\n');
                    json
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode the status");
                    return;
                }
            };
            let target = path.clone();
            let result =
                tokio::task::spawn_blocking(move || files::write_atomic(&target, &json, FILE_MODE))
                    .await;
            match result {
                Ok(Ok(())) => written = Some(status.clone()),
                Ok(Err(e)) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot write the status file")
                }
                Err(e) => tracing::warn!(error = %e, "status task failed"),
            }
        }
        let failed = written.as_ref() != Some(&status);
        tokio::time::sleep(STATUS_MIN_INTERVAL).await;
        tokio::select! {
            changed = membership.changed() => if changed.is_err() { return },
            changed = items.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(STATUS_RETRY), if failed => {}
        }
    }
}
