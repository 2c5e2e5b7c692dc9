//! Running `weft server`: bind, answer 503 until the host is open (it joins its cluster
//! first), open it and put its routes behind the front door, then serve until SIGINT or
//! SIGTERM (or until the host fails, fail-stop).

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::auth::Tokens;
use super::cluster::ClusterView;
use super::front::{front, Slot};
use super::remote::HttpRemote;
use super::server::{router, secured};
use super::tls::TlsFiles;
use super::Security;
use crate::activities::ActivityRegistry;
use crate::runtime::{Host, HostConfig};
use crate::schedules::Schedules;
use crate::storage::Storage;

/// Open a host as `config` says (see [`HostConfig::on_disk_from_env`]) and serve the API
/// on `listen` until SIGINT or SIGTERM; then stop taking requests and give running
/// activities `shutdown_grace` to end (and their outcomes to be recorded). `security`
/// says whether to serve HTTPS (and ask clients for certificates) and whether to
/// require bearer tokens; its files are checked before the host opens. `storage`, when
/// given, is where the host keeps its state (e.g. PostgreSQL) instead of the redb file
/// of `config.data_dir`; `cluster` answers `/v1/cluster` (on a redb file,
/// [`SingleHost`](super::cluster::SingleHost)).
#[allow(
    clippy::too_many_arguments,
    reason = "the server's parts, each set by its own flags"
)]
pub async fn serve(
    config: HostConfig,
    storage: Option<Arc<dyn Storage>>,
    cluster: Arc<dyn ClusterView>,
    listen: SocketAddr,
    shutdown_grace: Duration,
    activities: ActivityRegistry,
    security: Security,
) -> anyhow::Result<()> {
    let tls = security
        .tls
        .as_ref()
        .map(TlsFiles::server_config)
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{addr}");
    cluster.listening(&url);
    if security.tokens.is_some() && tls.is_none() && !addr.ip().is_loopback() {
        tracing::warn!("bearer tokens over plain HTTP cross the network readable by anyone on the path; serve HTTPS with --tls-cert and --tls-key");
    }
    let slot = Slot::default();
    // The front door checks tokens on its own route; the host's routes check them once
    // installed, and a forwarded call is checked by the host that serves it.
    let app = front(slot.clone(), cluster.clone(), security.tokens.clone());
    let opening = Opening {
        config,
        storage,
        activities,
        slot,
        cluster,
        url,
        auth: security.summary(),
        tokens: security.tokens.clone(),
        ui: (security.ui, tls.is_some()),
    };
    match tls {
        #[cfg(feature = "tls")]
        Some(config) => {
            let listener = super::tls::TlsListener::new(listener, config)?;
            serve_until_signalled(listener, app, opening, shutdown_grace).await
        }
        #[cfg(not(feature = "tls"))]
        Some(none) => match none {},
        None => serve_until_signalled(listener, app, opening, shutdown_grace).await,
    }
}

/// What the server opens once its host may serve.
struct Opening {
    config: HostConfig,
    storage: Option<Arc<dyn Storage>>,
    activities: ActivityRegistry,
    slot: Slot,
    cluster: Arc<dyn ClusterView>,
    url: String,
    auth: String,
    tokens: Option<Tokens>,
    /// The web UI's mode, and whether it is served over TLS.
    ui: (crate::ui::UiMode, bool),
}

