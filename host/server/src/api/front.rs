//! The server's front door: `/v1/cluster` is answered here; every other call goes to
//! the host's own routes once the host is open, except, in a cluster, a call about a
//! workflow whose shard another host holds, which is forwarded to that host (the
//! workflow id is read from the path, or from a start's body).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use weft_api::types::{ErrorCode, MAX_MODULE_BYTES};

use super::auth::Tokens;
use super::cluster::ClusterView;
use super::server::{secured, ApiError};

/// Marks a call one host forwarded to another: the receiver serves it or refuses it,
/// never forwards it again (ownership moving between two looks cannot bounce it).
const FORWARDED: &str = "x-weft-forwarded";

/// The routes of the host, once it serves.
#[derive(Clone, Default)]
pub struct Slot(Arc<RwLock<Option<Router>>>);

impl Slot {
    pub fn install(&self, router: Router) {
        *self.0.write().unwrap() = Some(router);
    }

    fn get(&self) -> Option<Router> {
        self.0.read().unwrap().clone()
    }
}

#[derive(Clone)]
struct Front {
    slot: Slot,
    cluster: Arc<dyn ClusterView>,
    agent: ureq::Agent,
}

/// `/v1/cluster`, and everything else to the host's routes once `slot` holds them (or
/// to the host that serves its workflow), or 503 while the host opens.
pub fn front(slot: Slot, cluster: Arc<dyn ClusterView>, tokens: Option<Tokens>) -> Router {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5)))
        // A serving host that stopped answering (paused, cut off) fails the call in
        // the end, leaving room for the longest wait a call may ask for (an update's
        // `wait_s`, up to 300 s); callers with less patience time out on their own.
        .timeout_global(Some(Duration::from_secs(310)))
        .build()
        .new_agent();
    let rest = Router::new().fallback(dispatch).with_state(Front {
        slot,
        cluster: cluster.clone(),
        agent,
    });
    secured(super::cluster::routes(cluster), tokens).merge(rest)
}

async fn dispatch(State(front): State<Front>, request: Request) -> Response {
    let Some(mut router) = front.slot.get() else {
        return ApiError::new(
            ErrorCode::Unavailable,
            "the host is opening; try again in a moment",
        )
        .into_response();
    };
    let (request, owner) = match route(&front, request).await {
        Ok(routed) => routed,
        Err(refused) => return refused,
    };
    let Some(owner) = owner else {
        use tower_service::Service;
        return match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
    };
    if request.headers().contains_key(FORWARDED) {
        front.cluster.forwarded("bounced");
        return ApiError::new(
            ErrorCode::Unavailable,
            "the workflow's shard is changing hands between hosts; try again in a moment",
        )
        .into_response();
    }
    match forward(&front, owner, request).await {
        Ok(response) => {
            front.cluster.forwarded("answered");
            response
        }
        Err(Unsent(message)) => {
            front.cluster.forwarded("unsent");
            ApiError::new(ErrorCode::Unavailable, message).into_response()
        }
        Err(Unanswered(message)) => {
            front.cluster.forwarded("unanswered");
            ApiError::new(ErrorCode::ForwardFailed, message).into_response()
        }
    }
}

/// Where `request` is served: here (`None`), or at the address of the host that holds
/// its workflow's shard. A call about no workflow in particular (a list, a deploy) is
/// served here. The request comes back whole (its body read, when a start's was).
async fn route(front: &Front, request: Request) -> Result<(Request, Option<String>), Response> {
    if !front.cluster.is_partial() {
        return Ok((request, None));
    }
    let (request, id) = workflow_named(request).await?;
    let Some(id) = id else {
        return Ok((request, None));
    };
    let cluster = front.cluster.clone();
    let owner = tokio::task::spawn_blocking(move || {
        let workflow_id = cluster.workflow_of(&id);
        if cluster.serves(&workflow_id) {
            return Ok(None);
        }
        cluster.owner_of(&workflow_id).map(Some).ok_or_else(|| {
            format!(
                "no host of the cluster serves workflow `{workflow_id}` right now (its \
                 shard is being taken over); try again in a few seconds"
            )
        })
    })
    .await
    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()).into_response())?;
    match owner {
        Ok(owner) => Ok((request, owner)),
        Err(message) => Err(ApiError::new(ErrorCode::Unavailable, message).into_response()),
    }
}

