//! Commands that talk to a running `weft server`: `deploy`, `modules`, `start`,
//! `execute`, `describe`, `list`, `result`.
//!
//! Each takes `--server` and `--json`. Human output goes to stdout, notes and errors to
//! stderr. With `--json`, stdout carries the answer's JSON (one object, or one object
//! per line for lists), also for a run that failed (`execute`, `result`) and for a
//! refused `deploy` (the error body with its divergences); the exit code tells the
//! outcome.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;

use super::human::{self, short_digest, table};
use super::{exit, CliResult, Failure};
use crate::client::{Client, ClientError, ClientOptions, DeployMode};
use crate::storage::RunFilter;
use weft_api::types::{ExecutionInfo, ExecutionPage, ExecutionStatus, MAX_PAGE};
use weft_model::names::ModuleName;

/// The server a client command talks to when neither `--server` nor `WEFT_SERVER` says.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:7233";

/// `--server` and how to authenticate: which `weft server` to talk to, the CA that
/// signed its certificate, the client certificate for mTLS, and a bearer token.
#[derive(Args, Clone, Debug)]
pub struct ServerArg {
    /// URL of the weft server (`weft server --listen` prints it; `https://` when it
    /// serves TLS).
    #[arg(long, env = "WEFT_SERVER", default_value = DEFAULT_SERVER, value_name = "URL")]
    pub server: String,
    /// Trust the server's certificate when this CA (PEM) signed it, instead of the
    /// public web's root CAs.
    #[arg(long, env = "WEFT_TLS_CA", value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for a server that requires one (mTLS); with --tls-key.
    #[arg(long, env = "WEFT_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, env = "WEFT_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Bearer token for a server that requires one (prefer WEFT_TOKEN: a flag shows in
    /// `ps`).
    #[arg(long, env = "WEFT_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
}

impl Default for ServerArg {
    /// [`DEFAULT_SERVER`], plain HTTP, no token.
    fn default() -> ServerArg {
        ServerArg {
            server: DEFAULT_SERVER.into(),
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            token: None,
        }
    }
}

impl ServerArg {
    /// A client for the server, with the TLS files and token given; a file that
    /// cannot be used is a usage error naming it.
    pub fn client(&self) -> Result<Client, Failure> {
        let options = ClientOptions {
            tls_ca: self.tls_ca.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            token: self.token.clone(),
        };
        Client::with_options(&self.server, &options).map_err(|e| Failure::new(exit::USAGE, e))
    }
}

/// The exit code for a request the server (or the network) did not answer with success:
/// 404 → not found, 400/409/413/422 → rejected, anything else → error.
pub fn exit_code(e: &ClientError) -> u8 {
    match e.status() {
        Some(404) => exit::NOT_FOUND,
        Some(400 | 409 | 413 | 422 | 429) => exit::REJECTED,
        _ => exit::ERROR,
    }
}

/// A client error as the command's failure.
pub fn api_failure(e: ClientError) -> Failure {
    Failure::new(exit_code(&e), e)
}

/// Print `value` as one line of JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Deploy a workflow component to the server as the next version of its name.
///
/// Deploying the same bytes again answers the existing version. New executions of the
/// component's workflow types run on the newest version; running ones stay on theirs.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft deploy target/wasm32-unknown-unknown/release/hello.component.wasm\n  weft deploy --check --name hello hello-v2.component.wasm\n  weft deploy --pin --name hello hello-v3.component.wasm   # new runs only\n\nOpen executions of earlier versions move to the new one when their history replays on it; the answer lists who moved and who stayed.\n\nExit codes: 0 deployed, 4 file not found, 5 refused (not a component, or --check found a divergence), 1 other errors."
)]
pub struct DeployArgs {
    /// The workflow component (.wasm) to deploy.
    component: PathBuf,
    /// Module name (default: the file name without `.wasm` and `.component`).
    #[arg(long, value_parser = super::name_arg::<ModuleName>)]
    name: Option<String>,
    /// First replay the name's open executions on the component and refuse the
    /// deployment (exit 5) if any of them diverges; each divergence is printed.
    /// Without it, the executions that replay move to the new version and the others
    /// stay on theirs.
    #[arg(long, conflicts_with = "pin")]
    check: bool,
    /// Move no open execution: they all stay on their versions; only new executions
    /// use this one.
    #[arg(long)]
    pin: bool,
    #[command(flatten)]
    server: ServerArg,
    /// Print the module version (or the refusal) as JSON.
    #[arg(long)]
    json: bool,
}

