//! Fault injection for the hosts' tests, compiled only with the `faults` feature (never into
//! `pkg/safe_client.wasm`): a few `fetch` URLs that no real URL can be make this build
//! misbehave on purpose, so a host can prove it survives a component that does.
//!
//! - `safe://fault.trap`: the component traps (a wasm `unreachable`), as a bug would.
//! - `safe://fault.spin`: the call never returns (a loop with no exit), as a runaway guest
//!   would; a host that bounds each call's time (wasmtime's epoch interruption) ends it.
//! - `safe://fault.send/<ip>:<port>`: the component sends one datagram to that address through
//!   its first socket, as a component that tried to reach somewhere outside the network would,
//!   and fails the call with `not-found`.

use std::net::SocketAddr;

use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::datagram::{Datagram, UdpSocket};
use crate::convert;

/// Acts on a fault URL before the request reaches the core; other requests pass through.
pub(crate) fn inject(request: &wit::Request, sockets: &[UdpSocket]) -> Result<(), wit::Error> {
    let wit::Request::Fetch((url, _)) = request else { return Ok(()) };
    if url == "safe://fault.trap" {
        core::arch::wasm32::unreachable();
    }
    if url == "safe://fault.spin" {
        // black_box keeps the optimiser from reasoning about the loop: it really spins.
        let mut turns = 0u64;
        loop {
            turns = std::hint::black_box(turns.wrapping_add(1));
        }
    }
    let Some(target) = url.strip_prefix("safe://fault.send/") else { return Ok(()) };
    let fault = |message: String| wit::Error { code: wit::ErrorCode::NotFound, message };
    let addr: SocketAddr =
        target.parse().map_err(|_| fault(format!("fault injection: bad address {target}")))?;
    let socket = sockets.first().ok_or_else(|| fault("fault injection: no socket".into()))?;
    socket.send(&[Datagram {
        remote: convert::ip_socket_address(addr),
        data: b"a datagram the network map does not allow".to_vec(),
    }]);
    Err(fault(format!("fault injection: sent one datagram to {addr}")))
}
