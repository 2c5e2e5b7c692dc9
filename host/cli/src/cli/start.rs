//! Starting executions and waiting for them: `start` (also signal-with-start),
//! `execute`, `result`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use weft_model::names::{SignalName, WorkflowId};
use weft_types::{SearchAttributeKind, SearchAttributeValue};

use super::remote::{api_failure, print_json, ServerArg};
use super::{exit, CliResult, Failure};
use crate::client::Client;
use crate::runtime::{IdConflictPolicy, IdReusePolicy};
use weft_api::types::{DebounceBody, ExecutionStatus, ResultBody, StartBody};

/// Parse a JSON command-line argument, with a hint on the usual mistake.
pub(super) fn json_arg(flag: &str, text: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        Failure::new(
            exit::USAGE,
            format!(
                "{flag} is not valid JSON ({e}); a JSON string needs its quotes, as in \
                 {flag} '\"world\"'"
            ),
        )
    })
}

/// `--memo KEY=JSON` entries as a JSON map.
pub(super) fn memo_args(
    entries: &[String],
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let mut memo = serde_json::Map::new();
    for entry in entries {
        let Some((key, value)) = entry.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(Failure::new(
                exit::USAGE,
                format!("--memo takes KEY=JSON, as in --memo priority=3, not `{entry}`"),
            ));
        };
        memo.insert(key.to_string(), json_arg("--memo", value)?);
    }
    Ok(memo)
}

