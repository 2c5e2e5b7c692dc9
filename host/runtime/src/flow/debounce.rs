//! Debounced starts (`weft start TYPE --debounce KEY=PERIOD`, Inngest's debounce): of
//! the starts of one workflow type and key that come less than a period apart, only the
//! last one runs.
//!
//! Each start is answered at once with its own run, recorded (its history holds
//! `Event::Debounced`) and pending until its *due* time, its start plus its period:
//!
//! | a debounced start of TYPE and KEY comes … | it                    | the pending one of KEY   |
//! |-------------------------------------------|-----------------------|--------------------------|
//! | with none of KEY pending                  | waits until its due   |                          |
//! | with one of KEY pending                   | waits until its due   | closes, superseded by it |
//! | (its due comes with none newer)           | runs                  |                          |
//!
//! A superseded run closes as terminated, its reason naming the run that superseded it,
//! and the new start's `Event::Debounced` names the run it superseded. So a host that
//! opens on pending debounced runs (all it needs is in their histories: the key, the
//! period and the start time) knows which of a key is the newest even when it stopped
//! between the new start's commit and the old run's close: the one that supersedes
//! the other, else the later start.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Longest debounce key a start may give.
pub const MAX_DEBOUNCE_KEY_BYTES: usize = 200;
/// Longest debounce period: a week.
pub const MAX_DEBOUNCE_PERIOD: Duration = Duration::from_secs(7 * 86_400);

/// A start's debounce: its key (scoped by workflow type) and period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Debounce {
    pub key: String,
    pub period: Duration,
}

impl Debounce {
    /// A debounce, checked: the message names the field.
    pub fn new(key: impl Into<String>, period: Duration) -> Result<Debounce, String> {
        let key = key.into();
        if key.trim().is_empty() || key.chars().any(char::is_control) {
            return Err(format!(
                "debounce: the key `{key}` must be non-blank, without control characters"
            ));
        }
        if key.len() > MAX_DEBOUNCE_KEY_BYTES {
            return Err(format!(
                "debounce: the key is {} bytes, over the limit of {MAX_DEBOUNCE_KEY_BYTES}",
                key.len()
            ));
        }
        if period.is_zero() || period > MAX_DEBOUNCE_PERIOD {
            return Err(format!(
                "debounce: the period must be more than 0 and at most 7 days, not {period:?}"
            ));
        }
        Ok(Debounce { key, period })
    }
}

/// A pending debounced run, as the debouncer keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebouncedRun {
    pub workflow_type: String,
    pub key: String,
    pub run_id: String,
    pub start_ms: u64,
    pub due_ms: u64,
    /// The run its start superseded, as its history says.
    pub supersedes: Option<String>,
}

impl DebouncedRun {
    /// Whether this start came after `other` (of the same key).
    fn is_newer_than(&self, other: &DebouncedRun) -> bool {
        if self.supersedes.as_deref() == Some(other.run_id.as_str()) {
            return true;
        }
        if other.supersedes.as_deref() == Some(self.run_id.as_str()) {
            return false;
        }
        // Starts taken up live come in order: the one arriving last is the newest.
        self.start_ms >= other.start_ms
    }
}

/// What a pending debounced run arriving at the debouncer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// It is the newest of its key: it waits for its due time; the run it supersedes
    /// (if one was pending) is to close.
    Waits { supersedes: Option<String> },
    /// A newer start of its key is pending (found by an opening host): it is to close.
    Superseded { by: String },
}

type Key = (String, String);

#[derive(Default)]
struct State {
    newest: HashMap<Key, DebouncedRun>,
}

/// The newest pending run of each debounce key; see the module docs.
#[derive(Default)]
pub struct Debouncer {
    state: Mutex<State>,
}

impl Debouncer {
    /// The pending run a new start of `workflow_type` and `key` would supersede.
    pub fn newest(&self, workflow_type: &str, key: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        let key = (workflow_type.to_string(), key.to_string());
        state.newest.get(&key).map(|r| r.run_id.clone())
    }

    /// A pending debounced run (a new start, or one an opening host found).
    pub fn arrive(&self, run: DebouncedRun) -> Arrival {
        let mut state = self.state.lock().unwrap();
        let key = (run.workflow_type.clone(), run.key.clone());
        match state.newest.get(&key) {
            Some(newest) if newest.run_id == run.run_id => Arrival::Waits { supersedes: None },
            Some(newest) if !run.is_newer_than(newest) => Arrival::Superseded {
                by: newest.run_id.clone(),
            },
            _ => {
                let older = state.newest.insert(key, run);
                Arrival::Waits {
                    supersedes: older.map(|r| r.run_id),
                }
            }
        }
    }

