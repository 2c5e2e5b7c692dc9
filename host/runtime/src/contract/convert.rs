//! Conversions between the generated contract types ([`super::wit`]) and the history's
//! vocabulary ([`crate::history::vocab`]). The shapes match field for field; the
//! conversions exist so that either side can change on its own.

use super::wit as w;
use crate::history::vocab as h;

/// A conversion between the contract's and the history's version of a type.
pub trait Conv<T> {
    fn conv(self) -> T;
}

macro_rules! identity {
    ($($t:ty),*) => {$(
        impl Conv<$t> for $t {
            #[inline]
            fn conv(self) -> $t { self }
        }
    )*};
}
identity!(u32, u64, bool, f64, String);

impl<A: Conv<B>, B> Conv<Option<B>> for Option<A> {
    fn conv(self) -> Option<B> {
        self.map(Conv::conv)
    }
}

impl<A: Conv<B>, B> Conv<Vec<B>> for Vec<A> {
    fn conv(self) -> Vec<B> {
        self.into_iter().map(Conv::conv).collect()
    }
}

impl<A: Conv<C>, B: Conv<D>, C, D> Conv<(C, D)> for (A, B) {
    fn conv(self) -> (C, D) {
        (self.0.conv(), self.1.conv())
    }
}

impl<A: Conv<C>, B: Conv<D>, C, D> Conv<Result<C, D>> for Result<A, B> {
    fn conv(self) -> Result<C, D> {
        self.map(Conv::conv).map_err(Conv::conv)
    }
}

/// Records with the same fields on both sides.
macro_rules! records {
    ($($name:ident { $($field:ident),* $(,)? })*) => {$(
        impl Conv<h::$name> for w::$name {
            fn conv(self) -> h::$name { h::$name { $($field: self.$field.conv()),* } }
        }
        impl Conv<w::$name> for h::$name {
            fn conv(self) -> w::$name { w::$name { $($field: self.$field.conv()),* } }
        }
    )*};
}

/// Enums with the same variants on both sides: `Variant(v)` carries one value, a bare
/// `Variant` none.
macro_rules! variants {
    ($($name:ident { $($variant:ident $(($v:ident))?),* $(,)? })*) => {$(
        impl Conv<h::$name> for w::$name {
            fn conv(self) -> h::$name {
                match self { $(w::$name::$variant $(($v))? => h::$name::$variant $(($v.conv()))?),* }
            }
        }
        impl Conv<w::$name> for h::$name {
            fn conv(self) -> w::$name {
                match self { $(h::$name::$variant $(($v))? => w::$name::$variant $(($v.conv()))?),* }
            }
        }
    )*};
}

// By hand: the bytes move as they are, not element by element.
impl Conv<h::Payload> for w::Payload {
    fn conv(self) -> h::Payload {
        h::Payload {
            encoding: self.encoding.conv(),
            data: self.data,
        }
    }
}
impl Conv<w::Payload> for h::Payload {
    fn conv(self) -> w::Payload {
        w::Payload {
            encoding: self.encoding.conv(),
            data: self.data,
        }
    }
}

// By hand: a failure's cause crosses the contract through `job-failure-causes` and
// `command-failure-causes` (see `engine::causes`), and its encoded attributes never do
// (the payload codec decodes them before a failure reaches a workflow).
impl Conv<h::Failure> for w::Failure {
    fn conv(self) -> h::Failure {
        h::Failure {
            message: self.message,
            error_type: self.error_type,
            non_retryable: self.non_retryable,
            details: self.details.conv(),
            ..h::Failure::default()
        }
    }
}
impl Conv<w::Failure> for h::Failure {
    fn conv(self) -> w::Failure {
        w::Failure {
            message: self.message,
            error_type: self.error_type,
            non_retryable: self.non_retryable,
            details: self.details.conv(),
        }
    }
}

records! {
    SourceLocation { file, line, column }
    RetryPolicy {
        initial_interval_ms, backoff_coefficient, maximum_interval_ms, maximum_attempts,
        non_retryable_error_types,
    }
    ActivityOptions {
        task_queue, start_to_close_timeout_ms, schedule_to_close_timeout_ms,
        schedule_to_start_timeout_ms, heartbeat_timeout_ms, retry_policy,
    }
    StartWorkflow {
        workflow_type, input, workflow_id, run_id, attempt, parent_workflow_id, random_seed,
        search_attributes, memo,
    }
    ResolveActivity { seq, resolution }
    Signal { name, input }
    Update { id, name, input }
    Query { id, name, input }
    ResolveChildWorkflow { seq, resolution }
    Activation { jobs, time_ms, is_replaying }
    ScheduleActivity { seq, activity_type, input, options }
    StartTimer { seq, duration_ms }
    StartChildWorkflow { seq, workflow_type, input, workflow_id, parent_close_policy }
    SignalExternal { seq, workflow_id, name, input }
    ContinueAsNew { workflow_type, input }
    RespondQuery { id, result }
    CompleteUpdate { id, result }
    IssuedCommand { command, location }
    TaskFailure { message, location }
}

