//! The axum server: routes, handlers, and how host errors become HTTP answers.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Tokens;
use super::cluster::ClusterView;
use super::describe::result_body;
use super::listing;
use super::standby::{front, Slot};
use super::tls::{TlsFiles, TlsListener};
use super::types::*;
use super::{control, messages, Security};
use crate::activities::ActivityRegistry;
use crate::contract::Payload;
use crate::history::export;
use crate::history::vocab::Signal;
use crate::runtime::{
    DeployError, DeployMode, Host, HostConfig, IdConflictPolicy, IdReusePolicy, QueryError,
    StartError, StartOutcome, StartRequest,
};
use crate::schedules::Schedules;
use crate::storage::{Status, Storage};

/// An error answer: a status and an [`ApiErrorBody`].
#[derive(Debug)]
pub struct ApiError(StatusCode, ApiErrorBody);

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl std::fmt::Display) -> ApiError {
        let status = match code {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Closed => StatusCode::CONFLICT,
            ErrorCode::QueryFailed | ErrorCode::UpdateRejected | ErrorCode::UpdateFailed => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::Unavailable | ErrorCode::StorageFailed => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ForwardFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        };
        ApiError(
            status,
            ApiErrorBody {
                code,
                message: message.to_string(),
                divergences: Vec::new(),
            },
        )
    }

    /// The error's code.
    #[cfg(test)]
    pub(super) fn code(&self) -> ErrorCode {
        self.1.code
    }

    /// The HTTP status the API answers this error with (the UI answers the same).
    pub(crate) fn status(&self) -> StatusCode {
        self.0
    }

    /// The message for a person.
    pub(crate) fn message(&self) -> &str {
        &self.1.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0.is_server_error() {
            tracing::error!("{}", self.1.message);
        }
        (self.0, Json(self.1)).into_response()
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        match e {
            QueryError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e),
            QueryError::Filter(_) => ApiError::new(ErrorCode::BadRequest, e),
            QueryError::Storage(_) | QueryError::History(_) | QueryError::Payload { .. } => {
                ApiError::new(ErrorCode::Internal, e)
            }
        }
    }
}

pub(super) fn body_error(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::TooLarge,
            format!("the body is larger than the limit of {limit} bytes"),
        )
    } else {
        ApiError::new(ErrorCode::BadRequest, e.body_text())
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

/// Query parameters whose rejection is an [`ApiErrorBody`] like every other error.
pub(super) struct Params<T>(pub(super) T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for Params<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    format!("bad query parameters: {}", e.body_text()),
                )
            })
    }
}

/// Build the API's router over a host and its schedules.
pub fn router(host: Host, schedules: Schedules) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/v1/modules", get(modules).post(deploy))
        .route("/v1/executions", get(listing::list).post(start))
        .route("/v1/execution-count", get(listing::count))
        .route("/v1/executions/{id}", get(describe_handler))
        .route("/v1/executions/{id}/result", get(result))
        .route("/v1/executions/{id}/history", get(history))
        .route("/v1/executions/{id}/signals/{name}", post(messages::signal))
        .route("/v1/executions/{id}/queries/{name}", post(messages::query))
        .route("/v1/executions/{id}/updates/{name}", post(messages::update))
        .route("/v1/executions/{id}/cancel", post(control::cancel))
        .route("/v1/executions/{id}/terminate", post(control::terminate))
        .route("/metrics", get(metrics))
        .with_state(host)
        .merge(super::schedules::routes(schedules))
        .fallback(|| async {
            ApiError::new(
                ErrorCode::NotFound,
                "no such API route; see the routes in the docs of weft_host::api::types",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_MODULE_BYTES))
}

/// [`router`] behind the bearer-token check of [`auth`](super::auth) when `tokens` is
/// given: then every route, `/metrics` and unknown paths included, answers 401 to a
/// request without an accepted token.
pub fn secured_router(
    host: Host,
    schedules: Schedules,
    cluster: Arc<dyn ClusterView>,
    tokens: Option<Tokens>,
) -> Router {
    secured(
        super::cluster::routes(cluster).merge(router(host, schedules)),
        tokens,
    )
}

