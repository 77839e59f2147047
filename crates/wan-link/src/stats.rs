//! What the link did, counted as it happens and read by the test through `stats` on stdin.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Packet counters, shared by the threads.
#[derive(Debug, Default)]
pub struct Stats {
    /// Packets read from the devices.
    pub received: AtomicU64,
    /// Packets written to a device (a duplicate counts twice).
    pub delivered: AtomicU64,
    /// Packets dropped at random.
    pub lost: AtomicU64,
    /// Packets delivered twice.
    pub duplicated: AtomicU64,
    /// Packets sent ahead of the ones held.
    pub reordered: AtomicU64,
    /// Packets dropped because the line was full.
    pub overflow: AtomicU64,
    /// Packets no link's network holds (IPv6, or another destination).
    pub unroutable: AtomicU64,
    /// Writes a device refused.
    pub send_errors: AtomicU64,
}

/// The counters at one moment, as the `stats` command prints them (one JSON line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// See [`Stats::received`].
    pub received: u64,
    /// See [`Stats::delivered`].
    pub delivered: u64,
    /// See [`Stats::lost`].
    pub lost: u64,
    /// See [`Stats::duplicated`].
    pub duplicated: u64,
    /// See [`Stats::reordered`].
    pub reordered: u64,
    /// See [`Stats::overflow`].
    pub overflow: u64,
    /// See [`Stats::unroutable`].
    pub unroutable: u64,
    /// See [`Stats::send_errors`].
    pub send_errors: u64,
}

impl Stats {
    /// Adds one to a counter.
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            received: get(&self.received),
            delivered: get(&self.delivered),
            lost: get(&self.lost),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            overflow: get(&self.overflow),
            unroutable: get(&self.unroutable),
            send_errors: get(&self.send_errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_every_counter() {
        let stats = Stats::default();
        Stats::count(&stats.received);
        Stats::count(&stats.received);
        Stats::count(&stats.lost);
        let snap = stats.snapshot();
        assert_eq!((snap.received, snap.lost, snap.delivered), (2, 1, 0));
        let json = serde_json::to_string(&snap).expect("serializes");
        assert!(json.contains("\"received\":2"), "{json}");
    }
}
