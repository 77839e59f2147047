//! TLS for connections to nodes: TLS 1.3 only, and the node's identity pinned by its key.
//!
//! Nodes present a self-signed certificate carrying their ed25519 key; there is no CA. A client
//! that knows the node id it expects (from the network map or a contacts file) accepts the
//! certificate only if SHA3-256 of its key is that id. For a bare bootstrap address no id is
//! known yet: the certificate must still carry an ed25519 key and the handshake must prove the
//! peer holds it, and the id learnt that way must be in the network map the node sends.

use std::sync::Arc;

use quinn_proto::crypto::rustls::QuicClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use safe_types::{node_id, XorName};

/// DER of an ed25519 SubjectPublicKeyInfo before the 32 key bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The server name the client sends; nodes are identified by key, not by name.
pub(crate) const SERVER_NAME: &str = "safe-node";

/// The ed25519 public key a node's certificate carries.
pub(crate) fn node_key(cert: &CertificateDer<'_>) -> Result<[u8; 32], rustls::Error> {
    let bad = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
    let parsed = webpki::EndEntityCert::try_from(cert).map_err(|_| bad())?;
    let spki = parsed.subject_public_key_info();
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..]).ok_or_else(bad)?;
    key.try_into().map_err(|_| bad())
}

/// The node id a finished handshake proved, from the peer's certificate.
pub(crate) fn peer_node_id(conn: &quinn_proto::Connection) -> Option<XorName> {
    let identity = conn.crypto_session().peer_identity()?;
    let certs = identity.downcast_ref::<Vec<CertificateDer<'static>>>()?;
    node_key(certs.first()?).ok().map(|k| node_id(&k))
}

#[derive(Debug)]
struct NodeVerifier {
    expected: Option<XorName>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NodeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let key = node_key(end_entity)?;
        match self.expected {
            Some(expected) if node_id(&key) != expected => {
                Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls13RequiredForQuic))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// The QUIC client configuration for connecting to a node whose id, if given, must match.
pub(crate) fn client_config(
    expected: Option<XorName>,
    transport: Arc<quinn_proto::TransportConfig>,
) -> Result<quinn_proto::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(NodeVerifier { expected, provider: provider.clone() });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![safe_types::wire::ALPN.to_vec()];
    let quic = QuicClientConfig::try_from(tls)
        .map_err(|e| rustls::Error::General(format!("TLS config unusable for QUIC: {e}")))?;
    let mut config = quinn_proto::ClientConfig::new(Arc::new(quic));
    config.transport_config(transport);
    Ok(config)
}
