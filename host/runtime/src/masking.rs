//! Masking: what the host displays, with its sensitive fields masked.
//!
//! The rule (which fields, what a mask looks like) is [`SensitiveFields`], shared with
//! the SDK. This module applies it to the host's own shapes: a history's events, a run's
//! outcome, a description. It runs only where a payload is displayed (the API's answers,
//! the web UI, the CLI's offline reads); what is stored, replayed or handed to a workflow
//! or an activity is never masked.

use std::collections::BTreeSet;

pub use weft_types::sensitive::{
    Sensitive, SensitiveFields, DEFAULT_SENSITIVE_FIELDS, MASK, SENSITIVE_MARKER,
};

use crate::history::vocab::{Command, Encoding, Job, Payload};
use crate::history::{Event, Outcome, PendingActivity};
use crate::payload_codec::visit;
use crate::runtime::RunDescription;
use crate::SearchAttributeValue;

/// Mask a JSON payload in place (binary and encoded ones are left as they are: the
/// host cannot read them). Returns whether anything was masked.
pub fn mask_payload(fields: &SensitiveFields, payload: &mut Payload) -> bool {
    mask_json(payload, |value| fields.mask(value))
}

/// Mask a payload kept under a name (a memo entry, a search attribute): whole when the
/// name is sensitive, field by field otherwise.
fn mask_named_payload(fields: &SensitiveFields, name: &str, payload: &mut Payload) -> bool {
    mask_json(payload, |value| fields.mask_named(name, value))
}

fn mask_json(payload: &mut Payload, mask: impl FnOnce(&mut serde_json::Value) -> bool) -> bool {
    if payload.encoding != Encoding::Json {
        return false;
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&payload.data) else {
        return false;
    };
    let masked = mask(&mut value);
    if masked {
        *payload = Payload::json(&value);
    }
    masked
}

/// Mask every payload of `events` in place: by `fields`, and by the names of the
/// fields that hold a [`Sensitive`] value anywhere in `events` (so a start's input a
/// client wrote bare is masked once the workflow has passed it on marked).
pub fn mask_events(fields: &SensitiveFields, events: &mut [Event]) {
    let fields = &fields.clone().with(marked_names(events));
    for event in events.iter_mut() {
        // Named pairs first, by their names; then every payload (pairs included) by
        // field, which leaves a masked pair as it is.
        for (name, payload) in named_pairs(event) {
            mask_named_payload(fields, name, payload);
        }
        let _ = visit::event_payloads(event, &mut |p| {
            mask_payload(fields, p);
            Ok::<(), ()>(())
        });
    }
}

/// The names of the fields that hold a [`Sensitive`] value in a JSON payload of
/// `events`.
fn marked_names(events: &[Event]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for event in events {
        let _ = visit::event_payloads(&mut event.clone(), &mut |p| {
            if p.encoding == Encoding::Json {
                if let Ok(value) = serde_json::from_slice(&p.data) {
                    SensitiveFields::marked_names(&value, &mut names);
                }
            }
            Ok::<(), ()>(())
        });
    }
    names
}

