//! Runs a definition's steps on the workflow's context.
//!
//! The steps nest (a parallel step's branches, a conditional's arms and a loop's body
//! are steps too), so running them is recursive, and each level's future is boxed. An
//! error passes up through every step it fails, each prefixing its own label, and keeps
//! the error type it started with (an activity's, or one of the types below).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{json, Value};
use weft_sdk::{join_all, select, ActivityOptions, FutureExt, WfContext, WfResult, WorkflowError};

use crate::definition::{Condition, Retry, Step, StepKind};
use crate::expressions::{holds, resolve, Variables};

/// The error type of a definition that cannot run: a reference to no variable, a
/// condition that compares no numbers, a loop with no bound.
pub const INVALID_DEFINITION: &str = "InvalidDefinition";
/// The error type of a step whose `timeout_s` fired before it ended.
pub const STEP_TIMEOUT: &str = "StepTimeout";
/// The error type of a loop that reached `max_iterations` with its condition holding.
pub const LOOP_LIMIT: &str = "LoopLimit";

/// An activity step's start-to-close timeout when the step gives none.
const DEFAULT_ACTIVITY_TIMEOUT: Duration = Duration::from_secs(10);

type StepFuture<'a> = Pin<Box<dyn Future<Output = WfResult<()>> + 'a>>;

/// Runs `steps` one after another on `variables`.
pub fn run_steps<'a>(
    ctx: &'a WfContext,
    steps: &'a [Step],
    variables: &'a mut Variables,
) -> StepFuture<'a> {
    Box::pin(async move {
        for (index, step) in steps.iter().enumerate() {
            let result = match &step.kind {
                StepKind::Activity { activity, input } => {
                    run_activity(ctx, step, activity, input, variables).await
                }
                _ => run_with_policies(ctx, step, variables).await,
            };
            result.map_err(|error| within(&label(step, index), error))?;
        }
        Ok(())
    })
}

/// `step `name`` or, unnamed, `step 2 (loop)`.
fn label(step: &Step, index: usize) -> String {
    match &step.name {
        Some(name) => format!("step `{name}`"),
        None => {
            let kind = match step.kind {
                StepKind::Activity { .. } => "activity",
                StepKind::Parallel { .. } => "parallel",
                StepKind::Conditional { .. } => "conditional",
                StepKind::Loop { .. } => "loop",
            };
            format!("step {} ({kind})", index + 1)
        }
    }
}

/// `error` as seen from `place`: its message prefixed, its type kept. A cancellation
/// passes as it is, so that the run still ends as cancelled.
fn within(place: &str, error: WorkflowError) -> WorkflowError {
    if error.is_cancelled() {
        return error;
    }
    WorkflowError::new(format!("{place}: {}", error.message())).with_type(error.error_type())
}

fn invalid(message: String) -> WorkflowError {
    WorkflowError::new(message).with_type(INVALID_DEFINITION)
}

fn check(variables: &Variables, condition: &Condition) -> WfResult<bool> {
    holds(variables, condition).map_err(invalid)
}

/// An activity step: the step's timeout and retry policy are the activity's own, so
/// the host times and retries its attempts; a named step stores the result.
async fn run_activity(
    ctx: &WfContext,
    step: &Step,
    activity: &str,
    input: &Value,
    variables: &mut Variables,
) -> WfResult<()> {
    let input = resolve(variables, input).map_err(invalid)?;
    let timeout = step
        .timeout_s
        .map_or(DEFAULT_ACTIVITY_TIMEOUT, Duration::from_secs);
    let mut options = ActivityOptions::start_to_close(timeout);
    if let Some(retry) = &step.retry {
        options = options.retry(retry.policy());
    }
    let result = ctx
        .activity_by_name::<Value>(activity, &input, &options)
        .await?;
    if let Some(name) = &step.name {
        variables.insert(name.clone(), result);
    }
    Ok(())
}

