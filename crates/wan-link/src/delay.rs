//! The packets in flight: held until their time, the earliest first, and packets due at the
//! same instant in the order they came. Bounded like netem's `limit`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

struct Held<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Held<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<T> Eq for Held<T> {}

impl<T> PartialOrd for Held<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Held<T> {
    /// Reversed, so that the max-heap pops the earliest (and, at one instant, the first pushed).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Items waiting until an instant.
pub struct DelayLine<T> {
    heap: BinaryHeap<Held<T>>,
    next_seq: u64,
    limit: usize,
}

impl<T> DelayLine<T> {
    /// An empty line that holds at most `limit` items.
    pub fn new(limit: usize) -> Self {
        Self { heap: BinaryHeap::new(), next_seq: 0, limit }
    }

    /// Holds `item` until `at`; false (and the item dropped) when the line is full.
    pub fn push(&mut self, at: Instant, item: T) -> bool {
        if self.heap.len() >= self.limit {
            return false;
        }
        self.heap.push(Held { at, seq: self.next_seq, item });
        self.next_seq += 1;
        true
    }

    /// When the next item is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|h| h.at)
    }

    /// The next item due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.heap.peek()?.at > now {
            return None;
        }
        self.heap.pop().map(|h| h.item)
    }

    /// How many items are held.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn releases_in_time_order_then_arrival_order() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut line = DelayLine::new(10);
        assert!(line.push(ms(20), "a"));
        assert!(line.push(ms(20), "b"));
        assert!(line.push(ms(0), "early"));
        assert!(line.push(ms(20), "c"));
        assert_eq!(line.next_due(), Some(ms(0)));
        assert_eq!(line.pop_due(ms(5)), Some("early"));
        assert_eq!(line.pop_due(ms(5)), None, "nothing else is due yet");
        assert_eq!(line.next_due(), Some(ms(20)));
        let rest: Vec<_> = std::iter::from_fn(|| line.pop_due(ms(20))).collect();
        assert_eq!(rest, ["a", "b", "c"]);
        assert!(line.is_empty());
        assert_eq!(line.next_due(), None);
    }

    #[test]
    fn refuses_beyond_the_limit() {
        let now = Instant::now();
        let mut line = DelayLine::new(2);
        assert!(line.push(now, 1));
        assert!(line.push(now, 2));
        assert!(!line.push(now, 3));
        assert_eq!(line.len(), 2);
        assert_eq!(line.pop_due(now), Some(1));
        assert!(line.push(now, 4));
    }
}