/// What to start: shared by `start` and `execute`.
#[derive(Args)]
pub struct StartArgs {
    /// The workflow type to start (one a deployed module exports).
    workflow_type: String,
    /// The workflow's input as JSON (a JSON string needs its quotes: '"world"').
    #[arg(long, default_value = "null", value_name = "JSON")]
    input: String,
    /// Read the input JSON from this file instead (`-` for stdin); for inputs larger
    /// than a command-line argument can hold (128 KiB on Linux).
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    input_file: Option<PathBuf>,
    /// The workflow id (default: `<type>-<random>`). While a run with this id is
    /// open, see --id-conflict-policy; a closed one's id, see --id-reuse-policy.
    #[arg(long, value_parser = super::name_arg::<WorkflowId>)]
    id: Option<String>,
    /// Signal-with-start: deliver this signal to the id's open run, or start a run and
    /// deliver it in the run's first task (one durable step).
    #[arg(long, value_name = "NAME", requires = "id", value_parser = super::name_arg::<SignalName>)]
    signal: Option<String>,
    /// The signal's input as JSON (default null).
    #[arg(long, value_name = "JSON", requires = "signal")]
    signal_input: Option<String>,
    /// May a closed run's id start another run? [default: allow-duplicate]
    #[arg(long, value_parser = PossibleValuesParser::new(IdReusePolicy::NAMES).map(|s| s.parse::<IdReusePolicy>().expect("a possible value")))]
    id_reuse_policy: Option<IdReusePolicy>,
    /// What happens while a run of the id is open: `fail` refuses (exit 5),
    /// `use-existing` answers that run, `terminate-existing` terminates it and starts a
    /// new one. [default: fail]
    #[arg(long, value_parser = PossibleValuesParser::new(IdConflictPolicy::NAMES).map(|s| s.parse::<IdConflictPolicy>().expect("a possible value")))]
    id_conflict_policy: Option<IdConflictPolicy>,
    /// Close the run as timed out if it is still open this long after it starts
    /// (`90s`, `2h`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", value_parser = super::human::parse_duration)]
    run_timeout: Option<std::time::Duration>,
    /// Close the execution as timed out this long after it starts.
    #[arg(long, value_name = "DURATION", value_parser = super::human::parse_duration)]
    execution_timeout: Option<std::time::Duration>,
    /// A memo entry, shown by `describe` and carried across continue-as-new
    /// (repeatable): `--memo customer='"ada"' --memo priority=3`.
    #[arg(long, value_name = "KEY=JSON")]
    memo: Vec<String>,
    /// A search attribute, indexed for `weft list --query` (repeatable):
    /// `NAME=VALUE` guesses the type (integer → Int, number → Double, true/false →
    /// Bool, else Keyword); `NAME:TYPE=VALUE` names it (Keyword, Text, Int, Double,
    /// Bool, Datetime as RFC 3339, KeywordList as a JSON array or a,b,c):
    /// `--search-attribute CustomerId=c-7 --search-attribute Due:Datetime=2024-05-01T00:00:00Z`.
    #[arg(long, value_name = "NAME[:TYPE]=VALUE", value_parser = parse_search_attribute)]
    search_attribute: Vec<(String, SearchAttributeValue)>,
    /// Start at most once: sent again with the same request id (after a lost answer),
    /// the server answers what it answered first and starts nothing. Default: a fresh
    /// id, which the client reuses when it retries: `--request-id order-17-start`.
    #[arg(long, value_name = "ID", value_parser = super::request_id_arg)]
    request_id: Option<String>,
    /// 1 (highest) to 5 (lowest) [default: 3]. Under contention (a task queue's or the
    /// host's activity limit), the run's activities take slots before those of lower
    /// priority, first come first served within one; its children inherit it:
    /// `--priority 1`.
    #[arg(long, value_name = "N", value_parser = parse_priority)]
    priority: Option<u8>,
    /// Whom the work is for, with an optional weight (1 to 1000, default 1): under
    /// contention, within one priority, keys share slots by weight, so a tenant with
    /// 10,000 runs waiting does not starve one with 10; its activities and children
    /// inherit it: `--fairness tenant-a` or `--fairness tenant-b:3`.
    #[arg(long, value_name = "KEY[:WEIGHT]", value_parser = parse_fairness)]
    fairness: Option<weft_model::Fairness>,
    /// One line saying what the execution is for, shown by `describe` and `list`:
    /// `--summary 'refund for order 17'`.
    #[arg(long, value_name = "TEXT")]
    summary: Option<String>,
    /// More about it, in Markdown, shown by `describe`: `--details "$(cat notes.md)"`.
    #[arg(long, value_name = "MARKDOWN")]
    details: Option<String>,
    /// Debounce: of the starts of this workflow type and KEY less than PERIOD apart,
    /// only the last runs. This one is answered at once but pending (`weft describe`
    /// says until when); a later start of the key closes it as superseded and waits
    /// PERIOD again: `--debounce user-42=30s`.
    #[arg(long, value_name = "KEY=PERIOD", value_parser = parse_debounce)]
    debounce: Option<DebounceBody>,
    /// Run on a cron schedule (Temporal's legacy cron): a cron expression (5 fields,
    /// or 6 with seconds first, in UTC; `@hourly`, `@daily` …) or `@every DURATION`.
    /// The run waits for the next slot; each run that completes, fails or times out is
    /// followed by the next (same id, same input), waiting for the slot after it
    /// closed; `weft terminate` ends the chain: `--cron '@every 1h'`.
    #[arg(long, value_name = "SPEC", value_parser = parse_cron)]
    cron: Option<String>,
    #[command(flatten)]
    server: ServerArg,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

impl StartArgs {
    fn body(&self) -> Result<StartBody, Failure> {
        let input: serde_json::Value = match &self.input_file {
            Some(path) => {
                let stdin = path.as_os_str() == "-";
                let name = if stdin {
                    "stdin".to_string()
                } else {
                    path.display().to_string()
                };
                let text = if stdin {
                    std::io::read_to_string(std::io::stdin())
                } else {
                    std::fs::read_to_string(path)
                }
                .map_err(|e| Failure::new(exit::NOT_FOUND, format!("cannot read {name}: {e}")))?;
                serde_json::from_str(&text).map_err(|e| {
                    Failure::new(exit::USAGE, format!("{name} is not valid JSON ({e})"))
                })?
            }
            None => json_arg("--input", &self.input)?,
        };
        let signal_input = match &self.signal_input {
            Some(text) => Some(json_arg("--signal-input", text)?),
            None => None,
        };
        let memo = memo_args(&self.memo)?;
        Ok(StartBody {
            workflow_type: self.workflow_type.clone(),
            input,
            id: self.id.clone(),
            signal: self.signal.clone(),
            signal_input,
            id_reuse_policy: self.id_reuse_policy.map(|p| p.as_str().to_string()),
            id_conflict_policy: self.id_conflict_policy.map(|p| p.as_str().to_string()),
            run_timeout_ms: self.run_timeout.map(crate::runtime::clock::millis),
            execution_timeout_ms: self.execution_timeout.map(crate::runtime::clock::millis),
            memo,
            search_attributes: self.search_attribute.iter().cloned().collect(),
            request_id: self.request_id.clone(),
            priority: self.priority,
            fairness_key: self.fairness.as_ref().map(|f| f.key.clone()),
            fairness_weight: self.fairness.as_ref().map(|f| f.weight),
            summary: self.summary.clone(),
            details: self.details.clone(),
            debounce: self.debounce.clone(),
            cron_schedule: self.cron.clone(),
        })
    }
}

/// `--fairness KEY[:WEIGHT]`.
fn parse_fairness(text: &str) -> Result<weft_model::Fairness, String> {
    text.parse()
        .map_err(|e: weft_model::fairness::FairnessError| e.to_string())
}

/// `--priority N`: 1 to 5.
fn parse_priority(text: &str) -> Result<u8, String> {
    text.parse::<weft_model::Priority>()
        .map(weft_model::Priority::get)
        .map_err(|e| e.to_string())
}

/// `--cron SPEC`, checked as the host checks it.
fn parse_cron(text: &str) -> Result<String, String> {
    crate::schedules::CompiledSpec::cron(text).map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

/// `--debounce KEY=PERIOD`, checked as the host checks it.
fn parse_debounce(text: &str) -> Result<DebounceBody, String> {
    let usage = "write KEY=PERIOD, as in user-42=30s";
    let (key, period) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("`{text}`: {usage}"))?;
    let period = super::human::parse_duration(period).map_err(|e| format!("{e} ({usage})"))?;
    let debounce = weft_runtime::flow::Debounce::new(key, period)?;
    Ok(DebounceBody {
        key: debounce.key,
        period_ms: crate::runtime::clock::millis(debounce.period),
    })
}

/// `NAME=VALUE` or `NAME:TYPE=VALUE`, as `--search-attribute` takes it.
pub fn parse_search_attribute(entry: &str) -> Result<(String, SearchAttributeValue), String> {
    let Some((name, text)) = entry.split_once('=').filter(|(n, _)| !n.is_empty()) else {
        return Err(format!(
            "`{entry}` is not NAME=VALUE or NAME:TYPE=VALUE (as in OrderStatus=paid or \
             Amount:Int=5)"
        ));
    };
    match name.split_once(':') {
        Some((name, kind)) => {
            let kind = SearchAttributeKind::parse(kind)?;
            Ok((
                name.to_string(),
                SearchAttributeValue::parse_as(kind, text)?,
            ))
        }
        None => Ok((name.to_string(), SearchAttributeValue::infer(text))),
    }
}

/// Start a workflow execution on the server; prints its workflow id.
///
/// The workflow id goes to stdout, the run id to stderr. `weft result <id>` waits for
/// the outcome.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft start hello --input '\"world\"' --id hello-1\n  weft result hello-1\n  weft start order --input '\"o-7\"' --search-attribute OrderId=o-7 --search-attribute Amount:Int=120 --memo note='\"gift\"'\n  weft start report --priority 1\n  weft start refund --input '\"o-17\"' --summary 'refund for order 17' --details '**why**: damaged in transit'\n  weft start sync-profile --input '\"user-42\"' --debounce user-42=30s   # only the last within 30s runs\n  weft start cleanup --id nightly-cleanup --cron '0 3 * * *'   # a run at 03:00 UTC every day\n\nExit codes: 0 started, 2 --input is not JSON, 4 no module has the workflow type, 5 the id has a running execution or the type is past a start rate that refuses, 1 other errors."
)]
pub struct StartCommand {
    #[command(flatten)]
    start: StartArgs,
}