/// The memo entries and search attributes an event carries, with their names.
fn named_pairs(event: &mut Event) -> impl Iterator<Item = (&str, &mut Payload)> {
    let pairs: Vec<&mut Vec<(String, Payload)>> = match event {
        Event::Job(Job::StartWorkflow(start)) | Event::PendingJob(Job::StartWorkflow(start)) => {
            vec![&mut start.memo, &mut start.search_attributes]
        }
        Event::Command(issued) => match &mut issued.command {
            Command::UpsertMemo(pairs) | Command::UpsertSearchAttributes(pairs) => vec![pairs],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    pairs
        .into_iter()
        .flat_map(|pairs| pairs.iter_mut().map(|(n, p)| (n.as_str(), p)))
}

/// Mask the payloads of a run's outcome in place.
pub fn mask_outcome(fields: &SensitiveFields, outcome: &mut Outcome) {
    let _ = visit::outcome_payloads(outcome, &mut |p| {
        mask_payload(fields, p);
        Ok::<(), ()>(())
    });
}

/// Mask what a description shows: memo, search attributes, pending activities' inputs,
/// failures and heartbeats, and the outcome.
pub fn mask_description(fields: &SensitiveFields, d: &mut RunDescription) {
    for (name, value) in d.memo.iter_mut() {
        fields.mask_named(name, value);
    }
    for (name, value) in d.search_attributes.iter_mut() {
        mask_search_attribute(fields, name, value);
    }
    for activity in &mut d.waiting.activities {
        mask_pending_activity(fields, activity);
    }
    if let Some(outcome) = &mut d.outcome {
        mask_outcome(fields, outcome);
    }
}

/// A search attribute under a sensitive name shows as a keyword mask (whatever its
/// kind: an `Int` social security number is no less sensitive).
pub fn mask_search_attribute(
    fields: &SensitiveFields,
    name: &str,
    value: &mut SearchAttributeValue,
) {
    if fields.is_sensitive(name) {
        *value = SearchAttributeValue::Keyword(MASK.to_string());
    }
}

/// Mask what a schedule shows of its action: its input and memo.
pub fn mask_action(fields: &SensitiveFields, action: &mut weft_api::schedule_types::ActionBody) {
    fields.mask(&mut action.input);
    for (name, value) in action.memo.iter_mut() {
        fields.mask_named(name, value);
    }
}

fn mask_pending_activity(fields: &SensitiveFields, activity: &mut PendingActivity) {
    mask_payload(fields, &mut activity.schedule.input);
    let failure = activity
        .last_failure
        .as_mut()
        .and_then(|f| f.details.as_mut());
    let heartbeat = activity
        .last_heartbeat
        .as_mut()
        .and_then(|h| h.details.as_mut());
    for payload in failure.into_iter().chain(heartbeat) {
        mask_payload(fields, payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{IssuedCommand, StartWorkflow};
    use serde_json::json;

    fn start(input: serde_json::Value) -> Event {
        Event::Job(Job::StartWorkflow(StartWorkflow {
            workflow_type: "pay".into(),
            input: Payload::json(&input),
            workflow_id: "p-1".into(),
            run_id: "r-1".into(),
            attempt: 1,
            parent_workflow_id: None,
            random_seed: 0,
            search_attributes: vec![("Token".into(), Payload::json(&json!("abc")))],
            memo: vec![
                ("api_key".into(), Payload::json(&json!({"id": 7}))),
                ("note".into(), Payload::json(&json!({"password": "pw"}))),
            ],
        }))
    }

    #[test]
    fn events_are_masked_by_field_and_by_name() {
        let mut events = vec![
            start(json!({"card_number": "4111111111111111", "amount": 5})),
            Event::Command(IssuedCommand {
                command: Command::CompleteWorkflow(Payload::json(
                    &json!({"receipt": {"$sensitive": "secret-receipt"}}),
                )),
                location: None,
            }),
        ];
        mask_events(&SensitiveFields::default(), &mut events);
        let Event::Job(Job::StartWorkflow(s)) = &events[0] else {
            panic!("a start")
        };
        assert_eq!(
            s.input.to_json(),
            json!({"card_number": "****1111", "amount": 5})
        );
        assert_eq!(s.search_attributes[0].1.to_json(), json!("****"));
        assert_eq!(s.memo[0].1.to_json(), json!("****"));
        assert_eq!(s.memo[1].1.to_json(), json!({"password": "****"}));
        let Event::Command(issued) = &events[1] else {
            panic!("a command")
        };
        assert_eq!(
            issued.command,
            Command::CompleteWorkflow(Payload::json(&json!({"receipt": {"$sensitive": "****"}})))
        );
    }

    #[test]
    fn a_field_marked_in_one_event_is_masked_in_all() {
        let mut events = vec![
            start(json!({"cvv": "737", "amount": 5})),
            Event::Command(IssuedCommand {
                command: Command::CompleteWorkflow(Payload::json(
                    &json!({"cvv": {"$sensitive": "737"}}),
                )),
                location: None,
            }),
        ];
        mask_events(&SensitiveFields::none(), &mut events);
        let Event::Job(Job::StartWorkflow(s)) = &events[0] else {
            panic!("a start")
        };
        assert_eq!(s.input.to_json(), json!({"cvv": "****", "amount": 5}));
    }

    #[test]
    fn binary_and_clean_payloads_stay_as_they_are() {
        let fields = SensitiveFields::default();
        let mut binary = Payload {
            encoding: Encoding::Binary,
            data: b"password".to_vec(),
        };
        assert!(!mask_payload(&fields, &mut binary));
        let mut clean = Payload::json(&json!({"amount": 5}));
        let before = clean.clone();
        assert!(!mask_payload(&fields, &mut clean));
        assert_eq!(clean, before);
    }
}