    /// `run_id`'s due time came: true when it is still the newest of its key (it leaves
    /// the debouncer and runs); false when it was superseded.
    pub fn due(&self, workflow_type: &str, key: &str, run_id: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        let key = (workflow_type.to_string(), key.to_string());
        if state.newest.get(&key).is_some_and(|r| r.run_id == run_id) {
            state.newest.remove(&key);
            return true;
        }
        false
    }

    /// `run_id` closed while pending: a later start of its key supersedes nothing.
    pub fn closed(&self, workflow_type: &str, key: &str, run_id: &str) {
        self.due(workflow_type, key, run_id);
    }

    /// How many debounced runs are pending (one per key at most).
    pub fn pending(&self) -> usize {
        self.state.lock().unwrap().newest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, start_ms: u64, supersedes: Option<&str>) -> DebouncedRun {
        DebouncedRun {
            workflow_type: "report".into(),
            key: "user-42".into(),
            run_id: id.into(),
            start_ms,
            due_ms: start_ms + 30_000,
            supersedes: supersedes.map(str::to_string),
        }
    }

    #[test]
    fn a_debounce_has_a_key_and_a_period_within_bounds() {
        assert!(Debounce::new("user-42", Duration::from_secs(30)).is_ok());
        for (key, period) in [
            ("", 30),
            (" ", 30),
            ("a\nb", 30),
            ("k", 0),
            ("k", 8 * 86_400),
        ] {
            let error = Debounce::new(key, Duration::from_secs(period)).unwrap_err();
            assert!(error.starts_with("debounce: "), "{error}");
        }
        assert!(Debounce::new("x".repeat(201), Duration::from_secs(1)).is_err());
    }

    #[test]
    fn each_start_supersedes_the_pending_one_of_its_key_and_the_last_runs() {
        let d = Debouncer::default();
        let mut superseded = Vec::new();
        for (i, id) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            assert_eq!(d.newest("report", "user-42").is_some(), i > 0);
            match d.arrive(run(id, i as u64 * 1_000, None)) {
                Arrival::Waits { supersedes } => superseded.extend(supersedes),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(superseded, ["a", "b", "c", "d"]);
        // Another key, another type: apart.
        let other_key = DebouncedRun {
            key: "user-7".into(),
            ..run("x", 0, None)
        };
        assert_eq!(d.arrive(other_key), Arrival::Waits { supersedes: None });
        let other_type = DebouncedRun {
            workflow_type: "mail".into(),
            ..run("y", 0, None)
        };
        assert_eq!(d.arrive(other_type), Arrival::Waits { supersedes: None });
        assert_eq!(d.pending(), 3);
        // A superseded run's due time finds it gone; the newest runs, once.
        assert!(!d.due("report", "user-42", "d"));
        assert!(d.due("report", "user-42", "e"));
        assert!(!d.due("report", "user-42", "e"));
        // The next start begins a new period.
        assert_eq!(
            d.arrive(run("f", 40_000, None)),
            Arrival::Waits { supersedes: None }
        );
    }

    #[test]
    fn an_opening_host_keeps_the_newest_whatever_order_it_finds_them_in() {
        // `b` superseded `a` at the same millisecond, and the host stopped before `a`
        // closed: found `b` first, then `a`.
        let d = Debouncer::default();
        assert_eq!(
            d.arrive(run("b", 5, Some("a"))),
            Arrival::Waits { supersedes: None }
        );
        assert_eq!(
            d.arrive(run("a", 5, None)),
            Arrival::Superseded { by: "b".into() }
        );
        // Found the other way round.
        let d = Debouncer::default();
        d.arrive(run("a", 5, None));
        assert_eq!(
            d.arrive(run("b", 5, Some("a"))),
            Arrival::Waits {
                supersedes: Some("a".into())
            }
        );
        // A run arriving twice (its actor built again) changes nothing.
        assert_eq!(
            d.arrive(run("b", 5, Some("a"))),
            Arrival::Waits { supersedes: None }
        );
        // Without the link, the later start wins.
        let d = Debouncer::default();
        d.arrive(run("late", 9, None));
        assert_eq!(
            d.arrive(run("early", 3, None)),
            Arrival::Superseded { by: "late".into() }
        );
        // A pending run that closes (cancelled) leaves nothing to supersede.
        d.closed("report", "user-42", "late");
        assert_eq!(d.newest("report", "user-42"), None);
    }
}