pub fn deploy(args: DeployArgs) -> CliResult {
    let bytes = std::fs::read(&args.component).map_err(|e| {
        Failure::new(
            exit::NOT_FOUND,
            format!("cannot read {}: {e}", args.component.display()),
        )
    })?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| super::module_name(&args.component));
    let client = args.server.client()?;
    let mode = if args.check {
        DeployMode::Check
    } else if args.pin {
        DeployMode::Pin
    } else {
        DeployMode::Move
    };
    let module = match client.deploy(&bytes, &name, mode) {
        Ok(module) => module,
        Err(ClientError::Api { status, body }) => {
            if args.json {
                print_json(&body)?;
            }
            let mut message = body.message.clone();
            for d in &body.divergences {
                message.push_str(&format!(
                    "\n\n{} (run {}):\n{}",
                    d.workflow_id,
                    d.run_id,
                    indent(&d.report, "  ")
                ));
            }
            let e = ClientError::Api { status, body };
            return Err(Failure::new(exit_code(&e), message));
        }
        Err(e) => return Err(api_failure(e)),
    };
    if args.json {
        return print_json(&module);
    }
    println!("deployed {} version {}", module.name, module.version);
    println!("  digest          {}", module.digest);
    println!(
        "  workflow types  {}",
        human::workflow_types(&module.workflow_types, ", ")
    );
    if args.check {
        println!(
            "  checked         {} open execution(s) replay on it",
            module.checked_executions
        );
    }
    for run in &module.moved {
        println!("  moved           {} (run {})", run.workflow_id, run.run_id);
    }
    for stayed in &module.stayed {
        println!(
            "  stayed          {} (run {}): its history diverges here:\n{}",
            stayed.workflow_id,
            stayed.run_id,
            indent(&stayed.report, "    ")
        );
    }
    Ok(())
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print the server's metrics (Prometheus' text format, as `GET /metrics` serves
/// them), all of them or those whose name starts with a prefix.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft metrics\n  weft metrics weft_executions_\n\nExit codes: 0 printed, 1 the server could not be reached."
)]
pub struct MetricsArgs {
    /// Only the series (and their help and type lines) whose name starts with this.
    prefix: Option<String>,
    #[command(flatten)]
    server: ServerArg,
}

pub fn metrics(args: MetricsArgs) -> CliResult {
    let text = args.server.client()?.metrics().map_err(api_failure)?;
    let prefix = args.prefix.as_deref().unwrap_or("");
    for line in text.lines() {
        let name = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
            .unwrap_or(line);
        if name.starts_with(prefix) {
            println!("{line}");
        }
    }
    Ok(())
}

/// List the deployed modules: every version of every name.
#[derive(Args)]
#[command(after_help = "Example:\n  weft modules\n  weft modules --json")]
pub struct ModulesArgs {
    #[command(flatten)]
    server: ServerArg,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn modules(args: ModulesArgs) -> CliResult {
    let modules = args.server.client()?.modules().map_err(api_failure)?;
    if args.json {
        return modules.iter().try_for_each(print_json);
    }
    let rows: Vec<Vec<String>> = modules
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.version.to_string(),
                short_digest(&m.digest).to_string(),
                human::workflow_types(&m.workflow_types, ","),
                human::utc(m.deployed_ms),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["NAME", "VERSION", "DIGEST", "WORKFLOW TYPES", "DEPLOYED"],
            &rows
        )
    );
    if modules.is_empty() {
        eprintln!("no modules deployed; deploy one with `weft deploy <component.wasm>`");
    }
    Ok(())
}

