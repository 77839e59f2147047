//! TLS for Safe Network connections, shared by the client (compiled to wasm) and the nodes.
//!
//! Nodes have no CA: each presents a self-signed certificate carrying its ed25519 key, and its
//! id is SHA3-256 of that key. A peer that knows the id it expects (from the network map or a
//! contacts file) accepts the certificate only if it carries the matching key; without an
//! expected id the certificate must still carry an ed25519 key, and the TLS 1.3 handshake
//! proves the peer holds it, so the id learnt is genuine. Nodes talking to nodes also present
//! their certificate as clients, which is how a node knows a request comes from a fellow node.
//! TLS 1.3 only, ring as the crypto provider, ALPN [`safe_types::wire::ALPN`].

use std::any::Any;
use std::sync::Arc;

use quinn_proto::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use safe_types::{node_id, XorName};

/// The server name a connecting peer sends; nodes are identified by key, not by name.
pub const SERVER_NAME: &str = "safe-node";

/// DER of an ed25519 SubjectPublicKeyInfo before the 32 key bytes (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// A node's TLS identity: its self-signed certificate and the matching private key.
#[derive(Debug)]
pub struct NodeCertificate {
    /// The certificate, carrying the node's ed25519 public key.
    pub cert: CertificateDer<'static>,
    /// The node's ed25519 private key (PKCS#8).
    pub key: PrivateKeyDer<'static>,
}

impl Clone for NodeCertificate {
    fn clone(&self) -> Self {
        Self { cert: self.cert.clone(), key: self.key.clone_key() }
    }
}

/// The ed25519 public key a node certificate carries.
pub fn node_key(cert: &CertificateDer<'_>) -> Result<[u8; 32], rustls::Error> {
    let bad = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
    let parsed = webpki::EndEntityCert::try_from(cert).map_err(|_| bad())?;
    let spki = parsed.subject_public_key_info();
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..]).ok_or_else(bad)?;
    key.try_into().map_err(|_| bad())
}

/// The node id a finished handshake proved, from the peer identity quinn reports
/// (`Connection::peer_identity`); `None` when the peer presented no node certificate.
pub fn peer_node_id(identity: Option<Box<dyn Any>>) -> Option<XorName> {
    let certs = identity?.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    node_key(certs.first()?).ok().map(|k| node_id(&k))
}

/// ring's provider. Compiled to wasm it prefers ChaCha20-Poly1305: wasm has no AES
/// instructions, so ring's constant-time software AES-GCM costs several times what ChaCha20
/// does there, while native peers (with AES-NI) keep AES-GCM first. A node honours the
/// client's order, and AES-128-GCM stays on offer (QUIC's Initial packets need it).
fn provider() -> Arc<CryptoProvider> {
    #[allow(unused_mut)]
    let mut provider = rustls::crypto::ring::default_provider();
    #[cfg(target_family = "wasm")]
    provider
        .cipher_suites
        .sort_by_key(|s| s.suite() != rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
    Arc::new(provider)
}

/// Accepts a node certificate whose key hashes to the expected id (if any).
#[derive(Debug)]
struct NodeVerifier {
    expected: Option<XorName>,
    provider: Arc<CryptoProvider>,
}

impl NodeVerifier {
    fn check(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let key = node_key(cert)?;
        match self.expected {
            Some(expected) if node_id(&key) != expected => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
            _ => Ok(()),
        }
    }

    fn verify_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
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
        self.check(end_entity).map(|()| ServerCertVerified::assertion())
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
        self.verify_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

impl ClientCertVerifier for NodeVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    /// Clients need no certificate; nodes present theirs.
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity).map(|()| ClientCertVerified::assertion())
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
        self.verify_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// QUIC client crypto for connecting to a node whose id, if given, must match. A node
/// connecting to another node passes its own certificate as `identity`.
pub fn client_crypto(
    expected: Option<XorName>,
    identity: Option<NodeCertificate>,
) -> Result<QuicClientConfig, rustls::Error> {
    let provider = provider();
    let verifier = Arc::new(NodeVerifier { expected, provider: provider.clone() });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut tls = match identity {
        Some(id) => builder.with_client_auth_cert(vec![id.cert], id.key)?,
        None => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![safe_types::wire::ALPN.to_vec()];
    QuicClientConfig::try_from(tls)
        .map_err(|e| rustls::Error::General(format!("TLS config unusable for QUIC: {e}")))
}

/// QUIC server crypto for a node: presents `identity`, and accepts (but does not require) a
/// client certificate, which fellow nodes present.
pub fn server_crypto(identity: NodeCertificate) -> Result<QuicServerConfig, rustls::Error> {
    let provider = provider();
    let verifier = Arc::new(NodeVerifier { expected: None, provider: provider.clone() });
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert], identity.key)?;
    tls.alpn_protocols = vec![safe_types::wire::ALPN.to_vec()];
    QuicServerConfig::try_from(tls)
        .map_err(|e| rustls::Error::General(format!("TLS config unusable for QUIC: {e}")))
}
