//! The virtual WASI a workflow built for a WASI target sees: wasmtime-wasi's `wasi:cli`
//! world with every source of nondeterminism replaced by what the history recorded.
//!
//! | WASI                          | what the workflow gets                                   |
//! |-------------------------------|----------------------------------------------------------|
//! | wall clock, monotonic clock   | the current activation's recorded time (1 ms resolution) |
//! | random, insecure random       | the seeded stream behind the `random-bytes` import       |
//! | stdout, stderr                | `tracing` lines with the workflow id; silent in replay   |
//! | stdin                         | empty                                                    |
//! | environment, arguments, cwd   | none                                                     |
//! | filesystem                    | no preopened directories, so nothing to open             |
//! | sockets, name lookup          | refused                                                  |
//! | clock subscriptions (sleep)   | trap: a workflow sleeps with `ctx.sleep`                 |
//! | any other call that would wait| trap (nothing can become ready during a task)            |
//!
//! The clocks and the random streams plug into wasmtime-wasi through its traits
//! ([`recorded`]). wasmtime-wasi's synchronous bindings answer a call that may wait
//! (`blocking-write-and-flush`, `poll`, …) by blocking on a tokio runtime, which panics
//! on the runtime's worker threads that run workflow tasks, and its clock subscriptions
//! sleep for real; [`never_block`] shadows those functions with ones that answer at once
//! or trap.
//!
//! The WASI state is made on the first WASI call of an instance: components without WASI
//! imports never pay for it.

mod never_block;
mod recorded;

use std::sync::Arc;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::host_imports::SeededRng;
use super::InstanceState;
use recorded::{LogSink, OutputKind, RecordedClock, SeededRandom, TaskFacts};

/// A workflow asked WASI to wait for time to pass.
#[derive(Debug, thiserror::Error)]
#[error(
    "the workflow tried to sleep through WASI (`{call}`, e.g. `std::thread::sleep`); a \
     workflow must wait with the SDK's durable timer instead: `ctx.sleep(duration).await`"
)]
pub struct WasiSleep {
    /// The WASI function that was called.
    pub call: &'static str,
}

/// A workflow made a WASI call that would have to wait for something outside.
#[derive(Debug, thiserror::Error)]
#[error(
    "the workflow made a WASI call that would wait (`{call}`); nothing outside a workflow \
     becomes ready during a task: wait with the SDK (`ctx.sleep`, activities) instead"
)]
pub struct WasiWouldBlock {
    /// The WASI function that was called.
    pub call: &'static str,
}

/// One instance's WASI state.
pub struct VirtualWasi {
    ctx: WasiCtx,
    table: ResourceTable,
    facts: Arc<TaskFacts>,
}

impl VirtualWasi {
    fn new(workflow_id: &str, rng: &SeededRng, time_ms: u64, replaying: bool) -> VirtualWasi {
        let facts = Arc::new(TaskFacts::default());
        facts.set(time_ms, replaying);
        let workflow_id: Arc<str> = workflow_id.into();
        let sink = |kind| LogSink::new(kind, workflow_id.clone(), facts.clone());
        // std's HashMap keys on wasip2 come from the insecure seed: take it from the
        // stream too, so it is the same in every replay.
        let insecure_seed = u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64());
        let ctx = WasiCtxBuilder::new()
            .wall_clock(RecordedClock(facts.clone()))
            .monotonic_clock(RecordedClock(facts.clone()))
            .secure_random(SeededRandom(rng.clone()))
            .insecure_random(SeededRandom(rng.clone()))
            .insecure_random_seed(insecure_seed)
            .stdin(MemoryInputPipe::new(Vec::new()))
            .stdout(sink(OutputKind::Stdout))
            .stderr(sink(OutputKind::Stderr))
            .build();
        VirtualWasi {
            ctx,
            table: ResourceTable::new(),
            facts,
        }
    }

    pub(super) fn begin_task(&self, time_ms: u64, replaying: bool) {
        self.facts.set(time_ms, replaying);
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let wasi = self.wasi.get_or_insert_with(|| {
            Box::new(VirtualWasi::new(
                &self.workflow_id,
                &self.rng,
                self.time_ms,
                self.replaying,
            ))
        });
        WasiCtxView {
            ctx: &mut wasi.ctx,
            table: &mut wasi.table,
        }
    }
}

/// Adds the virtual WASI (the `wasi:cli/imports` world of WASI 0.2) to `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    never_block::add_to_linker(linker)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The message for a trap caused by the virtual WASI, if it was one.
pub(super) fn explain_trap(trap: &wasmtime::Error) -> Option<String> {
    if let Some(sleep) = trap.downcast_ref::<WasiSleep>() {
        return Some(sleep.to_string());
    }
    if let Some(wait) = trap.downcast_ref::<WasiWouldBlock>() {
        return Some(wait.to_string());
    }
    trap.downcast_ref::<wasmtime_wasi::I32Exit>().map(|exit| {
        format!(
            "the workflow called `exit({})` through WASI; a workflow ends by returning from \
             its run function (or with an error)",
            exit.0
        )
    })
}
