//! Flow control: which waiting work runs first when there is more than capacity.
//!
//! * [`Line`]: the order of waiters everywhere: by priority (1 first), within a
//!   priority shared between fairness keys by weight (stride scheduling), within a
//!   key first come, first served. A waiter's place is its [`Turn`].
//! * [`Slots`]: a fixed number of slots handed out in [`Line`] order. The activity
//!   pools (`activities::pools`) take their queue's, their concurrency key's
//!   ([`KeySlots`], `--concurrency-limit KEY=N`) and the host's slots from it.
//! * [`Bucket`]: a rate limit (`--rate [queue:|type:|key:]NAME=N/s`), a token bucket on
//!   the host's clock that activity attempts take a token from before they run.
//! * [`WorkflowLimits`]: at most N runs of a workflow type running at once; starts past
//!   it are recorded but *pending*, and start in [`Line`] order as others close.
//! * [`Debouncer`]: of the starts of one workflow type and debounce key less than a
//!   period apart, only the last runs; the others are pending, then superseded.
//! * [`StartRates`]: at most N starts of a workflow type per period; past it a start is
//!   refused, or pending until its token.
//!
//! A run's priority ([`weft_model::Priority`]) and fairness ([`weft_model::Fairness`])
//! are recorded in its history (`Event::Priority`, `Event::Fairness`, among its first
//! events, only when given); the priority is also kept with its search attributes for
//! lists and the `Priority` list-query field. Its activities and children inherit
//! both unless they set their own ([`weft_model::Flow`], recorded as
//! `Event::ActivityFlow` and `Event::ChildFlow`); a continue-as-new keeps them.

mod debounce;
mod keys;
mod limits;
mod line;
mod rate;
mod slots;
mod start_rate;

pub use debounce::{
    Arrival, Debounce, DebouncedRun, Debouncer, MAX_DEBOUNCE_KEY_BYTES, MAX_DEBOUNCE_PERIOD,
};
pub use keys::{ConcurrencyLimit, KeySlots};
pub use limits::{OpenRun, WorkflowLimit, WorkflowLimits};
pub use line::{Line, Ticket, Turn};
pub use rate::{Bucket, RateLimit, RateScope};
pub use slots::{Slot, Slots};
pub use start_rate::{StartAdmission, StartRate, StartRateMode, StartRates};
pub use weft_model::{Fairness, Flow, Priority};
