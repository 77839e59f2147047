//! The host's types behind the two resources the component imports, as `bindgen!` maps them
//! (`bindings.rs`); the wasm engine (`engine/wasm.rs`) implements their methods. A leaf module,
//! so the bindings, the conversions and the engine all depend on it and not on each other.

use std::net::SocketAddr;
use std::sync::Arc;

use safe_client::Source;
use tokio::net::UdpSocket;

// `pub` though the module is private: bindgen! re-exports the types it maps resources to from
// its generated (public) modules, which needs them public.

/// A socket lent to the component (the `udp-socket` resource).
#[allow(unreachable_pub)]
pub struct HostSocket {
    pub(crate) socket: Arc<UdpSocket>,
    pub(crate) local: SocketAddr,
}

/// Bytes the component pulls (the `byte-source` resource).
#[allow(unreachable_pub)]
pub struct HostSource(pub(crate) Source);
