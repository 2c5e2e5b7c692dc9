//! Failure causes across the contract. A WIT record cannot hold itself, so the
//! contract's `failure` has no cause: the causes of a failure a job carries are handed
//! out by `job-failure-causes` (by the job's index in the activation), and the causes of
//! a failure a command carries come back through `command-failure-causes` (by the
//! command's index in the list the activation returns), each as a list, outermost
//! first. Here they are cut off the history's failures and put back on them.

use crate::contract::{wit, Conv};
use crate::history::vocab::{ActivityResolution, ChildResolution, Command, Failure, Job};
use crate::history::{Activation, IssuedCommand};

/// The causes of each job's failure, by the job's index (empty: none, or no failure).
pub(crate) fn of_jobs(activation: &Activation) -> Vec<Vec<wit::Failure>> {
    activation
        .jobs
        .iter()
        .map(|job| match job_failure(job) {
            Some(failure) => failure.chain().skip(1).map(to_contract).collect(),
            None => Vec::new(),
        })
        .collect()
}

fn job_failure(job: &Job) -> Option<&Failure> {
    match job {
        Job::ResolveActivity(r) | Job::ResolveLocalActivity(r) => match &r.resolution {
            ActivityResolution::Completed(_) => None,
            ActivityResolution::Failed(f)
            | ActivityResolution::Cancelled(f)
            | ActivityResolution::TimedOut(f) => Some(f),
        },
        Job::ResolveChildWorkflow(r) => match &r.resolution {
            ChildResolution::Started(_) | ChildResolution::Completed(_) => None,
            ChildResolution::Failed(f)
            | ChildResolution::Cancelled(f)
            | ChildResolution::Terminated(f) => Some(f),
        },
        _ => None,
    }
}

fn to_contract(failure: &Failure) -> wit::Failure {
    Failure {
        cause: None,
        ..failure.clone()
    }
    .conv()
}

/// Give the failure of the command at each index the causes the guest gave it;
/// an index out of range, or of a command without a failure, is a guest's mistake
/// (a task failure).
pub(crate) fn attach(
    commands: &mut [IssuedCommand],
    causes: Vec<(u32, Vec<wit::Failure>)>,
) -> Result<(), String> {
    for (index, chain) in causes {
        let failure = commands
            .get_mut(index as usize)
            .and_then(|c| command_failure(&mut c.command))
            .ok_or_else(|| {
                format!("command-failure-causes: command {index} has no failure to give causes")
            })?;
        failure.cause = nest(chain.into_iter().map(Conv::conv));
    }
    Ok(())
}

fn command_failure(command: &mut Command) -> Option<&mut Failure> {
    match command {
        Command::FailWorkflow(f) | Command::RejectUpdate((_, f)) => Some(f),
        Command::CompleteUpdate(u) => u.result.as_mut().err(),
        Command::RespondQuery(q) => q.result.as_mut().err(),
        _ => None,
    }
}

/// The causes, outermost first, as one chain.
fn nest(chain: impl DoubleEndedIterator<Item = Failure>) -> Option<Box<Failure>> {
    chain.rev().fold(None, |inner, mut f: Failure| {
        f.cause = inner;
        Some(Box::new(f))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{Payload, ResolveChildWorkflow};

    #[test]
    fn a_jobs_causes_go_out_as_a_list_and_come_back_as_a_chain() {
        let failure = Failure::new("child failed", "weft.ChildWorkflowFailure").caused_by(
            Failure::new("Test message", "TestError")
                .non_retryable()
                .caused_by(Failure::new("root", "Root")),
        );
        let activation = Activation {
            jobs: vec![
                Job::FireTimer(1),
                Job::ResolveChildWorkflow(ResolveChildWorkflow {
                    seq: 2,
                    resolution: ChildResolution::Failed(failure.clone()),
                }),
            ],
            time_ms: 0,
            is_replaying: false,
        };
        let causes = of_jobs(&activation);
        assert!(causes[0].is_empty());
        let messages: Vec<&str> = causes[1].iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["Test message", "root"]);

        let mut commands = vec![IssuedCommand {
            command: Command::FailWorkflow(Failure {
                cause: None,
                ..failure.clone()
            }),
            location: None,
        }];
        attach(&mut commands, vec![(0, causes[1].clone())]).unwrap();
        assert_eq!(commands[0].command, Command::FailWorkflow(failure));
    }

    #[test]
    fn causes_for_a_command_without_a_failure_are_refused() {
        let mut commands = vec![IssuedCommand {
            command: Command::CompleteWorkflow(Payload::json(&serde_json::Value::Null)),
            location: None,
        }];
        let error = attach(&mut commands, vec![(0, Vec::new())]).unwrap_err();
        assert!(error.contains("command 0"), "{error}");
        assert!(attach(&mut commands, vec![(3, Vec::new())]).is_err());
    }
}
