//! `circuit_breaker`: the circuit-breaker pattern — one long-running execution guards a
//! flaky downstream activity, so that callers stop hammering it while it is down.
//!
//! | message | kind   | input                    | answer                                   |
//! |---------|--------|--------------------------|------------------------------------------|
//! | start   |        | [`BreakerConfig`]        | (at close) the [`BreakerReport`]         |
//! | `call`  | update | the downstream's input   | the downstream's result, or its failure  |
//! | `state` | query  | none                     | the [`BreakerReport`]                    |
//! | `stop`  | signal | none                     | the workflow completes once calls ended  |
//!
//! The breaker's positions:
//!
//! | position    | a `call`                                   | moves to                         |
//! |-------------|--------------------------------------------|----------------------------------|
//! | closed      | runs the activity                          | open, at the `failure_threshold`-th failure within `window_s` |
//! | open        | refused by the validator (nothing recorded) | half-open, when a durable timer of `open_s` fires |
//! | half-open   | the first runs as a trial; others refused  | closed if the trial succeeds, open again if it fails |
//!
//! A refusal is an update rejected before anything is recorded, so it costs the caller a
//! round trip and the history nothing; its message says the circuit is open and until
//! when. The downstream runs without retries: the breaker is the retry strategy.
//! Because the cool-down is a durable timer, an open breaker half-opens on time even
//! across a host restart. Calls accepted in one activation can overtake the validator's
//! view (two trials, or a call after the circuit just opened): the handler checks again
//! and fails such a call with error type [`CIRCUIT_OPEN`].
//!
//! Every call adds to the history, so the breaker continues as a new run when the host
//! suggests it, or after `calls_per_run` calls when the start sets that, once the calls
//! in flight have answered: the next run of the same workflow id takes over the
//! position, the failures in the window, an open circuit's cool-down and the counts.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weft_sdk::{
    select, workflow, ActivityOptions, RetryPolicy, WfContext, WfResult, WorkflowError,
};

/// The error type of a call the handler refused because the circuit was open.
pub const CIRCUIT_OPEN: &str = "CircuitOpen";

/// The workflow's input: what to guard and when to trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    /// The guarded activity's name.
    pub activity: String,
    /// Failures within `window_s` that open the circuit (at least 1).
    pub failure_threshold: u32,
    /// The window failures are counted in, in seconds.
    pub window_s: u64,
    /// How long the circuit stays open before it half-opens, in seconds.
    pub open_s: u64,
    /// The start-to-close timeout of each call, in seconds.
    pub call_timeout_s: u64,
    /// Continue as a new run after this many calls (besides when the host suggests it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_per_run: Option<u64>,
    /// The breaker as the previous run left it; none for the first run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried: Option<Carried>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            activity: String::new(),
            failure_threshold: 3,
            window_s: 60,
            open_s: 30,
            call_timeout_s: 10,
            calls_per_run: None,
            carried: None,
        }
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Calls go through.
    #[default]
    Closed,
    /// Calls are refused until the cool-down timer fires.
    Open,
    /// One trial call goes through; its outcome closes or reopens the circuit.
    HalfOpen,
}

/// The answer of the `state` query, and the workflow's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerReport {
    /// Where the breaker stands.
    pub position: Position,
    /// Failures counted in the window, as of the last failure (closed only).
    pub recent_failures: u32,
    /// When an open circuit half-opens, in milliseconds since the Unix epoch.
    pub open_until_ms: Option<u64>,
    /// Calls the handler ran or refused (the validator's refusals leave no trace).
    pub calls: u64,
    /// Calls whose downstream failed.
    pub failures: u64,
    /// How many times the circuit opened.
    pub opened: u64,
}

/// What a run hands the next when it continues as new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// Where the breaker stood.
    pub position: Position,
    /// When the failures in the window happened (ms), oldest first.
    pub failure_times: Vec<u64>,
    /// When an open circuit half-opens (ms): the next run waits out the rest.
    pub open_until_ms: Option<u64>,
    /// The counts of the [`BreakerReport`] so far.
    pub calls: u64,
    pub failures: u64,
    pub opened: u64,
}

