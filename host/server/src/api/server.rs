//! The axum server: routes, handlers, and how host errors become HTTP answers.

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
use super::describe::result_body;
use super::listing;
use super::types::*;
use super::{control, messages};
use crate::contract::Payload;
use crate::history::export;
use crate::history::vocab::Signal;
use crate::runtime::{
    DeployError, DeployMode, Host, IdConflictPolicy, IdReusePolicy, QueryError, StartError,
    StartOutcome, StartRequest,
};
use crate::schedules::Schedules;
use crate::storage::Status;

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
            ErrorCode::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
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
pub fn router(host: Host, schedules: Schedules, batches: crate::batches::Batches) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/v1/modules", get(modules).post(deploy))
        .route("/v1/executions", get(listing::list).post(start))
        .route("/v1/execution-count", get(listing::count))
        .route(
            "/v1/executions/{id}",
            get(describe_handler).delete(super::removal::delete),
        )
        .route("/v1/executions/{id}/result", get(result))
        .route("/v1/executions/{id}/history", get(history))
        .route(
            "/v1/sensitive-fields",
            get(super::describe::sensitive_fields),
        )
        .route("/v1/executions/{id}/stack", get(super::stack::stack))
        .route("/v1/executions/{id}/signals/{name}", post(messages::signal))
        .route("/v1/executions/{id}/queries/{name}", post(messages::query))
        .route("/v1/executions/{id}/updates/{name}", post(messages::update))
        .route("/v1/executions/{id}/cancel", post(control::cancel))
        .route("/v1/executions/{id}/terminate", post(control::terminate))
        .route("/v1/executions/{id}/reset", post(super::reset::reset))
        .route("/v1/executions/{id}/pause", post(super::steer::pause))
        .route("/v1/executions/{id}/unpause", post(super::steer::unpause))
        .route(
            "/v1/executions/{id}/update-with-start",
            post(super::update_with_start_route::update_with_start),
        )
        .route(
            "/v1/executions/{id}/activities/{activity}/{op}",
            post(super::steer::activity),
        )
        .route("/metrics", get(metrics))
        .with_state(host)
        .merge(super::schedules::routes(schedules))
        .merge(super::batches::routes(batches))
        .fallback(|| async {
            ApiError::new(
                ErrorCode::NotFound,
                "no such API route; see the routes in the docs of weft_host::api::types",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_MODULE_BYTES))
}

/// `router` behind the bearer-token check of [`auth`](super::auth) when `tokens` is
/// given: then every route, `/metrics` and unknown paths included, answers 401 to a
/// request without an accepted token.
pub(super) fn secured(router: Router, tokens: Option<Tokens>) -> Router {
    match tokens {
        Some(tokens) => router.layer(axum::middleware::from_fn_with_state(
            tokens,
            super::auth::require_token,
        )),
        None => router,
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
    let request = start_request(body)?;
    let StartOutcome { run: h, started } =
        host.start_execution(request).await.map_err(start_error)?;
    tracing::info!(workflow = %h.workflow_id, run = %h.run_id, started, "started");
    Ok(Started {
        workflow_id: h.workflow_id,
        run_id: h.run_id,
        started,
    })
}

/// The start `body` asks for, checked.
pub(crate) fn start_request(body: StartBody) -> ApiResult<StartRequest> {
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
    let priority = match body.priority {
        Some(p) => Some(
            weft_runtime::flow::Priority::new(p).map_err(|e| bad(format!("`priority`: {e}")))?,
        ),
        None => None,
    };
    let fairness = match (&body.fairness_key, body.fairness_weight) {
        (Some(key), weight) => Some(
            weft_runtime::flow::Fairness::new(key, weight)
                .map_err(|e| bad(format!("`fairness_key`: {e}")))?,
        ),
        (None, Some(_)) => return Err(bad("`fairness_weight` needs `fairness_key`".into())),
        (None, None) => None,
    };
    if let Some(spec) = &body.cron_schedule {
        weft_runtime::schedules::CompiledSpec::cron(spec)
            .map_err(|e| bad(format!("`cron_schedule`: {e}")))?;
    }
    Ok(StartRequest {
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
        request_id: body.request_id,
        priority,
        fairness,
        summary: body.summary,
        details: body.details,
        debounce: match body.debounce {
            Some(d) => Some(
                weft_runtime::flow::Debounce::new(d.key, Duration::from_millis(d.period_ms))
                    .map_err(bad)?,
            ),
            None => None,
        },
        cron_schedule: body.cron_schedule,
        ..StartRequest::new(body.workflow_type, input)
    })
}

/// A refused start as the API answers it.
pub(crate) fn start_error(e: StartError) -> ApiError {
    let code = match &e {
        StartError::UnknownWorkflowType { .. } | StartError::UnknownModule(_) => {
            ErrorCode::NotFound
        }
        StartError::AlreadyRunning(_) | StartError::IdReused { .. } => ErrorCode::Conflict,
        StartError::Invalid(_) => ErrorCode::BadRequest,
        StartError::InvalidInput(_) => ErrorCode::Invalid,
        StartError::Storage(_) => ErrorCode::Internal,
        StartError::Stopped(_) | StartError::OutcomeUnknown(_) => ErrorCode::StorageFailed,
        StartError::RateLimited { .. } => ErrorCode::ResourceExhausted,
        StartError::NotOwner { .. } => ErrorCode::Unavailable,
    };
    ApiError::new(code, e)
}

async fn describe_handler(
    State(host): State<Host>,
    Path(id): Path<String>,
) -> ApiResult<Json<Description>> {
    Ok(Json(super::describe::described(&host, &id).await?))
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

/// `?stored=true`: payloads as stored (encoded ones stay envelopes; the others are
/// masked, as the decoded ones are).
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
    let events = super::describe::history(&host, &run, params.stored)?;
    Ok(Json(export::to_json(
        &run.workflow_id,
        &run.run_id,
        &events,
    )))
}
