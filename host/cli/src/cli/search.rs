//! `weft list --query` and `weft count`: executions found by a list filter, from a
//! server or (with `--data`) a data folder offline.

use std::path::PathBuf;

use clap::Args;

use super::local::open_existing;
use super::remote::{api_failure, print_json, print_page, ServerArg};
use super::{exit, CliResult, Failure};
use crate::runtime::QueryError;
use weft_api::types::{ExecutionInfo, ExecutionPage, MAX_PAGE};

/// A bad query is a usage error (exit 2) that shows where it went wrong.
fn query_failure(e: QueryError) -> Failure {
    match e {
        QueryError::Filter(_) => Failure::new(exit::USAGE, e),
        other => Failure::new(exit::ERROR, other),
    }
}

/// `weft list --query`: one table row per execution, or with `--json` the page as
/// one object ([`print_page`]).
pub async fn list(
    query: &str,
    data: Option<&PathBuf>,
    server: &ServerArg,
    limit: Option<usize>,
    cursor: Option<String>,
    all: bool,
    json: bool,
) -> CliResult {
    let mut runs: Vec<ExecutionInfo> = Vec::new();
    let mut cursor = cursor;
    let mut plan;
    let page_size = if all {
        limit.unwrap_or(MAX_PAGE)
    } else {
        limit.unwrap_or(weft_api::types::DEFAULT_PAGE)
    };
    loop {
        let page = match data {
            Some(dir) => {
                let offset = match &cursor {
                    Some(c) => c
                        .strip_prefix('q')
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| {
                            Failure::new(exit::USAGE, format!("`{c}` is not a cursor of a query"))
                        })?,
                    None => 0,
                };
                let inspector =
                    open_existing(dir, crate::payload_codec::PayloadCodec::none()).await?;
                let found = inspector
                    .search(query, offset, page_size)
                    .map_err(query_failure)?;
                ExecutionPage {
                    executions: weft_runtime::bodies::execution_infos(&inspector, &found.runs)
                        .map_err(query_failure)?,
                    next_cursor: found.more.then(|| format!("q{}", offset + page_size)),
                    plan: Some(found.plan),
                }
            }
            None => server
                .client()?
                .search(query, Some(page_size), cursor.as_deref())
                .map_err(api_failure)?,
        };
        runs.extend(page.executions);
        cursor = page.next_cursor;
        plan = page.plan;
        if !all || cursor.is_none() {
            break;
        }
    }
    print_page(
        ExecutionPage {
            executions: runs,
            next_cursor: cursor,
            plan,
        },
        json,
        "weft list --query '…' --cursor {cursor}, or --all",
    )
}

/// Count executions that pass a list filter.
///
/// With `GROUP BY ExecutionStatus` at the end of the query, one line per status.
/// With `--data`, count in a data folder offline.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft count\n  weft count --query \"WorkflowType = 'order' AND OrderStatus = 'shipped'\"\n  weft count --query 'GROUP BY ExecutionStatus' --json\n\nExit codes: 0 counted, 2 the query is not valid (the message points at the column), 1 other errors."
)]
pub struct CountArgs {
    /// A list filter, as for `weft list --query` (empty: every execution).
    #[arg(long, short, default_value = "")]
    query: String,
    /// Count in this data folder offline instead of asking a server.
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn count(args: CountArgs) -> CliResult {
    let body: weft_api::types::CountBody = match &args.data {
        Some(dir) => open_existing(dir, crate::payload_codec::PayloadCodec::none())
            .await?
            .count(&args.query)
            .map_err(query_failure)?
            .into(),
        None => args
            .server
            .client()?
            .count(&args.query)
            .map_err(api_failure)?,
    };
    if args.json {
        return print_json(&body);
    }
    match &body.groups {
        Some(groups) => {
            for g in groups {
                println!("{:<16} {}", g.status, g.count);
            }
            println!("{:<16} {}", "total", body.count);
        }
        None => println!("{}", body.count),
    }
    Ok(())
}
