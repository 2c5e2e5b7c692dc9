//! `weft update-with-start`: start a workflow (or take the open run of its id) and send
//! it an update in one request; prints the update's result.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;

use super::messages::message_failure;
use super::remote::{print_json, ServerArg};
use super::start::json_arg;
use super::{exit, CliResult, Failure};
use crate::runtime::{IdConflictPolicy, IdReusePolicy};
use weft_api::types::{StartBody, UpdateBody};
use weft_api::update_with_start::UpdateWithStartBody;
use weft_model::names::{UpdateName, WorkflowId};

/// Start a workflow and send it an update in one request; prints the update's result.
///
/// A new run gets the update in its first task, recorded with its start: there is no
/// run without its update. While a run of the id is open, --id-conflict-policy decides:
/// `fail` (the default) refuses and sends nothing (exit 5), `use-existing` sends the
/// update to that run. The validator may reject the update (exit 3); a started run
/// stays started. Sent again with the same --request-id and --update-id (the client
/// picks both when absent and reuses them when it retries), it finds the same run and
/// answers the first outcome.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft update-with-start cart-7 --type cart --input '{\"customer\": \"ada\"}' --update add_item --update-input '{\"sku\": \"tea\"}' --id-conflict-policy use-existing\n  weft update-with-start cart-7 --type cart --update add_item --update-input '{\"sku\": \"jam\"}' --update-id add-jam-1 --request-id cart-7-start --json\n\nExit codes: 0 completed (or accepted with --wait accepted), 2 an input is not JSON, 3 the update was rejected or its handler failed, 4 unknown workflow type, 5 refused (an open run and --id-conflict-policy fail, a reused id), 1 other errors."
)]
pub struct UpdateWithStartArgs {
    /// The workflow id to start (or whose open run gets the update).
    #[arg(value_parser = super::name_arg::<WorkflowId>)]
    id: String,
    /// The workflow type to start.
    #[arg(long = "type", value_name = "TYPE")]
    workflow_type: String,
    /// The workflow's input as JSON.
    #[arg(long, default_value = "null", value_name = "JSON")]
    input: String,
    /// The update's name.
    #[arg(long, value_name = "NAME", value_parser = super::name_arg::<UpdateName>)]
    update: String,
    /// The update's input as JSON.
    #[arg(long, default_value = "null", value_name = "JSON")]
    update_input: String,
    /// Deduplicates: the same id again answers the first outcome (default: a fresh id).
    #[arg(long, value_name = "ID")]
    update_id: Option<String>,
    /// Answer once the update is accepted, or once its handler has returned.
    #[arg(long, default_value = "completed", value_parser = ["accepted", "completed"])]
    wait: String,
    /// While a run of the id is open: `fail` refuses, `use-existing` updates that run,
    /// `terminate-existing` terminates it and starts a new one. [default: fail]
    #[arg(long, value_parser = PossibleValuesParser::new(IdConflictPolicy::NAMES).map(|s| s.parse::<IdConflictPolicy>().expect("a possible value")))]
    id_conflict_policy: Option<IdConflictPolicy>,
    /// May a closed run's id start another run? [default: allow-duplicate]
    #[arg(long, value_parser = PossibleValuesParser::new(IdReusePolicy::NAMES).map(|s| s.parse::<IdReusePolicy>().expect("a possible value")))]
    id_reuse_policy: Option<IdReusePolicy>,
    /// The start's request id (default: a fresh one, reused when the client retries).
    #[arg(long, value_name = "ID", value_parser = super::request_id_arg)]
    request_id: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the answer (run, whether it was started, the update) as JSON.
    #[arg(long)]
    json: bool,
}

pub fn update_with_start(args: UpdateWithStartArgs) -> CliResult {
    let body = UpdateWithStartBody {
        start: StartBody {
            workflow_type: args.workflow_type.clone(),
            input: json_arg("--input", &args.input)?,
            id: Some(args.id.clone()),
            id_conflict_policy: args.id_conflict_policy.map(|p| p.as_str().to_string()),
            id_reuse_policy: args.id_reuse_policy.map(|p| p.as_str().to_string()),
            request_id: args.request_id.clone(),
            ..StartBody::default()
        },
        update_name: args.update.clone(),
        update: UpdateBody {
            input: json_arg("--update-input", &args.update_input)?,
            update_id: args.update_id.clone(),
            wait: Some(args.wait.clone()),
            wait_s: None,
        },
    };
    let answer = args
        .server
        .client()?
        .update_with_start(&args.id, body)
        .map_err(message_failure)?;
    if args.json {
        print_json(&answer)?;
    }
    let update = &answer.update;
    if let Some(f) = &update.failure {
        return Err(Failure::new(
            exit::WORKFLOW_FAILED,
            format!(
                "update {} failed ({}): {}",
                update.update_id, f.error_type, f.message
            ),
        ));
    }
    if !args.json {
        let how = if answer.started { "started" } else { "updated" };
        eprintln!("{how} {} (run {})", answer.workflow_id, answer.run_id);
        match &update.result {
            Some(value) => println!("{}", serde_json::to_string(value)?),
            None => eprintln!("update {} {}", update.update_id, update.stage),
        }
    }
    Ok(())
}
