//! The host's workflow threads: a runtime of its own, one thread per core, that runs the
//! executions' actors — and with them every workflow task and rebuild replay — and the
//! activities they dispatch.
//!
//! A workflow task is CPU work that cannot yield (up to its deadline). Running it on the
//! threads that serve the API would stall the API; handing each task to a blocking pool
//! costs two thread switches a step (measured: about a fifth of seq3's throughput). On
//! threads of their own the actors run their tasks in place, an activity's result wakes
//! its actor on the same runtime, and the API, the timer loop and the storage writer
//! never wait behind a task.

use std::sync::Arc;

use tokio::runtime::{Builder, Handle, Runtime};

/// Where a host runs its actors and activities.
#[derive(Debug, Clone, Default)]
pub enum Executor {
    /// A runtime of the host's own, one thread per core (production).
    #[default]
    OwnThreads,
    /// The runtime of this handle: a simulator's single thread, where every task of
    /// the host runs in an order that depends on nothing but the simulation.
    Shared(Handle),
}

/// The workflow runtime; shut down (without waiting) when the last `Host` handle goes.
pub(crate) struct WorkflowThreads {
    runtime: Option<Runtime>,
    shared: Option<Handle>,
}

impl WorkflowThreads {
    pub fn start(executor: &Executor) -> std::io::Result<Arc<WorkflowThreads>> {
        if let Executor::Shared(handle) = executor {
            return Ok(Arc::new(WorkflowThreads {
                runtime: None,
                shared: Some(handle.clone()),
            }));
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("weft-workflow")
            .enable_all()
            .build()?;
        Ok(Arc::new(WorkflowThreads {
            runtime: Some(runtime),
            shared: None,
        }))
    }

    pub fn handle(&self) -> Handle {
        match (&self.runtime, &self.shared) {
            (_, Some(shared)) => shared.clone(),
            (Some(runtime), None) => runtime.handle().clone(),
            (None, None) => unreachable!("the runtime is present until dropped"),
        }
    }
}

impl Drop for WorkflowThreads {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Allowed in async code, unlike a plain drop; open runs resume at the next
            // start from what is durable.
            runtime.shutdown_background();
        }
    }
}
