//! `tenants`: workflows that set flow options on their activities and children.
//!
//! * `charge_all` charges each customer of its input with the activity `charge`, all
//!   at once, each under the concurrency key `payments`: a host started with
//!   `--concurrency-limit payments=2` runs at most two charges at once over all runs,
//!   and `--rate key:payments=10/s` starts at most ten a second. Input:
//!   `{"customers": ["ada", "bob"], "priority": 1}` (`priority` optional: the charges'
//!   own, instead of the run's). Result: the receipts, in input order.
//! * `onboard` starts `charge_all` as a child for its input's customers at priority 1
//!   and fairness key `vip` (weight 5), whatever its own start said; its result is the
//!   child's.
//!
//! The run's own priority and fairness key come from its start (`weft start
//! --priority 2 --fairness tenant-a:3`) and apply to every activity and child that does
//! not set its own.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use weft_sdk::{join_all, workflow, ActivityOptions, ChildWorkflowOptions, WfContext, WfResult};

/// What `charge_all` and `onboard` take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customers {
    pub customers: Vec<String>,
    /// The charges' own priority (1 highest … 5 lowest); none: the run's.
    #[serde(default)]
    pub priority: Option<u8>,
}

/// The concurrency key every charge counts against.
pub const PAYMENTS: &str = "payments";

#[workflow]
pub async fn charge_all(ctx: WfContext, input: Customers) -> WfResult<Vec<String>> {
    let mut options =
        ActivityOptions::start_to_close(Duration::from_secs(30)).concurrency_key(PAYMENTS);
    if let Some(priority) = input.priority {
        options = options.priority(priority);
    }
    let charges = input
        .customers
        .iter()
        .map(|c| ctx.activity_by_name::<String>("charge", c, &options));
    let mut receipts = Vec::new();
    for receipt in join_all(charges).await {
        receipts.push(receipt?);
    }
    Ok(receipts)
}

#[workflow]
pub async fn onboard(ctx: WfContext, input: Customers) -> WfResult<Vec<String>> {
    let options = ChildWorkflowOptions::new()
        .workflow_id(format!("{}/charges", ctx.workflow_id()))
        .priority(1)
        .fairness("vip", 5);
    let child = ctx.child_workflow_by_name::<Vec<String>>("charge_all", &input, &options);
    Ok(child.result().await?)
}

weft_sdk::export_workflows!(charge_all, onboard);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::Harness;
    use weft_sdk::wit::Command;

    #[test]
    fn every_charge_names_the_payments_key_and_its_priority() {
        let mut harness = Harness::new::<charge_all>();
        let input = Customers {
            customers: vec!["ada".into(), "bob".into()],
            priority: Some(1),
        };
        let commands = harness.start(&input).unwrap();
        let seqs: Vec<u32> = commands
            .iter()
            .map(|c| match &c.command {
                Command::ScheduleActivity(s) => s.seq,
                other => panic!("{other:?}"),
            })
            .collect();
        let flows = harness.flow_options();
        assert_eq!(flows.iter().map(|(s, _, _)| *s).collect::<Vec<_>>(), seqs);
        for (_, child, flow) in flows {
            assert!(!child);
            assert_eq!(flow.concurrency_key.as_deref(), Some(PAYMENTS));
            assert_eq!(flow.priority, Some(1));
            assert_eq!(flow.fairness_key, None);
        }
    }

    #[test]
    fn the_child_gets_its_own_priority_and_fairness() {
        let mut harness = Harness::new::<onboard>();
        let input = Customers {
            customers: vec!["ada".into()],
            priority: None,
        };
        harness.start(&input).unwrap();
        let flows = harness.flow_options();
        assert_eq!(flows.len(), 1);
        let (_, child, flow) = &flows[0];
        assert!(child);
        assert_eq!(flow.priority, Some(1));
        assert_eq!(flow.fairness_key.as_deref(), Some("vip"));
        assert_eq!(flow.fairness_weight, Some(5));
    }
}
