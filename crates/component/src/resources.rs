//! The component's side of the WIT resources the conversion (`convert.rs`, shared with the Rust
//! host) cannot name by itself: the imported `byte-source`, which the core pulls from as a
//! [`safe_client::ByteSource`]. The guest only ever receives sources; it never lends one.

use bytes::Bytes;
use safe_client::{ByteSource, Error, ErrorCode, Source};

use crate::bindings::safe::client::source::ByteSource as HostSource;

/// What a conversion needs besides the value: nothing, in the guest.
pub(crate) type Cx = ();

/// The WIT `byte-source` as wit-bindgen generates it for the guest.
pub(crate) type WitByteSource = HostSource;

/// A source the host lent, for the core to pull from.
pub(crate) fn borrow(source: WitByteSource, _: &mut Cx) -> Result<Source, Error> {
    Ok(Source::new(WitSource(source)))
}

/// The guest cannot lend the host a source of its own: no request the guest makes carries one.
pub(crate) fn lend(_: Source, _: &mut Cx) -> Result<WitByteSource, Error> {
    Err(Error::new(
        ErrorCode::Internal,
        "the component has no byte sources to lend: only a host lends them",
    ))
}

/// A byte source the host lent for one operation.
struct WitSource(HostSource);

impl ByteSource for WitSource {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.0.read(max).map(Bytes::from)
    }
}
