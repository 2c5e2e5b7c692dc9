//! The routes the hosts of a cluster call on one another (see [`super::remote`]): a
//! start or a message for a run the called host serves. They answer with the runtime's
//! own result, serialized, and take requests only with the cluster's key, which every
//! host reads from the database it shares.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::runtime::{Host, RemoteMessage, StartRequest};

/// The header that carries the cluster's key.
pub const CLUSTER_KEY: &str = "x-weft-cluster-key";

#[derive(Clone)]
struct Internal {
    host: Host,
    key: String,
}

/// The internal routes of `host`, guarded by `key`.
pub fn routes(host: Host, key: String) -> Router {
    Router::new()
        .route("/internal/v1/executions/{id}/start", post(start))
        .route("/internal/v1/executions/{id}/message", post(message))
        .route("/internal/v1/modules/adopt", post(adopt))
        .with_state(Internal { host, key })
}

/// The body of a call that carries the cluster's key, decoded; else the status that
/// refuses it (no key or a wrong one, or a body that does not decode).
fn keyed<T: DeserializeOwned>(
    internal: &Internal,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, StatusCode> {
    let presented = headers
        .get(CLUSTER_KEY)
        .map(|v| v.as_bytes())
        .unwrap_or(b"");
    if !bool::from(presented.ct_eq(internal.key.as_bytes())) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    serde_json::from_slice(body).map_err(|_| StatusCode::BAD_REQUEST)
}

fn answer<T: Serialize>(value: T) -> Response {
    Json(value).into_response()
}

async fn start(State(internal): State<Internal>, headers: HeaderMap, body: Bytes) -> Response {
    match keyed::<StartRequest>(&internal, &headers, &body) {
        Ok(request) => answer(internal.host.take_start(request).await),
        Err(status) => status.into_response(),
    }
}

async fn message(
    State(internal): State<Internal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match keyed::<RemoteMessage>(&internal, &headers, &body) {
        Ok(message) => answer(internal.host.take_message(&id, message).await),
        Err(status) => status.into_response(),
    }
}

/// What a deployment through another host asks of this one: move its runs.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Adoption {
    pub name: String,
    pub digest: String,
}

async fn adopt(State(internal): State<Internal>, headers: HeaderMap, body: Bytes) -> Response {
    match keyed::<Adoption>(&internal, &headers, &body) {
        Ok(asked) => {
            let adopted = internal
                .host
                .take_adoption(&asked.name, &asked.digest)
                .await;
            answer(adopted.map_err(|e| e.to_string()))
        }
        Err(status) => status.into_response(),
    }
}
