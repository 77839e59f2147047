//! Ed25519 keys: who owns a register or an account, and the signatures that prove it.
//!
//! Everything signed is domain-separated: a fixed tag such as `safe:register-entry:v1` followed
//! by the postcard encoding of the signed value, so a signature made for one purpose can never
//! be passed off as one for another.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use xor_name::XorName;

pub use ed25519_dalek::Signature;

/// An ed25519 public key: an owner of registers and of an account.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Whether `signature` is this key's signature of `value` under `domain`.
    pub fn verify<T: Serialize>(&self, domain: &[u8], value: &T, signature: &Signature) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.0) else { return false };
        let Ok(message) = signed_message(domain, value) else { return false };
        key.verify_strict(&message, signature).is_ok()
    }

    /// The XorName of the key: the key's own 32 bytes (so a XOR-URL of it carries the key).
    pub fn xorname(&self) -> XorName {
        XorName(self.0)
    }

    /// The key as 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for PublicKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(parse_hex32(s, "public key")?))
    }
}

/// A key pair that signs: the secret half never leaves the client that made it.
#[derive(Clone)]
pub struct Keypair(SigningKey);

impl Keypair {
    /// The key pair of a 32-byte secret key (an ed25519 seed).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// Parses a secret key written as 64 hex characters.
    pub fn from_secret_hex(secret: &str) -> Result<Self, String> {
        Ok(Self::from_secret_bytes(&parse_hex32(secret, "secret key")?))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// The secret key's 32 bytes.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Signs `value` under `domain`.
    pub fn sign<T: Serialize>(&self, domain: &[u8], value: &T) -> Signature {
        // Encoding the plain data types signed here cannot fail; sign an empty body if it ever
        // did, which no verifier would accept for the real value.
        let message = signed_message(domain, value).unwrap_or_else(|_| domain.to_vec());
        self.0.sign(&message)
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({}, secret hidden)", self.public_key().to_hex())
    }
}

fn signed_message<T: Serialize>(domain: &[u8], value: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_extend(value, domain.to_vec())
}

fn parse_hex32(s: &str, what: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out)
        .map_err(|_| format!("a {what} is 64 hex characters, got '{s}'"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_bound_to_domain_value_and_key() {
        let alice = Keypair::from_secret_bytes(&[1; 32]);
        let bob = Keypair::from_secret_bytes(&[2; 32]);
        let sig = alice.sign(b"safe:test:v1", &42u64);
        assert!(alice.public_key().verify(b"safe:test:v1", &42u64, &sig));
        assert!(!alice.public_key().verify(b"safe:other:v1", &42u64, &sig));
        assert!(!alice.public_key().verify(b"safe:test:v1", &43u64, &sig));
        assert!(!bob.public_key().verify(b"safe:test:v1", &42u64, &sig));
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let kp = Keypair::from_secret_bytes(&[7; 32]);
        let again = Keypair::from_secret_hex(&hex::encode(kp.secret_bytes())).expect("hex");
        assert_eq!(again.public_key(), kp.public_key());
        assert_eq!(kp.public_key().to_hex().parse::<PublicKey>(), Ok(kp.public_key()));
        assert!(Keypair::from_secret_hex("abc").is_err());
        assert!(!format!("{kp:?}").contains(&hex::encode(kp.secret_bytes())));
    }

    #[test]
    fn a_garbage_public_key_verifies_nothing() {
        let kp = Keypair::from_secret_bytes(&[3; 32]);
        let sig = kp.sign(b"d", &1u8);
        assert!(!PublicKey([0xff; 32]).verify(b"d", &1u8, &sig));
    }
}
