//! A run's search attributes and memo: set by its start, changed by the workflow's
//! `upsert-search-attributes` and `upsert-memo` commands. The history holds them all
//! (the start job and the commands), so the current values are a fold over its
//! events; the storage keeps the result (`Write::PutAttributes`) in the commit of the
//! task that changed it, for `describe` and for queries.
//!
//! A name keeps one type: the type the store first saw for it (any run), or the
//! type this run gave it first. An upsert that changes it, or a value that does not
//! decode, fails the task with a message naming the attribute and the line.

use std::collections::BTreeMap;

use weft_model::names::SearchAttributeName;
use weft_types::search_attributes::{self, SearchAttributeKind, SearchAttributeValue};

use crate::history::vocab::Encoding;
use crate::history::vocab::StartWorkflow;
use crate::history::{Command, Event, IssuedCommand, Job, Payload, TaskFailure};
use crate::storage::RunAttributes;

/// Current details as lists and `describe` show them: an empty value (cleared) is none.
pub(crate) fn shown_details(details: &str) -> Option<String> {
    (!details.is_empty()).then(|| details.to_string())
}

/// What the workflow of a run whose history is `events` last said it is doing.
pub fn current_details_of(events: &[Event]) -> Option<String> {
    events.iter().rev().find_map(|e| match e {
        Event::CurrentDetails { details } => Some(shown_details(details)),
        _ => None,
    })?
}

/// The current values and the type each name has in this run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Current {
    pub values: RunAttributes,
    types: BTreeMap<String, SearchAttributeKind>,
}

