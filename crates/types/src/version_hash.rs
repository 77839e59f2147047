//! Version hashes: the `?v=` of a `safe://` URL, which names one entry of a register.
//!
//! A version hash is a register [`EntryHash`] written as multibase base32z, as sn_api 0.66-0.82
//! writes it: `h` followed by the z-base-32 encoding (alphabet `ybndrfg8ejkmcpqxot1uwisza345h769`,
//! no padding) of the 32 bytes, 53 characters in all. Only that form is accepted, so each entry
//! has exactly one spelling and two URLs of the same version compare equal as strings.

use std::fmt;
use std::str::FromStr;

use multibase::Base;

use crate::register::EntryHash;

/// The version of a register's content a URL asks for: one entry of the register.
///
/// `VersionHash::from(EntryHash([0; 32]))` is written `h` followed by 52 `y` (z-base-32 of 32
/// zero bytes), and that string parses back to it. (No doctest: the crate's tests also run as
/// wasm, where doctests cannot be linked.)
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionHash(EntryHash);

/// Why a string is not a version hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionHashError {
    /// Not `h` followed by canonical z-base-32 (another multibase base, a character outside the
    /// alphabet, or non-zero bits after the last byte).
    #[error(
        "a version hash is written in base32z: 'h' then z-base-32 \
         (alphabet ybndrfg8ejkmcpqxot1uwisza345h769) of 32 bytes"
    )]
    Encoding,
    /// Well encoded, but not 32 bytes long.
    #[error("a version hash is 32 bytes, this one decodes to {0} bytes")]
    Length(usize),
}

impl VersionHash {
    /// The version that is the register entry `entry_hash`.
    pub const fn new(entry_hash: EntryHash) -> Self {
        Self(entry_hash)
    }

    /// The register entry this version names.
    pub const fn entry_hash(&self) -> EntryHash {
        self.0
    }
}

impl From<EntryHash> for VersionHash {
    fn from(entry_hash: EntryHash) -> Self {
        Self(entry_hash)
    }
}

impl From<VersionHash> for EntryHash {
    fn from(version: VersionHash) -> Self {
        version.0
    }
}

impl fmt::Display for VersionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&multibase::encode(Base::Base32Z, self.0 .0))
    }
}

impl fmt::Debug for VersionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VersionHash({self})")
    }
}

impl FromStr for VersionHash {
    type Err = VersionHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the 'h' prefix: a hash that decodes in another base is refused, not converted.
        if !s.starts_with('h') {
            return Err(VersionHashError::Encoding);
        }
        let (base, bytes) = multibase::decode(s).map_err(|_| VersionHashError::Encoding)?;
        if base != Base::Base32Z {
            return Err(VersionHashError::Encoding);
        }
        let hash: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| VersionHashError::Length(b.len()))?;
        Ok(Self(EntryHash(hash)))
    }
}

#[cfg(test)]
mod tests {
    //! Vectors worked out by hand: z-base-32 takes 5 bits per character, most significant first;
    //! 32 bytes are 256 bits, so 52 characters (260 bits) whose last 4 bits are zero padding.
    use super::*;

    #[test]
    fn writes_and_reads_base32z() {
        // 32 x 0x00: every group is 00000 -> index 0 -> 'y'.
        let zero = format!("h{}", "y".repeat(52));
        // 32 x 0xff: 51 groups 11111 -> index 31 -> '9'; the last has 1 bit and 4 padding
        // zeros, 10000 -> index 16 -> 'o'.
        let ones = format!("h{}o", "9".repeat(51));
        for (bytes, text) in [([0u8; 32], zero), ([0xff; 32], ones)] {
            let v = VersionHash::from(EntryHash(bytes));
            assert_eq!(v.to_string(), text);
            assert_eq!(text.parse::<VersionHash>(), Ok(v));
            assert_eq!(v.entry_hash(), EntryHash(bytes));
        }
        // The vector of sn_api's own version_hash tests round-trips too.
        let sn_api = "hqt1zg7dwci3ze7dfqp48e3muqt4gkh5wqt1zg7dwci3ze7dfqp4y";
        assert_eq!(sn_api.parse::<VersionHash>().expect("valid").to_string(), sn_api);
    }

    #[test]
    fn refuses_other_bases_and_lengths() {
        // base32 ('b') of 32 zero bytes: a valid multibase string, but not base32z.
        let b32 = format!("b{}", "a".repeat(52));
        assert_eq!(b32.parse::<VersionHash>(), Err(VersionHashError::Encoding));
        // 31 zero bytes: 248 bits -> 50 characters.
        let short = format!("h{}", "y".repeat(50));
        assert_eq!(short.parse::<VersionHash>(), Err(VersionHashError::Length(31)));
        // 33 zero bytes: 264 bits -> 53 characters.
        let long = format!("h{}", "y".repeat(53));
        assert_eq!(long.parse::<VersionHash>(), Err(VersionHashError::Length(33)));
        // Last character 'b' (index 1, 00001) leaves a non-zero padding bit: not canonical.
        let trailing = format!("h{}b", "y".repeat(51));
        assert_eq!(trailing.parse::<VersionHash>(), Err(VersionHashError::Encoding));
        for bad in ["", "h", "x", "hl", "H"] {
            assert!(bad.parse::<VersionHash>().is_err(), "{bad:?}");
        }
    }
}
