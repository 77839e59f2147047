//! The host's types behind the two resources the component imports, as `bindgen!` maps them
//! (`bindings.rs`); the wasm engine (`engine/wasm.rs`) implements their methods. Also the host's
//! side of the conversion (`convert.rs`, shared with the component): how a source is lent to the
//! guest through the store's resource table. A leaf module, so the bindings, the conversions
//! and the engine all depend on it and not on each other.

use std::net::SocketAddr;
use std::sync::Arc;

use safe_client::{Error, ErrorCode, Source};
use tokio::net::UdpSocket;
use wasmtime::component::{Resource, ResourceTable};

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

/// What a conversion needs besides the value: the store's resource table, to lend sources.
pub(crate) type Cx = ResourceTable;

/// The WIT `byte-source` as `bindgen!` generates it for the host.
pub(crate) type WitByteSource = Resource<HostSource>;

/// Puts a source in the table for the guest to read (and drop when it is done).
pub(crate) fn lend(source: Source, table: &mut Cx) -> Result<WitByteSource, Error> {
    table.push(HostSource(source)).map_err(|e| {
        Error::new(ErrorCode::Internal, format!("cannot lend a source to the component: {e}"))
    })
}

/// Takes a lent source back out of the table.
pub(crate) fn borrow(source: WitByteSource, table: &mut Cx) -> Result<Source, Error> {
    table.delete(source).map(|s| s.0).map_err(|e| {
        Error::new(ErrorCode::Internal, format!("the component named an unknown source: {e}"))
    })
}
