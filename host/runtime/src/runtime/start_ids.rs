//! The workflow id of a start that names none: derived from its request id, so that a
//! retry names the same execution on any host, or random, within the shards this host
//! serves.

use super::{Host, StartRequest};

impl Host {
    /// The id of a start that names none: `<type>-` and twelve hex digits, derived from
    /// the request id (a retry gets the same id) or random. A random one is drawn again
    /// until it falls in a shard this host serves (a few draws among a cluster's hosts).
    pub(super) fn pick_workflow_id(&self, request: &StartRequest) -> String {
        let pick = |unique: String| format!("{}-{}", request.workflow_type, &unique[..12]);
        if let Some(id) = &request.request_id {
            return workflow_id_for_request(&request.workflow_type, id);
        }
        let placement = &self.inner.placement;
        let mut id = pick(self.inner.entropy.id());
        if placement.holds_none() {
            return id;
        }
        while !placement.owns(&id) {
            id = pick(self.inner.entropy.id());
        }
        id
    }
}

/// The workflow id the host gives a start of `workflow_type` that names no id but has
/// request id `request_id`: the same for every retry, on any host of a cluster.
pub fn workflow_id_for_request(workflow_type: &str, request_id: &str) -> String {
    let unique = format!("{:016x}", crate::placement::fnv1a64(request_id.as_bytes()));
    format!("{workflow_type}-{}", &unique[..12])
}
