//! `child-workflow`: a parent that has a child workflow do its work.
//!
//! - `parent`, input a name (`"World"`): starts `child` with the same input (workflow id
//!   `<parent's id>/child-1`, parent-close policy `Terminate`) and returns its result.
//! - `child`, input a name: returns the greeting `"Hello, <name>!"`.
//!
//! So `parent` started with `"World"` completes with `"Hello, World!"`.

use weft_sdk::{workflow, ChildWorkflowOptions, WfContext, WfResult};

#[workflow]
pub async fn parent(ctx: WfContext, name: String) -> WfResult<String> {
    let child = ctx.child_workflow::<child>(name, &ChildWorkflowOptions::new());
    Ok(child.result().await?)
}

#[workflow]
pub async fn child(_ctx: WfContext, name: String) -> WfResult<String> {
    Ok(format!("Hello, {name}!"))
}

weft_sdk::export_workflows!(parent, child);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::Command;

    #[test]
    fn the_parent_returns_what_the_child_computed() {
        let mut harness = Harness::new::<super::parent>();
        let commands = harness.start(&"World").unwrap();
        let Command::StartChildWorkflow(start) = &commands[0].command else {
            panic!("{commands:?}")
        };
        assert_eq!(start.workflow_type, "child");
        assert_eq!(start.input.data, br#""World""#);
        assert_eq!(start.workflow_id.as_deref(), Some("test-workflow/child-1"));
        let done = harness
            .activate(vec![
                testing::child_started(1, "child-run"),
                testing::complete_child(1, &"Hello, World!"),
            ])
            .unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Hello, World!")
        );
    }

    #[test]
    fn the_child_greets() {
        let mut harness = Harness::new::<super::child>();
        let done = harness.start(&"World").unwrap();
        assert_eq!(
            testing::completed::<String>(&done).as_deref(),
            Some("Hello, World!")
        );
    }
}