/// Any other step: each attempt on a copy of the variables, bounded by the step's
/// timeout; a failed attempt is run again as the step's retry policy says (once, with
/// none), after its backoff on a durable timer. Only a successful attempt's variables
/// are kept.
async fn run_with_policies(
    ctx: &WfContext,
    step: &Step,
    variables: &mut Variables,
) -> WfResult<()> {
    let retry = step.retry.clone().unwrap_or(Retry {
        maximum_attempts: 1,
        ..Retry::default()
    });
    let mut attempt = 1;
    loop {
        let mut copy = variables.clone();
        let error = match within_timeout(ctx, step.timeout_s, run_body(ctx, step, &mut copy)).await
        {
            Ok(()) => {
                *variables = copy;
                return Ok(());
            }
            Err(error) => error,
        };
        let exhausted = retry.maximum_attempts != 0 && attempt >= retry.maximum_attempts;
        let final_type = retry
            .non_retryable_error_types
            .iter()
            .any(|t| t == error.error_type());
        if error.is_cancelled() || exhausted || final_type {
            return Err(match attempt {
                1 => error,
                _ => within(&format!("attempt {attempt}"), error),
            });
        }
        ctx.sleep(retry.delay(attempt)).await?;
        attempt += 1;
    }
}

/// `body`, failed with [`STEP_TIMEOUT`] if a durable timer of `timeout_s` fires first
/// (the body is then dropped, which cancels what it had pending).
async fn within_timeout(
    ctx: &WfContext,
    timeout_s: Option<u64>,
    body: StepFuture<'_>,
) -> WfResult<()> {
    let Some(seconds) = timeout_s else {
        return body.await;
    };
    let mut body = body.fuse();
    let mut timer = ctx.sleep(Duration::from_secs(seconds));
    select! {
        done = body => done,
        fired = timer => {
            fired?;
            Err(WorkflowError::new(format!("timed out after {seconds} s")).with_type(STEP_TIMEOUT))
        }
    }
}

/// One attempt of a parallel, conditional or loop step.
fn run_body<'a>(
    ctx: &'a WfContext,
    step: &'a Step,
    variables: &'a mut Variables,
) -> StepFuture<'a> {
    Box::pin(async move {
        match &step.kind {
            StepKind::Activity { .. } => unreachable!("activity steps run as activities"),
            StepKind::Parallel { branches } => run_parallel(ctx, branches, variables).await,
            StepKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                let arm = if check(variables, condition)? {
                    then
                } else {
                    otherwise
                };
                run_steps(ctx, arm, variables).await
            }
            StepKind::Loop {
                steps,
                times,
                condition,
                max_iterations,
                index,
            } => {
                let bounds = LoopBounds {
                    times: *times,
                    condition: condition.as_ref(),
                    max_iterations: *max_iterations,
                };
                run_loop(ctx, steps, bounds, index.as_deref(), variables).await
            }
        }
    })
}

/// Every branch at once, each on its own copy of the variables; then what each set, in
/// branch order. The first branch (in order) that failed fails the step, once all ended.
async fn run_parallel(
    ctx: &WfContext,
    branches: &[Vec<Step>],
    variables: &mut Variables,
) -> WfResult<()> {
    let mut copies = vec![variables.clone(); branches.len()];
    let runs = branches.iter().zip(copies.iter_mut()).enumerate().map(
        |(index, (branch, copy))| async move {
            let result = run_steps(ctx, branch, copy).await;
            result.map_err(|error| within(&format!("branch {}", index + 1), error))
        },
    );
    for result in join_all(runs).await {
        result?;
    }
    for copy in copies {
        for (name, value) in copy {
            if variables.get(&name) != Some(&value) {
                variables.insert(name, value);
            }
        }
    }
    Ok(())
}

struct LoopBounds<'a> {
    times: Option<u32>,
    condition: Option<&'a Condition>,
    max_iterations: u32,
}

async fn run_loop(
    ctx: &WfContext,
    steps: &[Step],
    bounds: LoopBounds<'_>,
    index: Option<&str>,
    variables: &mut Variables,
) -> WfResult<()> {
    if bounds.times.is_none() && bounds.condition.is_none() {
        return Err(invalid("a loop needs `times` or `while`".to_owned()));
    }
    for iteration in 0.. {
        let counted = bounds.times.is_none_or(|times| iteration < times);
        let more = counted && bounds.condition.map_or(Ok(true), |c| check(variables, c))?;
        if !more {
            return Ok(());
        }
        if iteration >= bounds.max_iterations {
            let message = format!("still running after {} iterations", bounds.max_iterations);
            return Err(WorkflowError::new(message).with_type(LOOP_LIMIT));
        }
        if let Some(index) = index {
            variables.insert(index.to_owned(), json!(iteration));
        }
        run_steps(ctx, steps, variables)
            .await
            .map_err(|error| within(&format!("iteration {iteration}"), error))?;
    }
    unreachable!("a loop ends by its bounds")
}
