//! Replicas: which nodes hold each chunk of a file (`checkReplicas` in the TypeScript API, for
//! users and for this project's durability tests). The URL is resolved as `inspect` resolves it
//! (an NRS name, a container path) to a file; its chunks are the one the URL names, its data
//! map's child levels and its encrypted pieces. Each of the R nodes of the client's map that
//! should hold a chunk is asked whether it does (`HasChunks`: one request per node for all of
//! its chunks, [`MAX_OFFER`] at a time, all nodes at once), and a node that gives no usable
//! answer within [`PATIENCE`] is reported as such rather than failing the check.
//!
//! An answer is the node's word: it says the node has a file at the chunk's address, not that
//! the content is intact (a read checks that, and asks the next holder when it is not).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::future::{self, select, Either};
use futures::FutureExt;
use safe_types::wire::{Request, Response, MAX_OFFER};
use safe_types::{NodeInfo, XorName};

use super::connect::current_map;
use super::files::FileReader;
use super::output::{ChunkReplicas, FileReplicas, Replica, ReplicaState, SafeData, Started};
use super::resolve::resolve;
use crate::error::{Error, ErrorCode};
use crate::net::{node_answer, short, Net};

/// Replica checks (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [replicas] {
            operations {
                /// For a file, each of its chunks and whether each node that should hold it
                /// does.
                CheckReplicas {
                    /// The file's URL (a XOR-URL, an NRS name or a container path that
                    /// resolves to a file).
                    url: String,
                } -> Replicas = "check_replicas" by start_check;
            }
            outputs {
                /// `CheckReplicas`: the file and its chunks' holders.
                Replicas(crate::FileReplicas),
            }
        } }
    };
}
pub(super) use table;

/// How long a node gets to say which chunks it holds before it is reported as
/// [`ReplicaState::NoAnswer`] (a node that went away mid-connection would otherwise hold the
/// check up until the connection's idle timeout).
const PATIENCE: Duration = Duration::from_secs(10);

/// Starts `Operation::CheckReplicas`: a URL that parses.
pub(super) fn start_check(net: Net, url: String) -> Started<FileReplicas> {
    safe_types::SafeUrl::parse(&url)?;
    Ok(async move { check(&net, &url).await }.boxed_local())
}

/// See `Operation::CheckReplicas`.
async fn check(net: &Net, url: &str) -> Result<FileReplicas, Error> {
    let chain = resolve(net, url, None).await?;
    let (xorurl, address) = match chain.last() {
        Some(SafeData::PublicFile(file)) => (file.xorurl.clone(), file.xorname),
        Some(other) => {
            return Err(Error::invalid_argument(format!(
                "'{url}' resolves to {}, not a file: check_replicas checks the chunks of a file",
                kind_of(other)
            )))
        }
        None => {
            return Err(Error::new(ErrorCode::Internal, format!("resolving '{url}' gave nothing")))
        }
    };
    let chunks = FileReader::open(net, address).await?.chunks();
    let map = current_map(net).await?;

    // Each node's chunks, and each chunk's holders, closest first.
    let mut asked: BTreeMap<XorName, (NodeInfo, Vec<XorName>)> = BTreeMap::new();
    let mut holders_of = Vec::with_capacity(chunks.len());
    for (address, _) in &chunks {
        let holders: Vec<NodeInfo> = map.holders(address).into_iter().cloned().collect();
        for holder in &holders {
            asked.entry(holder.id).or_insert_with(|| (holder.clone(), Vec::new())).1.push(*address);
        }
        holders_of.push(holders);
    }
    let answers = future::join_all(asked.into_values().map(|(node, addresses)| async move {
        let held = held_by(net, &node, addresses).await;
        (node.id, held)
    }))
    .await;
    let answers: BTreeMap<XorName, Option<HashSet<XorName>>> = answers.into_iter().collect();

    let chunks = chunks
        .into_iter()
        .zip(holders_of)
        .map(|((address, kind), holders)| ChunkReplicas {
            address,
            kind,
            holders: holders
                .into_iter()
                .map(|node| {
                    let state = match answers.get(&node.id) {
                        Some(Some(held)) if held.contains(&address) => ReplicaState::Held,
                        Some(Some(_)) => ReplicaState::Missing,
                        _ => ReplicaState::NoAnswer,
                    };
                    Replica { node: node.id, addr: node.addr, state }
                })
                .collect(),
        })
        .collect();
    Ok(FileReplicas { xorurl, replication_factor: map.replication_factor, chunks })
}

/// Those of `addresses` that `node` says it holds, or `None` when it gave no usable answer to
/// one of the batches in time.
async fn held_by(net: &Net, node: &NodeInfo, addresses: Vec<XorName>) -> Option<HashSet<XorName>> {
    let name = short(&node.id);
    let mut held = HashSet::new();
    for batch in addresses.chunks(MAX_OFFER) {
        let request = Request::HasChunks { addresses: batch.to_vec() };
        let reply = net.request_node(node, &request);
        let timeout = net.sleep(PATIENCE);
        futures::pin_mut!(timeout);
        let reply = match select(reply, timeout).await {
            Either::Left((reply, _)) => reply,
            Either::Right(_) => {
                tracing::debug!(node = %name, "no answer to HasChunks");
                return None;
            }
        };
        let response = reply.map_err(Error::from).and_then(|r| node_answer(&name, r.response));
        match response {
            // Only what was asked counts: a node cannot vouch for other chunks.
            Ok(Response::Holding { addresses }) => {
                let asked: HashSet<&XorName> = batch.iter().collect();
                if addresses.iter().any(|a| !asked.contains(a)) {
                    return None;
                }
                held.extend(addresses);
            }
            other => {
                tracing::debug!(node = %name, answer = ?other, "unusable HasChunks answer");
                return None;
            }
        }
    }
    Some(held)
}

/// What a resolution's last step is, for the error message.
fn kind_of(data: &SafeData) -> &'static str {
    match data {
        SafeData::PublicFile(_) => "a file",
        SafeData::FilesContainer(_) => "a FilesContainer (give a path to one of its files)",
        SafeData::NrsMapContainer(_) => "an NRS map",
        SafeData::NrsEntry(_) => "an NRS entry",
        SafeData::SafeKey(_) => "a key",
        SafeData::Register(_) => "a register",
        SafeData::Multimap(_) => "a multimap",
    }
}
