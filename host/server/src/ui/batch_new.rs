//! A batch over the executions list's query: the "Batch action" form under the list
//! (a GET, so it changes nothing), the confirmation page it leads to, which says how
//! many executions the query matches now, and the post that submits the batch from
//! there. The fields become the body `POST /v1/batches` takes, checked by the same
//! function ([`crate::api::batches::spec`]).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::batches::batch_href;
use super::guard::Viewer;
use super::layout::{self, csrf_field, query_value, Section};
use super::{Ui, UiError, UiResult};
use crate::api::batches::spec;
use crate::runtime::QueryError;
use weft_api::batch_types::BatchBody;

/// The operations, as the form offers them.
const OPERATIONS: [(&str, &str); 7] = [
    ("signal", "Signal"),
    ("cancel", "Cancel"),
    ("terminate", "Terminate"),
    ("reset", "Reset"),
    ("pause", "Pause"),
    ("unpause", "Unpause"),
    ("delete", "Delete (closed ones)"),
];

/// The batch form's fields (all text, as a form sends them).
#[derive(Deserialize, Default)]
pub(crate) struct BatchForm {
    #[serde(default)]
    query: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    rps: String,
    #[serde(default)]
    signal: String,
    #[serde(default)]
    input: String,
    #[serde(default)]
    reset_to: String,
    #[serde(default)]
    reapply: String,
}

impl BatchForm {
    /// Every field by name, to carry them through the confirmation page.
    fn fields(&self) -> [(&'static str, &str); 8] {
        [
            ("query", &self.query),
            ("operation", &self.operation),
            ("reason", &self.reason),
            ("rps", &self.rps),
            ("signal", &self.signal),
            ("input", &self.input),
            ("reset_to", &self.reset_to),
            ("reapply", &self.reapply),
        ]
    }

    /// The body the API's batch route takes; a field that does not parse is named.
    fn body(&self) -> UiResult<BatchBody> {
        let bad = |message: String| UiError::new(StatusCode::BAD_REQUEST, message);
        let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        let rps = given(&self.rps)
            .map(|r| r.parse::<f64>())
            .transpose()
            .map_err(|_| bad(format!("rps: `{}` is not a number", self.rps.trim())))?;
        let input = given(&self.input)
            .map(|i| serde_json::from_str(&i))
            .transpose()
            .map_err(|e| bad(format!("the signal's input is not valid JSON: {e}")))?;
        let signal = self.operation == "signal";
        let reset = self.operation == "reset";
        Ok(BatchBody {
            id: None,
            operation: self.operation.clone(),
            query: self.query.trim().to_string(),
            reason: self.reason.clone(),
            rps,
            signal: given(&self.signal).filter(|_| signal),
            input: input.filter(|_| signal),
            reset_to: given(&self.reset_to).filter(|_| reset),
            reapply: given(&self.reapply).filter(|_| reset),
        })
    }
}

/// The "Batch action" form under the executions list, over `query`.
pub(crate) fn form(viewer: &Viewer, query: &str) -> Markup {
    if viewer.read_only {
        return html! {};
    }
    html! {
        details.batch #batch {
            summary { "Batch action over this query…" }
            form.steer method="get" action="/ui/batches/new" {
                input type="hidden" name="query" value=(query);
                label { "Operation "
                    select name="operation" { @for (value, name) in OPERATIONS { option value=(value) { (name) } } }
                }
                input type="text" name="reason" placeholder="Reason" required aria-label="Batch reason";
                label { "At most " input type="text" name="rps" size="4" placeholder="∞" aria-label="Executions a second"; " a second" }
                fieldset { legend { "Signal" }
                    input type="text" name="signal" placeholder="Signal name" aria-label="Signal name";
                    textarea name="input" data-json placeholder="Input (JSON; empty: null)" aria-label="Signal input" {}
                }
                fieldset { legend { "Reset" }
                    input type="text" name="reset_to" placeholder="last-task" aria-label="Reset to";
                    select name="reapply" aria-label="Reapply" {
                        option value="all" { "reapply signals and updates" }
                        option value="signals" { "reapply signals" }
                        option value="updates" { "reapply updates" }
                        option value="none" { "reapply nothing" }
                    }
                }
                button type="submit" { "Review…" }
                p.muted { "Next: a page that says how many executions the query matches, to confirm." }
            }
        }
    }
}

