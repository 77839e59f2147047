//! The TLS side of the node's QUIC endpoint: TLS 1.3 only, the ring provider, the Safe ALPN, the
//! node's self-signed certificate and no client authentication (clients are anonymous; they
//! authenticate the node by pinning its id).

use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use rustls::crypto::ring;
use safe_types::wire::ALPN;

use crate::identity::{IdentityError, NodeIdentity};

/// Why the node's TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate could not be made from the node key.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// rustls refused the protocol versions, certificate or key.
    #[error("invalid TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// QUIC cannot use the TLS configuration (it lacks TLS 1.3 or its initial cipher suite).
    #[error("TLS configuration is not usable by QUIC: {0}")]
    Quic(#[from] quinn::crypto::rustls::NoInitialCipherSuite),
}

/// The crypto half of the QUIC server configuration for `identity`.
pub(crate) fn server_crypto(identity: &NodeIdentity) -> Result<QuicServerConfig, TlsError> {
    let (certificate, key) = identity.certificate()?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(vec![certificate], key)?;
    config.alpn_protocols = vec![ALPN.to_vec()];
    Ok(QuicServerConfig::try_from(config)?)
}
