//! How a node is told to run: its [`NodeConfig`] (root, listen address, network settings for a
//! genesis node, bootstrap [`Contact`]s, timings), with the defaults the binary uses.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use safe_types::{XorName, DEFAULT_REPLICATION_FACTOR};

/// Default pause between two gossip rounds.
pub const DEFAULT_GOSSIP_INTERVAL: Duration = Duration::from_millis(1000);
/// Default time without news from a peer after which it is marked as gone.
pub const DEFAULT_FAILURE_TIMEOUT: Duration = Duration::from_millis(5000);
/// Default pause between two anti-entropy rounds (a membership change starts one sooner).
pub const DEFAULT_REPLICATION_INTERVAL: Duration = Duration::from_secs(5);
/// Default bound on one node-to-node request (connecting included).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a new node keeps trying its bootstrap contacts before giving up.
pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How to run a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Directory holding the node's key and data; created if missing.
    pub root: PathBuf,
    /// UDP address to listen on; port 0 picks a free port (see [`crate::RunningNode::info`]).
    pub listen: SocketAddr,
    /// How many nodes hold each item. Only a genesis node uses it (it is stored in the
    /// membership); a joining node adopts the network's. At least 1.
    pub replication_factor: u8,
    /// Whether the network mints test coins on request. Only a genesis node uses it.
    pub faucet: bool,
    /// Nodes to join the network through. Empty: start a new network (genesis), unless the
    /// root holds a membership from an earlier run, in which case the node rejoins through the
    /// members it knew.
    pub bootstrap: Vec<Contact>,
    /// Pause between two gossip rounds.
    pub gossip_interval: Duration,
    /// A peer not heard from for this long is marked as gone.
    pub failure_timeout: Duration,
    /// Pause between two anti-entropy rounds.
    pub replication_interval: Duration,
    /// Bound on one node-to-node request, connecting included.
    pub call_timeout: Duration,
    /// How long a new node keeps trying its bootstrap contacts before [`crate::Node::start`]
    /// fails.
    pub join_timeout: Duration,
    /// Misbehaviour to inject, for testing clients against a faulty node. Empty in normal use.
    pub faults: Vec<Fault>,
}

/// A way a node can be made to misbehave, so clients can be tested against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Answer chunk reads with the content's first byte flipped (clients must notice).
    AlteredChunks,
    /// Take [`SLOW_CHUNK_WRITE`] longer over every chunk it stores: a holder slower than the
    /// rest, which uploads and replication must not wait for.
    SlowChunkWrites,
}

/// How much longer a node with [`Fault::SlowChunkWrites`] takes to store each chunk.
pub const SLOW_CHUNK_WRITE: Duration = Duration::from_millis(1000);

impl NodeConfig {
    /// A configuration for a genesis node with the default settings and timings.
    pub fn new(root: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Self {
            root: root.into(),
            listen,
            replication_factor: DEFAULT_REPLICATION_FACTOR,
            faucet: false,
            bootstrap: Vec::new(),
            gossip_interval: DEFAULT_GOSSIP_INTERVAL,
            failure_timeout: DEFAULT_FAILURE_TIMEOUT,
            replication_interval: DEFAULT_REPLICATION_INTERVAL,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            join_timeout: DEFAULT_JOIN_TIMEOUT,
            faults: Vec::new(),
        }
    }

    /// What is wrong with this configuration, if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let zero = Duration::ZERO;
        if self.replication_factor == 0 {
            Some("replication factor must be at least 1")
        } else if self.gossip_interval == zero {
            Some("gossip interval must be positive")
        } else if self.failure_timeout <= self.gossip_interval {
            Some("failure timeout must be longer than the gossip interval")
        } else if self.replication_interval == zero {
            Some("replication interval must be positive")
        } else if self.call_timeout == zero || self.join_timeout == zero {
            Some("timeouts must be positive")
        } else {
            None
        }
    }

    /// The bound on a probe of a peer's liveness: short enough that a peer can be probed more
    /// than once before it is declared gone.
    pub(crate) fn probe_timeout(&self) -> Duration {
        self.call_timeout.min(self.failure_timeout / 2)
    }
}

/// A node to contact: `IP:PORT`, or `<64 hex id>@IP:PORT` to also pin its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Contact {
    /// The node id it must prove, if known.
    pub id: Option<XorName>,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Why a string is not a [`Contact`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a contact: {reason}; write IP:PORT or <64 hex node id>@IP:PORT")]
pub struct ContactError {
    input: String,
    reason: &'static str,
}

impl FromStr for Contact {
    type Err = ContactError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ContactError { input: s.to_owned(), reason };
        let (id, addr) = match s.split_once('@') {
            Some((id, addr)) => {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(id, &mut bytes)
                    .map_err(|_| err("the node id is not 64 hex digits"))?;
                (Some(XorName(bytes)), addr)
            }
            None => (None, s),
        };
        let addr = addr.parse().map_err(|_| err("the address is not IP:PORT"))?;
        Ok(Self { id, addr })
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "{}@{}", hex::encode(id.0), self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_parse_with_and_without_id() {
        let plain: Contact = "127.0.0.1:12000".parse().expect("plain");
        assert_eq!(plain, Contact { id: None, addr: "127.0.0.1:12000".parse().expect("addr") });
        let id = "ab".repeat(32);
        let pinned: Contact = format!("{id}@[::1]:5").parse().expect("pinned");
        assert_eq!(pinned.id, Some(XorName([0xab; 32])));
        assert_eq!(pinned.addr, "[::1]:5".parse().expect("addr"));
        assert_eq!(pinned.to_string(), format!("{id}@[::1]:5"));
        for bad in ["", "127.0.0.1", "abc@127.0.0.1:1", "@127.0.0.1:1", "localhost:1"] {
            assert!(bad.parse::<Contact>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn config_problems_are_found() {
        let base = NodeConfig::new("/tmp/x", "127.0.0.1:0".parse().expect("addr"));
        assert_eq!(base.problem(), None);
        assert!(NodeConfig { replication_factor: 0, ..base.clone() }.problem().is_some());
        let slow_gossip = NodeConfig { gossip_interval: Duration::from_secs(10), ..base.clone() };
        assert!(slow_gossip.problem().is_some());
        assert_eq!(base.probe_timeout(), Duration::from_millis(2500));
    }
}
