//! The component's exported functions, as `export_workflows!` wires them up.

use std::cell::RefCell;

use crate::component::Component;
use crate::wit::{Activation, IssuedCommand, TaskFailure};
use crate::workflow::WorkflowEntry;

thread_local! {
    // A component instance is single-threaded and serves one execution.
    static COMPONENT: RefCell<Option<Component>> = const { RefCell::new(None) };
}

/// The exported `workflow-types`.
pub fn workflow_types(workflows: &[WorkflowEntry]) -> Vec<String> {
    Component::new(workflows).workflow_types()
}

/// The exported `activate`.
pub fn activate(
    workflows: &[WorkflowEntry],
    activation: Activation,
) -> Result<Vec<IssuedCommand>, TaskFailure> {
    COMPONENT.with(|component| {
        component
            .borrow_mut()
            .get_or_insert_with(|| Component::new(workflows))
            .activate(activation)
    })
}