/// `GET /ui/batches/new`: what the batch would do, and how many executions the query
/// matches now, with the button that submits it.
pub(crate) async fn confirm(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Query(form): Query<BatchForm>,
) -> UiResult<Response> {
    if viewer.read_only {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "this server's UI is read-only (--ui-read-only)",
        ));
    }
    let checked = match form.body().and_then(|b| Ok(spec(b)?.check()?)) {
        Ok(_) => matching(&ui, form.query.trim()).await,
        Err(e) => Err(e),
    };
    let (status, body) = match checked {
        Ok(count) => (StatusCode::OK, confirmation(&viewer, &form, count)),
        Err(e) => (e.status, refused(&form, &e.message)),
    };
    let page = layout::page(&viewer, Section::Batches, "A new batch", body);
    Ok((status, page).into_response())
}

/// How many executions `query` matches (all of them without one).
async fn matching(ui: &Ui, query: &str) -> UiResult<u64> {
    let host = ui.host.clone();
    let query = query.to_string();
    // Counting walks an index: off the async threads.
    let counted = tokio::task::spawn_blocking(move || host.inspect().count(&query))
        .await
        .map_err(|e| UiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match counted {
        Ok(counted) => Ok(counted.total),
        Err(QueryError::Filter(e)) => Err(UiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "The query is not valid: {} (column {})",
                e.message, e.column
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

fn confirmation(viewer: &Viewer, form: &BatchForm, count: u64) -> Markup {
    let query = form.query.trim();
    html! {
        h1 { "A new batch: " (form.operation) }
        div.notice role="status" {
            "The query " code { @if query.is_empty() { "(none: every execution)" } @else { (query) } }
            " matches " strong.count data-count=(count) { (count) } " executions now."
        }
        p.muted { "The batch acts on the executions the query finds when it is submitted, in order, and its progress and failures are on its page." }
        dl.grid {
            dt { "Operation" } dd { (form.operation) }
            dt { "Reason" } dd { (form.reason) }
            @if !form.rps.trim().is_empty() { dt { "Rate" } dd { "at most " (form.rps.trim()) " a second" } }
            @if form.operation == "signal" { dt { "Signal" } dd { code { (form.signal) } " " code { (form.input) } } }
            @if form.operation == "reset" { dt { "Reset to" } dd { (form.reset_to) " (reapply " (form.reapply) ")" } }
        }
        form.actions method="post" action="/ui/batches" {
            (csrf_field(viewer))
            @for (name, value) in form.fields() { input type="hidden" name=(name) value=(value); }
            button.danger type="submit" { "Submit: " (form.operation) " " (count) " executions" }
            a href=(format!("/ui/executions?query={}", query_value(query))) { "Back to the list" }
        }
    }
}

fn refused(form: &BatchForm, message: &str) -> Markup {
    html! {
        h1 { "A new batch" }
        div.error role="alert" { (message) }
        p { a href=(format!("/ui/executions?query={}", query_value(form.query.trim()))) { "Back to the list" } }
    }
}

/// `POST /ui/batches`: submit the batch confirmed; to its page.
pub(crate) async fn submit(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<BatchForm>,
) -> UiResult<Response> {
    let submitted = async { Ok::<_, UiError>(ui.batches.submit(spec(form.body()?)?).await?) };
    match submitted.await {
        Ok(record) => {
            tracing::info!(batch = %record.id, operation = record.operation.name(), "batch submitted from the web UI");
            Ok(Redirect::to(&batch_href(&record.id)).into_response())
        }
        Err(e) => {
            let page = layout::page(
                &viewer,
                Section::Batches,
                "A new batch",
                refused(&form, &e.message),
            );
            Ok((e.status, page).into_response())
        }
    }
}
