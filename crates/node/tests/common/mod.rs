//! A test client for nodes: QUIC with TLS 1.3 that pins the node id the way real clients do
//! (SHA3-256 of the ed25519 key in the node's certificate), plus helpers to talk the wire
//! protocol, correctly or not.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::QuicClientConfig;
use quinn::{Connection, ConnectionError, Endpoint};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use safe_node::{Node, NodeConfig, RunningNode, CERTIFICATE_NAME};
use safe_types::wire::{self, Request, Response, ALPN};
use safe_types::{node_id, XorName};

/// The DER header of an ed25519 SubjectPublicKeyInfo; the 32-byte key follows it.
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// Upper bound on any one test, so a bug shows as a failure instead of a hung run.
pub(crate) const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `test` with [`TEST_TIMEOUT`].
pub(crate) async fn within<T>(test: impl Future<Output = T>) -> T {
    match tokio::time::timeout(TEST_TIMEOUT, test).await {
        Ok(output) => output,
        Err(_) => panic!("test did not finish within {TEST_TIMEOUT:?}"),
    }
}

/// Starts a node on loopback, port 0, with its data under `root`.
pub(crate) async fn start_node(root: &std::path::Path) -> RunningNode {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    Node::start(NodeConfig::new(root, listen)).await.expect("node starts")
}

/// Accepts a server only if its certificate carries the ed25519 key whose hash is `expected`.
#[derive(Debug)]
struct PinnedNode {
    expected: XorName,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedNode {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let spki = cert.subject_public_key_info();
        let key: [u8; 32] = spki
            .as_ref()
            .strip_prefix(ED25519_SPKI_PREFIX.as_slice())
            .and_then(|key| key.try_into().ok())
            .ok_or(rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if node_id(&key) != self.expected {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("nodes speak TLS 1.3 only".into()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Node keys are ed25519, so nothing else can be valid.
        vec![SignatureScheme::ED25519]
    }
}

/// A client endpoint on loopback.
pub(crate) fn client_endpoint() -> Endpoint {
    Endpoint::client("127.0.0.1:0".parse().expect("loopback address")).expect("client endpoint")
}

/// Connects to the node at `addr`, accepting only the node whose id is `expected`.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    addr: SocketAddr,
    expected: XorName,
) -> Result<Connection, ConnectionError> {
    let provider = Arc::new(ring::default_provider());
    let verifier = PinnedNode { expected, algorithms: provider.signature_verification_algorithms };
    let mut crypto = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    crypto.alpn_protocols = vec![ALPN.to_vec()];
    let config =
        quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(crypto).expect("QUIC TLS")));
    endpoint
        .connect_with(config, addr, CERTIFICATE_NAME)
        .expect("connection parameters are valid")
        .await
}

/// A client connected to `node`, with its endpoint kept alive alongside the connection.
pub(crate) async fn connect_to(node: &RunningNode) -> (Endpoint, Connection) {
    let endpoint = client_endpoint();
    let info = node.info();
    let connection = connect(&endpoint, info.addr, info.id).await.expect("handshake succeeds");
    (endpoint, connection)
}

/// Sends `request` on a new stream and returns the node's response.
pub(crate) async fn request(connection: &Connection, request: &Request) -> Response {
    let frame = wire::encode(request).expect("request encodes");
    let response = exchange(connection, &frame, true).await;
    wire::decode(&response).expect("response is a valid frame")
}

/// Sends `bytes` on a new stream (finishing it if `finish`) and returns everything the node sends
/// back before finishing its side.
pub(crate) async fn exchange(connection: &Connection, bytes: &[u8], finish: bool) -> Vec<u8> {
    let (mut send, mut recv) = connection.open_bi().await.expect("stream opens");
    send.write_all(bytes).await.expect("request written");
    if finish {
        send.finish().expect("stream finishes");
    }
    recv.read_to_end(wire::MAX_FRAME).await.expect("response read")
}
