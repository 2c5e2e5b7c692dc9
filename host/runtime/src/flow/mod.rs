//! Flow control: which waiting work runs first when there is more than capacity.
//!
//! * [`Slots`]: a fixed number of slots handed out by priority (1 first), and within a
//!   priority first come, first served. The activity pools (`activities::pools`) take
//!   their queue's and the host's slots from it, so under contention an activity of a
//!   run started with `--priority 1` runs before one of priority 3.
//!
//! * [`Bucket`]: a task queue's rate limit (`--rate QUEUE=N/s`), a token bucket on the
//!   host's clock that activity attempts of the queue take a token from before they run.
//! * [`WorkflowLimits`]: at most N runs of a workflow type running at once; starts past
//!   it are recorded but *pending*, and start as others close.
//! * [`Debouncer`]: of the starts of one workflow type and debounce key less than a
//!   period apart, only the last runs; the others are pending, then superseded.
//! * [`StartRates`]: at most N starts of a workflow type per period; past it a start is
//!   refused, or pending until its token.
//!
//! A run's priority ([`weft_model::Priority`]) is recorded in its history
//! (`Event::Priority`, after `ExecutionStarted`, only when not the default 3) and kept
//! with its search attributes for lists and the `Priority` list-query field. Its
//! activities and children inherit it; a continue-as-new keeps it.

mod debounce;
mod limits;
mod rate;
mod slots;
mod start_rate;

pub use debounce::{
    Arrival, Debounce, DebouncedRun, Debouncer, MAX_DEBOUNCE_KEY_BYTES, MAX_DEBOUNCE_PERIOD,
};
pub use limits::{OpenRun, WorkflowLimit, WorkflowLimits};
pub use rate::{Bucket, RateLimit};
pub use slots::{Slot, Slots};
pub use start_rate::{StartAdmission, StartRate, StartRateMode, StartRates};
pub use weft_model::Priority;
