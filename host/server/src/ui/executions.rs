//! The executions page: one indexed page of runs (newest first, or those a list filter
//! passes), a query box, next and previous pages, a jump to an id, the status counts
//! (a fragment loaded apart and kept for a few seconds: counting walks an index) and an
//! opt-in auto-refresh.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{self, execution_href, query_value, status_badge, Section};
use super::{batch_new, Ui, UiError, UiResult};
use crate::api::listing::{self, ListParams};
use crate::api::types::{CountBody, ExecutionInfo, ExecutionPage};
use crate::runtime::QueryError;

/// Rows on a page.
const PAGE: usize = 50;
/// How long status counts are reused: counting walks an index (about 150 ms at 100,000
/// runs), and every list page and its auto-refresh asks.
const COUNT_TTL: Duration = Duration::from_secs(10);
/// Most queries whose counts are kept.
const COUNT_ENTRIES: usize = 256;

/// Status counts by query, each kept for [`COUNT_TTL`].
#[derive(Default)]
pub(crate) struct CountCache(Mutex<HashMap<String, (Instant, CountBody)>>);

impl CountCache {
    fn get(&self, query: &str) -> Option<CountBody> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(query)
            .filter(|(at, _)| at.elapsed() < COUNT_TTL)
            .map(|(_, counted)| counted.clone())
    }

    fn put(&self, query: &str, counted: CountBody) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= COUNT_ENTRIES {
            kept.retain(|_, (at, _)| at.elapsed() < COUNT_TTL);
            if kept.len() >= COUNT_ENTRIES {
                kept.clear();
            }
        }
        kept.insert(query.to_string(), (Instant::now(), counted));
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ListForm {
    #[serde(default)]
    query: String,
    cursor: Option<String>,
    /// The cursors of the pages before this one, comma-separated (`-` for the first).
    #[serde(default)]
    trail: String,
    /// Jump to this workflow or run id.
    id: Option<String>,
    /// `rows`: only the table (the auto-refresh asks for it).
    fragment: Option<String>,
    /// The workflow id of an execution just deleted from its page.
    deleted: Option<String>,
}

pub(crate) async fn list(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Query(form): Query<ListForm>,
) -> UiResult<Response> {
    if let Some(id) = form
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        return Ok(match ui.host.find_run(id) {
            Ok(run) => Redirect::to(&execution_href(&run.workflow_id)).into_response(),
            Err(QueryError::NotFound(_)) => {
                let missing = html! { div.error role="alert" { "No execution has the id " code { (id) } "." } };
                let body = page_body(&viewer, &form, Ok(empty_page()), missing);
                (
                    StatusCode::NOT_FOUND,
                    layout::page(&viewer, Section::Executions, "Executions", body),
                )
                    .into_response()
            }
            Err(e) => return Err(e.into()),
        });
    }
    let query = form.query.trim();
    let checked = if query.is_empty() {
        Ok(())
    } else {
        match ui.host.inspect().check_query(query) {
            Ok(_) => Ok(()),
            Err(QueryError::Filter(e)) => Err(e),
            Err(e) => return Err(e.into()),
        }
    };
    let found = match checked {
        Ok(()) => Ok(listing::page(
            &ui.host,
            ListParams {
                limit: Some(PAGE),
                cursor: form.cursor.clone(),
                query: (!query.is_empty()).then(|| query.to_string()),
                ..ListParams::default()
            },
        )?),
        Err(e) => Err(e),
    };
    let status = if found.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    if form.fragment.as_deref() == Some("rows") {
        return Ok((status, rows(&form, &found)).into_response());
    }
    let deleted = form.deleted.as_ref().map(|id| {
        html! { div.notice role="status" { "Deleted the execution " code { (id) } "." } }
    });
    let body = page_body(&viewer, &form, found, deleted.unwrap_or_else(|| html! {}));
    Ok((
        status,
        layout::page(&viewer, Section::Executions, "Executions", body),
    )
        .into_response())
}

fn empty_page() -> ExecutionPage {
    ExecutionPage {
        executions: Vec::new(),
        next_cursor: None,
        plan: None,
    }
}

type Found = Result<ExecutionPage, weft_runtime::query::QueryError>;

fn page_body(viewer: &Viewer, form: &ListForm, found: Found, notice: Markup) -> Markup {
    let query = form.query.trim();
    html! {
        h1 { "Executions" }
        div.counts #counts hx-get=(format!("/ui/executions/counts?query={}", query_value(query))) hx-trigger="load" {
            noscript { a href=(format!("/ui/executions/counts?query={}", query_value(query))) { "Status counts" } }
        }
        form.toolbar method="get" action="/ui/executions" role="search" {
            input type="search" name="query" value=(query) aria-label="List filter"
                placeholder="WorkflowType = 'hello' AND ExecutionStatus = 'Running'";
            button type="submit" { "Filter" }
            @if !query.is_empty() { a href="/ui/executions" { "Clear" } }
        }
        form.toolbar method="get" action="/ui/executions" {
            input type="text" name="id" aria-label="Workflow or run id" placeholder="Jump to a workflow or run id";
            button type="submit" { "Open" }
            label { input #auto-refresh type="checkbox"; " Auto-refresh (5 s)" }
        }
        (notice)
        (rows(form, &found))
        (batch_new::form(viewer, query))
    }
}

