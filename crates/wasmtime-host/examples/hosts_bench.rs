//! The Rust side of `npm run bench hosts` (`bench/hosts.mjs`): on a running network, the same
//! work the Node side does: one `Safe` started and connected; one local file stored and read
//! back (bytes checked); 64 pieces of 1 MiB stored and read 8 at a time (bytes checked); then
//! 1 KiB reads one at a time; then, that `Safe` closed, a second one started and connected in
//! the same process. Prints the figures as one JSON line. `--native` for the native
//! core, else the component in wasmtime.
//!
//! `--start-only` starts one `Safe` and stops: the bench runs it first, so that the compiled
//! component is in the cache (engine/cache.rs) and "start" measures a warm start.
//!
//! Usage: hosts_bench [--native] [--component PATH] [--start-only] --bootstrap CONTACT --file PATH [--reads N]

use std::time::Instant;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use safe_wasmtime::{Backend, Options, Safe, SafeError};

/// How many stores or reads of the 1 MiB pieces run at once (as in bench/hosts.mjs).
const CONCURRENCY: usize = 8;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// `n` bytes that differ for each `seed` (not the Node side's bytes: the bench compares times).
fn pseudo_random(n: usize, seed: u64) -> Bytes {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), SafeError> {
    let args: Vec<String> = std::env::args().collect();
    let backend = if args.iter().any(|a| a == "--native") {
        Backend::Native
    } else {
        Backend::Wasm(
            arg(&args, "--component").unwrap_or_else(|| "pkg/safe_client.wasm".into()).into(),
        )
    };
    if args.iter().any(|a| a == "--start-only") {
        Safe::new(Options::new(backend)).await?.close().await;
        return Ok(());
    }
    let bootstrap: Vec<String> = arg(&args, "--bootstrap").into_iter().collect();
    let Some(file) = arg(&args, "--file") else {
        eprintln!("usage: hosts_bench [--native] [--component PATH] [--start-only] --bootstrap CONTACT --file PATH [--reads N]");
        std::process::exit(2);
    };
    let reads: usize = arg(&args, "--reads").and_then(|n| n.parse().ok()).unwrap_or(200);
    let failed =
        |what: &str| SafeError::new(safe_wasmtime::ErrorCode::Internal, format!("bench: {what}"));

    let mut options = Options::new(backend);
    options.timeout = std::time::Duration::from_secs(600);
    let again = options.clone();
    let t = Instant::now();
    let safe = Safe::new(options).await?;
    safe.connect(&bootstrap).await?;
    let start_ms = ms(t);

    let t = Instant::now();
    let url = safe.store_file(&file, None).await?;
    let put_ms = ms(t);
    let t = Instant::now();
    let back = safe.files_get(&url, None).await?;
    let get_ms = ms(t);
    let original = std::fs::read(&file).map_err(|e| failed(&format!("read {file}: {e}")))?;
    if back[..] != original[..] {
        return Err(failed("the file read back differs"));
    }

    let pieces: Vec<Bytes> = (0..64).map(|i| pseudo_random(1 << 20, i)).collect();
    let t = Instant::now();
    let urls: Vec<String> = stream::iter(pieces.iter().map(|p| safe.store_bytes(p.clone(), None)))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let put_pieces_ms = ms(t);
    let t = Instant::now();
    let backs: Vec<Bytes> = stream::iter(urls.iter().map(|u| safe.files_get(u, None)))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let get_pieces_ms = ms(t);
    if backs != pieces {
        return Err(failed("a 1 MiB piece read back differs"));
    }

    let mut small = Vec::new();
    for i in 0..20 {
        small.push(safe.store_bytes(pseudo_random(1024, 1000 + i), None).await?);
    }
    let mut samples = Vec::with_capacity(reads);
    for i in 0..reads {
        let t = Instant::now();
        safe.files_get(&small[i % small.len()], None).await?;
        samples.push(ms(t));
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((q * samples.len() as f64) as usize).min(samples.len() - 1)];
    safe.close().await;

    // What a long-running program pays for each `Safe` after its first.
    let t = Instant::now();
    let safe = Safe::new(again).await?;
    safe.connect(&bootstrap).await?;
    let restart_ms = ms(t);
    safe.close().await;
    println!(
        "{}",
        serde_json::json!({
            "startMs": start_ms, "restartMs": restart_ms, "putMs": put_ms, "getMs": get_ms,
            "putPiecesMs": put_pieces_ms, "getPiecesMs": get_pieces_ms,
            "readP50": at(0.5), "readP99": at(0.99), "reads": reads,
        })
    );
    Ok(())
}
