//! Updates: requests to a running workflow that change it and get an answer.
//!
//! An `update` job (id, name, input) is decided when it is applied:
//!
//! | the update                         | not replaying                                  | replaying       |
//! |------------------------------------|------------------------------------------------|-----------------|
//! | names no handler                   | `reject-update`, `UnknownUpdate`               | task failure    |
//! | input does not decode              | `reject-update`, `weft.InvalidInput`           | task failure    |
//! | arrives after the workflow completed | `reject-update`, `UpdateRejected`            | task failure    |
//! | its validator returns `Err(e)`     | `reject-update`, `UpdateRejected`, message `e` | (not run)       |
//! | its validator panics               | the host rejects it with the panic's message   | (not run)       |
//! | is accepted                        | `accept-update`, then its handler task starts  | the same        |
//!
//! While replaying, the validator is not run at all: only accepted updates are ever
//! recorded, so the recorded update is accepted directly (and a validator that changed
//! since cannot make a replay diverge). An accepted update's handler task is first
//! polled in the same activation, after the jobs were applied; when it finishes it issues
//! `complete-update` with its result as JSON, or with the failure of its `Err`.
//!
//! The host sends an update to be validated in an activation of its own and records
//! nothing when it is rejected, so a rejection must leave the instance as it was: the
//! validator only gets `&S`, and an activation whose jobs were all rejected updates
//! polls no task and evaluates no condition (see `instance`).

use std::fmt::Display;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::WfContext;
use crate::error::{error_types, sdk_failure, WfResult, WorkflowError};
use crate::executor::LocalBoxFuture;
use crate::handlers::{self, Handlers, Kind, Named};
use crate::location;
use crate::payload;
use crate::wit::{Command, CompleteUpdate, Failure, Payload, SourceLocation, Update};

/// Decodes an update's input into a call of its handler.
type Prepare<S> = Box<dyn Fn(&Payload) -> Result<Box<dyn UpdateCall<S>>, String>>;
type Run<S, I> = Rc<dyn Fn(WfContext<S>, I) -> LocalBoxFuture<WfResult<Payload>>>;
type Validate<S, I> = Rc<dyn Fn(&S, &I) -> Result<(), String>>;

pub(crate) struct UpdateHandler<S> {
    name: &'static str,
    /// Where the handler was registered (for `#[update]`, the method): the location of
    /// the commands that are not issued by a line of handler code.
    defined_at: &'static Location<'static>,
    prepare: Prepare<S>,
}

impl<S> Named for UpdateHandler<S> {
    const KIND: Kind = Kind::Update;

    fn name(&self) -> &'static str {
        self.name
    }
}

/// One update's handler with its input decoded.
trait UpdateCall<S> {
    fn validate(&self, state: &S) -> Result<(), String>;
    fn start(self: Box<Self>, ctx: WfContext<S>) -> LocalBoxFuture<WfResult<Payload>>;
}

struct Call<S, I> {
    input: I,
    run: Run<S, I>,
    validate: Option<Validate<S, I>>,
}

impl<S, I> UpdateCall<S> for Call<S, I> {
    fn validate(&self, state: &S) -> Result<(), String> {
        match &self.validate {
            Some(validate) => validate(state, &self.input),
            None => Ok(()),
        }
    }

    fn start(self: Box<Self>, ctx: WfContext<S>) -> LocalBoxFuture<WfResult<Payload>> {
        (self.run)(ctx, self.input)
    }
}

impl<S: 'static> Handlers<S> {
    /// Registers an update handler without a validator: every update that names it and
    /// whose input decodes is accepted. The handler runs as a task; its `Ok` is encoded
    /// as JSON into `complete-update`, its `Err` becomes the failure. Use `()` as the
    /// input type for an update without input.
    ///
    /// # Panics
    ///
    /// If an update handler of that name is registered already.
    #[track_caller]
    pub fn update<I, O, H, F>(self, name: &'static str, handler: H) -> Self
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
        H: Fn(WfContext<S>, I) -> F + 'static,
        F: Future<Output = WfResult<O>> + 'static,
    {
        self.add_update(name, handler, None, Location::caller())
    }

    /// Registers an update handler with a validator. The validator reads the state and
    /// the input before the update is accepted; its `Err` rejects the update (the error's
    /// `Display` is the message) and leaves the workflow as it was. It is not run when
    /// the update is replayed.
    ///
    /// # Panics
    ///
    /// If an update handler of that name is registered already.
    #[track_caller]
    pub fn validated_update<I, O, H, F, V, E>(
        self,
        name: &'static str,
        handler: H,
        validator: V,
    ) -> Self
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
        H: Fn(WfContext<S>, I) -> F + 'static,
        F: Future<Output = WfResult<O>> + 'static,
        V: Fn(&S, &I) -> Result<(), E> + 'static,
        E: Display,
    {
        let validate: Validate<S, I> =
            Rc::new(move |state, input| validator(state, input).map_err(|e| e.to_string()));
        self.add_update(name, handler, Some(validate), Location::caller())
    }

    fn add_update<I, O, H, F>(
        mut self,
        name: &'static str,
        handler: H,
        validate: Option<Validate<S, I>>,
        defined_at: &'static Location<'static>,
    ) -> Self
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
        H: Fn(WfContext<S>, I) -> F + 'static,
        F: Future<Output = WfResult<O>> + 'static,
    {
        let run: Run<S, I> = Rc::new(move |ctx, input| {
            let handler = handler(ctx, input);
            Box::pin(async move {
                let output = handler.await?;
                payload::to_json(&output).map_err(|error| {
                    WorkflowError::internal(
                        error_types::PAYLOAD_ENCODING,
                        format!(
                            "update `{name}` returned a `{}` that does not encode as JSON: \
                             {error}",
                            std::any::type_name::<O>()
                        ),
                    )
                })
            })
        });
        let prepare: Prepare<S> = Box::new(move |input| {
            Ok(Box::new(Call {
                input: payload::decode_input::<I>(input)?,
                run: run.clone(),
                validate: validate.clone(),
            }))
        });
        let handler = UpdateHandler {
            name,
            defined_at,
            prepare,
        };
        handlers::register(&mut self.updates, handler);
        self
    }
}

