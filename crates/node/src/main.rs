//! `safe-node`: runs one Safe Network node until SIGTERM or SIGINT.
//!
//! Logs go to stderr (`RUST_LOG` filters them, default `info`). Once the node listens, one JSON
//! line is printed to stdout (see [`safe_node::ReadyRecord`]) so a launcher can learn its id and
//! port.

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use safe_node::{Node, NodeConfig};
use safe_types::DEFAULT_REPLICATION_FACTOR;
use tracing_subscriber::EnvFilter;

/// A Safe Network node for local test networks: stores chunks and serves them over QUIC.
///
/// When the node is ready it prints one line of JSON to stdout:
/// {"event":"listening","id":"<64 hex>","addr":"<ip:port>","public_key":"<64 hex>"}
/// and writes the same to <ROOT>/node.json. It stops cleanly on SIGTERM or SIGINT.
#[derive(Debug, Parser)]
#[command(name = "safe-node", version)]
struct Args {
    /// Directory holding the node's key and data; created if missing.
    #[arg(long, value_name = "DIR")]
    root: PathBuf,

    /// UDP address to listen on; port 0 lets the system pick a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// How many nodes hold each item, as announced in the network map.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REPLICATION_FACTOR,
          value_parser = clap::value_parser!(u8).range(1..))]
    replicas: u8,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    // Installed before the ready line is printed, so a launcher may signal as soon as it reads it.
    let stop = stop_signal().context("cannot install signal handlers")?;

    let config =
        NodeConfig { root: args.root, listen: args.listen, replication_factor: args.replicas };
    let node = Node::start(config).await.context("cannot start node")?;

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

/// Resolves with the signal's name when SIGTERM or SIGINT arrives.
fn stop_signal() -> io::Result<impl std::future::Future<Output = &'static str>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            // Nothing more can be done if waiting for Ctrl-C fails; stop as if it came.
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        })
    }
}