pub fn start(args: StartCommand) -> CliResult {
    let args = args.start;
    let body = args.body()?;
    let started = args.server.client()?.start(body).map_err(api_failure)?;
    if args.json {
        return print_json(&started);
    }
    eprintln!("run {}", started.run_id);
    println!("{}", started.workflow_id);
    Ok(())
}

/// Start a workflow execution and wait for its result.
///
/// The result goes to stdout as JSON; when the workflow fails (or is cancelled or
/// terminated) the failure goes to stderr and the exit code is 3.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft execute hello --input '\"world\"'\n  weft execute report --priority 5\n\nExit codes: 0 completed, 3 the workflow failed, 2 --input is not JSON, 4 unknown workflow type, 5 the id has a running execution, 1 other errors."
)]
pub struct ExecuteCommand {
    #[command(flatten)]
    start: StartArgs,
}

pub fn execute(args: ExecuteCommand) -> CliResult {
    let args = args.start;
    let body = args.body()?;
    let client = args.server.client()?;
    let started = client.start(body).map_err(api_failure)?;
    eprintln!("execution {} (run {})", started.workflow_id, started.run_id);
    let outcome = wait(&client, &started.run_id)?;
    print_outcome(&outcome, args.json)
}

/// Wait for a run's outcome, following continue-as-new to the workflow's next run.
fn wait(client: &Client, id: &str) -> Result<ResultBody, Failure> {
    let mut outcome = client.result(id, true).map_err(api_failure)?;
    while outcome.status == ExecutionStatus::ContinuedAsNew {
        let next = client
            .result(&outcome.workflow_id, true)
            .map_err(api_failure)?;
        if next.run_id == outcome.run_id {
            break;
        }
        eprintln!(
            "run {} continued as new as run {}",
            outcome.run_id, next.run_id
        );
        outcome = next;
    }
    Ok(outcome)
}

