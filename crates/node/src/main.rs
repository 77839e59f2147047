//! `safe-node`: runs one Safe Network node until SIGTERM or SIGINT (or, with
//! `--stop-with-stdin`, until its standard input ends).
//!
//! Logs go to stderr (`RUST_LOG` filters them, default `info`). Once the node is a member of its
//! network, one JSON line is printed to stdout (see [`safe_node::ReadyRecord`]) so a launcher can
//! learn its id and port.

use std::io::{self, IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use safe_node::{Contact, Fault, Node, NodeConfig};
use safe_types::DEFAULT_REPLICATION_FACTOR;
use tracing_subscriber::EnvFilter;

/// A Safe Network node for local test networks: stores chunks, registers and test-coin accounts
/// and serves them over QUIC.
///
/// Without --bootstrap, a node whose root holds no membership starts a new network (genesis),
/// with --replicas and --faucet as its settings; with --bootstrap it joins an existing network and
/// adopts its settings. A node restarted on a root that holds a membership rejoins through the
/// members it knew.
///
/// When the node is ready (a member of its network) it prints one line of JSON to stdout:
/// {"event":"listening","id":"<64 hex>","addr":"<ip:port>","public_key":"<64 hex>"}
/// and writes the same to <ROOT>/node.json. It keeps <ROOT>/status.json current and stops
/// cleanly on SIGTERM or SIGINT, or with --stop-with-stdin when its standard input ends.
#[derive(Debug, Parser)]
#[command(name = "safe-node", version)]
struct Args {
    /// Directory holding the node's key and data; created if missing.
    #[arg(long, value_name = "DIR")]
    root: PathBuf,

    /// UDP address to listen on; port 0 lets the system pick a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// How many nodes hold each item (genesis node only; a joining node adopts the network's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..))]
    replicas: Option<u8>,

    /// Let clients mint test coins (genesis node only; a joining node adopts the network's).
    #[arg(long)]
    faucet: bool,

    /// A node of the network to join: IP:PORT, or <64 hex node id>@IP:PORT. May be repeated.
    #[arg(long, value_name = "CONTACT")]
    bootstrap: Vec<Contact>,

    /// Milliseconds between two gossip rounds.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    gossip_interval_ms: u64,

    /// Milliseconds without news from a peer after which it is marked as gone.
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..))]
    failure_timeout_ms: u64,

    /// Misbehave on purpose, to test clients against a faulty node. May be repeated.
    #[arg(long, value_name = "FAULT", value_enum)]
    fault: Vec<Fault>,

    /// Also stop cleanly when standard input ends: a launcher gives its nodes a pipe it never
    /// writes to, so that they stop when it exits, however it exits (even killed).
    #[arg(long)]
    stop_with_stdin: bool,
}

impl Args {
    fn config(self) -> NodeConfig {
        if !self.bootstrap.is_empty() && (self.replicas.is_some() || self.faucet) {
            tracing::warn!(
                "--replicas and --faucet are ignored when joining: the network's settings apply"
            );
        }
        NodeConfig {
            replication_factor: self.replicas.unwrap_or(DEFAULT_REPLICATION_FACTOR),
            faucet: self.faucet,
            bootstrap: self.bootstrap,
            gossip_interval: Duration::from_millis(self.gossip_interval_ms),
            failure_timeout: Duration::from_millis(self.failure_timeout_ms),
            faults: self.fault,
            ..NodeConfig::new(self.root, self.listen)
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stop_with_stdin = args.stop_with_stdin;
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    // Installed before the ready line is printed, so a launcher may signal as soon as it reads it.
    let stop = stop_signal(stop_with_stdin).context("cannot install signal handlers")?;
    let mut stop = std::pin::pin!(stop);

    let node = tokio::select! {
        node = Node::start(args.config()) => node.context("cannot start node")?,
        signal = &mut stop => {
            tracing::info!(signal, "stopped before the node was ready");
            return Ok(());
        }
    };

    let announced = {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{}", node.ready_record().to_json()).and_then(|()| stdout.flush())
    };
    if let Err(e) = announced {
        node.shutdown().await;
        return Err(e).context("cannot write the ready line to stdout");
    }

    let signal = stop.await;
    tracing::info!(signal, "stopping");
    node.shutdown().await;
    Ok(())
}

/// Resolves with the signal's name when SIGTERM or SIGINT arrives, or (`with_stdin`) with
/// "stdin closed" when standard input ends.
fn stop_signal(with_stdin: bool) -> io::Result<impl std::future::Future<Output = &'static str>> {
    let stdin = with_stdin.then(stdin_closed);
    let stdin = async move {
        match stdin {
            // A dropped sender also means the reading thread is gone: stop all the same.
            Some(closed) => {
                let _ = closed.await;
            }
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
                () = stdin => "stdin closed",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            tokio::select! {
                // Nothing more can be done if waiting for Ctrl-C fails; stop as if it came.
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                () = stdin => "stdin closed",
            }
        })
    }
}

/// Completes when standard input ends (or fails), read to its end and discarded on a thread of
/// its own, since a read of stdin blocks.
fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (closed, on_closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut discard = [0u8; 512];
        loop {
            match stdin.read(&mut discard) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = closed.send(());
    });
    on_closed
}
