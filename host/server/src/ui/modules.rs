//! The modules page: every deployed version of every module name, with its digest, its
//! workflow types and when it was deployed; each type links to its runs.

use axum::extract::State;
use axum::Extension;
use maud::{html, Markup};

use super::guard::Viewer;
use super::layout::{self, query_value, Section};
use super::Ui;
use crate::api::types::ModuleInfo;

pub(crate) async fn list(State(ui): State<Ui>, Extension(viewer): Extension<Viewer>) -> Markup {
    let mut modules: Vec<ModuleInfo> = ui.host.module_versions().iter().map(Into::into).collect();
    modules.sort_by(|a, b| a.name.cmp(&b.name).then(b.version.cmp(&a.version)));
    let runs_of = |t: &str| {
        format!(
            "/ui/executions?query={}",
            query_value(&format!("WorkflowType = '{t}'"))
        )
    };
    let body = html! {
        h1 { "Modules" }
        @if modules.is_empty() {
            p.muted { "No module deployed yet: " code { "weft deploy --name NAME component.wasm" } "." }
        } @else {
            table {
                thead { tr { th { "Name" } th.num { "Version" } th { "Digest" } th { "Workflow types" } th { "Deployed" } th.num { "Checked runs" } } }
                tbody { @for m in &modules {
                    tr {
                        td { (m.name) } td.num { "v" (m.version) }
                        td.mono title=(m.digest) { (layout::truncate(&m.digest, 12)) }
                        td { @for t in &m.workflow_types {
                            @if t == crate::DYNAMIC_WORKFLOW { span title="its dynamic workflow serves every type no module exports" { "* (dynamic)" } " " }
                            @else { a href=(runs_of(t)) { (t) } " " }
                        } }
                        td { (layout::time(m.deployed_ms)) }
                        td.num { (m.checked_executions) }
                    }
                } }
            }
        }
    };
    layout::page(&viewer, Section::Modules, "Modules", body)
}
