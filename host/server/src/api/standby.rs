//! The server's front door before its host serves: a standby of a cluster forwards
//! every API call to the host that holds the shards now, and once this host serves, the
//! calls go to its own routes. `/v1/cluster` is answered here in both phases.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use weft_api::types::{ErrorCode, MAX_MODULE_BYTES};

use super::auth::Tokens;
use super::cluster::ClusterView;
use super::server::{secured, ApiError};

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

/// `/v1/cluster`, and everything else to the host's routes once `slot` holds them, to
/// the serving host while this one is a standby, or 503 while it opens.
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
    if let Some(router) = front.slot.get() {
        use tower_service::Service;
        let mut router = router;
        return match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
    }
    if !front.cluster.is_standby() {
        return ApiError::new(
            ErrorCode::Unavailable,
            "the host is opening; try again in a moment",
        )
        .into_response();
    }
    match forward(&front, request).await {
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

/// Send `request` to the host that serves the cluster and hand back its answer.
async fn forward(front: &Front, request: Request) -> Result<Response, Failed> {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_MODULE_BYTES)
        .await
        .map_err(|e| Unsent(format!("reading the request to forward: {e}")))?;
    let cluster = front.cluster.clone();
    let agent = front.agent.clone();
    tokio::task::spawn_blocking(move || {
        let holder = cluster.holder().ok_or_else(|| {
            Unsent(
                "this host is a standby and no host serves the cluster now (a takeover is \
                 under way); try again in a few seconds"
                    .into(),
            )
        })?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut outgoing = ureq::http::Request::builder()
            .method(parts.method.as_str())
            .uri(format!("{}{path}", holder.trim_end_matches('/')));
        for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT] {
            if let Some(value) = parts.headers.get(&name) {
                outgoing = outgoing.header(name.as_str(), value.as_bytes());
            }
        }
        let outgoing = outgoing
            .body(body.to_vec())
            .map_err(|e| Unsent(e.to_string()))?;
        let mut answer = agent.run(outgoing).map_err(|e| {
            let message = format!("forwarding to the serving host {holder}: {e}");
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