// By hand: the contract has no job that says a child recorded its cancellation (a
// component built before it existed still links), so that job reaches the workflow as
// a signal with the reserved name [`h::CHILD_CANCEL_REQUESTED_SIGNAL`], its input the
// child's seq; the host refuses that name from anyone else.
impl Conv<h::Job> for w::Job {
    fn conv(self) -> h::Job {
        match self {
            w::Job::StartWorkflow(v) => h::Job::StartWorkflow(v.conv()),
            w::Job::ResolveActivity(v) => h::Job::ResolveActivity(v.conv()),
            w::Job::ResolveLocalActivity(v) => h::Job::ResolveLocalActivity(v.conv()),
            w::Job::FireTimer(v) => h::Job::FireTimer(v),
            w::Job::Signal(v) => match child_cancel_requested(&v) {
                Some(seq) => h::Job::ChildCancelRequested(seq),
                None => h::Job::Signal(v.conv()),
            },
            w::Job::Update(v) => h::Job::Update(v.conv()),
            w::Job::CancelRequested => h::Job::CancelRequested,
            w::Job::ResolveChildWorkflow(v) => h::Job::ResolveChildWorkflow(v.conv()),
            w::Job::Query(v) => h::Job::Query(v.conv()),
        }
    }
}
impl Conv<w::Job> for h::Job {
    fn conv(self) -> w::Job {
        match self {
            h::Job::StartWorkflow(v) => w::Job::StartWorkflow(v.conv()),
            h::Job::ResolveActivity(v) => w::Job::ResolveActivity(v.conv()),
            h::Job::ResolveLocalActivity(v) => w::Job::ResolveLocalActivity(v.conv()),
            h::Job::FireTimer(v) => w::Job::FireTimer(v),
            h::Job::Signal(v) => w::Job::Signal(v.conv()),
            h::Job::Update(v) => w::Job::Update(v.conv()),
            h::Job::CancelRequested => w::Job::CancelRequested,
            h::Job::ResolveChildWorkflow(v) => w::Job::ResolveChildWorkflow(v.conv()),
            h::Job::Query(v) => w::Job::Query(v.conv()),
            h::Job::ChildCancelRequested(seq) => w::Job::Signal(w::Signal {
                name: h::CHILD_CANCEL_REQUESTED_SIGNAL.to_owned(),
                input: h::Payload::json(&seq.into()).conv(),
            }),
        }
    }
}

/// The seq a child-cancellation signal carries, if `signal` is one.
fn child_cancel_requested(signal: &w::Signal) -> Option<u32> {
    if signal.name != h::CHILD_CANCEL_REQUESTED_SIGNAL {
        return None;
    }
    serde_json::from_slice(&signal.input.data).ok()
}

// By hand: `Encoded` is stored only; the payload codec decodes it before any payload
// reaches a workflow, so it has no counterpart in the contract.
impl Conv<h::Encoding> for w::Encoding {
    fn conv(self) -> h::Encoding {
        match self {
            w::Encoding::Json => h::Encoding::Json,
            w::Encoding::Binary => h::Encoding::Binary,
        }
    }
}
impl Conv<w::Encoding> for h::Encoding {
    fn conv(self) -> w::Encoding {
        match self {
            h::Encoding::Json => w::Encoding::Json,
            h::Encoding::Binary => w::Encoding::Binary,
            h::Encoding::Encoded => {
                panic!("an encoded payload reached the contract; the payload codec decodes every payload it reads")
            }
        }
    }
}

variants! {
    ActivityResolution { Completed(v), Failed(v), Cancelled(v), TimedOut(v) }
    ChildResolution { Started(v), Completed(v), Failed(v), Cancelled(v), Terminated(v) }
    ParentClosePolicy { Terminate, Abandon, RequestCancel }
    Marker { Patch(v), SideEffect(v) }
    Command {
        ScheduleActivity(v), RequestCancelActivity(v), ScheduleLocalActivity(v), StartTimer(v),
        CancelTimer(v), StartChildWorkflow(v), CancelChildWorkflow(v), SignalExternal(v),
        RecordMarker(v), UpsertSearchAttributes(v), UpsertMemo(v), RespondQuery(v),
        AcceptUpdate(v), RejectUpdate(v), CompleteUpdate(v), CompleteWorkflow(v),
        FailWorkflow(v), ContinueAsNew(v), CancelWorkflowConfirmed,
    }
}