/// The table with its pager (what auto-refresh replaces every 5 s while ticked).
fn rows(form: &ListForm, found: &Found) -> Markup {
    let query = form.query.trim();
    let here = format!(
        "/ui/executions?query={}&cursor={}&trail={}&fragment=rows",
        query_value(query),
        query_value(form.cursor.as_deref().unwrap_or_default()),
        query_value(&form.trail)
    );
    html! {
        div #runs hx-get=(here) hx-trigger="every 5s" hx-swap="outerHTML" data-poll="opt-in" {
            @match found {
                Err(e) => div.error role="alert" {
                    "The query is not valid: " (e.message) " (column " (e.column) ")"
                    br;
                    span.caret { (e.query) "\n" (" ".repeat(e.column.saturating_sub(1))) "^" }
                },
                Ok(page) => {
                    (table(&page.executions))
                    @if let Some(plan) = &page.plan { p.muted { "Plan: " (plan) } }
                    (pager(form, page))
                }
            }
        }
    }
}

fn table(runs: &[ExecutionInfo]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.muted { "No executions." }
        } @else {
            table.executions {
                thead { tr { th { "Workflow id" } th { "Type" } th { "Status" } th { "Start" } th.num { "Duration" } th.num { "Events" } } }
                tbody {
                    @for run in runs {
                        tr {
                            td { a href=(execution_href(&run.run_id)) { (run.workflow_id) } }
                            td { (run.workflow_type) }
                            td { (status_badge(run.status)) }
                            td { (layout::time(run.start_ms)) }
                            td.num { @if let Some(close) = run.close_ms { (layout::duration(close.saturating_sub(run.start_ms))) } @else { span.muted { "open" } } }
                            td.num { @if run.close_ms.is_some() { (run.history_len) } @else { span.muted { "–" } } }
                        }
                    }
                }
            }
        }
    }
}

/// Next and previous: a cursor goes forward; the trail of earlier cursors goes back.
fn pager(form: &ListForm, page: &ExecutionPage) -> Markup {
    let query = query_value(form.query.trim());
    let current = form.cursor.clone().unwrap_or_else(|| "-".into());
    let mut trail: Vec<&str> = form.trail.split(',').filter(|c| !c.is_empty()).collect();
    let previous = trail.pop().map(|cursor| {
        let cursor = if cursor == "-" {
            String::new()
        } else {
            query_value(cursor)
        };
        format!(
            "/ui/executions?query={query}&cursor={cursor}&trail={}",
            query_value(&trail.join(","))
        )
    });
    let next = page.next_cursor.as_ref().map(|next| {
        let mut forward: Vec<&str> = form.trail.split(',').filter(|c| !c.is_empty()).collect();
        forward.push(&current);
        format!(
            "/ui/executions?query={query}&cursor={}&trail={}",
            query_value(next),
            query_value(&forward.join(","))
        )
    });
    html! {
        nav.pager aria-label="Pages" {
            @if let Some(href) = previous { a rel="prev" href=(href) { "← Previous" } }
            @if let Some(href) = next { a rel="next" href=(href) { "Next →" } }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CountForm {
    #[serde(default)]
    query: String,
}

/// The status counts of the runs a query passes (all runs without one), each a link
/// that narrows the list to that status.
pub(crate) async fn counts(
    State(ui): State<Ui>,
    Query(form): Query<CountForm>,
) -> UiResult<Markup> {
    let query = form.query.trim().to_string();
    let counted = match ui.counts.get(&query) {
        Some(counted) => counted,
        None => {
            let host = ui.host.clone();
            let grouped = format!("{query} GROUP BY ExecutionStatus");
            // Counting walks an index: off the async threads.
            let counted = tokio::task::spawn_blocking(move || host.inspect().count(grouped.trim()))
                .await
                .map_err(|e| UiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let counted: CountBody = match counted {
                Ok(counted) => counted.into(),
                Err(QueryError::Filter(_)) => return Ok(html! {}),
                Err(e) => return Err(e.into()),
            };
            ui.counts.put(&query, counted.clone());
            counted
        }
    };
    let query = query.as_str();
    let narrowed = |status: &str| {
        let clause = format!("ExecutionStatus = '{status}'");
        let query = if query.is_empty() {
            clause
        } else {
            format!("({query}) AND {clause}")
        };
        format!("/ui/executions?query={}", query_value(&query))
    };
    Ok(html! {
        span.muted { (counted.count) " executions" }
        @for group in counted.groups.iter().flatten() {
            a.badge href=(narrowed(&group.status)) { (group.status) " " (group.count) }
        }
    })
}
