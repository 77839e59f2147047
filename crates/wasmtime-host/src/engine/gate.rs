//! The send allowlist of the wasm engine, as the Node host has it (`host/engine/gate.ts`): the
//! component may send datagrams only to the bootstrap contacts of each connect, the nodes of
//! its network map (`client.node-addresses`), and the addresses the user allowed
//! ([`Options::allow`](crate::Options::allow)).
//!
//! A datagram to any other address is held, not sent, while the guest's call runs (the host may
//! not call back into the guest from inside `udp-socket.send`). After the call the engine asks
//! the guest for its map's addresses once and settles what was held: sent when the map now lists
//! the address (the map was refreshed), dropped and reported on stderr otherwise. The native
//! backend has no gate: it is this binary's own code, not a guest.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;

use super::send_batch;

/// Where the guest may send, and what it tried to send elsewhere during the current call.
#[derive(Default)]
pub(crate) struct SendGate {
    allowed: HashSet<SocketAddr>,
    held: Vec<(Arc<UdpSocket>, SocketAddr, Vec<u8>)>,
}

impl SendGate {
    /// Allows sending to these addresses from now on.
    pub(crate) fn allow(&mut self, addresses: impl IntoIterator<Item = SocketAddr>) {
        self.allowed.extend(addresses);
    }

    /// Sends what `batch` has for allowed addresses through `socket` now, and holds the rest.
    pub(crate) fn send(
        &mut self,
        socket: &Arc<UdpSocket>,
        batch: impl IntoIterator<Item = (SocketAddr, Vec<u8>)>,
    ) {
        let mut now = Vec::new();
        for (remote, data) in batch {
            if self.allowed.contains(&remote) {
                now.push((remote, data));
            } else {
                self.held.push((socket.clone(), remote, data));
            }
        }
        send_batch(socket, now);
    }

    /// Whether datagrams are waiting for [`settle`](Self::settle).
    pub(crate) fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Allows the network map's `nodes`, sends what was held for them, and drops the rest;
    /// the addresses dropped and how many datagrams each, for the caller to report.
    pub(crate) fn settle(
        &mut self,
        nodes: impl IntoIterator<Item = SocketAddr>,
    ) -> Vec<(SocketAddr, usize)> {
        self.allow(nodes);
        let mut refused: HashMap<SocketAddr, usize> = HashMap::new();
        for (socket, remote, data) in std::mem::take(&mut self.held) {
            if self.allowed.contains(&remote) {
                send_batch(&socket, [(remote, data)]);
            } else {
                *refused.entry(remote).or_default() += 1;
            }
        }
        let mut refused: Vec<_> = refused.into_iter().collect();
        refused.sort();
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pair() -> (Arc<UdpSocket>, UdpSocket, SocketAddr) {
        let from = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind"));
        // As the driver does after binding: tokio learns from the reactor that it is writable.
        from.writable().await.expect("writable");
        let to = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = to.local_addr().expect("addr");
        (from, to, addr)
    }

    async fn received(socket: &UdpSocket) -> Option<Vec<u8>> {
        let mut buf = [0u8; 64];
        let got =
            tokio::time::timeout(std::time::Duration::from_millis(300), socket.recv(&mut buf));
        got.await.ok().and_then(Result::ok).map(|n| buf[..n].to_vec())
    }

    #[tokio::test]
    async fn sends_to_allowed_addresses_at_once() {
        let (from, to, addr) = pair().await;
        let mut gate = SendGate::default();
        gate.allow([addr]);
        gate.send(&from, [(addr, b"now".to_vec())]);
        assert!(!gate.holding());
        assert_eq!(received(&to).await.as_deref(), Some(&b"now"[..]));
    }

    #[tokio::test]
    async fn holds_others_until_the_map_lists_them() {
        let (from, to, addr) = pair().await;
        let mut gate = SendGate::default();
        gate.send(&from, [(addr, b"held".to_vec())]);
        assert!(gate.holding());
        assert_eq!(received(&to).await, None);
        assert_eq!(gate.settle([addr]), vec![]);
        assert_eq!(received(&to).await.as_deref(), Some(&b"held"[..]));
    }

    #[tokio::test]
    async fn drops_and_reports_what_the_map_does_not_list() {
        let (from, to, addr) = pair().await;
        let mut gate = SendGate::default();
        gate.send(&from, [(addr, b"a".to_vec()), (addr, b"b".to_vec())]);
        assert_eq!(gate.settle([]), vec![(addr, 2)]);
        assert!(!gate.holding());
        assert_eq!(received(&to).await, None);
    }
}
