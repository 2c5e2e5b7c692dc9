//! The host's services (`weft:workflow/host` imports), behind a seam.
//!
//! Inside a component every call goes to the WIT import. Natively there is no host: unit
//! tests (and `crate::testing`) install a stand-in with [`install`]; without one, the
//! deterministic services panic with a message that says so, while `log` and
//! `report-panic` fall back to stderr so that a panic hook never panics itself.

use std::cell::RefCell;
use std::rc::Rc;

use crate::wit::{
    ChildOptions, Failure, FlowOptions, HistoryInfo, LogLevel, MetricValue, SourceLocation,
    WaitPoint,
};

/// What a workflow can ask of its host. Mirrors the `host` interface of the contract.
pub(crate) trait Host {
    fn now_ms(&self) -> u64;
    fn random_bytes(&self, len: u32) -> Vec<u8>;
    fn log(&self, level: LogLevel, message: &str);
    fn history_info(&self) -> HistoryInfo;
    fn report_panic(&self, message: &str, location: Option<SourceLocation>);
    fn continued_from(&self) -> Option<String>;
    fn task_attempt(&self) -> u32;
    fn cron_schedule(&self) -> Option<String>;
    fn child_workflow_options(&self, seq: u32, options: &ChildOptions);
    fn record_metric(&self, metric: &MetricValue);
    fn activity_flow(&self, seq: u32, flow: &FlowOptions);
    fn child_flow(&self, seq: u32, flow: &FlowOptions);
    fn set_current_details(&self, details: &str);
    fn waiting_on(&self, points: &[WaitPoint]);
    fn cancel_local_activity(&self, seq: u32);
    fn job_failure_causes(&self, index: u32) -> Vec<Failure>;
    fn command_failure_causes(&self, index: u32, causes: &[Failure]);
}

thread_local! {
    static INSTALLED: RefCell<Option<Rc<dyn Host>>> = const { RefCell::new(None) };
}

/// Replaces the host for this thread; `None` restores the default.
pub(crate) fn install(host: Option<Rc<dyn Host>>) {
    INSTALLED.with(|slot| *slot.borrow_mut() = host);
}

fn installed() -> Option<Rc<dyn Host>> {
    // `try_borrow`: the panic hook may run while `install` holds the slot.
    INSTALLED.with(|slot| slot.try_borrow().ok().and_then(|h| h.clone()))
}

pub(crate) fn now_ms() -> u64 {
    match installed() {
        Some(host) => host.now_ms(),
        None => imports::now(),
    }
}

pub(crate) fn random_bytes(len: u32) -> Vec<u8> {
    match installed() {
        Some(host) => host.random_bytes(len),
        None => imports::random_bytes(len),
    }
}

pub(crate) fn log(level: LogLevel, message: &str) {
    match installed() {
        Some(host) => host.log(level, message),
        None => imports::log(level, message),
    }
}

pub(crate) fn history_info() -> HistoryInfo {
    match installed() {
        Some(host) => host.history_info(),
        None => imports::history_info(),
    }
}

pub(crate) fn report_panic(message: &str, location: Option<SourceLocation>) {
    match installed() {
        Some(host) => host.report_panic(message, location),
        None => imports::report_panic(message, location.as_ref()),
    }
}

/// `report_panic` for a workflow that fails its run on a panic
/// (`#[workflow(fail_on_panic)]`): the host fails the run instead of retrying the task.
pub(crate) fn report_fatal_panic(message: &str, location: Option<SourceLocation>) {
    match installed() {
        Some(host) => host.report_panic(message, location),
        None => imports::report_fatal_panic(message, location.as_ref()),
    }
}

/// `report_panic` for a panic in the validator of update `update_id`: the host rejects
/// the update instead of failing the task. Natively the SDK catches the panic itself.
pub(crate) fn report_validator_panic(
    update_id: &str,
    message: &str,
    location: Option<SourceLocation>,
) {
    match installed() {
        Some(_) => {}
        None => imports::report_validator_panic(update_id, message, location.as_ref()),
    }
}

pub(crate) fn task_attempt() -> u32 {
    match installed() {
        Some(host) => host.task_attempt(),
        None => imports::task_attempt(),
    }
}

pub(crate) fn cron_schedule() -> Option<String> {
    match installed() {
        Some(host) => host.cron_schedule(),
        None => imports::cron_schedule(),
    }
}

pub(crate) fn continued_from() -> Option<String> {
    match installed() {
        Some(host) => host.continued_from(),
        None => imports::continued_from(),
    }
}

pub(crate) fn child_workflow_options(seq: u32, options: &ChildOptions) {
    match installed() {
        Some(host) => host.child_workflow_options(seq, options),
        None => imports::child_workflow_options(seq, options),
    }
}

