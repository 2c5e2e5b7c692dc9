//! Listing and counting executions: by status and type (the run indexes), or by a
//! list filter (`query`, answered from the indexes by `storage::redb_search`).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::server::{ApiError, ApiResult, Params};
use super::types::*;
use crate::runtime::Host;
use crate::storage::{RunFilter, RunRecord};

#[derive(Deserialize, Default)]
pub(crate) struct ListParams {
    pub(crate) status: Option<String>,
    #[serde(rename = "type")]
    pub(crate) workflow_type: Option<String>,
    pub(crate) limit: Option<usize>,
    pub(crate) cursor: Option<String>,
    pub(crate) query: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message.into())
}

pub(super) async fn list(
    State(host): State<Host>,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<ExecutionPage>> {
    page(&host, p).map(Json)
}

/// One page of runs as `p` asks: the API's list and the UI's executions page.
pub(crate) fn page(host: &Host, p: ListParams) -> ApiResult<ExecutionPage> {
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(bad(format!("limit must be 1-{MAX_PAGE}")));
    }
    let not_ours = || bad("the cursor is not one this server gave out");
    if let Some(query) = &p.query {
        if p.status.is_some() || p.workflow_type.is_some() {
            return Err(bad(
                "give either `query` or `status`/`type`; in a query, write \
                 ExecutionStatus = 'Running' AND WorkflowType = 'hello'",
            ));
        }
        // A query's pages are by position in its order.
        let offset = match &p.cursor {
            Some(c) => c
                .strip_prefix('q')
                .and_then(|n| n.parse().ok())
                .ok_or_else(not_ours)?,
            None => 0,
        };
        let page = host.inspect().search(query, offset, limit)?;
        return Ok(ExecutionPage {
            executions: infos(host, &page.runs)?,
            next_cursor: page.more.then(|| format!("q{}", offset + limit)),
            plan: Some(page.plan),
        });
    }
    let status: Option<ExecutionStatus> = match &p.status {
        Some(s) => Some(s.parse().map_err(|e: String| bad(e))?),
        None => None,
    };
    let before: Option<(u64, String)> = match &p.cursor {
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(ms, run)| Some((ms.parse().ok()?, run.to_string())))
                .ok_or_else(not_ours)?,
        ),
        None => None,
    };
    let filter = RunFilter {
        status: status.map(Into::into),
        workflow_type: p.workflow_type,
        before,
    };
    let mut page = host.list_runs(&filter, limit + 1)?;
    let next_cursor = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|r| format!("{}.{}", r.start_ms, r.run_id))
    } else {
        None
    };
    Ok(ExecutionPage {
        executions: infos(host, &page)?,
        next_cursor,
        plan: None,
    })
}

/// The runs as the API lists them, each with its priority, and open ones saying
/// whether they are paused or pending.
fn infos(host: &Host, runs: &[RunRecord]) -> ApiResult<Vec<ExecutionInfo>> {
    let mut infos = weft_runtime::bodies::execution_infos(&host.inspect(), runs)?;
    for (info, run) in infos.iter_mut().zip(runs) {
        if run.status.is_open() {
            info.pending = host.pending_reason(&info.run_id);
        }
    }
    Ok(infos)
}

#[derive(Deserialize)]
pub(super) struct CountParams {
    #[serde(default)]
    query: String,
}

pub(super) async fn count(
    State(host): State<Host>,
    Params(p): Params<CountParams>,
) -> ApiResult<Json<CountBody>> {
    Ok(Json(host.inspect().count(&p.query)?.into()))
}
