//! `weft stack`: where an execution waits, one line per pending future with the line
//! of workflow code that created it.

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;
use weft_api::stack_types::{StackBody, StackFrame};

/// Show where an open execution waits: each pending activity, timer, child workflow
/// and running update handler, with the source line of the call that created it, then
/// the wait conditions and signal channel receives it awaits.
///
/// For a future that issued a command the line is the call that issued it
/// (`ctx.activity(..)`, `ctx.sleep(..)`, `ctx.child_workflow(..)`). Futures that issue
/// no command (`ctx.wait_condition(..)`, a signal channel's `recv()`,
/// `ctx.all_handlers_finished()`, `ctx.cancelled()`) are reported by the workflow's SDK
/// at the end of each workflow task, with the line that awaits them; the host keeps
/// that report in memory and, after a restart, rebuilds it by replaying the run.
/// Workflows built with an SDK from before this report list only what issued commands.
/// A closed execution waits for nothing.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft stack order-17\n  activity seq=1 charge_card  awaited at src/lib.rs:42\n  timer seq=1 3600000ms  awaited at src/lib.rs:43\n  condition  awaited at src/lib.rs:57\n  signal channel \"approve\" recv  awaited at src/lib.rs:60\n  weft stack --json order-17\n\nExit codes: 0 shown, 4 no such execution, 1 other errors."
)]
pub struct StackArgs {
    /// Workflow id (its latest run) or run id.
    execution: String,
    #[command(flatten)]
    server: ServerArg,
    /// Print the frames as JSON.
    #[arg(long)]
    json: bool,
}

pub fn stack(args: StackArgs) -> CliResult {
    let stack = args
        .server
        .client()?
        .stack(&args.execution)
        .map_err(api_failure)?;
    if args.json {
        return print_json(&stack);
    }
    print!("{}", text(&stack));
    Ok(())
}

/// The stack as text: one line per frame, or why there is none.
fn text(stack: &StackBody) -> String {
    if stack.frames.is_empty() {
        let why = if stack.status.is_open() {
            "waits for nothing the host knows of"
        } else {
            "is closed"
        };
        return format!("{} (run {}) {why}\n", stack.workflow_id, stack.run_id);
    }
    stack
        .frames
        .iter()
        .map(|f| format!("{}\n", line(f)))
        .collect()
}

/// One pending future: `activity seq=3 charge  awaited at src/lib.rs:42`,
/// `signal channel "approve" recv  awaited at src/lib.rs:60`.
pub(super) fn line(frame: &StackFrame) -> String {
    let seq = frame.seq.map(|s| format!(" seq={s}")).unwrap_or_default();
    let at = match frame.location() {
        Some(at) => format!("awaited at {at}"),
        None => "(no source line: the host started it)".to_string(),
    };
    let what = match frame.kind.as_str() {
        "signal-channel" => format!("signal channel {:?} recv", frame.name),
        "handlers-finished" => "all handlers finished".to_string(),
        _ if frame.name.is_empty() => format!("{}{seq}", frame.kind),
        _ => format!("{}{seq} {}", frame.kind, frame.name),
    };
    format!("{what}  {at}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_api::types::ExecutionStatus;

    fn frame(kind: &str, seq: Option<u32>, name: &str, line: Option<u32>) -> StackFrame {
        StackFrame {
            kind: kind.into(),
            seq,
            name: name.into(),
            file: line.map(|_| "src/lib.rs".into()),
            line,
            column: line.map(|_| 9),
        }
    }

    #[test]
    fn each_frame_is_one_line_with_its_source_line() {
        let stack = StackBody {
            workflow_id: "order-17".into(),
            run_id: "r1".into(),
            status: ExecutionStatus::Running,
            frames: vec![
                frame("activity", Some(3), "charge", Some(42)),
                frame("update", None, "approve id=u1", None),
                frame("condition", None, "", Some(57)),
                frame("signal-channel", None, "approve", Some(60)),
            ],
        };
        assert_eq!(
            text(&stack),
            "activity seq=3 charge  awaited at src/lib.rs:42\n\
             update approve id=u1  (no source line: the host started it)\n\
             condition  awaited at src/lib.rs:57\n\
             signal channel \"approve\" recv  awaited at src/lib.rs:60\n"
        );
        let closed = StackBody {
            status: ExecutionStatus::Completed,
            frames: vec![],
            ..stack
        };
        assert_eq!(text(&closed), "order-17 (run r1) is closed\n");
    }
}
