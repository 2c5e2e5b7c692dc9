//! `export_workflows!`: turns a crate into a workflow component.

/// Exports the listed workflow types as this crate's component.
///
/// Each argument is a workflow type defined with [`#[workflow]`](crate::workflow) (or a
/// type implementing [`Workflow`](crate::Workflow)). Invoke it once, in the crate that
/// is built into the component.
///
/// ```ignore
/// #[weft_sdk::workflow]
/// async fn hello(ctx: WfContext, name: String) -> WfResult<String> { /* … */ }
///
/// weft_sdk::export_workflows!(hello);
/// ```
#[macro_export]
macro_rules! export_workflows {
    ($($workflow:path),+ $(,)?) => {
        const _: () = {
            const WORKFLOWS: &[$crate::__private::WorkflowEntry] =
                &[$($crate::__private::WorkflowEntry::of::<$workflow>()),+];
            const _: () = $crate::__private::assert_unique_names(WORKFLOWS);

            #[cfg(target_arch = "wasm32")]
            const _: () = {
                struct WeftWorkflowComponent;

                impl $crate::__private::Guest for WeftWorkflowComponent {
                    fn workflow_types() -> ::std::vec::Vec<::std::string::String> {
                        $crate::__private::workflow_types(WORKFLOWS)
                    }

                    fn activate(
                        activation: $crate::wit::Activation,
                    ) -> ::std::result::Result<
                        ::std::vec::Vec<$crate::wit::IssuedCommand>,
                        $crate::wit::TaskFailure,
                    > {
                        $crate::__private::activate(WORKFLOWS, activation)
                    }
                }

                $crate::bindings::__export_workflow!(
                    WeftWorkflowComponent with_types_in $crate::bindings
                );
            };
        };
    };
}
