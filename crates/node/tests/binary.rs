//! The real `safe-node` binary: it announces itself with one JSON line, serves a pinned client,
//! and exits with status 0 on SIGTERM.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use safe_types::wire::{Request, Response};
use safe_types::{node_id, Chunk, XorName};

/// How long the binary may take to start or to stop on a busy machine.
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

/// A `safe-node` process started on loopback port 0, with its stdout read by a thread.
struct Running {
    child: Reaper,
    /// First the ready line, then (once the process exits) whatever else it printed.
    stdout: mpsc::Receiver<String>,
    _root: tempfile::TempDir,
    root: PathBuf,
    _logs: tempfile::TempDir,
    log_path: PathBuf,
}

impl Running {
    fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let logs = tempfile::tempdir().expect("temp dir");
        let log_path = logs.path().join("stderr.log");
        let child = safe_node()
            .args(["--root".as_ref(), root.path().as_os_str()])
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log_path).expect("log file"))
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
        Self {
            child,
            stdout: received,
            root: root.path().to_owned(),
            _root: root,
            log_path,
            _logs: logs,
        }
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
        line.strip_suffix('\n').expect("a whole line").to_owned()
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
}

#[test]
fn binary_announces_serves_and_stops_on_sigterm() {
    let node = Running::start();
    let line = node.ready_line();
    let record: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
    let id = record["id"].as_str().expect("id");
    let public_key = record["public_key"].as_str().expect("public key");
    let addr: std::net::SocketAddr = record["addr"].as_str().expect("addr").parse().expect("addr");
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
        fs::read_to_string(node.root.join(safe_node::READY_FILE)).expect("node.json"),
        format!("{line}\n")
    );

    // The node it announced is really there, with that id.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    runtime.block_on(common::within(async {
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

    node.stop_with(Signal::SIGTERM);
}

#[test]
fn binary_stops_on_sigint() {
    let node = Running::start();
    let line = node.ready_line();
    assert!(line.starts_with(r#"{"event":"listening","#), "{line}");
    node.stop_with(Signal::SIGINT);
}

#[test]
fn help_describes_the_options() {
    let output = safe_node().arg("--help").output().expect("binary runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for option in ["--root", "--listen", "--replicas"] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn zero_replicas_is_a_usage_error() {
    let root = tempfile::tempdir().expect("temp dir");
    let output = safe_node()
        .args(["--root".as_ref(), root.path().as_os_str()])
        .args(["--replicas", "0"])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}
