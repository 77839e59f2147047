//! The node's QUIC transport settings, shared by its server side and its connections to peers:
//! flow-control windows, idle timeout, path MTU discovery and stream limits. A leaf module, so
//! that [`crate::server`] and [`crate::peers`] both use it without using each other.

use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use quinn::{IdleTimeout, MtuDiscoveryConfig, ServerConfig, TransportConfig, VarInt};

/// Requests in flight on one connection (each is a bidirectional stream).
pub(crate) const MAX_STREAMS_PER_CONNECTION: u32 = 128;
/// A connection with no traffic for this long is closed; an idle peer reconnects when needed.
const IDLE_TIMEOUT_MS: u32 = 30_000;
/// Per-stream receive window: a whole maximal request frame fits, so a peer can send a full
/// frame without waiting for the node to read.
const STREAM_RECEIVE_WINDOW: u32 = 2 * 1024 * 1024 + 1024;
/// The largest UDP payload the node accepts.
pub(crate) const MAX_UDP_PAYLOAD: u16 = 65_527;
/// How large a datagram path MTU discovery may try. The node's socket forbids fragmentation, so
/// on a real path larger probes are lost and discovery settles on the path's MTU; on loopback it
/// reaches this, which cuts the number of datagrams (and of crossings into a wasm client) many
/// times over.
const MTU_DISCOVERY_UPPER_BOUND: u16 = 16_384;
/// Per-connection receive window: bounds the unread data a connection can park in the node.
const CONNECTION_RECEIVE_WINDOW: u32 = 8 * 1024 * 1024;
/// Per-connection send window: room for a few full responses in flight.
const SEND_WINDOW: u64 = 8 * 1024 * 1024;
/// The UDP receive buffer the node asks for. The kernel's default (about 208 KiB) holds a dozen
/// 16 KiB datagrams, fewer than a client sends in one burst; what overflows is lost and resent.
/// The kernel grants at most `net.core.rmem_max`.
pub(crate) const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

/// The QUIC server configuration: `crypto` plus the transport limits above.
pub(crate) fn server_config(crypto: QuicServerConfig) -> ServerConfig {
    let mut transport = base_transport();
    transport.max_concurrent_bidi_streams(VarInt::from_u32(MAX_STREAMS_PER_CONNECTION));
    let mut config = ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    config
}

/// The transport limits of the node's connections to other nodes: the same windows, and no
/// stream may be opened toward the node on them (it only asks, there).
pub(crate) fn outbound_transport() -> TransportConfig {
    let mut transport = base_transport();
    transport.max_concurrent_bidi_streams(VarInt::from_u32(0));
    transport
}

fn base_transport() -> TransportConfig {
    let mut transport = TransportConfig::default();
    let mut mtud = MtuDiscoveryConfig::default();
    mtud.upper_bound(MTU_DISCOVERY_UPPER_BOUND);
    transport.mtu_discovery_config(Some(mtud));
    // No segmentation offload (GSO). quinn batches up to 10 datagrams of the path MTU in one
    // send, and on loopback, where discovery reaches 16 KiB, such a batch is over the 64 KiB a
    // UDP send may carry: the kernel refuses it (EMSGSIZE) and quinn-udp drops it without a
    // word, taking that refusal for a lost MTU probe. The losses then look like an MTU black
    // hole, and the connection falls back to 1200-byte datagrams for a minute at a time: a
    // 64 MiB read reached the client as 56 000 datagrams instead of 4 200.
    transport.enable_segmentation_offload(false);
    transport
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .max_idle_timeout(Some(IdleTimeout::from(VarInt::from_u32(IDLE_TIMEOUT_MS))))
        .stream_receive_window(VarInt::from_u32(STREAM_RECEIVE_WINDOW))
        .receive_window(VarInt::from_u32(CONNECTION_RECEIVE_WINDOW))
        .send_window(SEND_WINDOW);
    transport
}
