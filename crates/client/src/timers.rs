//! Time for operations: the driver's clock, and futures that wait until it passes a deadline.
//!
//! Operations never read a clock. The driver sets the time of each input here
//! ([`Timers::fire`]); a [`Sleep`] registers its deadline, the driver reports the earliest one
//! through `Client::poll_timeout` and wakes the sleepers whose deadline has passed when its
//! caller calls `handle_timeout`. [`Timers`] is its own handle (an `Rc` the shared network state
//! and every sleeper hold), so waiting needs nothing else of the client; like the rest of the
//! core it is single-threaded and borrowed only inside a poll or a driver step.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

type Key = (Instant, u64);

/// The driver's clock and the deadlines that futures wait for.
#[derive(Clone, Default)]
pub(crate) struct Timers(Rc<RefCell<Clock>>);

#[derive(Default)]
struct Clock {
    /// The time of the driver's latest input: "now" for operations (set before any runs).
    now: Option<Instant>,
    next_id: u64,
    waiting: BTreeMap<Key, Waker>,
}

impl Timers {
    /// The time of the driver's latest input, `None` before its first.
    pub(crate) fn now(&self) -> Option<Instant> {
        self.0.borrow().now
    }

    /// Moves the clock to `now` and wakes every sleeper whose deadline is at or before it.
    pub(crate) fn fire(&self, now: Instant) {
        let mut clock = self.0.borrow_mut();
        clock.now = Some(now);
        while let Some(entry) = clock.waiting.first_entry() {
            if entry.key().0 > now {
                break;
            }
            entry.remove().wake();
        }
    }

    /// The earliest deadline anyone waits for.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.0.borrow().waiting.keys().next().map(|(t, _)| *t)
    }

    /// Waits until the clock has moved `duration` on from the first poll.
    pub(crate) fn sleep(&self, duration: Duration) -> Sleep {
        Sleep { timers: self.clone(), duration, deadline: None, key: None }
    }

    fn register(&self, key: Option<Key>, deadline: Instant, waker: &Waker) -> Key {
        let mut clock = self.0.borrow_mut();
        let key = key.unwrap_or_else(|| {
            clock.next_id += 1;
            (deadline, clock.next_id)
        });
        clock.waiting.insert(key, waker.clone());
        key
    }

    /// Forgets a deadline, unless the clock is borrowed (destructors may run anywhere).
    fn remove(&self, key: &Key) {
        if let Ok(mut clock) = self.0.try_borrow_mut() {
            clock.waiting.remove(key);
        }
    }
}

/// A future that completes once the driver's clock reaches `duration` after its first poll.
pub(crate) struct Sleep {
    timers: Timers,
    duration: Duration,
    deadline: Option<Instant>,
    key: Option<Key>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // The driver sets the time before it runs any operation.
        let Some(now) = this.timers.now() else { return Poll::Pending };
        let deadline =
            *this.deadline.get_or_insert_with(|| now.checked_add(this.duration).unwrap_or(now));
        if now >= deadline {
            if let Some(key) = this.key.take() {
                this.timers.remove(&key);
            }
            return Poll::Ready(());
        }
        let key = this.key;
        this.key = Some(this.timers.register(key, deadline, cx.waker()));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.timers.remove(&key);
        }
    }
}
