//! What happens to each packet: the same four knobs as `tc qdisc ... netem delay D loss L
//! duplicate P reorder R`, decided independently per packet (no correlation).

use std::time::Duration;

use rand::Rng;

/// How every packet crossing the emulated link is treated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impairment {
    delay: Duration,
    loss: f64,
    duplicate: f64,
    reorder: f64,
}

/// What becomes of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Dropped.
    Lost,
    /// Delivered `copies` times (1, or 2 when duplicated) after `after`.
    Deliver {
        /// How long it is held.
        after: Duration,
        /// How many copies arrive.
        copies: u8,
        /// Whether it skipped the delay, overtaking the packets held before it.
        reordered: bool,
    },
}

impl Impairment {
    /// A link that holds each packet for `delay`, drops it with probability `loss`, delivers it
    /// twice with probability `duplicate`, and sends it at once (ahead of the packets held) with
    /// probability `reorder`, as netem's `reorder R` (gap 1) does. Reordering needs a delay.
    ///
    /// Fails when a probability is outside [0, 1].
    pub fn new(delay: Duration, loss: f64, duplicate: f64, reorder: f64) -> Result<Self, String> {
        for (name, p) in [("loss", loss), ("duplicate", duplicate), ("reorder", reorder)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be a probability from 0 to 1, not {p}"));
            }
        }
        Ok(Self { delay, loss, duplicate, reorder })
    }

    /// The one-way delay.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Decides the fate of one packet: loss first, then duplication, then reordering.
    pub fn decide<R: Rng + ?Sized>(&self, rng: &mut R) -> Fate {
        if rng.gen_bool(self.loss) {
            return Fate::Lost;
        }
        let copies = if rng.gen_bool(self.duplicate) { 2 } else { 1 };
        let reordered = !self.delay.is_zero() && rng.gen_bool(self.reorder);
        let after = if reordered { Duration::ZERO } else { self.delay };
        Fate::Deliver { after, copies, reordered }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn refuses_probabilities_outside_zero_to_one() {
        let d = Duration::from_millis(20);
        assert!(Impairment::new(d, 1.5, 0.0, 0.0).is_err());
        assert!(Impairment::new(d, 0.0, -0.1, 0.0).is_err());
        assert!(Impairment::new(d, 0.0, 0.0, f64::NAN).is_err());
        assert!(Impairment::new(d, 1.0, 0.0, 0.0).is_ok());
    }

    #[test]
    fn rates_match_the_probabilities() {
        let link = Impairment::new(Duration::from_millis(20), 0.01, 0.02, 0.05).expect("valid");
        let mut rng = StdRng::seed_from_u64(7);
        let n = 200_000;
        let (mut lost, mut duplicated, mut reordered, mut held) = (0, 0, 0, 0);
        for _ in 0..n {
            match link.decide(&mut rng) {
                Fate::Lost => lost += 1,
                Fate::Deliver { after, copies, reordered: r } => {
                    if copies == 2 {
                        duplicated += 1;
                    }
                    if r {
                        reordered += 1;
                        assert_eq!(after, Duration::ZERO);
                    } else {
                        held += 1;
                        assert_eq!(after, Duration::from_millis(20));
                    }
                }
            }
        }
        // Binomial counts: each bound is more than 5 standard deviations from the mean.
        assert!((1700..2300).contains(&lost), "lost {lost}");
        assert!((3500..4400).contains(&duplicated), "duplicated {duplicated}");
        assert!((9300..10_500).contains(&reordered), "reordered {reordered}");
        assert_eq!(lost + reordered + held, n);
    }

    #[test]
    fn no_delay_means_no_reordering_and_zero_rates_change_nothing() {
        let mut rng = StdRng::seed_from_u64(1);
        let fast = Impairment::new(Duration::ZERO, 0.0, 0.0, 1.0).expect("valid");
        let clean = Impairment::new(Duration::from_millis(5), 0.0, 0.0, 0.0).expect("valid");
        for _ in 0..1000 {
            assert_eq!(
                fast.decide(&mut rng),
                Fate::Deliver { after: Duration::ZERO, copies: 1, reordered: false }
            );
            assert_eq!(
                clean.decide(&mut rng),
                Fate::Deliver { after: Duration::from_millis(5), copies: 1, reordered: false }
            );
        }
    }
}
