//! Bytes an operation reads on demand: a local file the host opened, or a buffer it holds.
//!
//! The client pulls from a source as it needs (a chunk at a time), so a large file is never
//! held whole on either side. Reads return promptly with what is asked for (less only at the
//! end); the host may read a local file synchronously to serve one.

use std::fmt;

use bytes::Bytes;

/// Something the client can read bytes from, front to back. `Send`, so that an operation can be
/// built on one thread and run on the thread that drives the client (the Rust host does this).
pub trait ByteSource: Send {
    /// The total size in bytes.
    fn size(&self) -> u64;

    /// The next bytes, at most `max` of them; fewer only at the end, none past it.
    fn read(&mut self, max: usize) -> Result<Bytes, String>;
}

/// A source handed to an operation.
pub struct Source(Box<dyn ByteSource + Send>);

impl Source {
    /// Wraps any [`ByteSource`].
    pub fn new(source: impl ByteSource + 'static) -> Self {
        Self(Box::new(source))
    }

    /// A source serving `bytes`.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self::new(BytesSource { bytes, offset: 0 })
    }

    /// The total size in bytes.
    pub fn size(&self) -> u64 {
        self.0.size()
    }

    /// The next bytes, at most `max` of them (see [`ByteSource::read`]).
    pub fn read(&mut self, max: usize) -> Result<Bytes, String> {
        self.0.read(max)
    }

    /// Reads everything left (for small sources).
    pub fn read_to_end(&mut self) -> Result<Bytes, String> {
        let mut out = Vec::with_capacity(usize::try_from(self.size()).unwrap_or(0));
        loop {
            let piece = self.read(1024 * 1024)?;
            if piece.is_empty() {
                return Ok(Bytes::from(out));
            }
            out.extend_from_slice(&piece);
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({} bytes)", self.size())
    }
}

struct BytesSource {
    bytes: Bytes,
    offset: usize,
}

impl ByteSource for BytesSource {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        let end = self.bytes.len().min(self.offset.saturating_add(max));
        let piece = self.bytes.slice(self.offset..end);
        self.offset = end;
        Ok(piece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bytes_source_serves_its_bytes_in_pieces_then_nothing() {
        let mut s = Source::from_bytes(Bytes::from_static(b"abcdefg"));
        assert_eq!(s.size(), 7);
        assert_eq!(&s.read(3).expect("read")[..], b"abc");
        assert_eq!(&s.read(10).expect("read")[..], b"defg");
        assert!(s.read(10).expect("read").is_empty());
        let mut again = Source::from_bytes(Bytes::from_static(b"xyz"));
        assert_eq!(&again.read_to_end().expect("read")[..], b"xyz");
    }
}
