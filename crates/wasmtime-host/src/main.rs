//! `safe-wasmtime`: store and read files on a Safe network from the command line, running the
//! client component in wasmtime (or, with `--native`, the same core linked natively).
//!
//! Output is for scripts: `put` prints the XOR-URL, `get` writes the bytes, `fetch`/`inspect`
//! print JSON. Errors go to stderr as `<Code>: message` with exit code 1; usage errors exit 2.
//! `serve` offers the whole API to another program as JSON lines on stdin and stdout
//! (`serve.rs`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use safe_wasmtime::{json, Backend, ErrorCode, Options, Safe, SafeError};

mod serve;

/// Runs the Safe client component in wasmtime (or natively) against a Safe network.
///
/// The compiled component is kept in $SAFE_WASMTIME_CACHE (default: the user's cache directory,
/// safe-wasi/wasmtime), so only the first run after a build compiles it; set it empty for none.
#[derive(Parser)]
#[command(name = "safe-wasmtime", version)]
struct Cli {
    /// The client component (default: pkg/safe_client.wasm of the repository this binary was
    /// built in).
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,
    /// A node to bootstrap from, `host:port` or `<id hex>@host:port` (repeatable); without one,
    /// $SAFE_HOME/network_contacts/default.
    #[arg(long, value_name = "CONTACT")]
    bootstrap: Vec<String>,
    /// How long an operation may take, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Run safe-client linked natively instead of the component.
    #[arg(long)]
    native: bool,
    /// An address the component may send to besides the bootstrap contacts and the nodes of
    /// its network map (repeatable); datagrams to anywhere else are dropped and reported.
    #[arg(long, value_name = "IP:PORT")]
    allow: Vec<std::net::SocketAddr>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stores a local file as a public file; prints its XOR-URL.
    Put {
        /// The file to store.
        file: PathBuf,
        /// Its MIME type, e.g. text/html.
        #[arg(long, value_name = "TYPE")]
        media_type: Option<String>,
        /// Print the XOR-URL the file would have, storing nothing (no network is needed).
        #[arg(long)]
        dry_run: bool,
    },
    /// Writes a file's bytes (or a range of them) to stdout.
    Get {
        /// The file's safe:// URL.
        url: String,
        /// Bytes [START, END) of the file; END may be left out for the end of the file.
        #[arg(long, value_name = "START:END", value_parser = parse_range)]
        range: Option<(u64, Option<u64>)>,
    },
    /// Prints what the URL resolves to, as JSON (file data in base64).
    Fetch {
        /// A safe:// URL.
        url: String,
    },
    /// Prints every step of resolving the URL, as JSON (without file data).
    Inspect {
        /// A safe:// URL.
        url: String,
    },
    /// Answers API calls as JSON lines: one request per line on stdin
    /// ({"id":1,"method":"storeBytes","args":["aGk="]}), one answer per line on stdout
    /// ({"id":1,"ok":"safe://..."} or {"id":1,"error":{"code":"NotFound","message":"..."}}),
    /// several at once; bytes in base64. Not connected at the start: send "connect" (its
    /// default contacts are --bootstrap, else the contacts file). Exits at the end of stdin.
    Serve,
}

fn parse_range(s: &str) -> Result<(u64, Option<u64>), String> {
    let (start, end) = s.split_once(':').ok_or("write the range as START:END, e.g. 0:1024")?;
    let start =
        start.parse::<u64>().map_err(|_| format!("the range start '{start}' is not a number"))?;
    let end = if end.is_empty() {
        None
    } else {
        Some(end.parse::<u64>().map_err(|_| format!("the range end '{end}' is not a number"))?)
    };
    Ok((start, end))
}

/// `pkg/safe_client.wasm` in the nearest folder above this binary that has one.
fn default_component() -> PathBuf {
    let exe = std::env::current_exe().ok().and_then(|p| p.canonicalize().ok());
    let found = exe
        .as_deref()
        .into_iter()
        .flat_map(|p| p.ancestors())
        .map(|dir| dir.join("pkg").join("safe_client.wasm"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| PathBuf::from("pkg/safe_client.wasm"))
}

async fn run(cli: Cli) -> Result<(), SafeError> {
    let backend = if cli.native {
        Backend::Native
    } else {
        Backend::Wasm(cli.component.unwrap_or_else(default_component))
    };
    let dry_run = matches!(cli.command, Command::Put { dry_run: true, .. });
    let mut options = if dry_run { Options::dry_runner(backend) } else { Options::new(backend) };
    options.timeout = Duration::from_secs(cli.timeout);
    options.allow = cli.allow;
    if let Command::Serve = cli.command {
        return serve::serve(serve::Defaults { options, bootstrap: cli.bootstrap }).await;
    }
    let safe = Safe::new(options).await?;
    let result = async {
        if !dry_run {
            safe.connect(&cli.bootstrap).await?;
        }
        let mut out = std::io::stdout().lock();
        let io = |e: std::io::Error| {
            SafeError::new(ErrorCode::Internal, format!("cannot write to stdout: {e}"))
        };
        match cli.command {
            Command::Put { file, media_type, .. } => {
                let url = safe.store_file(&file, media_type.as_deref()).await?;
                writeln!(out, "{url}").map_err(io)?;
            }
            Command::Get { url, range } => {
                let bytes = safe.files_get(&url, range).await?;
                out.write_all(&bytes).map_err(io)?;
            }
            Command::Fetch { url } => {
                let data = safe.fetch(&url, None).await?;
                writeln!(out, "{}", json::safe_data(&data, true)).map_err(io)?;
            }
            Command::Inspect { url } => {
                let steps = safe.inspect(&url).await?;
                let steps: Vec<_> = steps.iter().map(|d| json::safe_data(d, false)).collect();
                writeln!(out, "{}", serde_json::Value::Array(steps)).map_err(io)?;
            }
            Command::Serve => {} // answered above, without connecting
        }
        out.flush().map_err(io)
    }
    .await;
    safe.close().await;
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2, --help and --version 0
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Internal: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {}", e.code(), e.message());
            ExitCode::FAILURE
        }
    }
}