/// The workflow's state.
#[derive(Debug, Default)]
pub struct Breaker {
    config: BreakerConfig,
    position: Position,
    /// When the failures in the window happened (ms), oldest first.
    failures: VecDeque<u64>,
    open_until_ms: Option<u64>,
    trial_in_flight: bool,
    calls: u64,
    failed: u64,
    opened: u64,
    /// Calls this run took in.
    calls_this_run: u64,
    stopped: bool,
}

impl Breaker {
    /// Why a call is refused now, if it is.
    fn refusal(&self) -> Option<String> {
        let config = &self.config;
        match self.position {
            _ if self.stopped => Some("the circuit breaker is stopped".to_owned()),
            Position::Open => Some(format!(
                "circuit open: `{}` failed {} times within {} s; calls are refused until it \
                 half-opens at {} ms (Unix time), {} s after it opened",
                config.activity,
                config.failure_threshold,
                config.window_s,
                self.open_until_ms.unwrap_or_default(),
                config.open_s,
            )),
            Position::HalfOpen if self.trial_in_flight => Some(format!(
                "circuit half-open: a trial call of `{}` is in flight; calls are refused \
                 until it succeeds",
                config.activity
            )),
            _ => None,
        }
    }

    /// Takes a call in: whether it is the half-open circuit's trial.
    fn admit(&mut self) -> bool {
        self.calls += 1;
        self.calls_this_run += 1;
        let trial = self.position == Position::HalfOpen;
        self.trial_in_flight |= trial;
        trial
    }

    /// Counts a call's outcome at workflow time `now_ms`.
    fn record(&mut self, succeeded: bool, now_ms: u64, trial: bool) {
        if trial {
            self.trial_in_flight = false;
        }
        if succeeded {
            if trial {
                self.position = Position::Closed;
                self.failures.clear();
            }
            return;
        }
        self.failed += 1;
        match self.position {
            // The trial failed: the downstream is still down.
            Position::HalfOpen if trial => self.open(now_ms),
            // A call that started before the circuit opened (or a stray one while
            // half-open): the circuit already knows.
            Position::Open | Position::HalfOpen => {}
            Position::Closed => {
                let window_ms = self.config.window_s.saturating_mul(1000);
                self.failures.push_back(now_ms);
                while self
                    .failures
                    .front()
                    .is_some_and(|&at| at < now_ms.saturating_sub(window_ms))
                {
                    self.failures.pop_front();
                }
                if self.failures.len() >= self.config.failure_threshold as usize {
                    self.open(now_ms);
                }
            }
        }
    }

    fn open(&mut self, now_ms: u64) {
        self.position = Position::Open;
        self.open_until_ms = Some(now_ms.saturating_add(self.config.open_s.saturating_mul(1000)));
        self.opened += 1;
        self.failures.clear();
    }

    fn half_open(&mut self) {
        self.position = Position::HalfOpen;
        self.open_until_ms = None;
    }

    fn carry(&self) -> Carried {
        Carried {
            position: self.position,
            failure_times: self.failures.iter().copied().collect(),
            open_until_ms: self.open_until_ms,
            calls: self.calls,
            failures: self.failed,
            opened: self.opened,
        }
    }

    fn resume(&mut self, carried: Carried) {
        self.position = carried.position;
        self.failures = carried.failure_times.into();
        self.open_until_ms = carried.open_until_ms;
        self.calls = carried.calls;
        self.failed = carried.failures;
        self.opened = carried.opened;
    }

    fn report(&self) -> BreakerReport {
        BreakerReport {
            position: self.position,
            recent_failures: u32::try_from(self.failures.len()).unwrap_or(u32::MAX),
            open_until_ms: self.open_until_ms,
            calls: self.calls,
            failures: self.failed,
            opened: self.opened,
        }
    }
}

