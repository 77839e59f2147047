//! The real `safe-node` binary: it announces itself with one JSON line, serves a pinned client,
//! exits with status 0 on SIGTERM, forms a network with other processes, rejoins after being
//! killed, and after a restart resets its peers' stale connections at once.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use safe_node::{StatusFile, STATUS_FILE};
use safe_types::wire::{Request, Response};
use safe_types::{node_id, Chunk, XorName};

/// How long the binary may take to start or to stop, or a network to settle, on a busy machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// Kills the child if the test fails before it exited, so no node outlives the test.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn safe_node() -> Command {
    Command::new(env!("CARGO_BIN_EXE_safe-node"))
}

/// A `safe-node` process, with its stdout read by a thread and its stderr in a log file.
struct Running {
    child: Reaper,
    /// First the ready line, then (once the process exits) whatever else it printed.
    stdout: mpsc::Receiver<String>,
    log_path: PathBuf,
}

impl Running {
    /// Starts `safe-node --root <root> <args>`, logging to `<logs>/<name>.log`.
    fn start(root: &Path, logs: &Path, name: &str, args: &[&str]) -> Self {
        let log_path = logs.join(format!("{name}.log"));
        let log =
            fs::OpenOptions::new().create(true).append(true).open(&log_path).expect("log file");
        let child = safe_node()
            .args(["--root".as_ref(), root.as_os_str()])
            .args(args)
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("binary starts");
        let mut child = Reaper(child);
        let stdout = child.0.stdout.take().expect("piped stdout");
        // The thread turns blocking reads into messages that can be awaited with a deadline.
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = lines.send(line);
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            let _ = lines.send(rest);
        });
        Self { child, stdout: received, log_path }
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The ready line, without its line end.
    fn ready_line(&self) -> String {
        let line = self
            .stdout
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no ready line; stderr:\n{}", self.stderr()));
        line.strip_suffix('\n')
            .unwrap_or_else(|| panic!("no whole line; stderr:\n{}", self.stderr()))
            .to_owned()
    }

    /// The ready line's id and address.
    fn ready(&self) -> (XorName, SocketAddr) {
        let record: serde_json::Value = serde_json::from_str(&self.ready_line()).expect("JSON");
        let id = record["id"].as_str().expect("id");
        let id = XorName(hex::decode(id).expect("hex").try_into().expect("32 bytes"));
        let addr = record["addr"].as_str().expect("addr").parse().expect("addr");
        (id, addr)
    }

    /// Sends `signal` and checks the process then exits with status 0, having printed nothing
    /// more.
    fn stop_with(mut self, signal: Signal) {
        let pid = Pid::from_raw(i32::try_from(self.child.0.id()).expect("pid fits"));
        kill(pid, signal).expect("signal sent");
        // stdout reaches its end when the process exits.
        let rest = self
            .stdout
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no exit after {signal}; stderr:\n{}", self.stderr()));
        assert_eq!(rest, "", "exactly one line is printed to stdout");
        let status = self.child.0.wait().expect("exit status");
        assert_eq!(status.code(), Some(0), "stderr:\n{}", self.stderr());
    }

    /// Kills the process outright (SIGKILL), as a crash would.
    fn crash(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }
}

