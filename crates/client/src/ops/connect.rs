//! Connecting: fetch the network map from the first bootstrap contact that answers, and check
//! it before trusting it; later, keep the map current (nodes leave and join) by fetching it
//! again when it is old or a node of it could not be reached.

use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, select_ok, Either};
use std::net::SocketAddr;

use futures::FutureExt;
use safe_types::wire::{Request, Response};
use safe_types::{NetworkMap, XorName};

use super::output::{NetworkInfo, Started};
use crate::error::{Error, ErrorCode};
use crate::net::{node_answer, short, Net};
use crate::transport::Target;

/// Connecting's operation and output (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [connect] {
            operations {
                /// Learn the network map from the first contact that answers.
                Connect(contacts: Vec<crate::ops::connect::Contact>)
                    -> Connected = "connect" by start, offline;
            }
            outputs {
                /// `Connect` succeeded.
                Connected(crate::ops::output::NetworkInfo),
            }
        } }
    };
}
pub(super) use table;

/// A node to bootstrap from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact {
    /// Where the node listens.
    pub addr: SocketAddr,
    /// The node's id, if known; its certificate must then match it.
    pub id: Option<XorName>,
}

/// Starts `Operation::Connect`, given at least one contact.
pub(super) fn start(net: Net, contacts: Vec<Contact>) -> Started<NetworkInfo> {
    if contacts.is_empty() {
        return Err(Error::invalid_argument(
            "no bootstrap contacts given: pass at least one node address",
        ));
    }
    Ok(connect(net, contacts).boxed_local())
}

async fn connect(net: Net, contacts: Vec<Contact>) -> Result<NetworkInfo, Error> {
    let count = contacts.len();
    let attempts = contacts.into_iter().map(|c| map_from(net.clone(), c).boxed_local());
    match select_ok(attempts).await {
        Ok((map, _others)) => {
            let info = NetworkInfo {
                nodes: map.nodes.len(),
                epoch: map.epoch,
                replication_factor: map.replication_factor,
            };
            net.with(|s| {
                s.map = Some(Rc::new(map));
                s.map_fetched = s.timers.now();
                s.map_stale = false;
            });
            Ok(info)
        }
        Err(last) => {
            let advice = if last.code == ErrorCode::Network {
                "; check that the network is running and the contacts are right"
            } else {
                ""
            };
            Err(Error::new(
                last.code,
                format!(
                    "could not get the network map from any of the {count} bootstrap contact(s) \
                     (last error: {}){advice}",
                    last.message
                ),
            ))
        }
    }
}

/// How old the map may get before an operation fetches it again.
const MAP_MAX_AGE: Duration = Duration::from_secs(10);
/// How long a refresh may hold an operation up before it goes on with the map it has.
const REFRESH_PATIENCE: Duration = Duration::from_secs(2);
/// How many nodes a refresh asks at once.
const REFRESH_FANOUT: usize = 2;

/// The network map, fetched again first if it is older than [`MAP_MAX_AGE`] or a node of it
/// could not be reached since (then a node that left is dropped, one that joined is learnt).
/// Only one operation refreshes at a time; a refresh that fails keeps the map it had.
pub(super) async fn current_map(net: &Net) -> Result<Rc<NetworkMap>, Error> {
    let map = net.map()?;
    let due = net.with(|s| {
        let old = match (s.map_fetched, s.timers.now()) {
            (Some(fetched), Some(now)) => now.saturating_duration_since(fetched) >= MAP_MAX_AGE,
            _ => true,
        };
        let due = !s.map_refreshing && (s.map_stale || old);
        s.map_refreshing |= due;
        due
    });
    if !due {
        return Ok(map);
    }
    let _refreshing = RefreshFlag(net.clone());
    // Ask a few nodes of the map, starting at a random one so the load spreads.
    let start = usize::from(net.random32()[0]) % map.nodes.len().max(1);
    let asked = map.nodes.iter().cycle().skip(start).take(REFRESH_FANOUT.min(map.nodes.len()));
    let attempts: Vec<_> = asked
        .map(|n| map_from(net.clone(), Contact { addr: n.addr, id: Some(n.id) }).boxed_local())
        .collect();
    if attempts.is_empty() {
        return Ok(map);
    }
    let patience = net.sleep(REFRESH_PATIENCE);
    futures::pin_mut!(patience);
    if let Either::Left((Ok((fresh, _)), _)) = select(select_ok(attempts), patience).await {
        if fresh.epoch >= map.epoch {
            net.with(|s| {
                s.map = Some(Rc::new(fresh));
                s.map_fetched = s.timers.now();
                s.map_stale = false;
            });
        }
    }
    net.map()
}

/// Clears the "refreshing" mark however the refresh ends (even if its operation is cancelled).
struct RefreshFlag(Net);

impl Drop for RefreshFlag {
    fn drop(&mut self) {
        self.0.try_with(|s| s.map_refreshing = false);
    }
}

async fn map_from(net: Net, contact: Contact) -> Result<NetworkMap, Error> {
    let target = Target { addr: contact.addr, id: contact.id };
    let reply = net.request(target, &Request::NetworkMap).await?;
    let node = short(&reply.node);
    let Response::NetworkMap(map) = node_answer(&node, reply.response)? else {
        return Err(Error::protocol(format!(
            "node {node} answered a map request with something else"
        )));
    };
    if map.nodes.is_empty() || map.replication_factor == 0 {
        return Err(Error::protocol(format!("node {node} sent an empty network map")));
    }
    if let Some(bad) = map.nodes.iter().find(|n| !n.is_consistent()) {
        return Err(Error::protocol(format!(
            "node {node} sent a network map in which node {} does not match its key",
            short(&bad.id)
        )));
    }
    let Some(listed) = map.get(&reply.node) else {
        return Err(Error::protocol(format!(
            "node {node} sent a network map without itself in it"
        )));
    };
    // It lists itself where it answered (a node listening on an unspecified address lists
    // that). Otherwise the map would send this client's later requests for the node elsewhere,
    // and its refreshes would ask there too: the client could never learn a true map again.
    let (at, answered) = (listed.addr, contact.addr);
    let same_ip =
        at.ip().to_canonical() == answered.ip().to_canonical() || at.ip().is_unspecified();
    if at.port() != answered.port() || !same_ip {
        return Err(Error::protocol(format!(
            "node {node} answered at {answered} but its network map lists it at {at}"
        )));
    }
    Ok(map)
}