fn unix_ms(time: SystemTime) -> u64 {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// Waits until the open circuit's `open_until_ms` on a durable timer and half-opens
/// it: `false` when the `stop` signal came first.
async fn cool_down(ctx: &WfContext<Breaker>) -> WfResult<bool> {
    let until = ctx.state(|b| b.open_until_ms.unwrap_or_default());
    let wait = until.saturating_sub(unix_ms(ctx.now()));
    // A cool-down carried from the previous run may be over already.
    if wait > 0 {
        let mut timer = ctx.sleep(Duration::from_millis(wait));
        let mut stop = ctx.wait_condition(|b| b.stopped);
        select! {
            fired = timer => fired?,
            stopped = stop => {
                stopped?;
                return Ok(false);
            }
        }
    }
    ctx.state_mut(Breaker::half_open);
    Ok(true)
}

#[workflow(name = "circuit_breaker")]
impl Breaker {
    /// Guards the downstream until the `stop` signal: each time the circuit opens, waits
    /// out the cool-down on a durable timer and half-opens it; continues as new when it
    /// is time.
    async fn run(ctx: WfContext<Self>, mut config: BreakerConfig) -> WfResult<BreakerReport> {
        if config.activity.is_empty() || config.failure_threshold == 0 {
            return Err(WorkflowError::new(
                "a circuit breaker needs an `activity` and a `failure_threshold` of at least 1",
            )
            .with_type("InvalidInput"));
        }
        let carried = config.carried.take();
        ctx.state_mut(|breaker| {
            breaker.config = config.clone();
            if let Some(carried) = carried {
                breaker.resume(carried);
            }
        });
        let limit = config.calls_per_run.unwrap_or(u64::MAX);
        loop {
            let history = ctx.clone();
            ctx.wait_condition(move |b| {
                b.stopped
                    || b.position == Position::Open
                    || b.calls_this_run >= limit
                    || history.history_info().continue_as_new_suggested
            })
            .await?;
            if ctx.state(|b| b.stopped) {
                break;
            }
            if ctx.state(|b| b.position == Position::Open) {
                if cool_down(&ctx).await? {
                    continue;
                }
                break;
            }
            // Time to continue as new, once the calls in flight have answered.
            ctx.all_handlers_finished().await?;
            if ctx.state(|b| b.stopped || b.position == Position::Open) {
                continue;
            }
            let next = BreakerConfig {
                carried: Some(ctx.state(Breaker::carry)),
                ..config
            };
            return Err(ctx.continue_as_new(&next));
        }
        // Calls in flight answer their callers before the run closes.
        ctx.all_handlers_finished().await?;
        Ok(ctx.state(Breaker::report))
    }

    /// Calls the downstream with `request`, unless the circuit is open.
    #[update]
    async fn call(ctx: WfContext<Self>, request: Value) -> WfResult<Value> {
        let admitted = ctx.state_mut(|b| match b.refusal() {
            Some(refusal) => {
                b.calls += 1;
                b.calls_this_run += 1;
                Err(refusal)
            }
            None => Ok((b.admit(), b.config.clone())),
        });
        let (trial, config) =
            admitted.map_err(|refusal| WorkflowError::new(refusal).with_type(CIRCUIT_OPEN))?;
        let options = ActivityOptions::start_to_close(Duration::from_secs(config.call_timeout_s))
            .retry(RetryPolicy::no_retries());
        let result = ctx
            .activity_by_name::<Value>(&config.activity, &request, &options)
            .await;
        let now = unix_ms(ctx.now());
        ctx.state_mut(|b| b.record(result.is_ok(), now, trial));
        Ok(result?)
    }

    /// Refuses a call while the circuit is open (or its trial is in flight).
    #[update_validator(call)]
    fn validate_call(&self, _request: &Value) -> Result<(), String> {
        self.refusal().map_or(Ok(()), Err)
    }

    /// Where the breaker stands.
    #[query]
    fn state(&self) -> BreakerReport {
        self.report()
    }

    /// Ends the workflow once the calls in flight have answered.
    #[signal]
    fn stop(&mut self) {
        self.stopped = true;
    }
}

weft_sdk::export_workflows!(Breaker);

#[cfg(test)]
mod tests;
