//! The node's identity: an ed25519 key made on first start and kept under the root directory, so
//! the node id (SHA3-256 of the public key) survives restarts; the self-signed TLS certificate
//! that carries exactly that key, which is what lets clients and fellow nodes pin a node by its
//! id; and the QUIC stateless-reset key derived from it, so that after a restart the node can tell
//! peers their old connection is gone instead of leaving them to wait for an idle timeout.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use safe_tls::{NodeCertificate, SERVER_NAME};
use safe_types::keys::Keypair;
use safe_types::{node_id, XorName};

use crate::files;

/// Name of the key file under the root directory: the secret key as PKCS#8 v2 DER.
pub const KEY_FILE: &str = "node.key";
/// Domain tag of the stateless-reset key derivation, so the derived key is used for nothing else.
const RESET_KEY_DOMAIN: &[u8] = b"safe-node stateless reset";
/// Domain tag of the connection-id key derivation.
const CONNECTION_ID_KEY_DOMAIN: &[u8] = b"safe-node connection ids";

/// Why the node's identity could not be loaded, created or turned into a certificate.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key file exists but could not be read, or a new one could not be written.
    #[error("cannot access node key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The key file does not hold an ed25519 PKCS#8 key. It is left alone: replacing it would
    /// silently change the node's id.
    #[error("node key file {path} is not a valid ed25519 PKCS#8 key: {reason}")]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The key could not be encoded as PKCS#8 (only possible with a broken encoder).
    #[error("cannot encode node key as PKCS#8: {0}")]
    Encode(String),
    /// The TLS certificate could not be made from the key.
    #[error("cannot make the node certificate: {0}")]
    Certificate(#[from] rcgen::Error),
}

/// The node's key pair and the id derived from it.
pub struct NodeIdentity {
    signing_key: SigningKey,
    public_key: [u8; 32],
    id: XorName,
}

impl NodeIdentity {
    /// Loads the key from `<root>/node.key`, or creates and saves a new one (mode 0600) if there is
    /// none. `root` must exist.
    pub fn load_or_create(root: &Path) -> Result<Self, IdentityError> {
        let path = root.join(KEY_FILE);
        match fs::read(&path) {
            Ok(der) => {
                let key = SigningKey::from_pkcs8_der(&der).map_err(|e| {
                    IdentityError::Malformed { path: path.clone(), reason: e.to_string() }
                })?;
                warn_if_exposed(&path);
                Ok(Self::from_signing_key(key))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let identity = Self::generate();
                let der = identity.pkcs8_der()?;
                files::write_atomic(&path, der.secret_pkcs8_der(), 0o600)
                    .map_err(|source| IdentityError::Io { path: path.clone(), source })?;
                tracing::info!(id = %hex_id(&identity.id), path = %path.display(), "created node key");
                Ok(identity)
            }
            Err(source) => Err(IdentityError::Io { path, source }),
        }
    }

    /// A fresh random identity, not saved anywhere.
    pub fn generate() -> Self {
        Self::from_signing_key(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    fn from_signing_key(signing_key: SigningKey) -> Self {
        let public_key = signing_key.verifying_key().to_bytes();
        Self { signing_key, id: node_id(&public_key), public_key }
    }

    /// The node's ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// The node key as the key pair that signs the node's receipts.
    pub fn keypair(&self) -> Keypair {
        Keypair::from_secret_bytes(&self.signing_key.to_bytes())
    }

    /// The node's id: SHA3-256 of its public key.
    pub fn id(&self) -> XorName {
        self.id
    }

    /// A self-signed certificate for [`SERVER_NAME`] whose subject key is the node key, with that
    /// key in the form TLS needs.
    pub fn certificate(&self) -> Result<NodeCertificate, IdentityError> {
        let der = self.pkcs8_der()?;
        let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ED25519)?;
        let params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
        let certificate = params.self_signed(&key_pair)?;
        Ok(NodeCertificate { cert: certificate.der().clone(), key: PrivateKeyDer::Pkcs8(der) })
    }

    /// The key of the QUIC stateless-reset tokens: HMAC-SHA256 keyed with
    /// SHA3-256(`"safe-node stateless reset"` || secret key). It is the same after a restart, so
    /// the restarted node's resets for connections of its earlier run carry the tokens peers
    /// expect, and they drop those connections at once.
    pub fn reset_key(&self) -> ring::hmac::Key {
        let secret = self.signing_key.to_bytes();
        let derived = XorName::from_content_parts(&[RESET_KEY_DOMAIN, &secret]);
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &derived.0)
    }

