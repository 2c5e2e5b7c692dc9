//! How a host of a cluster reaches the host that serves a run: the runtime's
//! [`Remote`], over the internal routes (see [`super::internal`]) of the host that holds
//! the run's shard. A request that finds no owner (a shard being taken over), cannot be
//! sent, or reaches a host that no longer serves the run is sent again, to the owner of
//! the moment, until [`PATIENCE`] runs out; the requests the runtime sends this way
//! carry request ids (or name ids that refuse a duplicate), so sending one again after
//! a lost reply takes effect once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::cluster::ClusterView;
use super::internal::{Adoption, CLUSTER_KEY};
use crate::runtime::{
    Adopted, Answer, MessageError, Remote, RemoteMessage, RunHandle, StartError, StartOutcome,
    StartRequest,
};

/// How long a request keeps looking for the host that serves its run: longer than a
/// lease, so a takeover completes within it.
const PATIENCE: Duration = Duration::from_secs(30);

/// The header a host marks its calls to another with (see `front.rs`).
const FORWARDED: &str = "x-weft-forwarded";

/// [`Remote`] over HTTP to the other hosts of a cluster.
#[derive(Clone)]
pub struct HttpRemote {
    cluster: Arc<dyn ClusterView>,
    key: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRemote").finish_non_exhaustive()
    }
}

impl HttpRemote {
    pub fn new(cluster: Arc<dyn ClusterView>, key: String) -> HttpRemote {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        HttpRemote {
            cluster,
            key,
            agent,
        }
    }

    /// Post `body` to `route` of the host that serves `workflow_id` until it answers
    /// with something `settled` accepts, or [`PATIENCE`] runs out (`Err`: why).
    fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        workflow_id: &str,
        route: &str,
        body: &B,
        settled: impl Fn(&T) -> bool,
    ) -> Result<T, String> {
        let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let path = format!("/internal/v1/executions/{}/{route}", encode(workflow_id));
        let deadline = Instant::now() + PATIENCE;
        let mut pause = Duration::from_millis(50);
        loop {
            let why = match self.cluster.owner_of(workflow_id) {
                None => "no host serves its shard (a takeover is under way)".to_string(),
                Some(owner) => match self.post(&owner, &path, &body) {
                    Ok(answer) => match serde_json::from_slice::<T>(&answer) {
                        Ok(answer) if settled(&answer) => {
                            self.cluster.forwarded("internal");
                            return Ok(answer);
                        }
                        Ok(_) => format!("{owner} no longer serves it"),
                        Err(e) => return Err(format!("{owner} answered {e}")),
                    },
                    Err(why) => why,
                },
            };
            if Instant::now() + pause >= deadline {
                return Err(format!(
                    "the host that serves workflow `{workflow_id}` could not be reached: {why}"
                ));
            }
            tracing::debug!(workflow_id, "retrying a request for another host: {why}");
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// One POST: the body of a 200 answer, or why there is none (to be tried again).
    fn post(&self, owner: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        let url = format!("{}{path}", owner.trim_end_matches('/'));
        let mut answer = self
            .agent
            .post(&url)
            .header(CLUSTER_KEY, &self.key)
            .header(FORWARDED, self.cluster.node_id().as_str())
            .header("content-type", "application/json")
            .send(body)
            .map_err(|e| format!("{url}: {e}"))?;
        let status = answer.status().as_u16();
        let bytes = (answer.body_mut().with_config())
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| format!("{url}: {e}"))?;
        match status {
            200 => Ok(bytes),
            _ => Err(format!(
                "{url}: {status} {}",
                String::from_utf8_lossy(&bytes)
            )),
        }
    }
}

/// A path segment with what a URL path cannot hold percent-encoded.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl HttpRemote {
    /// [`HttpRemote::call`] off the async threads; `gave_up` makes the error of a
    /// request that found no host to answer it.
    fn ask<B, T, E>(
        &self,
        workflow_id: &str,
        route: &'static str,
        body: B,
        gave_up: fn(String) -> E,
        settled: fn(&Result<T, E>) -> bool,
    ) -> Answer<Result<T, E>>
    where
        B: Serialize + Send + 'static,
        T: DeserializeOwned + Send + 'static,
        E: DeserializeOwned + Send + 'static,
    {
        let (this, workflow_id) = (self.clone(), workflow_id.to_string());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                (this.call(&workflow_id, route, &body, settled))
                    .unwrap_or_else(|why| Err(gave_up(why)))
            })
            .await
            .unwrap_or_else(|e| Err(gave_up(e.to_string())))
        })
    }
}

impl HttpRemote {
    /// Ask every other live host to move its runs to a deployed version; what they
    /// answered. A host that cannot be reached keeps its runs where they are (logged).
    fn adopt_everywhere(&self, adoption: &Adoption) -> Adopted {
        let (mut moved, mut stayed) = (Vec::new(), Vec::new());
        let me = self.cluster.node_id();
        let nodes = match self.cluster.status() {
            Ok(status) => status.nodes,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the hosts that should move their runs");
                return (moved, stayed);
            }
        };
        let body = serde_json::to_vec(adoption).expect("an adoption serializes");
        for node in nodes.iter().filter(|n| n.alive && n.node_id != me) {
            let answer = self
                .post(&node.address, "/internal/v1/modules/adopt", &body)
                .and_then(|bytes| {
                    serde_json::from_slice::<Result<Adopted, String>>(&bytes)
                        .map_err(|e| e.to_string())?
                });
            match answer {
                Ok((m, s)) => {
                    moved.extend(m);
                    stayed.extend(s);
                }
                Err(e) => tracing::warn!(node = %node.node_id, error = %e,
                    "a host did not move its runs to the deployed version"),
            }
        }
        (moved, stayed)
    }
}

impl Remote for HttpRemote {
    fn adopt(&self, name: &str, digest: &str) -> Answer<Adopted> {
        let this = self.clone();
        let adoption = Adoption {
            name: name.to_string(),
            digest: digest.to_string(),
        };
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.adopt_everywhere(&adoption))
                .await
                .unwrap_or_default()
        })
    }

    fn start(
        &self,
        workflow_id: &str,
        request: StartRequest,
    ) -> Answer<Result<StartOutcome, StartError>> {
        let settled = |a: &Result<_, _>| !matches!(a, Err(StartError::NotOwner { .. }));
        self.ask(workflow_id, "start", request, StartError::Storage, settled)
    }

    fn message(
        &self,
        workflow_id: &str,
        message: RemoteMessage,
    ) -> Answer<Result<RunHandle, MessageError>> {
        let settled = |a: &Result<_, _>| !matches!(a, Err(MessageError::NotOwner { .. }));
        self.ask(
            workflow_id,
            "message",
            message,
            MessageError::Unavailable,
            settled,
        )
    }
}