/// `router` behind the bearer-token check when `tokens` is given.
pub(super) fn secured(router: Router, tokens: Option<Tokens>) -> Router {
    match tokens {
        Some(tokens) => router.layer(axum::middleware::from_fn_with_state(
            tokens,
            super::auth::require_token,
        )),
        None => router,
    }
}

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
        Some(config) => {
            let listener = TlsListener::new(listener, config)?;
            serve_until_signalled(listener, app, opening, shutdown_grace).await
        }
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
    /// Wait until the host may serve (a standby, until it holds the shards), open it,
    /// and put its routes behind the front door.
    async fn open(self) -> anyhow::Result<(Host, Schedules)> {
        if self.cluster.is_standby() {
            // On stdout for scripts, as "listening on" below.
            announce(&format!("standby on {}", self.url));
            tracing::info!(
                "standby on {}: forwarding API calls to the host that serves",
                self.url
            );
        }
        self.cluster.ready().await.map_err(HostFailed)?;
        let data_dir = self.config.data_dir.clone().unwrap_or_default();
        let host = match self.storage {
            Some(storage) => Host::open_with_storage(self.config, storage, self.activities).await?,
            None => Host::open(self.config, self.activities).await?,
        };
        let schedules = Schedules::start(&host).await?;
        self.cluster
            .clone()
            .register_metrics(host.metrics().registry());
        // The UI's routes sit beside the host's: its guard asks for a session from
        // its login page, or the same bearer token.
        let routes = secured(router(host.clone(), schedules.clone()), self.tokens.clone());
        let (mode, tls) = self.ui;
        let tokenless = self.tokens.is_none();
        let ui = crate::ui::router(host.clone(), schedules.clone(), mode, self.tokens, tls);
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
        Ok((host, schedules))
    }
}

/// Serve `app` on `listener` (forwarding as a standby, then opening the host) until
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
    let (host, schedules) = tokio::select! {
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

#[derive(Deserialize)]
struct DeployParams {
    name: String,
    #[serde(default)]
    check: bool,
    #[serde(default)]
    pin: bool,
}

async fn deploy(
    State(host): State<Host>,
    Params(params): Params<DeployParams>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<ModuleInfo>)> {
    let bytes = body.map_err(|e| body_error(e, MAX_MODULE_BYTES))?;
    let mode = match (params.check, params.pin) {
        (true, true) => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "`check` moves every open run or none, `pin` moves none: ask for one",
            ))
        }
        (true, false) => DeployMode::Check,
        (false, true) => DeployMode::Pin,
        (false, false) => DeployMode::Move,
    };
    match host.deploy_module(bytes.to_vec(), &params.name, mode).await {
        Ok(deployment) => {
            let version = &deployment.version;
            tracing::info!(name = %version.name, version = version.version, digest = %version.digest,
                moved = deployment.moved.len(), stayed = deployment.stayed.len(), "deployed");
            let mut info = ModuleInfo::from(version);
            info.moved = deployment
                .moved
                .into_iter()
                .map(|r| RunRef {
                    workflow_id: r.workflow_id,
                    run_id: r.run_id,
                })
                .collect();
            info.stayed = deployment
                .stayed
                .into_iter()
                .map(|d| Divergence {
                    workflow_id: d.workflow_id,
                    run_id: d.run_id,
                    report: d.report,
                })
                .collect();
            Ok((StatusCode::CREATED, Json(info)))
        }
        Err(DeployError::Diverged(found)) => {
            let mut e = ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "refused: the component diverges from {} open execution(s) of `{}`",
                    found.len(),
                    params.name
                ),
            );
            e.1.divergences = found
                .into_iter()
                .map(|d| Divergence {
                    workflow_id: d.workflow_id,
                    run_id: d.run_id,
                    report: d.report,
                })
                .collect();
            Err(e)
        }
        Err(e @ (DeployError::Invalid(_) | DeployError::BadName(_))) => {
            Err(ApiError::new(ErrorCode::Invalid, e))
        }
        Err(e @ DeployError::Storage(_)) => Err(ApiError::new(ErrorCode::Internal, e)),
        Err(e @ DeployError::Stopped(_)) => Err(ApiError::new(ErrorCode::StorageFailed, e)),
    }
}

/// The host's metrics for Prometheus to scrape (see [`crate::metrics`]).
async fn metrics(State(host): State<Host>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        host.render_metrics(),
    )
}

async fn modules(State(host): State<Host>) -> Json<ModuleList> {
    let mut modules: Vec<ModuleInfo> = host.module_versions().iter().map(Into::into).collect();
    modules.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
    Json(ModuleList { modules })
}

async fn start(
    State(host): State<Host>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let limit = MAX_INPUT_BYTES + 64 * 1024;
    let bytes = body.map_err(|e| body_error(e, limit))?;
    if bytes.len() > limit {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!("the request is larger than the input limit of {MAX_INPUT_BYTES} bytes"),
        ));
    }
    let body: StartBody = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the request body is not a valid start request: {e}"),
        )
    })?;
    let started = start_run(&host, body).await?;
    let status = if started.started {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(started)))
}

