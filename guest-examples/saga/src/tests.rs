//! The saga's decisions, driven by hand with the SDK's harness: what it schedules after
//! each answer, and how the run ends.

use serde_json::{json, Value};
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, Failure, IssuedCommand, Job, RetryPolicy, ScheduleActivity};

use super::*;

fn trip() -> Trip {
    Trip {
        id: "trip-7".to_owned(),
        traveller: "Ada".to_owned(),
        destination: "Lisbon".to_owned(),
    }
}

fn schedules(commands: &[IssuedCommand]) -> Vec<&ScheduleActivity> {
    commands
        .iter()
        .filter_map(|issued| match &issued.command {
            Command::ScheduleActivity(schedule) => Some(schedule),
            _ => None,
        })
        .collect()
}

/// The activities `commands` schedule: `(seq, activity type, input)`.
fn scheduled(commands: &[IssuedCommand]) -> Vec<(u32, &str, Value)> {
    schedules(commands)
        .into_iter()
        .map(|s| {
            let input = serde_json::from_slice(&s.input.data).unwrap();
            (s.seq, s.activity_type.as_str(), input)
        })
        .collect()
}

/// Deliver `job`; the commands of the activation.
fn deliver(harness: &mut Harness, job: Job) -> Vec<IssuedCommand> {
    harness.activate(vec![job]).unwrap()
}

/// Deliver `job` and check that the workflow answers by scheduling one activity:
/// `(seq, activity type, input)`.
#[track_caller]
fn expect_next(harness: &mut Harness, job: Job, expected: (u32, &str, Value)) {
    let commands = deliver(harness, job);
    assert_eq!(scheduled(&commands), [expected]);
}

/// Activity `seq` (a cancellation) is done.
fn done(seq: u32) -> Job {
    testing::complete_activity(seq, &())
}

/// The compensation of the car, as activity `seq`: `(seq, activity type, input)`.
fn cancel_car(seq: u32) -> (u32, &'static str, Value) {
    (seq, "cancel_car", json!("car-trip-7"))
}

/// A harness whose run has booked the car (seq 1) and waits for the hotel (seq 2).
fn car_booked() -> Harness {
    let mut harness = Harness::new::<book_trip>();
    let commands = harness.start(&trip()).unwrap();
    assert_eq!(scheduled(&commands), [(1, "book_car", json!(trip()))]);
    let car = testing::complete_activity(1, &"car-trip-7");
    expect_next(&mut harness, car, (2, "book_hotel", json!(trip())));
    harness
}

/// A harness whose run has booked the car and the hotel, and waits for the flight
/// (seq 3).
fn hotel_booked() -> Harness {
    let mut harness = car_booked();
    let hotel = testing::complete_activity(2, &"hotel-trip-7");
    expect_next(&mut harness, hotel, (3, "book_flight", json!(trip())));
    harness
}

/// The flight (seq 3) fails as the example host fails it for `Atlantis`.
fn no_flights() -> Job {
    testing::fail_activity(3, "no flights to Atlantis for Ada", "NoFlights")
}

/// The retry policy of the first activity `commands` schedule.
fn first_retry_policy(commands: &[IssuedCommand]) -> RetryPolicy {
    let policy = &schedules(commands)[0].options.retry_policy;
    policy.clone().expect("the activity has a retry policy")
}

/// The failure the run ended with, which must be `TripNotBooked`.
#[track_caller]
fn trip_not_booked(commands: &[IssuedCommand]) -> &Failure {
    let failure = testing::failed(commands).expect("the run fails");
    assert_eq!(failure.error_type, TRIP_NOT_BOOKED, "{failure:?}");
    failure
}

fn details(failure: &Failure) -> Compensated {
    let details = failure.details.as_ref().expect("the failure has details");
    serde_json::from_slice(&details.data).unwrap()
}

fn compensated(cancelled: &[&str], not_cancelled: &[&str]) -> Compensated {
    let owned = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect();
    Compensated {
        cancelled: owned(cancelled),
        not_cancelled: owned(not_cancelled),
    }
}

#[test]
fn books_the_car_the_hotel_and_the_flight_in_order() {
    let mut harness = hotel_booked();
    let done = deliver(
        &mut harness,
        testing::complete_activity(3, &"flight-trip-7"),
    );
    assert_eq!(
        testing::completed::<Itinerary>(&done),
        Some(Itinerary {
            car: "car-trip-7".to_owned(),
            hotel: "hotel-trip-7".to_owned(),
            flight: "flight-trip-7".to_owned(),
        })
    );
}

#[test]
fn a_failed_flight_cancels_the_hotel_then_the_car() {
    let mut harness = hotel_booked();
    expect_next(
        &mut harness,
        no_flights(),
        (4, "cancel_hotel", json!("hotel-trip-7")),
    );
    expect_next(&mut harness, done(4), cancel_car(5));
    let ended = deliver(&mut harness, done(5));
    let failure = trip_not_booked(&ended);
    assert_eq!(
        failure.message,
        "trip trip-7 was not booked: activity `book_flight` failed (NoFlights): \
         no flights to Atlantis for Ada"
    );
    assert_eq!(
        details(failure),
        compensated(&["hotel-trip-7", "car-trip-7"], &[])
    );
}

