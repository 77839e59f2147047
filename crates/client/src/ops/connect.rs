//! Connecting: fetch the network map from the first bootstrap contact that answers, and check
//! it before trusting it.

use std::rc::Rc;

use futures::future::select_ok;
use futures::FutureExt;
use safe_types::wire::{Request, Response};
use safe_types::NetworkMap;

use super::{Contact, NetworkInfo, Output};
use crate::net::{node_answer, short, Net};
use crate::transport::Target;
use crate::{Error, ErrorCode};

pub(super) async fn connect(net: Net, contacts: Vec<Contact>) -> Result<Output, Error> {
    let count = contacts.len();
    let attempts = contacts.into_iter().map(|c| map_from(net.clone(), c).boxed_local());
    match select_ok(attempts).await {
        Ok((map, _others)) => {
            let info = NetworkInfo {
                nodes: map.nodes.len(),
                epoch: map.epoch,
                replication_factor: map.replication_factor,
            };
            net.with(|s| s.map = Some(Rc::new(map)));
            Ok(Output::Connected(info))
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

async fn map_from(net: Net, contact: Contact) -> Result<NetworkMap, Error> {
    let target = Target { addr: contact.addr, id: contact.id };
    let reply = net.request(target, &Request::NetworkMap).await?;
    let node = short(&reply.node);
    let Response::NetworkMap(map) = node_answer(&node, reply.response)? else {
        return Err(Error::protocol(format!("node {node} answered a map request with something else")));
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
    if map.get(&reply.node).is_none() {
        return Err(Error::protocol(format!("node {node} sent a network map without itself in it")));
    }
    Ok(map)
}
