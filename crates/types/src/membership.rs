//! Membership: who is in the network, as a CRDT every node converges on by gossip.
//!
//! Each member has a version. Merging keeps, per node, the entry with the higher version, and at
//! equal versions a departure wins over a presence. A node (re)announces itself with a version
//! above any it had; a node that finds a peer gone marks it left with the next version; a node
//! wrongly marked left hears of it by gossip and re-announces itself with a higher version still
//! (as SWIM does with incarnation numbers). The network settings (replication factor, faucet)
//! are fixed by the genesis node and travel with the membership.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xor_name::XorName;

use crate::{NetworkMap, NodeInfo};

/// The most members a membership holds (so it fits in a wire frame).
pub const MAX_MEMBERS: usize = 1000;

/// Whether a node is in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MemberState {
    /// In the network.
    Joined,
    /// Gone (stopped, or unreachable for too long).
    Left,
}

/// One node's entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Who and where.
    pub info: NodeInfo,
    /// Grows with every change of this entry.
    pub version: u64,
    /// In or out.
    pub state: MemberState,
}

impl Member {
    /// Whether this entry supersedes `other` (an entry for the same node).
    fn supersedes(&self, other: &Member) -> bool {
        self.version > other.version || (self.version == other.version && self.state > other.state)
    }
}

/// The membership of a network as one node knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// How many nodes hold each item (set by the genesis node).
    pub replication_factor: u8,
    /// Whether the network mints test coins on request (test networks only).
    pub faucet: bool,
    members: BTreeMap<XorName, Member>,
}

impl Membership {
    /// The membership of a new network of one node.
    pub fn genesis(info: NodeInfo, replication_factor: u8, faucet: bool) -> Self {
        let mut m = Self { replication_factor, faucet, members: BTreeMap::new() };
        // The first member always fits.
        let _ = m.announce(info);
        m
    }

    /// Records `info` as joined, with a version above any this node had. Returns the version,
    /// or `None` (changing nothing) for a new member when the membership holds [`MAX_MEMBERS`].
    pub fn announce(&mut self, info: NodeInfo) -> Option<u64> {
        if !self.members.contains_key(&info.id) && self.members.len() >= MAX_MEMBERS {
            return None;
        }
        let version = self.members.get(&info.id).map_or(1, |m| m.version + 1);
        self.members.insert(info.id, Member { info, version, state: MemberState::Joined });
        Some(version)
    }

    /// Records `id` as gone. Returns whether it was a member.
    pub fn mark_left(&mut self, id: &XorName) -> bool {
        match self.members.get_mut(id) {
            Some(m) if m.state == MemberState::Joined => {
                m.version += 1;
                m.state = MemberState::Left;
                true
            }
            _ => false,
        }
    }

    /// Merges another node's view; entries whose id does not match their key are ignored.
    /// Returns whether anything changed.
    pub fn merge(&mut self, other: &Membership) -> bool {
        let mut changed = false;
        for (id, theirs) in &other.members {
            if theirs.info.id != *id || !theirs.info.is_consistent() {
                continue;
            }
            match self.members.get(id) {
                Some(ours) if !theirs.supersedes(ours) => {}
                None if self.members.len() >= MAX_MEMBERS => {}
                _ => {
                    self.members.insert(*id, theirs.clone());
                    changed = true;
                }
            }
        }
        changed
    }

    /// The entry of node `id`.
    pub fn get(&self, id: &XorName) -> Option<&Member> {
        self.members.get(id)
    }

    /// Every entry, joined or left.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// The nodes in the network.
    pub fn joined(&self) -> impl Iterator<Item = &NodeInfo> {
        self.members.values().filter(|m| m.state == MemberState::Joined).map(|m| &m.info)
    }

    /// Sum of all versions: grows with every change, so a newer view can be told from an older.
    pub fn epoch(&self) -> u64 {
        self.members.values().map(|m| m.version).sum()
    }

    /// The network map clients are given.
    pub fn map(&self) -> NetworkMap {
        NetworkMap {
            epoch: self.epoch(),
            replication_factor: self.replication_factor,
            nodes: self.joined().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: u8, port: u16) -> NodeInfo {
        NodeInfo::new([key; 32], format!("127.0.0.1:{port}").parse().expect("addr"))
    }

    #[test]
    fn joins_and_departures_converge_in_any_merge_order() {
        let (a, b, c) = (node(1, 1), node(2, 2), node(3, 3));
        let mut va = Membership::genesis(a.clone(), 4, true);
        let mut vb = va.clone();
        vb.announce(b.clone());
        let mut vc = va.clone();
        vc.announce(c.clone());
        va.merge(&vb);
        va.merge(&vc);
        assert_eq!(va.joined().count(), 3);
        // b marks c gone while a still has c joined; merging either way agrees.
        vb.merge(&va);
        vb.mark_left(&c.id);
        let mut x = va.clone();
        x.merge(&vb);
        let mut y = vb.clone();
        y.merge(&va);
        assert_eq!(x, y);
        assert_eq!(x.joined().count(), 2);
        // c comes back: its announcement outranks the departure.
        x.announce(c.clone());
        y.merge(&x);
        assert_eq!(y.joined().count(), 3);
        assert!(y.epoch() > vb.epoch());
    }

    #[test]
    fn equal_versions_let_the_departure_win() {
        let a = node(1, 1);
        let mut v1 = Membership::genesis(a.clone(), 4, false);
        let mut v2 = v1.clone();
        v1.announce(a.clone()); // version 2, joined
        v2.mark_left(&a.id); // version 2, left
        let mut m = v1.clone();
        assert!(m.merge(&v2));
        assert_eq!(m.joined().count(), 0);
        assert!(!v2.clone().merge(&v1));
    }

    #[test]
    fn ignores_entries_whose_id_does_not_match_the_key() {
        let mut honest = Membership::genesis(node(1, 1), 4, false);
        let mut liar = honest.clone();
        let forged = NodeInfo { id: XorName([9; 32]), ..node(2, 2) };
        liar.members
            .insert(forged.id, Member { info: forged, version: 1, state: MemberState::Joined });
        assert!(!honest.merge(&liar));
        assert_eq!(honest.joined().count(), 1);
    }

    #[test]
    fn map_lists_only_joined_nodes_with_the_network_settings() {
        let mut m = Membership::genesis(node(1, 1), 3, true);
        m.announce(node(2, 2));
        m.mark_left(&node(2, 2).id);
        let map = m.map();
        assert_eq!(map.nodes, vec![node(1, 1)]);
        assert_eq!(map.replication_factor, 3);
        assert_eq!(map.epoch, 1 + 2);
    }
}