/// The workflow (or run) id `request` is about: the `{id}` of `/v1/executions/{id}/…`
/// or `/v1/schedules/{id}/…`, or the id a start's or a new schedule's body names (or a
/// start's derives from its request id).
async fn workflow_named(request: Request) -> Result<(Request, Option<String>), Response> {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "executions", id, ..] => {
            let id = percent_decode(id);
            Ok((request, Some(id)))
        }
        // A schedule or a batch is served where a workflow of its id would be.
        ["v1", "schedules" | "batches", id, ..] => {
            let id = percent_decode(id);
            Ok((request, Some(id)))
        }
        ["v1", "executions"] if request.method() == Method::POST => {
            with_body(request, start_workflow_id).await
        }
        ["v1", "schedules" | "batches"] if request.method() == Method::POST => {
            with_body(request, |body| {
                let named: Named = serde_json::from_slice(body).ok()?;
                named.id
            })
            .await
        }
        _ => Ok((request, None)),
    }
}

/// The `id` a new schedule's or batch's body names (a host picks one when it names
/// none).
#[derive(serde::Deserialize)]
struct Named {
    id: Option<String>,
}

/// `request`, its body read, and the id `id_in` finds in the body.
async fn with_body(
    request: Request,
    id_in: impl FnOnce(&Bytes) -> Option<String>,
) -> Result<(Request, Option<String>), Response> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_MODULE_BYTES).await.map_err(|e| {
        ApiError::new(ErrorCode::BadRequest, format!("reading the body: {e}")).into_response()
    })?;
    let id = id_in(&bytes);
    Ok((Request::from_parts(parts, Body::from(bytes)), id))
}

/// The workflow id a start's body names, or the one the host derives from its request
/// id; `None` when the host picks one at random (any host may) or the body is not a
/// start (the host's route answers that).
fn start_workflow_id(body: &Bytes) -> Option<String> {
    let start: weft_api::types::StartBody = serde_json::from_slice(body).ok()?;
    match (start.id, start.request_id) {
        (Some(id), _) => Some(id),
        (None, Some(request_id)) => Some(weft_runtime::runtime::workflow_id_for_request(
            &start.workflow_type,
            &request_id,
        )),
        (None, None) => None,
    }
}

/// A path segment with its percent-escapes decoded (ids are UTF-8).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(a), Some(b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap() * 16 + hex(b).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a forwarded call has no answer.
enum Failed {
    /// It never reached the serving host: nothing happened; retry.
    Unsent(String),
    /// It was sent and no answer came back: it may have taken effect.
    Unanswered(String),
}
use Failed::{Unanswered, Unsent};

/// Whether `e` means the call never left: no connection was made.
fn unsent(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
        ),
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => true,
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::BadUri(_) => true,
        _ => false,
    }
}

/// Send `request` to the host at `owner` and hand back its answer.
async fn forward(front: &Front, owner: String, request: Request) -> Result<Response, Failed> {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_MODULE_BYTES)
        .await
        .map_err(|e| Unsent(format!("reading the request to forward: {e}")))?;
    let agent = front.agent.clone();
    let node = front.cluster.node_id();
    tokio::task::spawn_blocking(move || {
        let holder = owner;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut outgoing = ureq::http::Request::builder()
            .method(parts.method.as_str())
            .uri(format!("{}{path}", holder.trim_end_matches('/')))
            .header(FORWARDED, node.as_str());
        for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT] {
            if let Some(value) = parts.headers.get(&name) {
                outgoing = outgoing.header(name.as_str(), value.as_bytes());
            }
        }
        let outgoing = outgoing
            .body(body.to_vec())
            .map_err(|e| Unsent(e.to_string()))?;
        let mut answer = agent.run(outgoing).map_err(|e| {
            let message = format!("forwarding to {holder}, the host that serves the workflow: {e}");
            if unsent(&e) {
                Unsent(message)
            } else {
                Unanswered(format!(
                    "{message}; the call may or may not have taken effect"
                ))
            }
        })?;
        let status =
            StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let content_type = answer.headers().get("content-type").cloned();
        let bytes = answer
            .body_mut()
            .with_config()
            .limit(MAX_MODULE_BYTES as u64)
            .read_to_vec()
            .map_err(|e| {
                Unanswered(format!(
                    "reading the answer of {holder}: {e}; the call may or may not have taken effect"
                ))
            })?;
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = status;
        if let Some(value) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        Ok(response)
    })
    .await
    .map_err(|e| Unanswered(e.to_string()))?
}