/// Start what `body` asks for: the API's `POST /v1/executions` and the UI's start form.
pub(crate) async fn start_run(host: &Host, body: StartBody) -> ApiResult<Started> {
    let input = Payload::json(&body.input);
    if input.data.len() > MAX_INPUT_BYTES {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "the input is {} bytes, over the limit of {MAX_INPUT_BYTES}",
                input.data.len()
            ),
        ));
    }
    let signal = match body.signal {
        Some(name) => Some(Signal {
            name,
            input: Payload::json(&body.signal_input.unwrap_or(serde_json::Value::Null)),
        }),
        None if body.signal_input.is_some() => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "`signal_input` needs `signal` (the signal's name)",
            ))
        }
        None => None,
    };
    let bad = |e: String| ApiError::new(ErrorCode::BadRequest, e);
    let request = StartRequest {
        workflow_id: body.id,
        id_reuse_policy: match &body.id_reuse_policy {
            Some(p) => p.parse().map_err(bad)?,
            None => IdReusePolicy::default(),
        },
        id_conflict_policy: match &body.id_conflict_policy {
            Some(p) => p.parse().map_err(bad)?,
            None => IdConflictPolicy::default(),
        },
        signal,
        run_timeout: body.run_timeout_ms.map(Duration::from_millis),
        execution_timeout: body.execution_timeout_ms.map(Duration::from_millis),
        memo: body
            .memo
            .iter()
            .map(|(k, v)| (k.clone(), Payload::json(v)))
            .collect(),
        search_attributes: body.search_attributes.into_iter().collect(),
        ..StartRequest::new(body.workflow_type, input)
    };
    match host.start_execution(request).await {
        Ok(StartOutcome { run: h, started }) => {
            tracing::info!(workflow = %h.workflow_id, run = %h.run_id, started, "started");
            Ok(Started {
                workflow_id: h.workflow_id,
                run_id: h.run_id,
                started,
            })
        }
        Err(e @ (StartError::UnknownWorkflowType { .. } | StartError::UnknownModule(_))) => {
            Err(ApiError::new(ErrorCode::NotFound, e))
        }
        Err(e @ (StartError::AlreadyRunning(_) | StartError::IdReused { .. })) => {
            Err(ApiError::new(ErrorCode::Conflict, e))
        }
        Err(e @ StartError::Invalid(_)) => Err(ApiError::new(ErrorCode::BadRequest, e)),
        Err(e @ StartError::InvalidInput(_)) => Err(ApiError::new(ErrorCode::Invalid, e)),
        Err(e @ StartError::Storage(_)) => Err(ApiError::new(ErrorCode::Internal, e)),
        Err(e @ (StartError::Stopped(_) | StartError::OutcomeUnknown(_))) => {
            Err(ApiError::new(ErrorCode::StorageFailed, e))
        }
    }
}

async fn describe_handler(
    State(host): State<Host>,
    Path(id): Path<String>,
) -> ApiResult<Json<Description>> {
    Ok(Json(host.describe(&id).await?.into()))
}

#[derive(Deserialize)]
struct ResultParams {
    #[serde(default)]
    wait_s: u64,
}

async fn result(
    State(host): State<Host>,
    Path(id): Path<String>,
    Params(p): Params<ResultParams>,
) -> ApiResult<(StatusCode, Json<ResultBody>)> {
    let mut run = host.find_run(&id)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(p.wait_s.min(60));
    loop {
        if run.status.is_open() {
            if let Ok(outcome) = tokio::time::timeout_at(deadline, host.wait(&run.run_id)).await {
                outcome?;
            }
        }
        run = host.find_run(&run.run_id)?;
        // Asked by workflow id: a run that continued as new is followed to the last run
        // of the chain (asked by run id, that run's own end is the answer).
        if run.status != Status::ContinuedAsNew || id == run.run_id {
            break;
        }
        let next = host.find_run(&id)?;
        if next.run_id == run.run_id {
            break;
        }
        run = next;
    }
    let body = result_body(&host, &run)?;
    let status = if run.status.is_open() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)))
}

/// `?stored=true`: payloads as stored (encoded ones stay envelopes).
#[derive(serde::Deserialize)]
struct HistoryParams {
    #[serde(default)]
    stored: bool,
}

async fn history(
    State(host): State<Host>,
    Path(id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let run = host.find_run(&id)?;
    let events = if params.stored {
        host.inspect().stored().history_of(&run)?
    } else {
        host.history(&run.run_id)?
    };
    Ok(Json(export::to_json(
        &run.workflow_id,
        &run.run_id,
        &events,
    )))
}
