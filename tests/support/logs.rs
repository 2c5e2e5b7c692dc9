//! A hook on the host's log: lets a test act at the moment a workflow logs a line,
//! while the workflow task that logs it is still running.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

type Hook = Arc<dyn Fn(&str, &str) + Send + Sync>;

fn hooks() -> &'static Mutex<Vec<Hook>> {
    static HOOKS: OnceLock<Mutex<Vec<Hook>>> = OnceLock::new();
    HOOKS.get_or_init(|| {
        // Only workflows' log lines reach the hook; everything else stays disabled, so
        // the other tests in this binary pay nothing for the subscriber.
        let workflow_logs = tracing_subscriber::filter::filter_fn(|m| {
            m.is_event() && m.target() == "weft_runtime::engine::host_imports"
        });
        let subscriber = tracing_subscriber::registry().with(HookLayer.with_filter(workflow_logs));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        Mutex::new(Vec::new())
    })
}

/// Call `hook(message, workflow_id)` for every line a workflow logs, on the thread
/// (and inside the task) that logs it.
pub fn on_log(hook: impl Fn(&str, &str) + Send + Sync + 'static) {
    hooks().lock().unwrap().push(Arc::new(hook));
}

/// A message a log hook sent, waiting for its answer.
pub type InFlight<T> = Arc<Mutex<Option<Pin<Box<dyn Future<Output = T> + Send>>>>>;

/// The first time `workflow` logs `message`, call `send` and poll its future once,
/// right there, inside the task that logs: one poll hands a signal or an update to the
/// run's actor while that task is in flight. The future, still pending, waits in the
/// slot returned, for the test to await.
pub fn send_on_log<T: 'static, F>(
    workflow: &'static str,
    message: &'static str,
    send: impl Fn() -> F + Send + Sync + 'static,
) -> InFlight<T>
where
    F: Future<Output = T> + Send + 'static,
{
    let in_flight: InFlight<T> = Arc::default();
    let slot = in_flight.clone();
    on_log(move |logged: &str, from: &str| {
        if from != workflow || logged != message {
            return;
        }
        let mut slot = slot.lock().unwrap();
        if slot.is_some() {
            return;
        }
        let mut sent: Pin<Box<dyn Future<Output = T> + Send>> = Box::pin(send());
        let waker = std::task::Waker::noop();
        let polled = sent
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        assert!(polled.is_pending(), "answered before the task ended");
        *slot = Some(sent);
    });
    in_flight
}

/// Take what the hook of [`send_on_log`] sent.
pub fn sent<T>(in_flight: &InFlight<T>) -> Pin<Box<dyn Future<Output = T> + Send>> {
    in_flight
        .lock()
        .unwrap()
        .take()
        .expect("the hook sent its message")
}

struct HookLayer;

#[derive(Default)]
struct Fields {
    message: String,
    workflow: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "workflow" {
            self.workflow = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for HookLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.workflow.is_empty() {
            return;
        }
        // Called without the lock held: a hook may log, too.
        let hooks: Vec<Hook> = hooks().lock().unwrap().clone();
        for hook in hooks {
            hook(&fields.message, &fields.workflow);
        }
    }
}
