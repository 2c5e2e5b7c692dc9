//! A hook on the host's log: lets a test act at the moment a workflow logs a line,
//! while the workflow task that logs it is still running.

use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

type Hook = Arc<dyn Fn(&str, &str) + Send + Sync>;

fn hooks() -> &'static Mutex<Vec<Hook>> {
    static HOOKS: OnceLock<Mutex<Vec<Hook>>> = OnceLock::new();
    HOOKS.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(HookLayer);
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