/// Polls `<root>/status.json` until `check` accepts it.
fn wait_for_status(root: &Path, what: &str, check: impl Fn(&StatusFile) -> bool) -> StatusFile {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = fs::read(root.join(STATUS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<StatusFile>(&bytes).ok());
        if let Some(status) = status.filter(|s| check(s)) {
            return status;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {}: {what}", root.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn binary_announces_serves_and_stops_on_sigterm() {
    let root = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let node = Running::start(root.path(), logs.path(), "node", &["--listen", "127.0.0.1:0"]);
    let line = node.ready_line();
    let record: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
    let id = record["id"].as_str().expect("id");
    let public_key = record["public_key"].as_str().expect("public key");
    let addr: SocketAddr = record["addr"].as_str().expect("addr").parse().expect("addr");
    assert_eq!(
        line,
        format!(
            r#"{{"event":"listening","id":"{id}","addr":"{addr}","public_key":"{public_key}"}}"#
        )
    );
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let key: [u8; 32] = hex::decode(public_key).expect("hex").try_into().expect("32 bytes");
    let id = XorName(hex::decode(id).expect("hex").try_into().expect("32 bytes"));
    assert_eq!(node_id(&key), id);
    assert_eq!(
        fs::read_to_string(root.path().join(safe_node::READY_FILE)).expect("node.json"),
        format!("{line}\n")
    );

    // The node it announced is really there, with that id.
    runtime().block_on(common::within(async {
        let endpoint = common::client_endpoint();
        let connection = common::connect(&endpoint, addr, id).await.expect("pinned handshake");
        let content = Bytes::from_static(b"served by the binary");
        let address = Chunk::new(content.clone()).expect("chunk").address();
        let put = Request::PutChunk { content: content.clone() };
        assert_eq!(common::request(&connection, &put).await, Response::Stored { address });
        let fetched = common::request(&connection, &Request::GetChunk { address }).await;
        assert_eq!(fetched, Response::Chunk { content });
        connection.close(0u32.into(), b"done");
        endpoint.wait_idle().await;
    }));
    let status = wait_for_status(root.path(), "one chunk", |s| s.chunks == 1);
    assert_eq!((status.members, status.addr), (1, addr));
    assert_eq!(status.pid, node.child.0.id());

    node.stop_with(Signal::SIGTERM);
}

#[test]
fn binary_stops_on_sigint() {
    let root = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let node = Running::start(root.path(), logs.path(), "node", &[]);
    let line = node.ready_line();
    assert!(line.starts_with(r#"{"event":"listening","#), "{line}");
    node.stop_with(Signal::SIGINT);
}

#[test]
fn processes_form_a_network_and_a_killed_node_rejoins() {
    let logs = tempfile::tempdir().expect("temp dir");
    let roots: Vec<tempfile::TempDir> =
        (0..3).map(|_| tempfile::tempdir().expect("temp dir")).collect();
    let timings = ["--gossip-interval-ms", "100", "--failure-timeout-ms", "2000"];
    let genesis_args = [&["--replicas", "2", "--faucet"][..], &timings[..]].concat();
    let genesis = Running::start(roots[0].path(), logs.path(), "genesis", &genesis_args);
    let (genesis_id, genesis_addr) = genesis.ready();
    let contact = format!("{}@{genesis_addr}", hex::encode(genesis_id.0));
    let join_args = [&["--bootstrap", contact.as_str()][..], &timings[..]].concat();
    let joiners: Vec<Running> = (1..3)
        .map(|i| Running::start(roots[i].path(), logs.path(), &format!("joiner-{i}"), &join_args))
        .collect();
    let joined: Vec<(XorName, SocketAddr)> = joiners.iter().map(Running::ready).collect();
    for root in &roots {
        wait_for_status(root.path(), "3 members", |s| s.members == 3);
    }
    // The joiners adopted the genesis node's settings.
    runtime().block_on(common::within(async {
        let endpoint = common::client_endpoint();
        let (id, addr) = joined[0];
        let connection = common::connect(&endpoint, addr, id).await.expect("handshake");
        match common::request(&connection, &Request::NetworkMap).await {
            Response::NetworkMap(map) => {
                assert_eq!(map.replication_factor, 2);
                assert_eq!(map.nodes.len(), 3);
            }
            other => panic!("expected a network map, got {other:?}"),
        }
    }));

    // Killed: the others mark it as gone.
    let mut joiners = joiners.into_iter();
    let victim = joiners.next().expect("joiner");
    victim.crash();
    for root in [&roots[0], &roots[2]] {
        wait_for_status(root.path(), "2 members", |s| s.members == 2);
    }
    // Restarted on its root and address, without --bootstrap: it rejoins through the members
    // it knew, with the same id.
    let (victim_id, victim_addr) = joined[0];
    let listen = victim_addr.to_string();
    let restart_args = [&["--listen", listen.as_str()][..], &timings[..]].concat();
    let back = Running::start(roots[1].path(), logs.path(), "restarted", &restart_args);
    assert_eq!(back.ready(), (victim_id, victim_addr));
    for root in &roots {
        wait_for_status(root.path(), "3 members again", |s| s.members == 3);
    }
    back.stop_with(Signal::SIGTERM);
    for node in joiners {
        node.stop_with(Signal::SIGTERM);
    }
    genesis.stop_with(Signal::SIGTERM);
}

#[test]
fn a_paused_node_is_taken_for_gone_and_comes_back_without_accusing_the_others() {
    let logs = tempfile::tempdir().expect("temp dir");
    let roots: Vec<tempfile::TempDir> =
        (0..3).map(|_| tempfile::tempdir().expect("temp dir")).collect();
    let timings = ["--gossip-interval-ms", "100", "--failure-timeout-ms", "2000"];
    let genesis = Running::start(roots[0].path(), logs.path(), "genesis", &timings);
    let (genesis_id, genesis_addr) = genesis.ready();
    let contact = format!("{}@{genesis_addr}", hex::encode(genesis_id.0));
    let join_args = [&["--bootstrap", contact.as_str()][..], &timings[..]].concat();
    let first = Running::start(roots[1].path(), logs.path(), "first", &join_args);
    first.ready();
    let paused = Running::start(roots[2].path(), logs.path(), "paused", &join_args);
    paused.ready();
    for root in &roots {
        wait_for_status(root.path(), "3 members", |s| s.members == 3);
    }
    let pid = Pid::from_raw(i32::try_from(paused.child.0.id()).expect("pid fits"));
    kill(pid, Signal::SIGSTOP).expect("paused");
    for root in &roots[..2] {
        wait_for_status(root.path(), "the paused node is gone", |s| s.members == 2);
    }
    kill(pid, Signal::SIGCONT).expect("resumed");
    for root in &roots {
        wait_for_status(root.path(), "3 members again", |s| s.members == 3);
    }
    // Its long silence was its own: it marked nobody as gone.
    assert!(
        !paused.stderr().contains("marked as gone"),
        "the resumed node accused its peers:\n{}",
        paused.stderr()
    );
    for node in [paused, first, genesis] {
        node.stop_with(Signal::SIGTERM);
    }
}

#[test]
fn a_restarted_node_resets_stale_connections_at_once() {
    let root = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let first = Running::start(root.path(), logs.path(), "first", &[]);
    let (id, addr) = first.ready();
    let runtime = runtime();
    let endpoint = runtime.block_on(async { common::client_endpoint() });
    let connection = runtime.block_on(common::within(async {
        let connection = common::connect(&endpoint, addr, id).await.expect("handshake");
        assert!(matches!(
            common::request(&connection, &Request::Status).await,
            Response::Status(_)
        ));
        connection
    }));
    // Gone without a word to the client; back on the same root and address.
    first.crash();
    let listen = addr.to_string();
    let second = Running::start(root.path(), logs.path(), "second", &["--listen", listen.as_str()]);
    assert_eq!(second.ready(), (id, addr));
    runtime.block_on(common::within(async {
        let started = Instant::now();
        // The old connection is told it is gone (a stateless reset with the token the node's
        // key derives), long before the 30 s idle timeout would have ended it.
        let error = async {
            let (mut send, mut recv) = connection.open_bi().await?;
            let frame = safe_types::wire::encode(&Request::Status).expect("encodes");
            send.write_all(&frame).await?;
            send.finish()?;
            recv.read_to_end(safe_types::wire::MAX_FRAME).await?;
            anyhow::Ok(())
        };
        assert!(error.await.is_err(), "the stale connection cannot carry requests");
        assert!(
            matches!(connection.close_reason(), Some(quinn::ConnectionError::Reset)),
            "closed by a stateless reset, got {:?}",
            connection.close_reason()
        );
        assert!(started.elapsed() < Duration::from_secs(10), "reset took {:?}", started.elapsed());
        // A new connection works.
        let fresh = common::connect(&endpoint, addr, id).await.expect("handshake");
        assert!(matches!(common::request(&fresh, &Request::Status).await, Response::Status(_)));
    }));
    second.stop_with(Signal::SIGTERM);
}

#[test]
fn help_describes_the_options() {
    let output = safe_node().arg("--help").output().expect("binary runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for option in [
        "--root",
        "--listen",
        "--replicas",
        "--faucet",
        "--bootstrap",
        "--gossip-interval-ms",
        "--failure-timeout-ms",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let root = tempfile::tempdir().expect("temp dir");
    for bad in [
        &["--replicas", "0"][..],
        &["--bootstrap", "not-a-contact"][..],
        &["--bootstrap", "abcd@127.0.0.1:1"][..],
        &["--gossip-interval-ms", "0"][..],
    ] {
        let output = safe_node()
            .args(["--root".as_ref(), root.path().as_os_str()])
            .args(bad)
            .output()
            .expect("binary runs");
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(output.stdout.is_empty(), "{bad:?}");
    }
}

#[test]
fn a_failure_timeout_not_above_the_gossip_interval_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let output = safe_node()
        .args(["--root".as_ref(), root.path().as_os_str()])
        .args(["--gossip-interval-ms", "1000", "--failure-timeout-ms", "500"])
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("failure timeout"));
}