/// Print how a run ended; a run that did not complete is a failure (exit 3).
fn print_outcome(outcome: &ResultBody, json: bool) -> CliResult {
    if json {
        print_json(outcome)?;
    }
    match (&outcome.status, &outcome.result, &outcome.failure) {
        (ExecutionStatus::Completed, result, _) => {
            if !json {
                let result = result.clone().unwrap_or(serde_json::Value::Null);
                println!("{}", serde_json::to_string(&result)?);
            }
            Ok(())
        }
        (status, _, Some(f)) => {
            let mut message = format!(
                "workflow {} ({}): {}",
                status.as_str(),
                f.error_type,
                f.message
            );
            for cause in f.chain().skip(1) {
                message.push_str(&format!(
                    "\n  caused by ({}): {}",
                    cause.error_type, cause.message
                ));
            }
            Err(Failure::new(exit::WORKFLOW_FAILED, message))
        }
        (status, _, None) => Err(Failure::new(
            exit::WORKFLOW_FAILED,
            format!("workflow {}", status.as_str()),
        )),
    }
}

/// Wait for an execution's result and print it.
///
/// The result goes to stdout as JSON. A failed, cancelled or terminated execution
/// exits 3 with its failure on stderr.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft result hello-1\n\nExit codes: 0 completed, 3 the workflow failed, 4 no such execution, 1 other errors."
)]
pub struct ResultArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the result body (status, result, failure) as JSON.
    #[arg(long)]
    json: bool,
}

