//! The network map: the nodes of a network, where they listen and which key each holds, and the
//! XOR-distance placement rule that says which nodes hold an item.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use xor_name::XorName;

/// How many nodes hold each item unless the network says otherwise.
pub const DEFAULT_REPLICATION_FACTOR: u8 = 4;

/// A node's id: the SHA3-256 of its ed25519 public key.
pub fn node_id(public_key: &[u8; 32]) -> XorName {
    XorName::from_content(public_key)
}

/// One node as the network map lists it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node's id, [`node_id`] of `public_key`.
    pub id: XorName,
    /// Where the node listens for QUIC connections.
    pub addr: SocketAddr,
    /// The node's ed25519 public key; its TLS certificate carries the same key.
    pub public_key: [u8; 32],
}

impl NodeInfo {
    /// Describes the node holding `public_key`, listening on `addr`.
    pub fn new(public_key: [u8; 32], addr: SocketAddr) -> Self {
        Self { id: node_id(&public_key), addr, public_key }
    }

    /// Whether `id` really is the hash of `public_key` (a map from the network may lie).
    pub fn is_consistent(&self) -> bool {
        node_id(&self.public_key) == self.id
    }
}

/// The membership of a network as one node sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkMap {
    /// Grows each time the membership changes, so a newer map can be told from an older one.
    pub epoch: u64,
    /// How many nodes hold each item (R).
    pub replication_factor: u8,
    /// The members, in no particular order.
    pub nodes: Vec<NodeInfo>,
}

impl NetworkMap {
    /// The (at most) `count` nodes closest to `target` by XOR distance, closest first.
    pub fn closest(&self, target: &XorName, count: usize) -> Vec<&NodeInfo> {
        let mut nodes: Vec<&NodeInfo> = self.nodes.iter().collect();
        nodes.sort_by(|a, b| target.cmp_distance(&a.id, &b.id));
        nodes.truncate(count);
        nodes
    }

    /// The nodes that hold `target`: the [`Self::replication_factor`] closest.
    pub fn holders(&self, target: &XorName) -> Vec<&NodeInfo> {
        self.closest(target, usize::from(self.replication_factor.max(1)))
    }

    /// The node with id `id`, if it is a member.
    pub fn get(&self, id: &XorName) -> Option<&NodeInfo> {
        self.nodes.iter().find(|n| &n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(first_byte: u8) -> NodeInfo {
        let mut id = [0u8; 32];
        id[0] = first_byte;
        NodeInfo {
            id: XorName(id),
            addr: "127.0.0.1:1".parse().expect("addr"),
            public_key: [0; 32],
        }
    }

    #[test]
    fn closest_orders_by_xor_distance() {
        let map = NetworkMap {
            epoch: 1,
            replication_factor: 2,
            nodes: vec![node(0b1000_0000), node(0b0000_0001), node(0b0100_0000), node(0b0000_0011)],
        };
        // distances from 0b0000_0010: 0b1000_0010, 0b0000_0011, 0b0100_0010, 0b0000_0001
        let mut t = [0u8; 32];
        t[0] = 0b0000_0010;
        let firsts: Vec<u8> = map.closest(&XorName(t), 4).iter().map(|n| n.id.0[0]).collect();
        assert_eq!(firsts, vec![0b0000_0011, 0b0000_0001, 0b0100_0000, 0b1000_0000]);
        assert_eq!(map.holders(&XorName(t)).len(), 2);
    }

    #[test]
    fn node_info_consistency() {
        let info = NodeInfo::new([9; 32], "127.0.0.1:5".parse().expect("addr"));
        assert!(info.is_consistent());
        let forged = NodeInfo { id: XorName([1; 32]), ..info };
        assert!(!forged.is_consistent());
    }
}