    /// The key with which the node's QUIC connection ids are made and recognised (quinn's
    /// `HashedConnectionIdGenerator`). It is the same after a restart, so the restarted node
    /// still recognises the ids of its earlier run's connections as its own and answers them
    /// with a stateless reset instead of dropping them as garbage.
    pub fn connection_id_key(&self) -> u64 {
        let secret = self.signing_key.to_bytes();
        let derived = XorName::from_content_parts(&[CONNECTION_ID_KEY_DOMAIN, &secret]);
        let mut key = [0u8; 8];
        key.copy_from_slice(&derived.0[..8]);
        u64::from_le_bytes(key)
    }

    fn pkcs8_der(&self) -> Result<PrivatePkcs8KeyDer<'static>, IdentityError> {
        let document =
            self.signing_key.to_pkcs8_der().map_err(|e| IdentityError::Encode(e.to_string()))?;
        Ok(PrivatePkcs8KeyDer::from(document.as_bytes().to_vec()))
    }
}

impl fmt::Debug for NodeIdentity {
    // Never print the secret key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeIdentity").field("id", &hex_id(&self.id)).finish_non_exhaustive()
    }
}

/// Warns when others than the node's user may read the key file (the node still starts: this is
/// a test network, and the operator may have reasons).
fn warn_if_exposed(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "node key file is readable by other users");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The 64 lowercase hex digits of an id, as logs and the ready line show it.
pub(crate) fn hex_id(id: &XorName) -> String {
    hex::encode(id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reloaded() {
        let root = tempfile::tempdir().expect("temp dir");
        let first = NodeIdentity::load_or_create(root.path()).expect("create");
        let second = NodeIdentity::load_or_create(root.path()).expect("reload");
        assert_eq!(first.id(), second.id());
        assert_eq!(first.public_key(), second.public_key());
        assert_eq!(first.id(), node_id(&first.public_key()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(root.path().join(KEY_FILE)).expect("key file");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn malformed_key_file_is_refused_not_replaced() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join(KEY_FILE);
        fs::write(&path, b"not a key").expect("write");
        let err = NodeIdentity::load_or_create(root.path()).expect_err("malformed");
        assert!(matches!(err, IdentityError::Malformed { .. }), "{err}");
        assert_eq!(fs::read(&path).expect("still there"), b"not a key");
    }

    #[test]
    fn certificate_carries_the_node_key() {
        let identity = NodeIdentity::generate();
        let certificate = identity.certificate().expect("certificate");
        assert_eq!(
            safe_tls::node_key(&certificate.cert).expect("ed25519 key"),
            identity.public_key()
        );
    }

    #[test]
    fn reset_key_is_stable_per_identity() {
        let root = tempfile::tempdir().expect("temp dir");
        let first = NodeIdentity::load_or_create(root.path()).expect("create");
        let again = NodeIdentity::load_or_create(root.path()).expect("reload");
        let other = NodeIdentity::generate();
        let tag = |identity: &NodeIdentity| {
            ring::hmac::sign(&identity.reset_key(), b"cid").as_ref().to_vec()
        };
        assert_eq!(tag(&first), tag(&again));
        assert_ne!(tag(&first), tag(&other));
        assert_eq!(first.connection_id_key(), again.connection_id_key());
        assert_ne!(first.connection_id_key(), other.connection_id_key());
    }
}