/// List executions on the server, newest first, a page at a time.
///
/// With `--data`, read a data folder offline instead (no server; the folder must not be
/// open in a running host).
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft list\n  weft list --status running --type hello --limit 20\n  weft list --all --json\n  weft list --data ./data        # offline, from a data folder\n  weft list --query \"WorkflowType = 'order' AND OrderStatus IN ('paid', 'shipped')\"\n  weft list --query \"Amount BETWEEN 10 AND 99 ORDER BY Amount DESC\" --json\n  weft list --query \"OrderId STARTS_WITH 'eu-' AND StartTime > '2024-05-01T00:00:00Z'\"\n\nQueries: =, !=, <, >, <=, >=, IN (...), BETWEEN x AND y, STARTS_WITH, AND, OR, parentheses, ORDER BY <field> [ASC|DESC]; fields WorkflowId, WorkflowType, ExecutionStatus, StartTime, CloseTime, RunId and search attributes; strings in quotes, datetimes as RFC 3339. --json prints one object, as the API answers: `executions`, `next_cursor` (while more follow) and, with --query, `plan`.\n\nExit codes: 0 listed, 2 the query is not valid (the message points at the column), 1 other errors."
)]
pub struct ListArgs {
    /// Only executions passing this list filter (see below); not with --status/--type.
    #[arg(long, short, conflicts_with_all = ["status", "workflow_type"])]
    query: Option<String>,
    /// Only executions with this status.
    #[arg(long, value_parser = status_parser())]
    status: Option<ExecutionStatus>,
    /// Only executions of this workflow type.
    #[arg(long = "type", value_name = "TYPE")]
    workflow_type: Option<String>,
    /// At most this many executions (per page with --all; the server's default is 50).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_PAGE as u64))]
    limit: Option<u64>,
    /// Continue after this cursor (printed on stderr under a page with more after it).
    #[arg(long, conflicts_with_all = ["all", "data"])]
    cursor: Option<String>,
    /// Fetch every page.
    #[arg(long)]
    all: bool,
    /// Read this data folder offline instead of asking a server.
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the page as one JSON object (`executions`, `next_cursor`, with --query
    /// `plan`) instead of a table.
    #[arg(long)]
    json: bool,
}

fn status_parser() -> impl TypedValueParser<Value = ExecutionStatus> {
    PossibleValuesParser::new(ExecutionStatus::ALL.map(ExecutionStatus::as_str))
        .map(|s| s.parse::<ExecutionStatus>().expect("a possible value"))
}

pub async fn list(args: ListArgs) -> CliResult {
    let limit = args.limit.map(|n| n as usize);
    if let Some(query) = &args.query {
        return super::search::list(
            query,
            args.data.as_ref(),
            &args.server,
            limit,
            args.cursor.clone(),
            args.all,
            args.json,
        )
        .await;
    }
    if let Some(data) = &args.data {
        let filter = RunFilter {
            status: args.status.map(Into::into),
            workflow_type: args.workflow_type.clone(),
            before: None,
        };
        let limit = if args.all {
            usize::MAX
        } else {
            limit.unwrap_or(usize::MAX)
        };
        let runs = super::local::runs(data, &filter, limit).await?;
        return print_page(
            ExecutionPage {
                executions: runs,
                next_cursor: None,
                plan: None,
            },
            args.json,
            "",
        );
    }
    let client = args.server.client()?;
    let mut runs = Vec::new();
    let mut cursor = args.cursor.clone();
    loop {
        let page = client
            .list(
                args.status,
                args.workflow_type.as_deref(),
                if args.all {
                    Some(limit.unwrap_or(MAX_PAGE))
                } else {
                    limit
                },
                cursor.as_deref(),
            )
            .map_err(api_failure)?;
        runs.extend(page.executions);
        cursor = page.next_cursor;
        if !args.all || cursor.is_none() {
            break;
        }
    }
    print_page(
        ExecutionPage {
            executions: runs,
            next_cursor: cursor,
            plan: None,
        },
        args.json,
        "weft list --cursor {cursor} (same filters), or --all",
    )
}

/// What `weft list` found, in one shape with and without `--query`: with `--json`
/// the API's page as one object (`executions`, `next_cursor` while more follow, and
/// with a query `plan`), so a script reads one document and can ask for the next
/// page; otherwise a table, and on stderr how to get more (`more`, with `{cursor}`
/// standing for the cursor).
pub fn print_page(page: ExecutionPage, json: bool, more: &str) -> CliResult {
    if json {
        return print_json(&page);
    }
    print_runs(&page.executions)?;
    if let Some(cursor) = &page.next_cursor {
        eprintln!("more executions: {}", more.replace("{cursor}", cursor));
    }
    Ok(())
}

/// Runs as a table.
fn print_runs(runs: &[ExecutionInfo]) -> CliResult {
    let mut rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.workflow_id.clone(),
                r.workflow_type.clone(),
                match (&r.pending, r.paused) {
                    (Some(_), _) if r.status.is_open() => "pending".to_string(),
                    (_, true) => "paused".to_string(),
                    _ => r.status.as_str().to_string(),
                },
                human::utc(r.start_ms),
                r.close_ms
                    .map(|c| human::duration(c.saturating_sub(r.start_ms)))
                    .unwrap_or_default(),
                if r.status.is_open() && r.history_len == 0 {
                    String::new()
                } else {
                    r.history_len.to_string()
                },
                r.run_id.clone(),
                r.priority.to_string(),
                r.summary
                    .as_deref()
                    .map(|s| human::truncate(s, 60))
                    .unwrap_or_default(),
                // The first line of the Markdown.
                (r.current_details.as_deref())
                    .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
                    .map(|d| human::truncate(d.trim(), 60))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut header = vec![
        "WORKFLOW ID",
        "TYPE",
        "STATUS",
        "STARTED",
        "TOOK",
        "EVENTS",
        "RUN ID",
        "PRIORITY",
        "SUMMARY",
        "DETAILS",
    ];
    // The summary and details columns only when some run has one (the last first).
    for column in [header.len() - 1, header.len() - 2] {
        if rows.iter().all(|r| r[column].is_empty()) {
            header.remove(column);
            rows.iter_mut().for_each(|r| drop(r.remove(column)));
        }
    }
    print!("{}", table(&header, &rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_api::types::{ApiErrorBody, ErrorCode};

    fn api(status: u16, code: ErrorCode) -> ClientError {
        ClientError::Api {
            status,
            body: ApiErrorBody {
                code,
                message: "m".into(),
                divergences: vec![],
            },
        }
    }

    #[test]
    fn server_answers_map_to_exit_codes() {
        assert_eq!(exit_code(&api(404, ErrorCode::NotFound)), exit::NOT_FOUND);
        for (status, code) in [
            (400, ErrorCode::BadRequest),
            (409, ErrorCode::Conflict),
            (413, ErrorCode::TooLarge),
            (422, ErrorCode::Invalid),
        ] {
            assert_eq!(exit_code(&api(status, code)), exit::REJECTED, "{status}");
        }
        assert_eq!(exit_code(&api(500, ErrorCode::Internal)), exit::ERROR);
        let unreachable = ClientError::Connect {
            url: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        };
        assert_eq!(exit_code(&unreachable), exit::ERROR);
    }
}