#[test]
fn a_failed_hotel_cancels_only_the_car_and_books_no_flight() {
    let mut harness = car_booked();
    let no_rooms = testing::fail_activity(2, "fully booked", "NoRooms");
    expect_next(&mut harness, no_rooms, cancel_car(3));
    let ended = deliver(&mut harness, done(3));
    let failure = trip_not_booked(&ended);
    assert_eq!(
        failure.message,
        "trip trip-7 was not booked: activity `book_hotel` failed (NoRooms): fully booked"
    );
    assert_eq!(details(failure), compensated(&["car-trip-7"], &[]));
}

#[test]
fn a_failed_first_booking_has_nothing_to_undo() {
    let mut harness = Harness::new::<book_trip>();
    harness.start(&trip()).unwrap();
    let ended = deliver(
        &mut harness,
        testing::fail_activity(1, "no cars left", "NoCars"),
    );
    assert!(scheduled(&ended).is_empty());
    let failure = trip_not_booked(&ended);
    assert_eq!(details(failure), Compensated::default());
}

#[test]
fn compensations_retry_longer_than_bookings() {
    let mut harness = hotel_booked();
    let commands = deliver(&mut harness, no_flights());
    let cancel = first_retry_policy(&commands);
    assert_eq!(cancel.maximum_attempts, 10);
    assert_eq!(cancel.maximum_interval_ms, 60_000);

    let mut harness = Harness::new::<book_trip>();
    let commands = harness.start(&trip()).unwrap();
    let book = first_retry_policy(&commands);
    assert_eq!(book.maximum_attempts, 3);
}

#[test]
fn a_compensation_that_fails_does_not_stop_the_next() {
    let mut harness = hotel_booked();
    deliver(&mut harness, no_flights());
    let agency_down = testing::fail_activity(4, "the agency does not answer", "AgencyDown");
    expect_next(&mut harness, agency_down, cancel_car(5));
    let ended = deliver(&mut harness, done(5));
    let failure = trip_not_booked(&ended);
    assert!(
        failure.message.ends_with(
            "; and hotel-trip-7 could not be cancelled: activity `cancel_hotel` failed \
             (AgencyDown): the agency does not answer"
        ),
        "{}",
        failure.message
    );
    assert_eq!(
        details(failure),
        compensated(&["car-trip-7"], &["hotel-trip-7"])
    );
}

#[test]
fn compensations_go_on_when_the_workflow_is_cancelled_meanwhile() {
    let mut harness = hotel_booked();
    deliver(&mut harness, no_flights());
    // `cancel_hotel` (seq 4) is shielded: the request issues no cancellation.
    let commands = harness.cancel().unwrap();
    assert!(commands.is_empty(), "{commands:?}");
    expect_next(&mut harness, done(4), cancel_car(5));
    let ended = deliver(&mut harness, done(5));
    // The trip failed before the request: the run ends with that failure.
    assert!(!testing::cancel_confirmed(&ended));
    trip_not_booked(&ended);
}

/// A harness whose run was cancelled while the hotel (seq 2) was in flight: the hotel
/// is asked to stop, and the workflow waits for its outcome.
fn cancelled_during_the_hotel() -> Harness {
    let mut harness = car_booked();
    let commands = harness.cancel().unwrap();
    let commands: Vec<&Command> = commands.iter().map(|c| &c.command).collect();
    assert_eq!(commands, [&Command::RequestCancelActivity(2)]);
    harness
}

/// ... and the hotel stopped: the workflow cancels the car (seq 3).
fn hotel_stopped() -> Harness {
    let mut harness = cancelled_during_the_hotel();
    expect_next(&mut harness, testing::cancel_activity(2), cancel_car(3));
    harness
}

#[test]
fn cancelling_the_workflow_undoes_the_bookings_and_ends_cancelled() {
    let mut harness = hotel_stopped();
    assert!(testing::cancel_confirmed(&deliver(&mut harness, done(3))));
}

#[test]
fn a_booking_that_went_through_despite_the_cancellation_is_undone_too() {
    let mut harness = cancelled_during_the_hotel();
    // The hotel was booked before the request reached the agency.
    let booked = testing::complete_activity(2, &"hotel-trip-7");
    expect_next(
        &mut harness,
        booked,
        (3, "cancel_hotel", json!("hotel-trip-7")),
    );
    expect_next(&mut harness, done(3), cancel_car(4));
    assert!(testing::cancel_confirmed(&deliver(&mut harness, done(4))));
}

#[test]
fn a_cancelled_trip_that_leaves_a_booking_standing_fails_instead() {
    let mut harness = hotel_stopped();
    let agency_down = testing::fail_activity(3, "gone", "AgencyDown");
    let ended = deliver(&mut harness, agency_down);
    assert!(!testing::cancel_confirmed(&ended));
    let failure = trip_not_booked(&ended);
    assert_eq!(details(failure), compensated(&[], &["car-trip-7"]));
}