impl Opening {
    /// Wait until the host may open (it joined its cluster), open it,
    /// and put its routes behind the front door.
    async fn open(self) -> anyhow::Result<(Host, Schedules, crate::batches::Batches)> {
        self.cluster.ready().await.map_err(HostFailed)?;
        let data_dir = self.config.data_dir.clone().unwrap_or_default();
        let key = self.cluster.cluster_key();
        let remote = key.clone().map(|key| {
            Arc::new(HttpRemote::new(self.cluster.clone(), key)) as Arc<dyn crate::runtime::Remote>
        });
        let config = HostConfig {
            placement: self.cluster.placement(),
            remote,
            ..self.config
        };
        let host = match self.storage {
            Some(storage) => Host::open_with_storage(config, storage, self.activities).await?,
            None => Host::open(config, self.activities).await?,
        };
        self.cluster.attach(&host);
        let schedules = Schedules::start(&host).await?;
        let batches = crate::batches::Batches::start(&host).await?;
        self.cluster
            .clone()
            .register_metrics(host.metrics().registry());
        // The UI's routes sit beside the host's: its guard asks for a session from
        // its login page, or the same bearer token.
        let routes = router(host.clone(), schedules.clone(), batches.clone());
        let routes = secured(routes, self.tokens.clone());
        // The cluster's own calls carry its key rather than a client's token.
        let routes = match key {
            Some(key) => routes.merge(super::internal::routes(host.clone(), key)),
            None => routes,
        };
        let (mode, tls) = self.ui;
        let tokenless = self.tokens.is_none();
        let ui = crate::ui::router(
            host.clone(),
            schedules.clone(),
            batches.clone(),
            mode,
            self.tokens,
            tls,
        );
        let routes = match ui {
            Some(ui) => {
                tracing::info!(?mode, "web UI at {}/ui/", self.url);
                if tokenless && !self.url.contains("://127.") && !self.url.contains("://[::1]") {
                    tracing::warn!("the web UI answers everyone who can reach {}, and lets them terminate executions; serve with tokens, or --ui-read-only, or --no-ui", self.url);
                }
                ui.merge(routes)
            }
            None => routes,
        };
        self.slot.install(routes);
        // On stdout for scripts (with `--listen 127.0.0.1:0` the port is the kernel's pick).
        announce(&format!("listening on {}", self.url));
        tracing::info!(data = %data_dir.display(), open_runs = host.open_runs(), auth = %self.auth,
            "weft server listening on {}", self.url);
        Ok((host, schedules, batches))
    }
}

/// Serve `app` on `listener` (opening the host meanwhile) until
/// SIGINT or SIGTERM; then answer the requests in flight while the host's activities
/// wind down.
async fn serve_until_signalled<L>(
    listener: L,
    app: Router,
    opening: Opening,
    grace: Duration,
) -> anyhow::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let signalled = shutdown_signal();
    tokio::pin!(signalled);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .into_future();
    tokio::pin!(serving);
    let (host, schedules, batches) = tokio::select! {
        served = &mut serving => {
            served?;
            return Ok(());
        }
        () = &mut signalled => {
            let _ = stop.send(());
            return Ok(serving.await?);
        }
        opened = opening.open() => match opened {
            Ok(opened) => opened,
            Err(e) => {
                let _ = stop.send(());
                let _ = tokio::time::timeout(Duration::from_secs(5), serving).await;
                return Err(e);
            }
        },
    };
    let served = serve_host(serving, stop, &host, grace, signalled.as_mut()).await;
    schedules.stop().await;
    batches.stop_all().await;
    served
}

/// The serving phase: until `signalled` or the host fails.
async fn serve_host(
    mut serving: Pin<&mut impl Future<Output = std::io::Result<()>>>,
    stop: tokio::sync::oneshot::Sender<()>,
    host: &Host,
    grace: Duration,
    signalled: Pin<&mut impl Future<Output = ()>>,
) -> anyhow::Result<()> {
    tokio::select! {
        served = serving.as_mut() => {
            served?;
            return Ok(());
        }
        () = signalled => {}
        error = host.failed() => {
            // Fail-stop: stop taking requests, answer those in flight (they hear
            // "storage failed") for a moment, and exit for a supervisor to restart.
            let _ = stop.send(());
            tracing::error!("the host stopped after {error}; exiting so a restart resumes from what is durable");
            let _ = tokio::time::timeout(Duration::from_secs(5), serving).await;
            return Err(HostFailed(error).into());
        }
    }
    // Requests in flight are answered while the activities wind down.
    let _ = stop.send(());
    tracing::info!(
        ?grace,
        "shutting down: waiting for running activities to end"
    );
    let ((), served) = tokio::join!(host.shutdown_activities(grace), serving);
    served?;
    tracing::info!("weft server stopped; open executions resume at the next start");
    Ok(())
}

/// A line on stdout for scripts; a closed stdout (the reader went away) is no error.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Why `weft server` stopped on its own: the storage met an I/O error, after which
/// nothing can be committed until the database is reopened (by a restart).
#[derive(Debug, thiserror::Error)]
#[error("the host stopped after {0}; restart it to resume from what is durable")]
pub struct HostFailed(pub String);

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when it is first polled: call it before announcing the address, so a signal sent as
/// soon as the server is up is never met by the default action (death).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .expect("installing the SIGINT handler");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}