pub(crate) fn activity_flow(seq: u32, flow: &FlowOptions) {
    match installed() {
        Some(host) => host.activity_flow(seq, flow),
        None => imports::activity_flow(seq, flow),
    }
}

pub(crate) fn child_flow(seq: u32, flow: &FlowOptions) {
    match installed() {
        Some(host) => host.child_flow(seq, flow),
        None => imports::child_flow(seq, flow),
    }
}

pub(crate) fn cancel_local_activity(seq: u32) {
    match installed() {
        Some(host) => host.cancel_local_activity(seq),
        // Natively and outside an activation, a local activity is cancelled only by its
        // future being dropped with a test's workflow: there is no host to tell.
        None if !cfg!(target_arch = "wasm32") => {}
        None => imports::cancel_local_activity(seq),
    }
}

pub(crate) fn record_metric(metric: &MetricValue) {
    match installed() {
        Some(host) => host.record_metric(metric),
        None => imports::record_metric(metric),
    }
}

pub(crate) fn set_current_details(details: &str) {
    match installed() {
        Some(host) => host.set_current_details(details),
        None => imports::set_current_details(details),
    }
}

pub(crate) fn waiting_on(points: &[WaitPoint]) {
    match installed() {
        Some(host) => host.waiting_on(points),
        None => imports::waiting_on(points),
    }
}

/// The causes of the failure the activation's job at `index` carries, outermost first.
pub(crate) fn job_failure_causes(index: u32) -> Vec<Failure> {
    match installed() {
        Some(host) => host.job_failure_causes(index),
        None => imports::job_failure_causes(index),
    }
}

/// Give the failure of the command at `index` of this activation's list these causes.
pub(crate) fn command_failure_causes(index: u32, causes: &[Failure]) {
    match installed() {
        Some(host) => host.command_failure_causes(index, causes),
        None => imports::command_failure_causes(index, causes),
    }
}

#[cfg(target_arch = "wasm32")]
mod imports {
    pub(super) use crate::bindings::weft::workflow::host::{
        activity_flow, cancel_local_activity, child_flow, child_workflow_options,
        command_failure_causes, continued_from, cron_schedule, history_info, job_failure_causes,
        log, now, random_bytes, record_metric, report_fatal_panic, report_panic,
        report_validator_panic, set_current_details, task_attempt, waiting_on,
    };
}

#[cfg(not(target_arch = "wasm32"))]
mod imports {
    use crate::wit::{HistoryInfo, LogLevel, SourceLocation};

    const OUTSIDE: &str = "weft host services are only available inside a workflow \
        component; natively, drive the workflow with `weft_sdk::testing`";

    pub(super) fn now() -> u64 {
        panic!("{OUTSIDE}")
    }

    pub(super) fn random_bytes(_len: u32) -> Vec<u8> {
        panic!("{OUTSIDE}")
    }

    pub(super) fn history_info() -> HistoryInfo {
        panic!("{OUTSIDE}")
    }

    pub(super) fn continued_from() -> Option<String> {
        panic!("{OUTSIDE}")
    }

    pub(super) fn task_attempt() -> u32 {
        panic!("{OUTSIDE}")
    }

    pub(super) fn cron_schedule() -> Option<String> {
        panic!("{OUTSIDE}")
    }

    pub(super) fn child_workflow_options(_seq: u32, _options: &crate::wit::ChildOptions) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn activity_flow(_seq: u32, _flow: &crate::wit::FlowOptions) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn child_flow(_seq: u32, _flow: &crate::wit::FlowOptions) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn record_metric(_metric: &crate::wit::MetricValue) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn set_current_details(_details: &str) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn waiting_on(_points: &[crate::wit::WaitPoint]) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn cancel_local_activity(_seq: u32) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn job_failure_causes(_index: u32) -> Vec<crate::wit::Failure> {
        panic!("{OUTSIDE}")
    }

    pub(super) fn command_failure_causes(_index: u32, _causes: &[crate::wit::Failure]) {
        panic!("{OUTSIDE}")
    }

    pub(super) fn log(level: LogLevel, message: &str) {
        eprintln!("[{level:?}] {message}");
    }

    pub(super) fn report_panic(_message: &str, _location: Option<&SourceLocation>) {
        // The default panic hook, which runs next, prints the message natively.
    }

    pub(super) fn report_fatal_panic(_message: &str, _location: Option<&SourceLocation>) {}

    pub(super) fn report_validator_panic(
        _update_id: &str,
        _message: &str,
        _location: Option<&SourceLocation>,
    ) {
    }
}
