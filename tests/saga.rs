//! The `saga` example end to end on the time-skipping test environment, with the
//! example host's travel activities: a trip is booked, or its bookings are cancelled
//! newest first when a later one fails or the workflow is cancelled. Every recorded
//! history replays.

use crate::support;

use std::sync::Arc;

use example_activities_api::{BookFlight, Trip};
use serde_json::json;
use support::*;
use weft_host::contract::Command;
use weft_host::history::{Event, Outcome};
use weft_host::testing::TestEnv;
use weft_host::ActivityRegistry;

async fn env_with(registry: ActivityRegistry) -> TestEnv {
    let env = test_env().activities(registry).start().await.unwrap();
    env.deploy(component_bytes("saga"), "saga").await.unwrap();
    env
}

fn trip(id: &str, destination: &str) -> serde_json::Value {
    json!({"id": id, "traveller": "Ada", "destination": destination})
}

/// The history of run `run_id`, after checking that it replays.
fn replayed_history(env: &TestEnv, run_id: &str) -> Vec<Event> {
    let events = env.host().history(run_id).unwrap();
    assert_replays(env.host(), "saga", &events);
    events
}

/// The activities the run scheduled, in order: `(activity type, input)`.
fn scheduled(events: &[Event]) -> Vec<(String, serde_json::Value)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Command(c) => match &c.command {
                Command::ScheduleActivity(s) => Some((s.activity_type.clone(), s.input.to_json())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A trip to Lisbon: car, hotel and flight booked in that order, nothing cancelled.
#[tokio::test]
async fn saga_books_every_step() {
    let env = env_with(activities()).await;
    let (run, outcome) = env
        .execute("book_trip", trip("trip-7", "Lisbon"))
        .await
        .unwrap();
    assert_eq!(
        completed(&outcome),
        json!({"car": "car-trip-7", "hotel": "hotel-trip-7", "flight": "flight-trip-7"})
    );
    let events = replayed_history(&env, &run.run_id);
    let booking = trip("trip-7", "Lisbon");
    assert_eq!(
        scheduled(&events),
        [
            ("book_car".to_owned(), booking.clone()),
            ("book_hotel".to_owned(), booking.clone()),
            ("book_flight".to_owned(), booking),
        ]
    );
}

/// No flight goes to Atlantis: the flight fails once (non-retryable), then the hotel
/// is cancelled, then the car, and the run fails as `TripNotBooked` with the cause.
#[tokio::test]
async fn saga_compensates_in_reverse_when_a_step_fails() {
    let env = env_with(activities()).await;
    let destination = example_activities::NO_FLIGHTS_TO;
    let (run, outcome) = env
        .execute("book_trip", trip("trip-8", destination))
        .await
        .unwrap();
    let Outcome::Failed(failure) = outcome else {
        panic!("expected a failed run, got {outcome:?}");
    };
    assert_eq!(failure.error_type, "TripNotBooked");
    assert_eq!(
        failure.message,
        "trip trip-8 was not booked: activity `book_flight` failed (NoFlights): \
         no flights to Atlantis for Ada"
    );
    assert_eq!(
        failure.details.map(|d| d.to_json()),
        Some(json!({"cancelled": ["hotel-trip-8", "car-trip-8"], "not_cancelled": []}))
    );

    let events = replayed_history(&env, &run.run_id);
    let booking = trip("trip-8", destination);
    assert_eq!(
        scheduled(&events),
        [
            ("book_car".to_owned(), booking.clone()),
            ("book_hotel".to_owned(), booking.clone()),
            ("book_flight".to_owned(), booking),
            ("cancel_hotel".to_owned(), json!("hotel-trip-8")),
            ("cancel_car".to_owned(), json!("car-trip-8")),
        ]
    );
    // `NoFlights` is final: the flight had one attempt, and no step was retried.
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ActivityAttemptFailed { .. })),
        "{events:#?}"
    );
}

/// The workflow is cancelled while the flight is being booked, and the flight goes
/// through anyway: the workflow waited for it, so it cancels the flight, the hotel and
/// the car, newest first, and the run ends as cancelled.
#[tokio::test]
async fn saga_undoes_a_booking_that_completes_after_the_cancellation() {
    // The flight starts, tells the test, and completes only once it has been asked to
    // stop: the airline booked it before the request reached it.
    let started = Arc::new(tokio::sync::Notify::new());
    let mut registry = activities();
    let flight_started = started.clone();
    registry.register(BookFlight, move |ctx, trip: Trip| {
        let started = flight_started.clone();
        async move {
            started.notify_one();
            ctx.cancelled().await;
            Ok(format!("flight-{}", trip.id))
        }
    });
    let env = env_with(registry).await;
    let run = env
        .start("book_trip", trip("trip-9", "Lisbon"))
        .await
        .unwrap();
    started.notified().await;
    env.host()
        .cancel(&run.workflow_id, "plans changed")
        .await
        .unwrap();
    let outcome = env.host().wait(&run.run_id).await.unwrap();
    assert_eq!(outcome, Outcome::Cancelled);

    let events = replayed_history(&env, &run.run_id);
    let scheduled = scheduled(&events);
    let kinds: Vec<&str> = scheduled.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "book_car",
            "book_hotel",
            "book_flight",
            "cancel_flight",
            "cancel_hotel",
            "cancel_car"
        ]
    );
    assert_eq!(scheduled[3].1, json!("flight-trip-9"));
    assert!(events.iter().any(|e| matches!(e,
        Event::Command(c) if c.command == Command::RequestCancelActivity(3))));
}
