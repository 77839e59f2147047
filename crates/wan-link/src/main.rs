//! `safe-wan-link`: a user-space emulated WAN between network namespaces, for the WAN tests on
//! kernels without the netem qdisc (and, with no impairment, the plain forwarder of the netem
//! setup: see `host/testnet/wan.ts`).
//!
//! It creates one TUN device per `--link NAME=CIDR` (IPv4, no packet information, removed when
//! the program exits) and prints one JSON line on stdout once they exist:
//! `{"event":"ready","links":[{"name":"...","network":"10.7.1.0/24"},...]}`. The caller then
//! moves each device into its namespace and gives it an address and a route with `ip`. From
//! then on every IPv4 packet read from a device is held, dropped, duplicated or sent early as
//! `--delay-ms`, `--loss`, `--duplicate` and `--reorder` say (see [`Impairment`]), then written
//! to the device whose network holds its destination.
//!
//! Each line `stats` on stdin prints the counters as one JSON line ([`StatsSnapshot`]). The
//! program exits when stdin closes, so it never outlives the process that started it.

use std::io::{self, BufRead, Write};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use rand::rngs::StdRng;
use rand::SeedableRng;
use safe_wan_link::{ipv4_destination, Cidr, DelayLine, Fate, Impairment, Routes, Stats};
use serde::Serialize;
use tun_rs::{DeviceBuilder, SyncDevice};

/// A user-space emulated WAN: forwards IPv4 packets between TUN devices, each held for a delay
/// and dropped, duplicated or reordered at random, like netem.
#[derive(Debug, Parser)]
#[command(name = "safe-wan-link", version)]
struct Args {
    /// A TUN device to create and the IPv4 network reached through it. At least two.
    #[arg(long = "link", value_name = "NAME=CIDR", required = true, num_args = 1)]
    links: Vec<LinkArg>,

    /// One-way delay of every packet, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20)]
    delay_ms: u64,

    /// Probability that a packet is dropped.
    #[arg(long, value_name = "P", default_value_t = 0.01)]
    loss: f64,

    /// Probability that a packet is delivered twice.
    #[arg(long, value_name = "P", default_value_t = 0.01)]
    duplicate: f64,

    /// Probability that a packet skips the delay, overtaking those held (netem's `reorder`).
    #[arg(long, value_name = "P", default_value_t = 0.01)]
    reorder: f64,

    /// Packets held at most (netem's `limit`); more are dropped and counted as overflow.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    limit: usize,

    /// Seed of the random choices (each link's reader adds its index); default from the clock.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

#[derive(Debug, Clone)]
struct LinkArg {
    name: String,
    network: Cidr,
}

impl FromStr for LinkArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, network) = s.split_once('=').ok_or_else(|| format!("{s:?} is not NAME=CIDR"))?;
        if name.is_empty() || name.len() > 15 {
            return Err(format!("device name {name:?} must have 1 to 15 characters"));
        }
        Ok(Self { name: name.to_owned(), network: network.parse()? })
    }
}

#[derive(Serialize)]
struct Ready<'a> {
    event: &'static str,
    links: Vec<ReadyLink<'a>>,
}

#[derive(Serialize)]
struct ReadyLink<'a> {
    name: &'a str,
    network: String,
}

/// A packet held, and the link it leaves on.
type Packet = (usize, Vec<u8>);

/// What the threads share.
struct Shared {
    devices: Vec<SyncDevice>,
    routes: Routes,
    impairment: Impairment,
    line: Mutex<DelayLine<Packet>>,
    wake: Condvar,
    stats: Stats,
}

impl Shared {
    fn line(&self) -> MutexGuard<'_, DelayLine<Packet>> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.links.len() < 2 {
        anyhow::bail!("a link needs two ends: give --link at least twice");
    }
    let impairment = Impairment::new(
        Duration::from_millis(args.delay_ms),
        args.loss,
        args.duplicate,
        args.reorder,
    )
    .map_err(anyhow::Error::msg)?;
    let mut devices = Vec::with_capacity(args.links.len());
    for link in &args.links {
        let device = DeviceBuilder::new()
            .name(&link.name)
            .build_sync()
            .with_context(|| format!("creating the TUN device {}", link.name))?;
        devices.push(device);
    }
    let shared = Arc::new(Shared {
        devices,
        routes: Routes::new(args.links.iter().map(|l| l.network).collect()),
        impairment,
        line: Mutex::new(DelayLine::new(args.limit)),
        wake: Condvar::new(),
        stats: Stats::default(),
    });
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    for index in 0..args.links.len() {
        let shared = Arc::clone(&shared);
        let name = args.links[index].name.clone();
        thread::Builder::new().name(format!("read {name}")).spawn(move || {
            if let Err(e) = read_link(&shared, index, seed.wrapping_add(index as u64)) {
                eprintln!("safe-wan-link: reading {name}: {e}");
            }
        })?;
    }
    {
        let shared = Arc::clone(&shared);
        thread::Builder::new().name("deliver".into()).spawn(move || deliver(&shared))?;
    }

    let ready = Ready {
        event: "ready",
        links: args
            .links
            .iter()
            .map(|l| ReadyLink { name: &l.name, network: l.network.to_string() })
            .collect(),
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(&ready)?)?;
    out.flush()?;
    for line in io::stdin().lock().lines() {
        if line?.trim() == "stats" {
            writeln!(out, "{}", serde_json::to_string(&shared.stats.snapshot())?)?;
            out.flush()?;
        }
    }
    // Stdin closed: the caller is done (or gone). The devices go with the process.
    Ok(())
}

/// Reads packets from link `index` and hands them to the delay line, each with its fate.
fn read_link(shared: &Shared, index: usize, seed: u64) -> io::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut buf = vec![0u8; 65_536];
    let device = &shared.devices[index];
    loop {
        let n = device.recv(&mut buf)?;
        Stats::count(&shared.stats.received);
        let packet = &buf[..n];
        let Some(out) = ipv4_destination(packet).and_then(|d| shared.routes.lookup(d, index))
        else {
            Stats::count(&shared.stats.unroutable);
            continue;
        };
        let Fate::Deliver { after, copies, reordered } = shared.impairment.decide(&mut rng) else {
            Stats::count(&shared.stats.lost);
            continue;
        };
        if copies > 1 {
            Stats::count(&shared.stats.duplicated);
        }
        if reordered {
            Stats::count(&shared.stats.reordered);
        }
        let at = Instant::now() + after;
        let mut line = shared.line();
        for _ in 0..copies {
            if !line.push(at, (out, packet.to_vec())) {
                Stats::count(&shared.stats.overflow);
            }
        }
        drop(line);
        shared.wake.notify_one();
    }
}

/// Writes each held packet to its link when it is due.
fn deliver(shared: &Shared) {
    let mut line = shared.line();
    loop {
        let now = Instant::now();
        let due: Vec<Packet> = std::iter::from_fn(|| line.pop_due(now)).collect();
        if !due.is_empty() {
            drop(line);
            for (out, packet) in due {
                match shared.devices[out].send(&packet) {
                    Ok(_) => Stats::count(&shared.stats.delivered),
                    Err(_) => Stats::count(&shared.stats.send_errors),
                }
            }
            line = shared.line();
            continue;
        }
        line = match line.next_due() {
            None => shared.wake.wait(line).unwrap_or_else(PoisonError::into_inner),
            Some(at) => {
                shared
                    .wake
                    .wait_timeout(line, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}
