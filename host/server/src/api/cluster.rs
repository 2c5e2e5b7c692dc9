//! `GET /v1/cluster`: who holds the shards of the cluster this server belongs to, as
//! the cluster's own records say (the PostgreSQL membership, or, on a redb file, this
//! one host).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::{Extension, Json, Router};
use weft_api::types::{ClusterNode, ClusterStatus, ErrorCode};

use super::server::ApiError;
use crate::runtime::Host;
use weft_runtime::placement::Placement;

/// What the server asks of the cluster it belongs to.
pub trait ClusterView: Send + Sync + 'static {
    /// Who holds what (may block on a database read).
    fn status(&self) -> Result<ClusterStatus, String>;
    /// The server listens at `url` now (the address a node advertises unless
    /// `--advertise` said otherwise).
    fn listening(&self, url: &str);
    /// Resolves once this host may open (it joined its cluster); an error when it lost
    /// its place while waiting.
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
    /// This host's node id.
    fn node_id(&self) -> String;
    /// The key the hosts of the cluster present to one another's internal routes;
    /// `None` for a host alone (which has none).
    fn cluster_key(&self) -> Option<String> {
        None
    }
    /// The runs the host serves, which the cluster changes as shards come and go.
    fn placement(&self) -> Arc<Placement> {
        Arc::new(Placement::whole())
    }
    /// The host is open: from now on, take up the runs of shards gained and let go of
    /// those of shards released.
    fn attach(&self, host: &Host) {
        let _ = host;
    }
    /// Whether this host serves only some workflows (a cluster's shards).
    fn is_partial(&self) -> bool {
        false
    }
    /// Whether this host serves `workflow_id` now.
    fn serves(&self, workflow_id: &str) -> bool {
        let _ = workflow_id;
        true
    }
    /// The workflow id of `id`, a workflow id or a run id (may block on a database read).
    fn workflow_of(&self, id: &str) -> String {
        id.to_string()
    }
    /// The address of the host that serves `workflow_id` now, if one does (may block on
    /// a database read).
    fn owner_of(&self, workflow_id: &str) -> Option<String> {
        let _ = workflow_id;
        None
    }
    /// A call was forwarded to the host that serves it: `answered`, `unsent` (it never
    /// left), `unanswered` (the outcome is unknown) or `bounced` (a forwarded call for a
    /// workflow this host no longer serves); or `internal`: the host's own request for a
    /// run another host serves (a child's start, a signal) was answered there.
    fn forwarded(&self, outcome: &'static str) {
        let _ = outcome;
    }
    /// Add the cluster's figures to the host's metrics (once the host serves).
    fn register_metrics(self: Arc<Self>, registry: &prometheus::Registry) {
        let _ = registry;
    }
}

/// A host on a redb file: a cluster of one node that holds its one shard.
pub struct SingleHost {
    node_id: String,
    address: Mutex<String>,
}

impl SingleHost {
    pub fn new(node_id: impl Into<String>) -> SingleHost {
        SingleHost {
            node_id: node_id.into(),
            address: Mutex::new(String::new()),
        }
    }
}

impl ClusterView for SingleHost {
    fn status(&self) -> Result<ClusterStatus, String> {
        Ok(ClusterStatus {
            nodes: vec![ClusterNode {
                node_id: self.node_id.clone(),
                address: self.address.lock().unwrap().clone(),
                alive: true,
                shards: 1,
                epoch: 1,
            }],
            shards: 1,
        })
    }

    fn listening(&self, url: &str) {
        *self.address.lock().unwrap() = url.to_string();
    }

    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async { Ok(()) })
    }

    fn node_id(&self) -> String {
        self.node_id.clone()
    }
}

/// The `/v1/cluster` route.
pub fn routes<S: Clone + Send + Sync + 'static>(view: Arc<dyn ClusterView>) -> Router<S> {
    Router::new()
        .route("/v1/cluster", get(status))
        .layer(Extension(view))
}

async fn status(
    Extension(view): Extension<Arc<dyn ClusterView>>,
) -> Result<Json<ClusterStatus>, ApiError> {
    tokio::task::spawn_blocking(move || view.status())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
        .map(Json)
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e))
}