/// An update job, decided as far as it can be before it is applied.
pub(crate) enum UpdateDelivery<S> {
    /// To be validated when applied (not replaying), then accepted or rejected.
    Validate(Accepted<S>),
    /// Accepted without validation (replaying).
    Accept(Accepted<S>),
    Reject {
        id: String,
        failure: Failure,
        location: Option<SourceLocation>,
    },
}

/// An update whose handler and input are known.
pub(crate) struct Accepted<S> {
    id: String,
    name: String,
    location: SourceLocation,
    call: Box<dyn UpdateCall<S>>,
}

impl<S> UpdateDelivery<S> {
    /// Sorts an update job. `Err` (replaying only) fails the task: the history recorded
    /// the update as accepted, and this code cannot run it.
    pub(crate) fn sort(
        workflow: &str,
        handlers: &Handlers<S>,
        update: Update,
        is_replaying: bool,
        completed: bool,
        workflow_location: Option<SourceLocation>,
    ) -> Result<Self, String> {
        let Update { id, name, input } = update;
        let reject = |error_type: &str, message: String| {
            if is_replaying {
                Err(format!(
                    "the history accepted update `{name}` (id {id}), but {message}; replay \
                     it with the workflow code that accepted it"
                ))
            } else {
                Ok(Self::Reject {
                    id: id.clone(),
                    failure: sdk_failure(error_type, message),
                    location: workflow_location.clone(),
                })
            }
        };
        if completed {
            return reject(
                error_types::UPDATE_REJECTED,
                format!("workflow `{workflow}` has completed; it accepts no more updates"),
            );
        }
        let Some(handler) = handlers::find(&handlers.updates, &name) else {
            let message = handlers::unknown(workflow, &name, &handlers.updates);
            return reject(error_types::UNKNOWN_UPDATE, message);
        };
        let call = match (handler.prepare)(&input) {
            Ok(call) => call,
            Err(error) => {
                return reject(
                    error_types::INVALID_INPUT,
                    format!("update `{name}`: {error}"),
                )
            }
        };
        let accepted = Accepted {
            location: location::from_caller(handler.defined_at),
            id,
            name,
            call,
        };
        Ok(if is_replaying {
            Self::Accept(accepted)
        } else {
            Self::Validate(accepted)
        })
    }
}

impl<S: 'static> UpdateDelivery<S> {
    /// Validates (unless replaying), then issues `accept-update` or `reject-update`.
    /// Returns the handler task of an accepted update, which issues `complete-update`
    /// when it finishes.
    pub(crate) fn apply(self, ctx: &WfContext<S>) -> Option<LocalBoxFuture<()>> {
        let accepted = match self {
            Self::Accept(accepted) => accepted,
            Self::Validate(accepted) => match crate::panic::validating(&accepted.id, || {
                ctx.data.read(|s| accepted.call.validate(s))
            }) {
                Ok(()) => accepted,
                Err(message) => {
                    let failure = sdk_failure(error_types::UPDATE_REJECTED, message);
                    let command = Command::RejectUpdate((accepted.id, failure));
                    ctx.state
                        .borrow_mut()
                        .issue_at(command, Some(accepted.location));
                    return None;
                }
            },
            Self::Reject {
                id,
                failure,
                location,
            } => {
                let command = Command::RejectUpdate((id, failure));
                ctx.state.borrow_mut().issue_at(command, location);
                return None;
            }
        };
        let Accepted {
            id,
            name,
            location,
            call,
        } = accepted;
        let description = format!("update `{name}` (id {id})");
        let command = Command::AcceptUpdate(id.clone());
        ctx.state
            .borrow_mut()
            .issue_at(command, Some(location.clone()));
        let handler = call.start(ctx.clone());
        let state = ctx.state.clone();
        let task = Box::pin(async move {
            let (result, location, causes) = match handler.await {
                Ok(result) => (Ok(result), Some(location), Vec::new()),
                Err(error) => {
                    let causes = error.causes().to_vec();
                    let (failure, at) = error.into_parts();
                    (Err(failure), at.or(Some(location)), causes)
                }
            };
            let command = Command::CompleteUpdate(CompleteUpdate { id, result });
            state
                .borrow_mut()
                .issue_failing_at(command, location, &causes);
        });
        Some(handlers::tracked(&ctx.state, description, task))
    }
}
