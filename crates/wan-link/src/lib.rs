//! The parts of `safe-wan-link`, a user-space emulated WAN for the test network's WAN tests
//! (`tests/wan.e2e.test.ts`, `npm run bench wan`) on kernels without the netem qdisc.
//!
//! The program (`src/main.rs`) owns one TUN device per link. The test moves each device into a
//! network namespace of its own (the client's end stays in the root namespace), gives it an
//! address and a route, and the program forwards every IPv4 packet it reads from one device to
//! the device whose network holds the packet's destination, after treating it as netem would:
//! held for a delay, dropped, duplicated or sent ahead of the others at random
//! ([`Impairment`]). Everything here is plain logic, tested without privileges; the devices and
//! threads are in `main.rs`.

mod delay;
mod impair;
mod route;
mod stats;

pub use delay::DelayLine;
pub use impair::{Fate, Impairment};
pub use route::{ipv4_destination, Cidr, Routes};
pub use stats::{Stats, StatsSnapshot};
