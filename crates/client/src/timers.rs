//! Time for operations: futures that wait until the driver's clock passes a deadline.
//!
//! Operations never read a clock. The driver records the time of each input in the shared
//! state; a [`Sleep`] registers its deadline here, the driver reports the earliest one through
//! `Client::poll_timeout` and wakes the sleepers whose deadline has passed when its caller
//! calls `handle_timeout`.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::net::Net;

type Key = (Instant, u64);

/// Deadlines that futures wait for.
#[derive(Default)]
pub(crate) struct Timers {
    next_id: u64,
    waiting: BTreeMap<Key, Waker>,
}

impl Timers {
    /// Wakes every sleeper whose deadline is at or before `now`.
    pub(crate) fn fire(&mut self, now: Instant) {
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 > now {
                break;
            }
            entry.remove().wake();
        }
    }

    /// The earliest deadline anyone waits for.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.waiting.keys().next().map(|(t, _)| *t)
    }

    fn register(&mut self, key: Option<Key>, deadline: Instant, waker: &Waker) -> Key {
        let key = key.unwrap_or_else(|| {
            self.next_id += 1;
            (deadline, self.next_id)
        });
        self.waiting.insert(key, waker.clone());
        key
    }

    fn remove(&mut self, key: &Key) {
        self.waiting.remove(key);
    }
}

/// A future that completes once the driver's clock reaches `duration` after its first poll.
pub(crate) struct Sleep {
    net: Net,
    duration: Duration,
    deadline: Option<Instant>,
    key: Option<Key>,
}

impl Sleep {
    pub(crate) fn new(net: Net, duration: Duration) -> Self {
        Self { net, duration, deadline: None, key: None }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // The driver sets the time before it runs any operation.
        let Some(now) = this.net.with(|s| s.now) else { return Poll::Pending };
        let deadline =
            *this.deadline.get_or_insert_with(|| now.checked_add(this.duration).unwrap_or(now));
        if now >= deadline {
            if let Some(key) = this.key.take() {
                this.net.with(|s| s.timers.remove(&key));
            }
            return Poll::Ready(());
        }
        let key = this.key;
        this.key = Some(this.net.with(|s| s.timers.register(key, deadline, cx.waker())));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.net.try_with(|s| s.timers.remove(&key));
        }
    }
}
