//! The imported `byte-source` resource as a [`safe_client::ByteSource`] the core pulls from.

use bytes::Bytes;
use safe_client::ByteSource;

use crate::bindings::safe::client::source::ByteSource as HostSource;

/// A byte source the host lent for one operation.
pub(crate) struct WitSource(pub(crate) HostSource);

impl ByteSource for WitSource {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.0.read(max).map(Bytes::from)
    }
}
