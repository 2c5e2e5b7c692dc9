//! Commands on an embedded host over a data folder: `run`, and the offline readers
//! `list --data` and `history --data` use.

use std::path::PathBuf;

use clap::Args;
use weft_model::names::WorkflowId;

use super::{exit, CliResult, Failure};
use crate::activities::ActivityRegistry;
use crate::contract::Payload;
use crate::history::Outcome;
use crate::payload_codec::PayloadCodec;
use crate::runtime::{Host, HostConfig, QueryError, StartError, StartRequest};
use crate::storage::RunFilter;
use weft_api::types::ExecutionInfo;

/// Run a workflow on an embedded host and print its result (its last run's, when it
/// continues as new).
///
/// The execution id goes to stderr, the result (JSON) to stdout. Run again on the same
/// data folder after a crash and the executions that were in flight resume first.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weft run --data ./data hello.wasm hello --input '\"world\"'\n  weft run --data ./data            # only resume what was in flight\n  weft run --data ./data --codec-keys keys.json hello.wasm hello --input '\"world\"'   # encrypted at rest"
)]
pub struct RunArgs {
    /// Data folder (the redb file and caches live here; created if missing).
    #[arg(long)]
    data: PathBuf,
    /// The workflow component (.wasm) to run.
    component: Option<PathBuf>,
    /// The workflow type to start (one the component exports).
    workflow_type: Option<String>,
    /// The workflow's input as JSON.
    #[arg(long, default_value = "null")]
    input: String,
    /// The workflow id (default: `<type>-<random>`).
    #[arg(long, value_parser = super::name_arg::<WorkflowId>)]
    id: Option<String>,
    #[command(flatten)]
    codec: super::codec_keys::CodecKeysArg,
}

pub async fn run(args: RunArgs, activities: ActivityRegistry) -> CliResult {
    let config = HostConfig {
        codec: args.codec.codec()?,
        ..HostConfig::on_disk_from_env(&args.data)
    };
    let host = Host::open(config, activities).await?;
    let resumed = host.inspect().open_runs()?;
    for r in &resumed {
        eprintln!(
            "resuming {} ({}, run {})",
            r.workflow_id, r.workflow_type, r.run_id
        );
    }
    let mut started = None;
    if let Some(component) = &args.component {
        let Some(workflow_type) = args.workflow_type.clone() else {
            return Err(Failure::new(
                exit::USAGE,
                "name the workflow type to start after the component",
            ));
        };
        let input = super::start::json_arg("--input", &args.input)?;
        let bytes = std::fs::read(component).map_err(|e| {
            Failure::new(
                exit::NOT_FOUND,
                format!("cannot read {}: {e}", component.display()),
            )
        })?;
        let name = crate::cli::module_name(component);
        let module = host
            .deploy(bytes, &name, false)
            .await
            .map_err(|e| Failure::new(exit::REJECTED, format!("{}: {e}", component.display())))?;
        let handle = host
            .start(StartRequest {
                workflow_id: args.id.clone(),
                module: Some(module.digest.clone()),
                ..StartRequest::new(workflow_type, Payload::json(&input))
            })
            .await
            .map_err(|e| match e {
                StartError::Storage(_) => Failure::new(exit::ERROR, e),
                _ => Failure::new(exit::REJECTED, e),
            })?;
        eprintln!("execution {} (run {})", handle.workflow_id, handle.run_id);
        started = Some(handle);
    } else if resumed.is_empty() {
        eprintln!(
            "nothing to resume in {}; give a component and a workflow type to start one",
            args.data.display()
        );
    }
    for r in &resumed {
        let outcome = wait_chain(&host, &r.workflow_id, &r.run_id).await?;
        eprintln!("resumed {} finished: {}", r.workflow_id, describe(&outcome));
    }
    let Some(handle) = started else {
        return Ok(());
    };
    match wait_chain(&host, &handle.workflow_id, &handle.run_id).await? {
        Outcome::Completed(mut payload) => {
            // Shown, so masked like `weft result` (the run itself had the real values).
            crate::masking::mask_payload(host.sensitive_fields(), &mut payload);
            println!("{}", serde_json::to_string(&payload.to_json())?);
            Ok(())
        }
        other => Err(Failure::new(exit::WORKFLOW_FAILED, describe(&other))),
    }
}

/// Wait for a run's outcome, following continue-as-new to the execution's last run: the
/// workflow id's latest run, which exists once the run before it has closed (it may be
/// further down the chain by then).
async fn wait_chain(host: &Host, workflow_id: &str, run_id: &str) -> Result<Outcome, Failure> {
    let mut run_id = run_id.to_owned();
    loop {
        let outcome = host.wait(&run_id).await?;
        if !matches!(outcome, Outcome::ContinuedAsNew) {
            return Ok(outcome);
        }
        let next = host.find_run(workflow_id)?;
        if next.run_id == run_id {
            return Ok(outcome);
        }
        eprintln!(
            "run {run_id} continued as new; following run {}",
            next.run_id
        );
        run_id = next.run_id;
    }
}

/// One line saying how a run ended.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Completed(p) => format!("completed: {}", p.to_json()),
        Outcome::Failed(f) => format!("workflow failed ({}): {}", f.error_type, f.message),
        Outcome::Cancelled => "cancelled".into(),
        Outcome::Terminated(reason) => format!("terminated: {reason}"),
        Outcome::ContinuedAsNew => "continued as new".into(),
        Outcome::TimedOut(reason) => format!("timed out: {reason}"),
    }
}

/// At most `limit` runs of a data folder passing `filter`, newest first.
pub async fn runs(
    dir: &std::path::Path,
    filter: &RunFilter,
    limit: usize,
) -> Result<Vec<ExecutionInfo>, Failure> {
    let inspector = open_existing(dir, PayloadCodec::none()).await?;
    let runs = inspector.list_runs(filter, limit)?;
    Ok(weft_runtime::bodies::execution_infos(&inspector, &runs)?)
}

/// A query error as the command's failure: a missing run is "not found".
pub fn not_found(e: QueryError) -> Failure {
    match e {
        QueryError::NotFound(_) => Failure::new(exit::NOT_FOUND, e),
        other => Failure::new(exit::ERROR, other),
    }
}

/// Open a data folder that must already exist, without resuming anything in it; its
/// payloads are decoded with `codec`.
pub async fn open_existing(
    dir: &std::path::Path,
    codec: PayloadCodec,
) -> Result<crate::runtime::Inspector, Failure> {
    if !dir.join("weft.redb").exists() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!("{} holds no weft data (no weft.redb)", dir.display()),
        ));
    }
    Ok(crate::runtime::Inspector::open_with_codec(dir, codec)?)
}