pub fn result(args: ResultArgs) -> CliResult {
    let outcome = wait(&args.server.client()?, &args.execution)?;
    print_outcome(&outcome, args.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_runs_exit_3_and_completed_ones_0() {
        let mut body = ResultBody {
            workflow_id: "w".into(),
            run_id: "r".into(),
            status: ExecutionStatus::Completed,
            result: Some(serde_json::json!(1)),
            failure: None,
        };
        assert!(print_outcome(&body, true).is_ok());
        body.status = ExecutionStatus::Failed;
        body.result = None;
        body.failure = Some(weft_api::types::FailureBody::new("boom", "app"));
        let f = print_outcome(&body, true).unwrap_err();
        assert_eq!(f.code, exit::WORKFLOW_FAILED);
        assert_eq!(f.message, "workflow failed (app): boom");
        // A failure's causes follow it, a line each.
        let mut child =
            weft_api::types::FailureBody::new("child failed", "weft.ChildWorkflowFailure");
        child.cause = Some(Box::new(weft_api::types::FailureBody::new(
            "Test message",
            "TestError",
        )));
        body.failure = Some(child);
        let f = print_outcome(&body, true).unwrap_err();
        assert_eq!(
            f.message,
            "workflow failed (weft.ChildWorkflowFailure): child failed\n  caused by (TestError): Test message"
        );
        // Cancelled and terminated runs fail too, naming their status (and the reason
        // a termination was given).
        body.status = ExecutionStatus::Terminated;
        body.failure = Some(weft_api::types::FailureBody::new(
            "stuck",
            "weft.Terminated",
        ));
        let f = print_outcome(&body, true).unwrap_err();
        assert_eq!(f.code, exit::WORKFLOW_FAILED);
        assert_eq!(f.message, "workflow terminated (weft.Terminated): stuck");
        body.status = ExecutionStatus::Cancelled;
        body.failure = None;
        let f = print_outcome(&body, true).unwrap_err();
        assert_eq!(f.code, exit::WORKFLOW_FAILED);
        assert_eq!(f.message, "workflow cancelled");
    }

    fn args(input: &str, memo: &[&str]) -> StartArgs {
        StartArgs {
            workflow_type: "hello".into(),
            input: input.into(),
            input_file: None,
            id: None,
            signal: None,
            signal_input: None,
            id_reuse_policy: None,
            id_conflict_policy: None,
            run_timeout: None,
            execution_timeout: None,
            memo: memo.iter().map(|m| m.to_string()).collect(),
            search_attribute: Vec::new(),
            request_id: None,
            priority: None,
            fairness: None,
            summary: None,
            details: None,
            debounce: None,
            cron: None,
            server: ServerArg::default(),
            json: false,
        }
    }

    #[test]
    fn memo_entries_are_key_equals_json() {
        let body = args("null", &["customer=\"ada\"", "priority=3"])
            .body()
            .unwrap();
        assert_eq!(body.memo["customer"], serde_json::json!("ada"));
        assert_eq!(body.memo["priority"], serde_json::json!(3));
        for bad in ["priority", "=3", "customer=ada"] {
            let f = args("null", &[bad]).body().unwrap_err();
            assert_eq!(f.code, exit::USAGE, "{bad}");
            assert!(f.message.contains("--memo"), "{}", f.message);
        }
    }

    #[test]
    fn a_debounce_is_key_equals_period() {
        let d = parse_debounce("user-42=30s").unwrap();
        assert_eq!((d.key.as_str(), d.period_ms), ("user-42", 30_000));
        // The key may hold `=`: the period is after the last one.
        assert_eq!(parse_debounce("a=b=1m").unwrap().key, "a=b");
        for bad in ["user-42", "user-42=0s", "=30s", "user-42=soon", "k=8d"] {
            assert!(parse_debounce(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        let f = args("world", &[]).body().unwrap_err();
        assert_eq!(f.code, exit::USAGE);
        assert!(
            f.message.contains("--input is not valid JSON"),
            "{}",
            f.message
        );
    }

    #[test]
    fn search_attributes_take_a_type_or_guess_one() {
        let (name, value) = parse_search_attribute("Amount:Int=5").unwrap();
        assert_eq!(
            (name.as_str(), value),
            ("Amount", SearchAttributeValue::Int(5))
        );
        let (_, value) = parse_search_attribute("Region=eu").unwrap();
        assert_eq!(value, SearchAttributeValue::keyword("eu"));
        let (_, value) = parse_search_attribute("Tags:KeywordList=[\"a\",\"b\"]").unwrap();
        assert_eq!(value, SearchAttributeValue::keyword_list(["a", "b"]));
        assert!(parse_search_attribute("Amount:Int=five")
            .unwrap_err()
            .contains("Int"));
        assert!(parse_search_attribute("Amount:Long=5")
            .unwrap_err()
            .contains("Keyword"));
        assert!(parse_search_attribute("=5")
            .unwrap_err()
            .contains("NAME=VALUE"));
    }
}