impl Current {
    /// Fold a run's events (and the jobs of a task not recorded yet) into its values.
    pub fn of<'e>(events: impl IntoIterator<Item = &'e Event>, jobs: &[Job]) -> Current {
        let mut current = Current::default();
        let mut started = false;
        for event in events {
            match event {
                Event::Job(Job::StartWorkflow(s)) | Event::PendingJob(Job::StartWorkflow(s)) => {
                    current.start(s);
                    started = true;
                }
                Event::Priority { priority } => current.values.priority = Some(*priority),
                Event::Command(c) => {
                    // Recorded commands were checked when they were issued.
                    let _ = current.apply(c, &BTreeMap::new());
                }
                Event::UserMetadata { summary, .. } => current.values.summary = summary.clone(),
                Event::CurrentDetails { details } => {
                    current.values.current_details = shown_details(details)
                }
                _ => {}
            }
        }
        if !started {
            for job in jobs {
                if let Job::StartWorkflow(s) = job {
                    current.start(s);
                }
            }
        }
        current
    }

    fn start(&mut self, start: &StartWorkflow) {
        // The priority and the summary are the run's, recorded apart from the start job.
        self.values = RunAttributes {
            priority: self.values.priority,
            summary: self.values.summary.take(),
            current_details: self.values.current_details.take(),
            ..RunAttributes::default()
        };
        self.types.clear();
        for (name, payload) in &start.search_attributes {
            if let Ok(Some(value)) = search_attributes::decode(&payload.data) {
                self.types.insert(name.clone(), value.kind());
                self.values.search.insert(name.clone(), value);
            }
        }
        for (name, payload) in &start.memo {
            self.values.memo.insert(name.clone(), payload.to_json());
        }
    }

    /// Apply the upserts among `commands`; `Some` with the new values if any changed
    /// them. `known`: the types the store has for names (across runs).
    pub fn upserted(
        &mut self,
        commands: &[IssuedCommand],
        known: &BTreeMap<String, SearchAttributeKind>,
    ) -> Result<Option<RunAttributes>, TaskFailure> {
        let mut changed = false;
        for c in commands {
            changed |= self.apply(c, known)?;
        }
        Ok(changed.then(|| self.values.clone()))
    }

    /// Apply one command; true if it was an upsert.
    fn apply(
        &mut self,
        issued: &IssuedCommand,
        known: &BTreeMap<String, SearchAttributeKind>,
    ) -> Result<bool, TaskFailure> {
        let fail = |message: String| TaskFailure {
            message,
            location: issued.location.clone(),
        };
        match &issued.command {
            Command::UpsertSearchAttributes(entries) => {
                for (name, payload) in entries {
                    check_name(name).map_err(fail)?;
                    let value = decode_payload(payload)
                        .map_err(|e| fail(format!("the value of search attribute `{name}` {e}")))?;
                    let Some(value) = value else {
                        self.values.search.remove(name);
                        continue;
                    };
                    let had = self.types.get(name).or_else(|| known.get(name));
                    if let Some(kind) = had.filter(|k| **k != value.kind()) {
                        return Err(fail(format!(
                            "search attribute `{name}` has type {kind}, so it cannot take the \
                             {} value {value}; upsert a {kind}, or use another name",
                            value.kind()
                        )));
                    }
                    self.types.insert(name.clone(), value.kind());
                    self.values.search.insert(name.clone(), value);
                }
                Ok(true)
            }
            Command::UpsertMemo(entries) => {
                for (name, payload) in entries {
                    let json = payload.to_json();
                    if json.is_null() {
                        self.values.memo.remove(name);
                    } else {
                        self.values.memo.insert(name.clone(), json);
                    }
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

fn decode_payload(payload: &Payload) -> Result<Option<SearchAttributeValue>, String> {
    if payload.encoding != Encoding::Json {
        return Err("is a binary payload; search attribute values are JSON".into());
    }
    search_attributes::decode(&payload.data)
}

/// A search attribute's name, checked (`weft_model::names::SearchAttributeName`).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    SearchAttributeName::parse(name)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Check start-time values against the store's types; the payloads for the start job.
pub(crate) fn start_payloads(
    values: &[(String, SearchAttributeValue)],
    known: &BTreeMap<String, SearchAttributeKind>,
) -> Result<Vec<(String, Payload)>, String> {
    let mut out = Vec::with_capacity(values.len());
    for (name, value) in values {
        check_name(name)?;
        value
            .check()
            .map_err(|e| format!("search attribute `{name}`: {e}"))?;
        if let Some(kind) = known.get(name).filter(|k| **k != value.kind()) {
            return Err(format!(
                "search attribute `{name}` has type {kind} on this host, so it cannot be \
                 started with the {} value {value}; give it as {name}:{kind}=…",
                value.kind()
            ));
        }
        out.push((name.clone(), payload_of(value)));
    }
    Ok(out)
}

/// The payload of a value, as the SDK writes it.
pub(crate) fn payload_of(value: &SearchAttributeValue) -> Payload {
    Payload {
        encoding: Encoding::Json,
        data: search_attributes::encode(Some(value)),
    }
}

/// Named payloads, as a start job lists search attributes and memo.
/// A run's memo as its events leave it: the start's, merged with the upserts.
pub fn memo_of(events: &[Event]) -> BTreeMap<String, serde_json::Value> {
    Current::of(events, &[]).values.memo
}

pub(crate) type Named = Vec<(String, Payload)>;

/// The start job's lists (search attributes, memo) for values carried to a next run.
pub(crate) fn carried(values: &RunAttributes) -> (Named, Named) {
    (
        values
            .search
            .iter()
            .map(|(n, v)| (n.clone(), payload_of(v)))
            .collect(),
        values
            .memo
            .iter()
            .map(|(n, v)| (n.clone(), Payload::json(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last `current-details` event wins, an empty one clears; the fold keeps them
    /// with the start's summary.
    #[test]
    fn current_details_are_the_last_said() {
        let said = |details: &str| Event::CurrentDetails {
            details: details.into(),
        };
        let mut events = vec![
            Event::UserMetadata {
                summary: Some("refund".into()),
                details: None,
            },
            said("checking"),
            Event::TaskStarted { time_ms: 1 },
            said("**paying**"),
        ];
        assert_eq!(current_details_of(&events).as_deref(), Some("**paying**"));
        let folded = Current::of(&events, &[]).values;
        assert_eq!(folded.current_details.as_deref(), Some("**paying**"));
        assert_eq!(folded.summary.as_deref(), Some("refund"));
        events.push(said(""));
        assert_eq!(current_details_of(&events), None);
        assert_eq!(Current::of(&events, &[]).values.current_details, None);
        assert_eq!(current_details_of(&events[..1]), None);
    }
}
