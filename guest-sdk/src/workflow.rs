//! Workflow definitions: what `#[workflow]` implements and `export_workflows!` lists.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::WfContext;
use crate::error::{error_types, WfResult, WorkflowError};
use crate::executor::LocalBoxFuture;
use crate::handlers::Handlers;
use crate::instance::{Execution, Instance};
use crate::payload;
use crate::wit::{Payload, SourceLocation, StartWorkflow};

/// A workflow type. Implemented by `#[workflow]`; rarely by hand.
pub trait Workflow: 'static {
    /// The workflow type's name, as clients start it.
    const NAME: &'static str;
    /// Where the workflow is defined; the location of commands that are not issued by a
    /// line of workflow code (completing the workflow, rejecting its input).
    const DEFINED_AT: Option<CodeLocation> = None;
    /// Whether a panic fails the run (`#[workflow(fail_on_panic)]`). By default a panic
    /// fails only the workflow task, which the host retries with backoff while the run
    /// stays open, so a fixed version of the workflow can take over.
    const FAIL_ON_PANIC: bool = false;
    /// The state shared by the run method and the handlers, made with `Default` when an
    /// execution starts: the type of a `#[workflow] impl` block, `()` for a function.
    type State: Default + 'static;
    /// The input, decoded from the start job's JSON payload.
    type Input: DeserializeOwned + 'static;
    /// The result, encoded as the JSON payload of `complete-workflow`.
    type Output: Serialize + 'static;

    /// Checks the decoded input before the workflow starts (`#[workflow(validate)]`
    /// runs the input type's [`Validate`](crate::Validate) rules); input that fails is
    /// refused and the start with it.
    fn validate_input(input: &Self::Input) -> Result<(), crate::ValidationError> {
        let _ = input;
        Ok(())
    }

    /// Runs one execution of the workflow.
    fn run(
        ctx: WfContext<Self::State>,
        input: Self::Input,
    ) -> LocalBoxFuture<WfResult<Self::Output>>;

    /// The workflow's signal, query and update handlers; none by default.
    fn handlers() -> Handlers<Self::State> {
        Handlers::new()
    }
}

/// A place in source code, known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLocation {
    /// The file, as `file!()` names it.
    pub file: &'static str,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl CodeLocation {
    pub(crate) fn to_wit(self) -> SourceLocation {
        SourceLocation {
            file: self.file.to_owned(),
            line: self.line,
            column: self.column,
        }
    }
}

/// A workflow type as a component exports it: its name and how to start it.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct WorkflowEntry {
    pub(crate) name: &'static str,
    pub(crate) fail_on_panic: bool,
    pub(crate) start: fn(&StartWorkflow) -> Box<dyn Execution>,
}

impl WorkflowEntry {
    /// The entry of workflow type `W`.
    pub const fn of<W: Workflow>() -> Self {
        Self {
            name: W::NAME,
            fail_on_panic: W::FAIL_ON_PANIC,
            start: |start| Box::new(Instance::<W>::start(start)),
        }
    }
}

/// Decodes the input and runs the workflow; the output is encoded when it finishes.
///
/// Input that does not decode fails the workflow (not the task): no version of the code
/// can accept it, so retrying the task would not help.
pub(crate) fn start<W: Workflow>(
    ctx: WfContext<W::State>,
    input: &Payload,
) -> LocalBoxFuture<WfResult<Payload>> {
    let input = match payload::from_json::<W::Input>(input) {
        Ok(input) => input,
        Err(error) => {
            let error = WorkflowError::internal(
                error_types::INVALID_INPUT,
                format!(
                    "workflow `{}` expects input of type `{}`, but its input does not \
                     decode: {error}",
                    W::NAME,
                    std::any::type_name::<W::Input>(),
                ),
            );
            return Box::pin(std::future::ready(Err(error)));
        }
    };
    if let Err(invalid) = W::validate_input(&input) {
        let error = WorkflowError::internal(
            error_types::INVALID_INPUT,
            format!("workflow `{}` refused its input: {invalid}", W::NAME),
        );
        return Box::pin(std::future::ready(Err(error)));
    }
    let run = W::run(ctx, input);
    Box::pin(async move {
        let output = run.await?;
        payload::to_json(&output).map_err(|error| {
            WorkflowError::internal(
                error_types::PAYLOAD_ENCODING,
                format!(
                    "workflow `{}` returned a `{}` that does not encode as JSON: {error}",
                    W::NAME,
                    std::any::type_name::<W::Output>(),
                ),
            )
        })
    })
}

/// Lets `#[workflow]` name a workflow's output type from its return type, whatever alias
/// the return type is written with; also converts what update handlers return.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "expected `WfResult<T>`, found `{Self}`",
    label = "a workflow's run function and an update handler return `weft_sdk::WfResult<T>` \
             (that is, `Result<T, WorkflowError>`)"
)]
pub trait WorkflowReturn {
    type Ok;
    fn into_result(self) -> WfResult<Self::Ok>;
}

impl<T> WorkflowReturn for Result<T, WorkflowError> {
    type Ok = T;
    fn into_result(self) -> WfResult<T> {
        self
    }
}

/// What an update handler returned, as a `WfResult`. The generated code calls it spanned
/// at the handler's return type, so a wrong one is one error, pointing there.
#[doc(hidden)]
pub fn update_result<R: WorkflowReturn>(returned: R) -> WfResult<R::Ok> {
    returned.into_result()
}

/// What an update validator returns.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "expected `Result<(), E>` with `E: Display`, found `{Self}`",
    label = "an update validator returns `Ok(())` to accept the update, `Err(e)` to reject it"
)]
pub trait ValidationReturn {
    type Error: std::fmt::Display;
    fn into_result(self) -> Result<(), Self::Error>;
}

impl<E: std::fmt::Display> ValidationReturn for Result<(), E> {
    type Error = E;
    fn into_result(self) -> Self {
        self
    }
}

/// What a validator returned, as a `Result` (spanned like [`update_result`]).
#[doc(hidden)]
pub fn validation_result<R: ValidationReturn>(returned: R) -> Result<(), R::Error> {
    returned.into_result()
}

/// `Self` is `T`: an update validator takes (a reference to) its update's input.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the validator takes `&{T}`, but its update's input is `{Self}`",
    label = "take `&{Self}`: a validator sees the input its update will get"
)]
pub trait SameInput<T: ?Sized> {
    fn as_same(&self) -> &T;
}

impl<T: ?Sized> SameInput<T> for T {
    fn as_same(&self) -> &T {
        self
    }
}

/// The update's input, as the validator takes it: the same type, checked where the
/// validator names it.
#[doc(hidden)]
pub fn validator_input<U: SameInput<V> + ?Sized, V: ?Sized>(input: &U) -> &V {
    input.as_same()
}

/// Fails compilation (in `export_workflows!`) when two exported workflows share a name.
#[doc(hidden)]
pub const fn assert_unique_names(entries: &[WorkflowEntry]) {
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() {
            if str_eq(entries[i].name, entries[j].name) {
                panic!("export_workflows! lists two workflows with the same name");
            }
            j += 1;
        }
        i += 1;
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
