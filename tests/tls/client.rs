//! A gRPC client over TLS: tonic's channel on a connector that does TCP and
//! then a rustls handshake (aws-lc, the server's stack). Shared by
//! `tests/tls.rs` and the load bench (`benches/load/main.rs`).
#![allow(dead_code)]

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

/// Makes TLS connections to one server; clones share the counters.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    /// Handshakes completed so far.
    pub handshakes: Arc<AtomicUsize>,
    /// The leaf certificate the server showed in the last handshake (DER).
    pub last_server_certificate: Arc<Mutex<Option<Vec<u8>>>>,
}

/// The client's own certificate and key, for mTLS (PEM).
pub struct Identity<'a> {
    pub cert_pem: &'a [u8],
    pub key_pem: &'a [u8],
}

impl TlsClient {
    /// Trusts only the CA certificates in `ca_pem`, and expects the server
    /// to be `server_name` (a DNS name or an IP address).
    pub fn new(
        ca_pem: &[u8],
        identity: Option<Identity<'_>>,
        server_name: &str,
    ) -> Result<Self, Box<dyn Error>> {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(ca_pem) {
            roots.add(certificate?)?;
        }
        let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let mut config = match identity {
            Some(identity) => {
                let chain = CertificateDer::pem_slice_iter(identity.cert_pem)
                    .collect::<Result<Vec<_>, _>>()?;
                let key = PrivateKeyDer::from_pem_slice(identity.key_pem)?;
                builder.with_client_auth_cert(chain, key)?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            server_name: ServerName::try_from(server_name.to_owned())?,
            handshakes: Arc::new(AtomicUsize::new(0)),
            last_server_certificate: Arc::new(Mutex::new(None)),
        })
    }

    /// A channel to `addr` (host:port) whose connections are this client's.
    pub async fn channel(&self, addr: &str) -> Result<Channel, tonic::transport::Error> {
        let client = self.clone();
        let addr = addr.to_owned();
        // The URI only names the authority; the connector decides where to go.
        Endpoint::from_shared(format!("http://{addr}"))?
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let (client, addr) = (client.clone(), addr.clone());
                async move { client.connect(&addr).await.map(TokioIo::new) }
            }))
            .await
    }

    /// One TCP connection and TLS handshake.
    pub async fn connect(
        &self,
        addr: &str,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let connector = TlsConnector::from(self.config.clone());
        let stream = connector.connect(self.server_name.clone(), tcp).await?;
        let leaf = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|leaf| leaf.as_ref().to_vec());
        *self.last_server_certificate.lock().unwrap() = leaf;
        self.handshakes.fetch_add(1, Ordering::SeqCst);
        Ok(stream)
    }

    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    pub fn last_server_certificate(&self) -> Option<Vec<u8>> {
        self.last_server_certificate.lock().unwrap().clone()
    }
}
