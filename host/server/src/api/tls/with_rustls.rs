//! rustls for `weft server`: the configuration made from the PEM files, and a listener
//! that hands axum only connections whose TLS handshake succeeded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{TlsFiles, TlsSetupError};
use crate::pem;

/// A client gets this long to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a refused handshake, how long the server waits for the client to read the
/// alert and close (so the client learns why, rather than seeing a reset).
const LINGER: Duration = Duration::from_secs(2);

/// The configuration a server with TLS runs with.
pub type ServerTls = Arc<ServerConfig>;

/// The rustls configuration `files` describe, checked.
pub(super) fn server_config(files: &TlsFiles) -> Result<ServerTls, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let builder = match &files.client_ca {
        Some(path) => {
            let ca_error = |reason: String| TlsSetupError::ClientCa {
                path: path.clone(),
                reason,
            };
            let mut roots = RootCertStore::empty();
            for cert in pem::read_certs("--tls-client-ca", path)? {
                roots
                    .add(cert)
                    .map_err(|e| ca_error(format!("not a usable CA certificate: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| ca_error(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = pem::read_certs("--tls-cert", &files.cert)?;
    let key = pem::read_key("--tls-key", &files.key)?;
    let mut config =
        builder
            .with_single_cert(chain, key)
            .map_err(|e| TlsSetupError::CertAndKey {
                cert: files.cert.clone(),
                key: files.key.clone(),
                reason: e.to_string(),
            })?;
    // The API speaks HTTP/1.1 (axum's server here has no HTTP/2).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener for `axum::serve` that accepts TCP connections, runs each one's TLS
/// handshake on its own task (a slow client holds up nobody) and yields those that
/// succeeded. Refused handshakes are logged with the client's address and the reason.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Serve TLS with `config` on `tcp`. The accepting task ends when the listener is
    /// dropped (axum drops it when it stops taking connections).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            () = ready.closed() => return,
            accepted = tcp.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: give it a moment.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let handshake = acceptor.accept(stream).into_fallible();
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err((e, stream))) => {
                    tracing::info!(%peer, "refused a TLS connection: {e}");
                    linger(stream).await;
                }
                Err(_) => {
                    tracing::info!(%peer, "refused a TLS connection: no handshake within {HANDSHAKE_TIMEOUT:?}")
                }
            }
        });
    }
}

/// Close a refused connection in order: stop writing (the alert is already sent), then
/// read what the client still sends until it closes. Closing with unread bytes would
/// reset the connection, and the client would lose the alert that says why.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}
