//! What only the Rust host has: its lock (two reads on one `Safe` overlap, a writer waits for
//! them), its dry runner in both engines, and its wasm guards (a capped guest memory, a runaway guest interrupted, a trap that
//! ends one instance only). Against a real `safe-node` on loopback (`target/release/safe-node`,
//! built by `npm run build`), the real component (`pkg/safe_client.wasm`) and its
//! fault-injection build (`pkg/faults/`, built by `node scripts/build.mjs --tests`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use safe_wasmtime::{
    Backend, ChunkKind, ErrorCode, Operation, Options, Output, ReplicaState, Safe,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn component() -> PathBuf {
    repo().join("pkg").join("safe_client.wasm")
}

/// One genesis node in a temporary root; killed when dropped.
struct Node {
    child: Child,
    addr: String,
    _root: tempfile::TempDir,
}

impl Node {
    fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(repo().join("target").join("release").join("safe-node"))
            .args([
                "--root",
                root.path().to_str().expect("utf-8 path"),
                "--listen",
                "127.0.0.1:0",
                "--replicas",
                "1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("safe-node runs (build it with `npm run build`)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("listening line");
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
        let addr = event["addr"].as_str().expect("addr").to_owned();
        Self { child, addr, _root: root }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn noise(n: usize) -> Vec<u8> {
    // A xorshift stream: content that does not compress, so every chunk is full size.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ n as u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reads_on_one_safe_overlap_and_a_writer_waits_for_them() {
    let node = Node::start();
    for backend in [Backend::Native, Backend::Wasm(component())] {
        let safe = Arc::new(Safe::new(Options::new(backend.clone())).await.expect("safe"));
        safe.connect(std::slice::from_ref(&node.addr)).await.expect("connect");
        let data = noise(6 * 1024 * 1024);
        let url = safe.store_bytes(data.clone(), None).await.expect("store");

        // Each read notes its end itself, as soon as it returns (and its read lock is gone).
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let reads: Vec<_> = (0..2)
            .map(|_| {
                let (safe, url, order) = (safe.clone(), url.clone(), order.clone());
                tokio::spawn(async move {
                    let r = safe.files_get(&url, None).await;
                    order.lock().expect("lock").push("read");
                    r
                })
            })
            .collect();
        // Both reads are in the driver at the same time: observed, not timed.
        let mut seen = 0;
        for _ in 0..60_000 {
            seen = seen.max(safe.running_operations());
            if seen == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(seen, 2, "{backend:?}: two reads never ran together");

        // A writer that arrives now waits until both reads are done.
        let writer = {
            let (safe, order, addr) = (safe.clone(), order.clone(), node.addr.clone());
            tokio::spawn(async move {
                let r = safe.connect(&[addr]).await;
                order.lock().expect("lock").push("connect");
                r
            })
        };
        for read in reads {
            let bytes = read.await.expect("task").expect("read");
            assert!(bytes[..] == data[..], "{backend:?}: read the wrong bytes");
        }
        writer.await.expect("task").expect("connect again");
        assert_eq!(*order.lock().expect("lock"), ["read", "read", "connect"], "{backend:?}");
        safe.close().await;
        let after = safe.fetch(&url, None).await.expect_err("closed");
        assert_eq!(after.code(), ErrorCode::Closed);
    }
}

#[tokio::test]
async fn run_reaches_any_operation_in_both_engines() {
    let node = Node::start();
    for (i, backend) in [Backend::Native, Backend::Wasm(component())].into_iter().enumerate() {
        let safe = Safe::new(Options::new(backend.clone())).await.expect("safe");
        // A Connect through run is recorded as connect() records it.
        let contact = safe_wasmtime::parse_contact(&node.addr).expect("contact");
        match safe.run(Operation::Connect(vec![contact])).await.expect("connect") {
            Output::Connected(info) => assert_eq!(info.nodes, 1),
            other => panic!("{backend:?}: connect gave {other:?}"),
        }
        assert!(safe.is_connected(), "{backend:?}");
        assert_eq!(safe.network().map(|n| n.nodes), Some(1));
        // An operation without a method of its own.
        let file = safe.store_bytes(&b"run"[..], None).await.expect("store");
        let top = format!("run{i}");
        safe.nrs_add(&format!("www.{top}"), &file).await.expect("nrs add");
        let (_, map) = safe.nrs_get(&top, None).await.expect("nrs get");
        match safe.run(Operation::NrsGetSubnamesMap { name: top, version: None }).await {
            Ok(Output::NrsMap(got)) => assert_eq!(got, map, "{backend:?}"),
            other => panic!("{backend:?}: nrs_get_subnames_map gave {other:?}"),
        }
        // Three bytes are self-encrypted: the data map and three pieces, on the one node.
        let replicas = safe.check_replicas(&file).await.expect("check replicas");
        assert_eq!(replicas.xorurl, file, "{backend:?}");
        let kinds: Vec<ChunkKind> = replicas.chunks.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChunkKind::Root, ChunkKind::Piece, ChunkKind::Piece, ChunkKind::Piece]);
        for chunk in &replicas.chunks {
            let states: Vec<ReplicaState> = chunk.holders.iter().map(|h| h.state).collect();
            assert_eq!(states, [ReplicaState::Held], "{backend:?}");
            assert_eq!(chunk.holders[0].addr.to_string(), node.addr, "{backend:?}");
        }
        safe.close().await;
    }
}

#[tokio::test]
async fn a_dry_runner_gives_the_real_url_in_both_engines_and_stores_nothing() {
    let node = Node::start();
    let data = noise(2 * 1024 * 1024 + 3);
    let real = Safe::new(Options::new(Backend::Native)).await.expect("safe");
    real.connect(std::slice::from_ref(&node.addr)).await.expect("connect");
    let mut urls = Vec::new();
    for backend in [Backend::Native, Backend::Wasm(component())] {
        let dry = Safe::new(Options::dry_runner(backend.clone())).await.expect("dry runner");
        // Never connected: a dry store needs no network.
        let url = dry.store_bytes(data.clone(), Some("text/plain")).await.expect("dry store");
        let missing = real.files_get(&url, None).await.expect_err("nothing was stored");
        assert_eq!(missing.code(), ErrorCode::NotFound, "{backend:?}");
        dry.close().await;
        urls.push(url);
    }
    let url = real.store_bytes(data.clone(), Some("text/plain")).await.expect("store");
    assert_eq!(urls, [url.clone(), url.clone()], "native and wasm dry runs, then the real store");
    assert!(real.files_get(&url, None).await.expect("read")[..] == data[..]);
    real.close().await;
}

#[tokio::test]
async fn a_guest_past_its_memory_cap_traps_alone_and_its_calls_fail_with_internal() {
    let mut capped = Options::new(Backend::Wasm(component()));
    capped.max_memory = 16 * 1024 * 1024;
    let safe = Safe::new(capped).await.expect("a capped instance starts");
    // 64 MiB handed in at once must be copied into guest memory: past the cap, a trap.
    let err = safe.store_bytes(vec![7u8; 64 * 1024 * 1024], None).await.expect_err("over the cap");
    assert_eq!(err.code(), ErrorCode::Internal, "{err}");
    // That instance is gone for good ...
    let again = safe.store_bytes(&b"small"[..], None).await.expect_err("dead instance");
    assert_eq!(again.code(), ErrorCode::Internal);
    // ... and another in the same process is untouched.
    let other = Safe::new(Options::new(Backend::Wasm(component()))).await.expect("second instance");
    let keypair = other.new_keypair().await.expect("a healthy instance answers");
    assert_eq!(keypair.public_key.len(), 64);
    other.close().await;
}

#[tokio::test]
async fn a_runaway_guest_is_interrupted_and_only_its_instance_ends() {
    let faults = repo().join("pkg").join("faults").join("safe_client.wasm");
    assert!(
        faults.is_file(),
        "{} is missing: build it with `node scripts/build.mjs --tests`",
        faults.display()
    );
    let mut options = Options::new(Backend::Wasm(faults));
    // Short enough for a test, long enough that a busy machine never trips a healthy call.
    options.call_budget = Duration::from_secs(2);
    let safe = Safe::new(options).await.expect("the fault-injection build starts");
    // The guest loops forever inside `start`: only the epoch deadline can end that call.
    let err = safe.fetch("safe://fault.spin", None).await.expect_err("a call that never returns");
    assert_eq!(err.code(), ErrorCode::Internal, "{err}");
    assert!(err.message().contains("interrupt"), "{err}");
    // The instance is gone for good, as after any trap ...
    let again = safe.new_keypair().await.expect_err("dead instance");
    assert_eq!(again.code(), ErrorCode::Internal);
    // ... and another instance in the same process (and its epoch thread) answers.
    let other = Safe::new(Options::new(Backend::Wasm(component()))).await.expect("second instance");
    assert_eq!(other.new_keypair().await.expect("a healthy instance answers").public_key.len(), 64);
    other.close().await;
}

#[tokio::test]
async fn a_missing_component_is_a_clear_error() {
    let err = match Safe::new(Options::new(Backend::Wasm(PathBuf::from(
        "/nonexistent/safe_client.wasm",
    ))))
    .await
    {
        Ok(_) => panic!("no component there"),
        Err(e) => e,
    };
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.message().contains("npm run build"), "{err}");
}
