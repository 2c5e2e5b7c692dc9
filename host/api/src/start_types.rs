//! The body of `POST /v1/executions`: what a start may say (re-exported by
//! [`crate::types`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weft_types::SearchAttributeValue;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StartBody {
    pub workflow_type: String,
    /// The workflow's input (any JSON value).
    #[serde(default)]
    pub input: serde_json::Value,
    /// Workflow id; the host picks `<type>-<random>` when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Signal-with-start: the signal to deliver to the id's open run, or to a run
    /// started for it (in its first task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The signal's input (JSON null when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_input: Option<serde_json::Value>,
    /// `allow-duplicate` (default), `allow-duplicate-failed-only`, `reject-duplicate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_reuse_policy: Option<String>,
    /// `fail` (default), `use-existing` or `terminate-existing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_conflict_policy: Option<String>,
    /// Close the run as timed out if it is open this long (ms) after it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_timeout_ms: Option<u64>,
    /// Close the execution as timed out this long (ms) after it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_timeout_ms: Option<u64>,
    /// Memo: named JSON values that `describe` shows (not indexed); they go on with
    /// the execution when it continues as new.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub memo: serde_json::Map<String, serde_json::Value>,
    /// Typed search attributes, each `{"type": "Keyword", "value": "x"}` (types:
    /// Keyword, Text, Int, Double, Bool, Datetime as RFC 3339, KeywordList).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub search_attributes: BTreeMap<String, SearchAttributeValue>,
    /// One line saying what the execution is for (at most 400 bytes), shown by
    /// `describe` and `list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// More about it, in Markdown (at most 20,000 bytes), shown by `describe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Applies the start once: the same request id again (for the same workflow id)
    /// answers what the first start answered, even after that run closed, and starts
    /// nothing. 1 to 128 bytes, printable. Without `id`, the workflow id is derived
    /// from it, so a retry names the same execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// 1 (highest) to 5 (lowest), default 3: under contention, the run's activities
    /// (and its children's, which inherit it) take slots in priority order, first come
    /// first served within one priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Whom the work is for (a tenant, a customer; at most 256 bytes): under
    /// contention, within one priority, keys share capacity by their weights. Its
    /// activities and children inherit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness_key: Option<String>,
    /// The key's weight, 1 to 1000 (default 1); needs `fairness_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness_weight: Option<u32>,
    /// Debounce: of the starts of this workflow type and `key` less than `period_ms`
    /// apart, only the last runs. This start is answered at once, pending until the
    /// period passes with no later start of the key; a later one closes it
    /// (terminated, naming the run that superseded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debounce: Option<DebounceBody>,
    /// Temporal's legacy cron: a cron expression (5 fields, or 6 with seconds first;
    /// `@hourly` …, in UTC) or `@every <duration>`, as schedules take them. The run's
    /// first task waits for the next slot; each run that completes, fails or times out
    /// is followed by the next run of the execution (same workflow id, the same
    /// input), which waits for the next slot after that close. Terminating or
    /// cancelling a run ends the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_schedule: Option<String>,
}

/// The cron schedule of a run's execution (`weft start --cron`), as `describe` shows
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronInfo {
    /// The cron expression or `@every <duration>` the execution was started with.
    pub spec: String,
    /// The next slot of the spec (ms since the Unix epoch): the one a run that has not
    /// started yet waits for, else the first after now (the next run waits for the
    /// first after this one closes). Absent once the run closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_slot_ms: Option<u64>,
}

/// A start's debounce key (scoped by workflow type; 1 to 200 bytes) and period (more
/// than 0, at most 7 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebounceBody {
    pub key: String,
    pub period_ms: u64,
}
